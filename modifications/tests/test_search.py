"""Searching the register: a reference however it is typed, words, and the proposer's names."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modifications.models import FilterFollow, ModificationReference, Path, Route, Stage
from modifications.notifications import follower_ids
from modifications.selectors import Search, parse_search
from modifications.services import modification_post_update
from modifications.tests.factories import make_modification
from parties import roles
from parties.models import Party, User
from parties.tests.factories import make_party, make_user

URL = reverse("modifications:modification-list")


@pytest.mark.parametrize(
    ("typed", "number", "prefix", "suffix", "reference"),
    [
        ("MP210", 210, "MP", "", "MP210"),
        ("mp210", 210, "MP", "", "MP210"),
        ("MP 210", 210, "MP", "", "MP210"),
        ("MP-210", 210, "MP", "", "MP210"),
        ("  mp   210 ", 210, "MP", "", "MP210"),
        ("210", 210, "", "", ""),
        ("DP84", 84, "DP", "", "DP084"),
        ("dp 084", 84, "DP", "", "DP084"),
        ("MP102a", 102, "MP", "A", "MP102A"),
        ("102 B", 102, "", "B", ""),
    ],
)
def test_a_reference_is_read_however_it_is_typed(typed, number, prefix, suffix, reference):
    search = parse_search(typed)
    assert (search.number, search.prefix, search.suffix, search.reference) == (number, prefix, suffix, reference)


@pytest.mark.parametrize("typed", ["MP210 prepayment", "smart meter", "MP", "1234567", "MP 21 0", "XP210", "MP210AB"])
def test_anything_else_is_words(typed):
    assert parse_search(typed) == Search(text=" ".join(typed.split()))


def names(client, q: str, **filters) -> list[str]:
    response = client.get(URL, {"q": q, **filters})
    assert response.status_code == 200
    return [m.reference for m in response.context["page"].object_list]


@pytest.fixture
def register(db):
    fenland = make_party(name="Fenland Community Power Ltd", status=Party.Status.ACCEDED)
    priya = make_user(full_name="Priya Shah", party=fenland)
    open_mp = {"stage": Stage.REFINEMENT, "path": Path.PATH_2, "route": Route.REFINEMENT}
    return {
        "mp210": make_modification(
            number=210, title="Installation reporting", proposer=priya, proposer_party=fenland, **open_mp
        ),
        # Its words mention 210 and its title 'MP210': a words match, which ranks after the reference.
        "mentions": make_modification(
            number=211,
            title="Follow-up to MP210: 210 meters a day",
            issue="After MP210, 210 installations a day need reporting.",
            **open_mp,
        ),
        "mp021": make_modification(number=21, title="Tariff switching", **open_mp),
        "mp2100": make_modification(number=2100, title="Prepayment top-ups", **open_mp),
        "mp102": make_modification(number=102, title="Original solution", **open_mp),
        "mp102a": make_modification(number=102, suffix="A", reference="MP102A", title="Alternative", **open_mp),
        "draft": make_modification(number=215, title="Smart meter firmware"),
    }


@pytest.mark.parametrize("typed", ["MP 210", "mp210", "MP-210", "MP210", "210", "  mp 210  "])
def test_a_reference_finds_its_modification_first(client, register, typed):
    found = names(client, typed)
    assert found[0] == "MP210"
    assert "MP021" not in found and "MP2100" not in found  # a reference is its number, not a fragment of one
    assert set(found) <= {"MP210", "MP211"}  # at most, the other one whose words mention it


def test_without_its_prefix_a_number_finds_an_original_and_its_alternatives(client, register):
    assert sorted(names(client, "102")) == ["MP102", "MP102A"]
    assert names(client, "MP102A") == ["MP102A"]
    assert names(client, "102a") == ["MP102A"]


def test_the_prefix_matters_and_an_old_reference_still_finds_it(client, register):
    assert names(client, "DP210") == []  # MP210 was never DP210
    ModificationReference.objects.create(reference="DP210", modification=register["mp210"])
    assert names(client, "DP210") == ["MP210"]
    assert names(client, "DP 215") == ["DP215"]


def test_a_search_matching_more_than_the_rank_limit_lists_the_newest_first_and_says_so(client, register, settings):
    """Ranked, the title that is mostly the search's words comes first; over the limit, the newest,
    with a matching reference still first, and the page says why."""
    if connection.vendor != "postgresql":
        pytest.skip("ranking by relevance needs PostgreSQL's full-text search")
    for n in range(3):
        make_modification(number=300 + n, title=f"Change {n}", issue="Meter installations, among other things.")
    make_modification(number=299, title="Installations installations", issue="Installations.")
    ranked = client.get(URL, {"q": "installations"})
    assert ranked.context["page"].object_list[0].reference == "DP299"
    assert "listed newest first" not in ranked.content.decode()

    settings.SECPORTAL_SEARCH_RANK_LIMIT = 3
    newest = client.get(URL, {"q": "installations"})
    found = [m.reference for m in newest.context["page"].object_list]
    assert found == sorted(found, key=lambda ref: -int(ref[2:])) and len(found) == 6
    assert "More than 3 match, so they are listed newest first" in newest.content.decode()
    # A reference is still first, however many its number's words match.
    assert names(client, "MP210")[0] == "MP210"


def test_the_proposers_name_and_their_partys_name_find_what_they_raised(client, register):
    for typed in ("Priya Shah", "priya", "SHAH", "Fenland", "fenland community power", "Community Power Ltd"):
        assert names(client, typed) == ["MP210"], typed
    assert names(client, "Sh") == []  # a name matches from three characters


def test_words_are_matched_and_combine_with_the_filters(client, register):
    assert names(client, "firmware") == ["DP215"]
    assert names(client, "smart firmware") == ["DP215"]  # every word, anywhere in the text
    assert names(client, "firmware", stage=Stage.REFINEMENT) == []
    assert names(client, "Fenland", state="closed") == []


@pytest.mark.parametrize("typed", ["99999999999", "MP 9999999", "%", "_", "'", "\\", "a" * 200])
def test_odd_searches_find_nothing_and_fail_nothing(client, register, typed):
    assert names(client, typed) == []


def test_a_search_that_looks_like_sql_is_only_words(client, register):
    assert names(client, "MP210'; DROP TABLE modifications_modificationproposal; --") == []
    assert names(client, "MP210") == ["MP210", "MP211"]


def test_a_name_many_people_share_is_asked_as_a_subquery(client, register, monkeypatch):
    """More people named by a search than NAMES_INLINE: that way stays a subquery (one statement,
    not one value per person), and finds the same."""
    from modifications import selectors

    assert names(client, "Shah") == ["MP210"]
    monkeypatch.setattr(selectors, "NAMES_INLINE", 0)
    with CaptureQueriesContext(connection) as ctx:
        assert names(client, "Shah") == ["MP210"]
    assert any('FROM "parties_user"' in q["sql"] and "IN (SELECT" in q["sql"] for q in ctx.captured_queries)


def test_a_search_costs_the_queries_of_the_plain_register_however_many_match(client, register):
    def count(q: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"q": q} if q else {}).status_code == 200
        return len(ctx)

    searches = ("MP 210", "Fenland", "firmware", "nothing matches this")
    count("")  # the register's summary (chart and total) is counted once after a change, then kept
    plain = count("")
    few = [count(q) for q in searches]
    for n in range(30):
        make_modification(number=600 + n, title=f"Firmware change {n}", proposer_party=register["mp210"].proposer_party)
    count("")  # counted again once, for the 30 new modifications
    assert [count(q) for q in searches] == few
    # The plain register takes its total from the summary; a search looks up the names and old
    # references it may mean (one query), counts what it found, then reads its page (no page to read
    # when none match).
    assert few[:3] == [plain + 2] * 3


def test_a_followed_search_hears_of_what_it_finds(register):
    """Saved views are evaluated by the register's own search, inside one statement for many views."""
    people = {q: make_user() for q in ("q=Fenland", "q=MP 210", "q=priya shah", "q=210", "q=MP211", "q=Sh")}
    for query, person in people.items():
        FilterFollow.objects.create(user=person, query=query, label=query)
    heard = follower_ids(register["mp210"].pk)
    assert {q for q, person in people.items() if person.pk in heard} == {
        "q=Fenland",
        "q=MP 210",
        "q=priya shah",
        "q=210",
    }


def test_the_csv_and_the_feed_of_a_search_hold_what_the_register_shows(client, register):
    rows = client.get(reverse("modifications:modification-export"), {"q": "MP 210"}).content.decode().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["MP210"]
    staff = make_user(role_names={roles.SECAS_STAFF})
    for modification in (register["mp210"], register["draft"]):
        modification_post_update(actor=staff, modification=modification, text=f"News of {modification.reference}")
    feed = client.get(reverse("modifications:modification-feed"), {"q": "Fenland"}).content.decode()
    assert "News of MP210" in feed and "News of DP215" not in feed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's (SQLite scans)")
def test_the_name_searches_can_read_the_trigram_indexes(register):
    """parties/migrations/0006: the indexes are on the expression Django writes for icontains, so
    the planner can use them (it prefers to read all of a test's few rows; here that is made dear)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # nor read a whole other index (the unique name's)
        for queryset, index in (
            (User.objects.filter(full_name__icontains="priya shah"), "user_full_name_trigram"),
            (Party.objects.filter(name__icontains="fenland"), "party_name_trigram"),
        ):
            sql, params = queryset.values("pk").query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            assert index in "\n".join(row[0] for row in cursor.fetchall())
