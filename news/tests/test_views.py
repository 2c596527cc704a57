"""Lists (with their query counts), who may open the SECAS pages, the attendee CSV, home and dashboard."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from news import services
from news.models import Event
from news.tests.factories import make_event, make_party_user, make_post, make_staff

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    """The queries of a page once the register's summary is counted (the home page shows it: it
    is counted once after a change to a modification, then kept)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_event_list_query_count_is_fixed_with_3_or_30_rows(client):
    staff = make_staff()
    user = make_party_user()
    events = [make_event(actor=staff, capacity=10) for _ in range(3)]
    services.registration_create(actor=user, event=events[0])
    client.force_login(user)
    url = reverse("news:event-list")
    three = count_queries(client, url)
    for _ in range(17):  # 20 per page: 3 and 20 rows on the first page, 30 in all
        make_event(actor=staff, capacity=10)
    for _ in range(10):
        make_event(actor=staff, capacity=10)
    assert Event.objects.count() == 30
    thirty = count_queries(client, url)
    assert three == thirty
    past = count_queries(client, url + "?when=past")
    print(f"event list: {three} queries with 3 and with 30 events (signed in); past list {past}")


def test_home_and_dashboard_query_counts(client):
    staff = make_staff()
    user = make_party_user()
    for _ in range(3):
        make_post(actor=staff)
        services.registration_create(actor=user, event=make_event(actor=staff))
    client.force_login(user)
    home, dashboard = count_queries(client, "/"), count_queries(client, "/dashboard/")
    for _ in range(10):
        make_post(actor=staff)
        services.registration_create(actor=user, event=make_event(actor=staff))
    assert count_queries(client, "/") == home
    assert count_queries(client, "/dashboard/") == dashboard


def test_home_shows_latest_posts_and_upcoming_events(client):
    post = make_post(title="Newest post")
    event = make_event(title="Next webinar")
    past = make_event(title="Old webinar", starts_in=datetime.timedelta(days=-10))
    html = client.get("/").content.decode()
    assert "Latest news" in html and post.title in html and reverse("news:post-detail", args=[post.slug]) in html
    assert "Upcoming events" in html and event.title in html and past.title not in html


def test_dashboard_my_events(client):
    user = make_party_user()
    event = make_event(title="Registered webinar")
    make_event(title="Not registered")
    services.registration_create(actor=user, event=event)
    client.force_login(user)
    html = client.get("/dashboard/").content.decode()
    assert "My events" in html and "Registered webinar" in html and "Not registered" not in html


@pytest.mark.parametrize(
    "name",
    ["news:post-create", "news:post-drafts", "news:event-create", "news:series-create"],
)
def test_secas_pages_are_404_to_others(client, name, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    assert client.get(reverse(name)).status_code == 302  # sign in first
    client.force_login(make_party_user())
    assert client.get(reverse(name)).status_code == 404
    client.force_login(make_staff())
    assert client.get(reverse(name)).status_code == 200


def test_staff_need_mfa_before_publishing(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = True
    client.force_login(make_staff(totp=False))
    assert client.get(reverse("news:post-create")).status_code == 302


def test_attendees_and_csv(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff()
    event = make_event(actor=staff, capacity=1)
    first = make_party_user(full_name="=HYPERLINK(evil)")
    second = make_party_user(full_name="Second Person")
    services.registration_create(actor=first, event=event, notes="Wheelchair user")
    services.registration_create(actor=second, event=event)
    client.force_login(first)
    assert client.get(reverse("news:event-attendees", args=[event.slug])).status_code == 404
    assert client.get(reverse("news:event-attendees-csv", args=[event.slug])).status_code == 404
    client.force_login(staff)
    assert count_queries(client, reverse("news:event-attendees", args=[event.slug])) < 20
    response = client.get(reverse("news:event-attendees-csv", args=[event.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "Email", "Job title", "Party", "Status", "Registered", "Notes"]
    assert rows[1][0] == "'=HYPERLINK(evil)" and rows[1][4] == "Place confirmed" and rows[1][6] == "Wheelchair user"
    assert rows[2][0] == "Second Person" and rows[2][4] == "On the waitlist"


def test_staff_create_edit_and_cancel_an_event_through_the_pages(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    staff = make_staff()
    client.force_login(staff)
    form = {
        "title": "Spotlight on the SEC: DCC services",
        "kind": "spotlight",
        "summary": "How the DCC works.",
        "description": "",
        "starts_at": "2027-03-10T10:00",
        "ends_at": "2027-03-10T12:00",
        "online_link": "https://meet.example.org/s",
        "venue": "",
        "capacity": "40",
        "places_per_party": "2",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "agenda": "10:00 Welcome | SECAS\n10:15 The DCC's services\n11:45 Questions",
    }
    response = client.post(reverse("news:event-create"), form)
    event = Event.objects.get(title="Spotlight on the SEC: DCC services")
    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/"
    assert event.starts_at == datetime.datetime(2027, 3, 10, 10, tzinfo=datetime.UTC)  # GMT in March
    assert [(i.starts_at.hour, i.title, i.speaker) for i in event.agenda_items.all()] == [
        (10, "Welcome", "SECAS"),
        (10, "The DCC's services", ""),
        (11, "Questions", ""),
    ]
    bad = client.post(
        reverse("news:event-edit", args=[event.slug]),
        {**form, "ends_at": "2027-03-10T09:00", "agenda": "ten o'clock welcome"},
    )
    assert bad.status_code == 400
    assert b"must end after it starts" in bad.content and b"start with the time" in bad.content
    client.post(
        reverse("news:event-edit", args=[event.slug]),
        {**form, "starts_at": "2027-06-10T10:00", "ends_at": "2027-06-10T12:00"},
    )
    event.refresh_from_db()
    assert event.starts_at == datetime.datetime(2027, 6, 10, 9, tzinfo=datetime.UTC)  # BST in June
    client.post(reverse("news:event-cancel", args=[event.slug]), {"reason": "Speaker unavailable."})
    event.refresh_from_db()
    assert event.is_cancelled
    page = client.get(reverse("news:event-detail", args=[event.slug])).content.decode()
    assert "This event is cancelled." in page and "Speaker unavailable." in page


def test_series_page(client, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    client.force_login(make_staff())
    response = client.post(
        reverse("news:series-create"),
        {
            "title": "SEC Modifications Questions Hour",
            "kind": "questions_hour",
            "summary": "Progress and questions.",
            "description": "",
            "first_month": "2027-04-15",
            "months": "3",
            "local_start": "11:00",
            "duration_minutes": "60",
            "online_link": "https://meet.example.org/qh",
            "venue": "",
            "capacity": "",
            "places_per_party": "",
        },
    )
    assert response.status_code == 302
    assert [e.occurrence_key for e in Event.objects.order_by("starts_at")] == ["2027-04", "2027-05", "2027-06"]


def test_event_list_past_and_filter(client):
    make_event(title="Upcoming spotlight", kind="spotlight")
    make_event(title="Upcoming webinar", kind="webinar")
    make_event(title="Past spotlight", kind="spotlight", starts_in=datetime.timedelta(days=-30))
    url = reverse("news:event-list")

    def titles(**query):
        return [e.title for e in client.get(url, query).context["page"].object_list]

    assert titles() == ["Upcoming spotlight", "Upcoming webinar"]
    assert titles(kind="spotlight") == ["Upcoming spotlight"]
    assert titles(when="past") == ["Past spotlight"]
    assert client.get(url, {"kind": "<script>", "page": "99"}).status_code == 200


def test_unknown_event_and_post_are_404(client):
    assert client.get("/events/no-such-event/").status_code == 404
    assert client.get("/events/no-such-event.ics").status_code == 404
    assert client.get("/news/no-such-post/").status_code == 404
