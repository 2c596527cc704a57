"""Cached pages and fragments (secportal.pagecache): a change shows at once, and nobody is ever
given from the cache something they may not see."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modifications import services as modification_services
from modifications.models import ModificationProposal, Stage
from modifications.tests.factories import make_document, make_modification
from news import services as news_services
from news.models import NewsPost
from news.tests.factories import make_event, make_party_user, make_post, make_staff
from panel import services as panel_services
from panel.models import Committee, Membership
from panel.tests.test_panel import make_meeting, make_paper
from parties import roles
from parties.models import Party
from parties.tests.factories import make_party, make_user
from secportal import pagecache
from secportal.classification import Classification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_is_tested_elsewhere(settings):
    settings.SECPORTAL_REQUIRE_MFA = False


def without_nonce(content: bytes) -> bytes:
    return re.sub(rb'nonce="[^"]+"', b'nonce=""', content)


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx), response.content.decode()


# --- Versions --------------------------------------------------------------------------------------------


def test_a_write_changes_the_version_at_once_and_again_after_commit(django_capture_on_commit_callbacks):
    before, _ = pagecache.versions("modifications")
    assert before is not None and pagecache.versions("modifications")[0] == before  # stable while nothing changes
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        modification = make_modification(title="First")
        at_once, _ = pagecache.versions("modifications")
        make_document(modification)  # a second write in the same transaction
    after, _ = pagecache.versions("modifications")
    assert len({before, at_once, after}) == 3
    assert sum(isinstance(c, pagecache._BumpOnCommit) for c in callbacks) == 1  # one per transaction


def test_a_write_after_a_rolled_back_savepoint_still_changes_the_version_on_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_modification(title="Rolled back")
            raise RuntimeError
        make_modification(title="Kept")
        before_commit, _ = pagecache.versions("modifications")
    assert sum(isinstance(c, pagecache._BumpOnCommit) for c in callbacks) == 1
    assert pagecache.versions("modifications")[0] != before_commit


def test_writes_to_one_app_leave_the_others_versions_alone():
    news, modifications = pagecache.versions("news")[0], pagecache.versions("modifications")[0]
    make_modification()
    assert pagecache.versions("news")[0] == news and pagecache.versions("modifications")[0] != modifications


def test_a_sign_in_changes_nothing_shown(client):
    user = make_user()
    parties = pagecache.versions("parties")[0]
    client.post(reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-2026"})
    user.refresh_from_db()
    assert user.last_login is not None
    assert pagecache.versions("parties")[0] == parties


def test_writes_without_signals_are_caught_by_bump_all(client):
    url = reverse("modifications:modification-list")
    client.get(url)
    ModificationProposal.objects.bulk_create([ModificationProposal(number=990, reference="MP990", title="Bulk")])
    assert "Bulk" not in client.get(url).content.decode()  # bulk inserts send no signal...
    pagecache.bump_all()  # ...so whoever makes them says so (seed_bench, seed_demo, migrate)
    assert "Bulk" in client.get(url).content.decode()


# --- Whole pages for anonymous visitors ---------------------------------------------------------------


def test_the_register_check_reads_no_row_however_large(client):
    url = reverse("modifications:modification-list")
    make_modification(title="Small register")
    first = client.get(url).content
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url).content
    assert len(ctx) == 0
    assert without_nonce(again) == without_nonce(first)  # the same page (each with its own CSP nonce)


def test_a_query_parameter_the_page_does_not_read_is_rendered_and_not_stored(client):
    make_modification(title="Busted")
    url = reverse("modifications:modification-list") + "?_=12345"
    queries(client, url)
    assert queries(client, url)[0] > 0  # rendered again (its parts may come from the cache, not the page)
    valid = reverse("modifications:modification-list") + f"?stage={Stage.REFINEMENT.value}"
    assert queries(client, valid)[0] > 0
    assert queries(client, valid)[0] == 0


def test_what_anyone_can_vary_at_will_is_answered_but_not_stored(client):
    """An invalid filter, a page number out of range or a long search: rendered every time, never kept."""
    make_modification(title="Kept small")
    register = reverse("modifications:modification-list")
    spellings = ("?stage=nonsense", "?page=999", f"?q={'x' * 61}", "?page=abc", "?page=01", "?q=a&q=a",
                 "?page=51", "?page=1")  # fmt: skip
    for url in (f"{register}{spelling}" for spelling in spellings):
        assert client.get(url).status_code == 200
        assert queries(client, url)[0] > 0, url
    assert queries(client, f"{register}?q=short")[0] > 0
    assert queries(client, f"{register}?q=short")[0] == 0
    # The filter form as submitted (blank fields, the default sort) is kept like the plain link.
    submitted = f"{register}?q=&stage=refinement&path=&category=&release=&state=&sort=-updated"
    assert queries(client, submitted)[0] > 0
    assert queries(client, submitted)[0] == 0


def test_a_party_renamed_shows_at_once_on_the_register(client):
    party = make_party(name="Old Name Energy Ltd", status=Party.Status.ACCEDED)
    make_modification(stage=Stage.REFINEMENT, proposer_party=party)
    url = reverse("modifications:modification-list")
    assert "Old Name Energy Ltd" in client.get(url).content.decode()
    party.name = "New Name Energy Ltd"
    party.save(update_fields=["name"])
    content = client.get(url).content.decode()
    assert "New Name Energy Ltd" in content and "Old Name Energy Ltd" not in content


def test_signed_in_people_never_get_the_anonymous_page(client):
    make_modification(title="Shown to all")
    url = reverse("modifications:modification-list")
    anonymous = client.get(url).content.decode()
    assert "Sign in" in anonymous
    client.force_login(make_user(full_name="Rosa Signedin"))
    signed_in = client.get(url).content.decode()
    assert "Rosa" in signed_in and "Sign out" in signed_in


def test_a_page_with_a_message_waiting_is_neither_served_from_nor_stored_in_the_cache(client, settings):
    client.cookies[settings.SECPORTAL_COOKIE_NOTICE_COOKIE] = "dismissed"
    url = reverse("modifications:modification-list")
    client.get(url)  # stored
    response = client.post(reverse("cookies-dismiss"), {"next": url}, follow=True)
    assert b"Thank you" in response.content  # not the stored page
    assert b"Thank you" not in client.get(url).content  # shown once, and not kept for the next visitor


def test_without_the_page_cache_pages_are_rendered_every_time(client, settings):
    settings.SECPORTAL_PAGE_CACHE = False
    make_modification(title="Uncached")
    url = reverse("modifications:modification-list")
    first, _ = queries(client, url)
    again, content = queries(client, url)
    assert first == again > 2 and "Uncached" in content


def test_news_published_and_withdrawn_show_at_once(client):
    staff = make_staff()
    url = reverse("news:post-list")
    post = make_post(actor=staff, title="Draft news", status=NewsPost.Status.DRAFT)
    assert "Draft news" not in client.get(url).content.decode()
    news_services.news_publish(actor=staff, post=post)
    assert "Draft news" in client.get(url).content.decode()
    news_services.news_withdraw(actor=staff, post=post, reason="Wrong figures")
    assert "Draft news" not in client.get(url).content.decode()


def test_places_left_on_the_events_page_follow_registrations(client):
    staff = make_staff()
    event = make_event(actor=staff, title="Small webinar", capacity=2)
    url = reverse("news:event-list")
    assert "2 places left" in client.get(url).content.decode()
    news_services.registration_create(actor=make_party_user(), event=event)
    assert "1 place left" in client.get(url).content.decode()


# --- What each person may see -----------------------------------------------------------------------------

ROLES = ["staff", "member", "owner_party_user", "red_recipient", "party_user", "anonymous"]
CAN_SEE = {
    Classification.WHITE: set(ROLES),
    Classification.GREEN: set(ROLES) - {"anonymous"},
    Classification.AMBER: {"owner_party_user", "member", "staff"},
    Classification.RED: {"red_recipient", "staff"},
}


@pytest.fixture
def people():
    staff = make_user(role_names={roles.SECAS_STAFF})
    owner = make_party(name="Owner Party", status=Party.Status.ACCEDED)
    board = Committee.objects.create(
        name="Change Board", slug="change-board", kind=Committee.Kind.CHANGE_BOARD, purpose="Votes on changes."
    )
    found = {
        "staff": staff,
        "member": make_user(),
        "owner_party_user": make_user(party=owner),
        "red_recipient": make_user(),
        "party_user": make_user(),
        "anonymous": None,
    }
    panel_services.membership_add(actor=staff, committee=board, user=found["member"], role=Membership.Role.MEMBER)
    return found | {"owner": owner, "board": board}


def page_as(client, person, url) -> str:
    client.logout()
    if person is not None:
        client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_modifications_documents_and_timeline_never_cross_an_access_boundary(client, people):
    """Everyone opens the page one after the other (the most privileged first, so each later, less
    privileged viewer would be the one to get a leak): each sees exactly what they may."""
    modification = make_modification(stage=Stage.REFINEMENT, title="Shared page")
    documents = {
        label: make_document(
            modification,
            title=f"{label} document",
            classification=label,
            owner_party=people["owner"],
            owner_committee="change-board",
            red_recipients=[people["red_recipient"]] if label == Classification.RED else (),
        )
        for label in Classification
    }
    url = reverse("modifications:modification-detail", args=[modification.reference])
    for _ in range(2):  # the second round is served from the cache
        for role in ROLES:
            content = page_as(client, people[role], url)
            for label, document in documents.items():
                assert (document.title in content) is (role in CAN_SEE[label]), (role, label)


def test_a_modifications_page_shows_a_new_document_and_update_at_once(client, people):
    staff = people["staff"]
    modification = make_modification(stage=Stage.REFINEMENT)
    url = reverse("modifications:modification-detail", args=[modification.reference])
    page_as(client, people["party_user"], url)
    page_as(client, None, url)
    make_document(modification, title="Fresh green paper", classification=Classification.GREEN)
    modification_services.modification_post_update(actor=staff, modification=modification, text="Workshop held")
    assert "Fresh green paper" in page_as(client, people["party_user"], url)
    anonymous = page_as(client, None, url)
    assert "Workshop held" in anonymous and "Fresh green paper" not in anonymous


def test_a_meetings_papers_never_cross_an_access_boundary_nor_do_secas_forms(client, people):
    meeting = make_meeting(people["board"])
    modification = make_modification(stage=Stage.CHANGE_BOARD, title="On the agenda")
    item = meeting.items.create(order=1, title="Vote", modification=modification, decision_needed=True)
    papers = {
        label: make_paper(
            meeting,
            item=item,
            classification=label,
            owner_party=people["owner"],
            red_recipients=[people["red_recipient"]] if label == Classification.RED else (),
        )
        for label in Classification
    }
    url = reverse("panel:meeting-detail", args=[meeting.pk])
    for _ in range(2):
        for role in ROLES:
            content = page_as(client, people[role], url)
            for label, paper in papers.items():
                assert (paper.title in content) is (role in CAN_SEE[label]), (role, label)
            # SECAS's copy of the agenda has its forms (and their CSRF tokens); nobody else's has.
            assert ("Record the outcome" in content) is (role == "staff"), role
    # When SECAS and someone else may see the same papers, still only SECAS's page has the forms.
    plain = make_meeting(people["board"], title="Plain meeting")
    plain.items.create(order=1, title="Decide", modification=modification, decision_needed=True)
    make_paper(plain, classification=Classification.WHITE, title="Public paper")
    plain_url = reverse("panel:meeting-detail", args=[plain.pk])
    assert "Record the outcome" in page_as(client, people["staff"], plain_url)
    assert "Record the outcome" not in page_as(client, people["party_user"], plain_url)
    panel_services.membership_end(actor=people["staff"], membership=people["member"].memberships.get())
    content = page_as(client, people["member"], url)
    assert papers[Classification.AMBER].title not in content  # AMBER goes with the seat, on the next request


def test_the_dashboard_is_each_persons_own_and_shows_a_change_at_once(client):
    staff = make_staff()
    alice, bob = make_party_user(full_name="Alice Example"), make_party_user(full_name="Bob Example")
    modification = make_modification(stage=Stage.REFINEMENT, title="Followed by Alice")
    url = reverse("dashboard")
    assert "Followed by Alice" not in page_as(client, alice, url)
    modification_services.follow_set(user=alice, modification=modification, following=True)
    assert "Followed by Alice" in page_as(client, alice, url)
    assert "Followed by Alice" not in page_as(client, bob, url)
    modification.title = "Renamed while followed"
    modification.save(update_fields=["title"])
    assert "Renamed while followed" in page_as(client, alice, url)
    event = make_event(actor=staff, title="Webinar for Alice")
    news_services.registration_create(actor=alice, event=event)
    assert "Webinar for Alice" in page_as(client, alice, url)
    assert "Webinar for Alice" not in page_as(client, bob, url)


def test_following_changes_only_the_followers_dashboard_not_everyones_cache(client):
    """One person's clicks (follow, unfollow, follow a view) must not empty the shared cache, and
    their own dashboard shows the change at once."""
    modification = make_modification(stage=Stage.REFINEMENT, title="Followed at once")
    register = reverse("modifications:modification-list")
    follower = make_party_user()
    signed_in = client.__class__()
    signed_in.force_login(follower)
    assert "Followed at once" not in signed_in.get(reverse("dashboard")).content.decode()
    queries(client, register)
    assert queries(client, register)[0] == 0  # the anonymous register is kept
    modification_services.follow_set(user=follower, modification=modification, following=True)
    modification_services.filter_follow_add(user=follower, query="stage=refinement", label="at Refinement")
    assert "Followed at once" in signed_in.get(reverse("dashboard")).content.decode()
    assert queries(client, register)[0] == 0  # still kept for everyone else
    modification_services.follow_set(user=follower, modification=modification, following=False)
    assert (
        "Followed at once" not in signed_in.get(reverse("dashboard")).content.decode().split("Views of the register")[0]
    )


# --- Kept anonymous pages answered before the stack (AnonymousPageMiddleware) ---------------------------------


def test_a_kept_anonymous_page_is_answered_before_the_stack_with_the_same_headers(client):
    make_modification(stage=Stage.REFINEMENT, title="Kept for everyone")
    register = reverse("modifications:modification-list")
    rendered = client.get(register)
    assert hasattr(rendered.wsgi_request, "user")  # rendered by the view, through the whole stack
    with CaptureQueriesContext(connection) as ctx:
        kept = client.get(register)
    assert len(ctx) == 0 and not hasattr(kept.wsgi_request, "user")  # no authentication, no view
    assert "Kept for everyone" in kept.content.decode()
    for header in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert kept[header] == rendered[header], header
    # Each answer has its own CSP nonce, in the header and in the page alike.
    nonces = [re.search(r'<script [^>]*nonce="([^"]+)"', r.content.decode()).group(1) for r in (rendered, kept)]
    assert nonces[0] != nonces[1]
    for response, nonce in zip((rendered, kept), nonces, strict=True):
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        assert response.content.decode().replace(nonce, "N") == rendered.content.decode().replace(nonces[0], "N")
    assert "Cookie" in kept["Vary"] and kept["Content-Length"] == str(len(kept.content))


def test_only_pages_that_are_kept_look_in_the_cache(client, monkeypatch):
    reads = []
    real = pagecache._read
    monkeypatch.setattr(pagecache, "_read", lambda *a: reads.append(a) or real(*a))
    assert client.get(reverse("cookies")).status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert reads == []  # neither a page that is never kept nor a missing one costs a round trip
    client.get(reverse("modifications:modification-list"))
    assert reads


def test_a_visitor_with_a_session_goes_to_the_view(client):
    """A session cookie may mean signed in or a message waiting: the view decides, not the kept page."""
    register = reverse("modifications:modification-list")
    client.get(register)
    session = client.session
    session["seen"] = True
    session.save()
    response = client.get(register)
    assert response.status_code == 200 and hasattr(response.wsgi_request, "user")


def test_what_the_cache_holds_in_another_shape_is_ignored_not_a_failure(client):
    """After a deploy, Redis still holds what the previous release kept; it is never read as a page."""
    from django.core.cache import cache

    register = reverse("modifications:modification-list")
    first = client.get(register)
    key = pagecache._anonymous_key(first.wsgi_request)
    cache.set(key, ("old", b"old shape"), 60)
    response = client.get(register)
    assert response.status_code == 200 and b"old shape" not in response.content
    cache.set(key, b"not even a tuple", 60)
    assert client.get(register).status_code == 200
