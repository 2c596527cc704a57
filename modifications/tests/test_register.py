"""The register, one modification's page, feed, CSV, releases and following."""

import csv
import io
import threading
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modifications import selectors, services
from modifications.models import FilterFollow, Follow, Path, Route, Stage
from modifications.tests.factories import make_document, make_modification, make_release
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification
from secportal.exceptions import ApplicationError

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def names(response) -> list[str]:
    return [m.reference for m in response.context["page"].object_list]


@pytest.fixture
def register():
    release = make_release(name="June 2027 SEC Release", slug="june-2027")
    party = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    return {
        "release": release,
        "a": make_modification(
            stage=Stage.MRC,
            path=Path.PATH_3,
            route=Route.REFINEMENT,
            number=301,
            title="Prepayment top-up retries",
            issue="Top-ups fail when the meter is offline.",
            impacts={"small_supplier": "high"},
            proposer_party=party,
        ),
        "b": make_modification(
            stage=Stage.IMPLEMENTED,
            path=Path.PATH_2,
            route=Route.REFINEMENT,
            number=302,
            title="Half-hourly data access",
            issue="Settlement needs consumption data.",
            impacts={"large_supplier": "medium"},
            target_release=release,
        ),
        "c": make_modification(
            stage=Stage.DRAFT,
            number=303,
            title="Certificate revocation timetable",
            issue="Revocation takes too long.",
            impacts={"dcc": "high", "small_supplier": "low"},
        ),
    }


def test_filters_live_in_the_url(client, register):
    url = reverse("modifications:modification-list")
    assert names(client.get(url, {"stage": "mrc"})) == ["MP301"]
    assert names(client.get(url, {"path": "path_2"})) == ["MP302"]
    assert sorted(names(client.get(url, {"category": "small_supplier"}))) == ["DP303", "MP301"]
    assert names(client.get(url, {"release": "june-2027"})) == ["MP302"]
    assert sorted(names(client.get(url, {"state": "open"}))) == ["DP303", "MP301"]
    assert names(client.get(url, {"state": "closed"})) == ["MP302"]
    assert names(client.get(url, {"sort": "reference"})) == ["MP301", "MP302", "DP303"]
    assert client.get(url, {"stage": "nonsense", "page": "x"}).status_code == 200


def test_full_text_search_is_ranked(client, register):
    url = reverse("modifications:modification-list")
    assert names(client.get(url, {"q": "revocation"})) == ["DP303"]
    assert names(client.get(url, {"q": "MP302"})) == ["MP302"]
    assert names(client.get(url, {"q": "meter offline"})) == ["MP301"]  # words from the issue
    if connection.vendor == "postgresql":
        assert names(client.get(url, {"q": "top-ups failing"})) == ["MP301"]  # stemmed: fail/failing


def test_register_query_count_is_fixed_with_3_or_30_rows(client, register):
    url = reverse("modifications:modification-list")
    three = count_queries(client, url)
    for n in range(27):
        make_modification(
            stage=Stage.REFINEMENT,
            target_release=register["release"],
            proposer_party=register["a"].proposer_party,
            number=400 + n,
        )
    assert count_queries(client, url) == three


def test_modification_page_query_count_is_fixed(client, register):
    staff = make_user(role_names={roles.SECAS_STAFF})
    mp = register["a"]
    url = reverse("modifications:modification-detail", args=[mp.reference])
    client.force_login(make_user(party=mp.proposer_party))
    few = count_queries(client, url)
    for n in range(10):
        services.modification_post_update(actor=staff, modification=mp, text=f"Update {n}")
        make_document(mp, title=f"Paper {n}", classification=Classification.GREEN)
        make_document(mp, title="Legal text", version=n + 2)
    assert count_queries(client, url) == few


def test_modification_page_shows_what_a_newcomer_needs(client, register):
    response = client.get(reverse("modifications:modification-detail", args=["MP301"]))
    content = response.content.decode()
    for text in (
        "MP301: Prepayment top-up retries",
        "Modification Report Consultation",
        "What is the issue",
        "What comes next",
        "Path 3: Self-governance",
        "Small Supplier",
        "Timeline",
    ):
        assert text in content
    progress = response.context["progress"]
    assert [s["state"] for s in progress].count("current") == 1
    assert progress[0]["state"] == "done" and progress[-1]["state"] == "todo"


def test_unknown_reference_is_404(client, db):
    assert client.get(reverse("modifications:modification-detail", args=["MP999"])).status_code == 404


def test_csv_export_parses_back_with_the_same_filters(client, register):
    response = client.get(reverse("modifications:modification-export"), {"category": "small_supplier"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(r["Reference"] for r in rows) == ["DP303", "MP301"]
    mp301 = next(r for r in rows if r["Reference"] == "MP301")
    assert mp301["Stage"] == "Modification Report Consultation" and "Small Supplier: High" in mp301["Impacts"]


def test_csv_neutralises_formulas(client, db):
    make_modification(title='=HYPERLINK("http://evil.example")')
    rows = list(csv.reader(io.StringIO(client.get(reverse("modifications:modification-export")).content.decode())))
    assert rows[1][1].startswith("'=")


def test_atom_feed_parses_and_follows_the_filters(client, register):
    staff = make_user(role_names={roles.SECAS_STAFF})
    services.modification_post_update(actor=staff, modification=register["a"], text="Consultation open")
    services.modification_post_update(actor=staff, modification=register["b"], text="Implemented")
    response = client.get(reverse("modifications:modification-feed"), {"stage": "mrc"})
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert titles == ["MP301: Consultation open"]
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}id").text and entry.find(f"{ATOM}updated").text


def test_releases_page_groups_modifications(client, register):
    response = client.get(reverse("modifications:release-list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "June 2027 SEC Release" in content and "1 implemented" in content


def test_old_dp_reference_redirects(client, db):
    staff = make_user(role_names={roles.SECAS_STAFF})
    dp = make_modification(stage=Stage.DEVELOPMENT, number=231)
    services.modification_convert(actor=staff, modification=dp, path=Path.PATH_2, route=Route.REFINEMENT)
    assert client.get("/modifications/DP231/").url == "/modifications/MP231/"


def test_following_a_modification_and_a_filter_shows_on_the_dashboard(client, register):
    user = make_user(party=register["a"].proposer_party)
    client.force_login(user)
    client.post(reverse("modifications:modification-follow", args=["MP301"]), {"follow": "1"})
    client.post(reverse("modifications:modification-follow", args=["MP301"]), {"follow": "1"})  # twice is once
    assert Follow.objects.filter(user=user).count() == 1
    client.post(reverse("modifications:filter-follow"), {"category": "small_supplier", "state": "open"})
    follow = FilterFollow.objects.get(user=user)
    assert follow.query == "category=small_supplier&state=open"
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "MP301" in dashboard
    assert "Impacting Small Suppliers, in progress" in dashboard
    client.post(reverse("modifications:modification-follow", args=["MP301"]), {"follow": "0"})
    assert not Follow.objects.filter(user=user).exists()


def test_a_person_follows_at_most_the_allowed_number_of_views(client, settings):
    settings.SECPORTAL_MAX_SAVED_VIEWS = 3
    settings.SECPORTAL_REQUIRE_MFA = False
    user, other = make_user(), make_user()
    for i in range(3):
        services.filter_follow_add(user=user, query=f"q=word{i}", label=f"matching word{i}")
    with pytest.raises(ApplicationError, match="already follow 3 views of the register"):
        services.filter_follow_add(user=user, query="q=word3", label="matching word3")
    assert FilterFollow.objects.filter(user=user).count() == 3
    # A view already followed is still followed (nothing new), and the cap is per person.
    assert services.filter_follow_add(user=user, query="q=word0", label="again").label == "matching word0"
    services.filter_follow_add(user=other, query="q=word3", label="matching word3")
    # The page says so, on the view the person was looking at.
    client.force_login(user)
    response = client.post(reverse("modifications:filter-follow"), {"q": "word9"})
    assert response.status_code == 302 and response.url == reverse("modifications:modification-list") + "?q=word9"
    page = client.get(response.url).content.decode()
    assert "You already follow 3 views of the register, the most one person may." in page
    assert "Stop following this view" in page or "Follow this view" in page
    assert FilterFollow.objects.filter(user=user).count() == 3


def test_two_views_followed_at_once_cannot_pass_the_cap(transactional_db, settings):
    settings.SECPORTAL_MAX_SAVED_VIEWS = 1
    user = make_user()
    barrier, errors = threading.Barrier(2), []

    def add(query: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.filter_follow_add(user=user, query=query, label=query)
        except ApplicationError as exc:
            errors.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(q,)) for q in ("q=one", "q=two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert FilterFollow.objects.filter(user=user).count() == 1
    assert len(errors) == 1 and "already follow 1 view of the register" in errors[0]


def test_dashboard_lists_drafts_my_party_raised(client, register):
    party = register["a"].proposer_party
    user = make_user(party=party)
    draft = services.modification_raise(actor=user, title="Our problem", issue="Details")
    client.force_login(make_user(party=party))
    content = client.get(reverse("dashboard")).content.decode()
    assert draft.reference in content and "SECAS critical-friend review due" in content


def test_dashboard_query_count_does_not_grow_with_follows(client, register):
    user = make_user(party=register["a"].proposer_party)
    client.force_login(user)
    Follow.objects.create(user=user, modification=register["a"])
    few = count_queries(client, reverse("dashboard"))
    for n in range(10):
        Follow.objects.create(
            user=user, modification=make_modification(number=600 + n, target_release=register["release"])
        )
    assert count_queries(client, reverse("dashboard")) == few


def test_party_page_lists_its_modifications(client, register):
    party = register["a"].proposer_party
    content = client.get(reverse("parties:party-detail", args=[party.slug])).content.decode()
    assert "Modifications proposed" in content and "MP301" in content


def test_home_page_shows_modifications_in_progress(client, register):
    content = client.get(reverse("home")).content.decode()
    assert "Modifications in progress" in content and "MP301" in content and "MP302" not in content


def test_anonymous_visitors_cannot_follow_or_raise(client, register):
    response = client.post(reverse("modifications:modification-follow", args=["MP301"]), {"follow": "1"})
    assert response.status_code == 302 and not Follow.objects.exists()
    assert client.get(reverse("modifications:modification-raise")).status_code == 302


def test_a_change_shows_at_once_on_the_register(client, register):
    staff = make_user(role_names={roles.SECAS_STAFF})
    url = reverse("modifications:modification-list")
    assert client.get(url).status_code == 200
    services.modification_post_update(actor=staff, modification=register["c"], text="Now with a new update")
    modification = register["c"]
    modification.title = "Renamed in the register"
    modification.save(update_fields=["title"])
    services.modification_post_update(actor=staff, modification=modification, text="Bumps the version")
    assert b"Renamed in the register" in client.get(url).content
    client.force_login(make_user())
    assert b"Renamed in the register" in client.get(url).content


def test_pipeline_counts_rows_so_the_stage_path_index_alone_can_answer(register):
    # COUNT(*) reads no column outside the (stage, path) index, so PostgreSQL may answer the
    # register's chart from the index alone; COUNT(id) made it visit every open modification.
    with CaptureQueriesContext(connection) as ctx:
        chart = selectors.pipeline()
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "COUNT(*)" in sql
    assert sum(stage["total"] for stage in chart["stages"]) == 2  # a and c are open


def test_register_filters_are_written_without_widget_templates(client, register):
    # The seven filters went through 81 widget templates (one per option) on every register page.
    response = client.get(reverse("modifications:modification-list"), {"stage": "mrc", "release": "june-2027"})
    assert not [t.name for t in response.templates if t.name.startswith("django/forms/widgets/select")]
    content = response.content.decode()
    assert '<select name="stage" class="form-select" id="id_stage">' in content
    assert '<option value="mrc" selected>' in content
    assert '<option value="june-2027" selected>June 2027 SEC Release</option>' in content
    assert '<label class="form-label" for="id_release">Target release</label>' in content
