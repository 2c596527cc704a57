"""What `news` features on the home page by itself: the latest slide pack the visitor may open, the
latest government publications (DESNZ, Ofgem) and the next Questions Hour; then the other news.
The home page makes the same number of queries however many there are."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from news import services
from news.models import EventKind, NewsPost
from news.tests.factories import make_event, make_party_user, make_post, make_staff, pptx_bytes
from parties.tests.factories import make_party

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def publish_pack(event, *, title="Slide pack", classification="white", **kwargs):
    return services.slide_pack_upload(
        actor=kwargs.pop("actor", None) or make_staff(),
        event=event,
        title=title,
        upload=SimpleUploadedFile("deck.pptx", pptx_bytes()),
        classification=classification,
        **kwargs,
    )


def home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def featured(html: str, label: str) -> str:
    """The featured card under `label` (up to the next card or the rest of the news)."""
    start = html.index(f">{label}</h3>")
    ends = [i for i in (html.find("featured-label", start), html.find(">More news</h3>", start)) if i > 0]
    return html[start : min(ends)]


def test_the_latest_slide_pack_is_featured_with_its_event_and_day(client):
    staff = make_staff()
    older = make_event(actor=staff, title="Spotlight on the SEC", starts_in=datetime.timedelta(days=-30))
    latest = make_event(actor=staff, title="Spotlight on the SEC", kind=EventKind.SPOTLIGHT)
    publish_pack(older, actor=staff, title="Old deck")
    pack = publish_pack(latest, actor=staff, title="Slide pack")
    day = timezone.localtime(latest.starts_at)
    card = featured(home(client), "Latest slide pack")
    assert f"Spotlight on the SEC, {day.day} {day:%B}: slide pack" in card
    assert reverse("news:event-detail", args=[latest.slug]) in card
    assert reverse("news:slide-download", args=[pack.pk]) in card and "Old deck" not in card


def test_a_slide_pack_the_visitor_may_not_open_is_not_featured(client, without_mfa):
    staff = make_staff()
    party = make_party()
    white = publish_pack(make_event(actor=staff), actor=staff, title="Public deck")
    amber = publish_pack(
        make_event(actor=staff), actor=staff, title="Party deck", classification="amber", owner_party=party
    )
    assert amber.uploaded_at >= white.uploaded_at
    assert "Public deck" in featured(home(client), "Latest slide pack")
    client.force_login(make_party_user(party=party))
    assert "Party deck" in featured(home(client), "Latest slide pack")


def test_no_slide_pack_yet_says_so(client):
    assert "No slide pack has been published yet." in featured(home(client), "Latest slide pack")


def test_the_latest_government_publications_are_featured_by_themselves(client):
    staff = make_staff()
    desnz = services.news_create(
        actor=staff,
        title="DESNZ publishes the smart metering policy framework",
        summary="The framework for the next phase.",
        body="Body.",
        kind=NewsPost.Kind.GOVERNMENT,
        publisher=NewsPost.Publisher.DESNZ,
    )
    services.news_publish(actor=staff, post=desnz)
    ofgem = make_post(actor=staff, title="Ofgem approves MP218", kind=NewsPost.Kind.OFGEM)
    draft = make_post(actor=staff, title="Unpublished DESNZ letter", status=NewsPost.Status.DRAFT)
    news = make_post(actor=staff, title="SECAS welcomes new Parties")
    html = home(client)
    card = featured(html, "Government publications")
    assert "DESNZ publishes the smart metering policy framework" in card and ">DESNZ<" in card
    assert "Ofgem approves MP218" in card and ">Ofgem<" in card
    assert draft.title not in html
    more = html[html.index(">More news</h3>") :]
    assert news.title in more and ofgem.title not in more and desnz.title not in more  # not twice


def test_only_the_three_latest_publications_are_featured(client):
    staff = make_staff()
    for n in range(5):
        make_post(actor=staff, title=f"Ofgem decision {n}", kind=NewsPost.Kind.OFGEM)
    card = featured(home(client), "Government publications")
    # make_post publishes the later ones earlier: decisions 0, 1 and 2 are the newest.
    assert [f"Ofgem decision {n}" in card for n in range(5)] == [True, True, True, False, False]


def test_the_next_questions_hour_is_featured_and_a_cancelled_one_is_not(client):
    staff = make_staff()
    make_event(actor=staff, title="A webinar", kind=EventKind.WEBINAR, starts_in=datetime.timedelta(days=2))
    make_event(
        actor=staff,
        title="Cancelled Questions Hour",
        kind=EventKind.QUESTIONS_HOUR,
        starts_in=datetime.timedelta(days=3),
        status="cancelled",
    )
    make_event(
        actor=staff,
        title="SEC Operations Questions Hour",
        kind=EventKind.OPERATIONS_QUESTIONS_HOUR,
        starts_in=datetime.timedelta(days=5),
    )
    make_event(
        actor=staff,
        title="SEC Modifications Questions Hour",
        kind=EventKind.QUESTIONS_HOUR,
        starts_in=datetime.timedelta(days=9),
    )
    card = featured(home(client), "Next Questions Hour")
    assert "SEC Operations Questions Hour" in card
    assert "Cancelled" not in card and "Modifications" not in card and "A webinar" not in card


def test_no_questions_hour_yet_says_so(client):
    assert "No Questions Hour is scheduled yet." in featured(home(client), "Next Questions Hour")


def count_queries(client) -> int:
    """The queries of the home page once the register's summary is counted (it is counted once
    after a change to a modification, then kept: modifications.selectors.register_summary)."""
    home(client)
    with CaptureQueriesContext(connection) as ctx:
        home(client)
    return len(ctx)


def add_rows(staff, party):
    for n in range(3):
        event = make_event(actor=staff, kind=EventKind.QUESTIONS_HOUR, starts_in=datetime.timedelta(days=n + 1))
        publish_pack(event, actor=staff)
        publish_pack(event, actor=staff, classification="amber", owner_party=party)
        make_post(actor=staff, kind=NewsPost.Kind.OFGEM)
        make_post(actor=staff)


@pytest.mark.parametrize("who", ["anonymous", "party user", "staff"])
def test_the_home_page_makes_the_same_queries_with_more_rows(client, who, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff()
    party = make_party()
    if who == "party user":
        client.force_login(make_party_user(party=party))
    elif who == "staff":
        client.force_login(staff)
    add_rows(staff, party)
    few = count_queries(client)
    for _ in range(4):
        add_rows(staff, party)
    assert count_queries(client) == few
