"""Calendars: one event, every event, and a person's private calendar, parsed back with icalendar."""

import datetime

import icalendar
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from news import calendar, services
from news.models import CalendarToken
from news.tests.factories import make_event, make_party_user, make_staff
from secportal import ics
from secportal.workingdays import LONDON

pytestmark = pytest.mark.django_db


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def vevents(cal) -> list:
    return list(cal.walk("VEVENT"))


@pytest.fixture
def event():
    start = datetime.datetime(2027, 5, 4, 11, 0, tzinfo=LONDON)
    return make_event(
        title="SEC Modifications Questions Hour",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        online_link="https://meet.example.org/qh",
        venue="",
        summary="Progress, then questions.",
        agenda=(services.AgendaLine(datetime.time(11), "Progress on modifications", "SECAS"),),
    )


def test_one_event_is_valid_icalendar(client, event):
    cal = parse(client.get(reverse("news:event-ics", args=[event.slug])))
    assert cal["VERSION"] == "2.0" and cal["PRODID"] == calendar.PRODID
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/London"
    [vevent] = vevents(cal)
    assert vevent["UID"] == f"event-{event.uid}@secportal"
    assert vevent["SUMMARY"] == "SEC Modifications Questions Hour"
    start = vevent.decoded("DTSTART")
    assert start == datetime.datetime(2027, 5, 4, 10, 0, tzinfo=datetime.UTC)  # 11:00 BST
    assert str(start.tzinfo) == "Europe/London" and vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTEND") - start == datetime.timedelta(hours=1)
    assert vevent["URL"] == f"{settings.SITE_URL}/events/{event.slug}/"
    # The public file says the event is online; the join link is for confirmed registrants only
    # (their private calendar carries it: see the private calendar tests).
    assert vevent["LOCATION"] == "Online"
    assert "CONFERENCE" not in vevent and "meet.example.org" not in vevent["DESCRIPTION"]
    assert "11:00 Progress on modifications (SECAS)" in vevent["DESCRIPTION"]
    assert vevent["STATUS"] == "CONFIRMED" and vevent["SEQUENCE"] == 0
    assert "attachment" in client.get(reverse("news:event-ics", args=[event.slug]))["Content-Disposition"]


def test_uid_is_stable_and_sequence_grows_with_edits_and_cancellation(client, event):
    first = vevents(parse(client.get(reverse("news:event-ics", args=[event.slug]))))[0]
    staff = make_staff()
    two_hours = datetime.timedelta(hours=2)
    details = services.EventDetails(
        title="Questions Hour (moved)",
        kind=event.kind,
        summary=event.summary,
        online_link=event.online_link,
        starts_at=event.starts_at + two_hours,
        ends_at=event.ends_at + two_hours,
    )
    services.event_update(actor=staff, event=event, details=details)
    services.event_cancel(actor=staff, event=event, reason="Clashes with the Panel.")
    second = vevents(parse(client.get(reverse("news:event-ics", args=[event.slug]))))[0]
    assert second["UID"] == first["UID"]
    assert second["SEQUENCE"] == 2 and second["STATUS"] == "CANCELLED"
    assert second.decoded("DTSTART").astimezone(LONDON).time() == datetime.time(13, 0)


def test_the_calendar_of_every_event(client, event):
    staff = make_staff()
    other = make_event(actor=staff, title="Spotlight on the SEC", starts_in=datetime.timedelta(days=40))
    cancelled = make_event(actor=staff, title="Cancelled webinar")
    services.event_cancel(actor=staff, event=cancelled, reason="No speaker.")
    old = make_event(actor=staff, title="Long ago", starts_in=datetime.timedelta(days=-800))
    cal = parse(client.get(reverse("news:calendar-ics")))
    by_uid = {str(v["UID"]): v for v in vevents(cal)}
    assert set(by_uid) == {calendar.event_uid(e) for e in (event, other, cancelled)}
    assert by_uid[calendar.event_uid(cancelled)]["STATUS"] == "CANCELLED"
    assert calendar.event_uid(old) not in by_uid
    assert cal["X-WR-CALNAME"] == "SEC Portal events" and len(cal.walk("VTIMEZONE")) == 1


def test_the_calendar_query_count_does_not_grow(client):
    staff = make_staff()
    for _ in range(3):
        make_event(actor=staff, agenda=(services.AgendaLine(datetime.time(10), "Item"),))
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("news:calendar-ics"))
    for _ in range(27):
        make_event(actor=staff, agenda=(services.AgendaLine(datetime.time(10), "Item"),))
    with CaptureQueriesContext(connection) as thirty:
        client.get(reverse("news:calendar-ics"))
    assert len(three) == len(thirty)


def test_private_calendar_lists_my_events_and_can_be_revoked(client, event):
    user = make_party_user()
    waiting_event = make_event(capacity=1)
    services.registration_create(actor=make_party_user(), event=waiting_event)
    services.registration_create(actor=user, event=event)
    services.registration_create(actor=user, event=waiting_event)
    make_event(title="Not mine")
    client.force_login(user)
    assert client.get(reverse("news:my-calendar")).status_code == 200
    client.post(reverse("news:my-calendar-action"), {"action": "create"})
    token = CalendarToken.objects.get(user=user)
    page = client.get(reverse("news:my-calendar")).content.decode()
    assert f"webcal://testserver/events/private/{token.token}.ics" in page
    client.logout()  # calendar apps fetch without a session
    url = reverse("news:private-calendar", args=[token.token])
    entries = {str(v["SUMMARY"]): v for v in vevents(parse(client.get(url)))}
    assert set(entries) == {"SEC Modifications Questions Hour", f"{waiting_event.title} (waitlist)"}
    assert entries[f"{waiting_event.title} (waitlist)"]["STATUS"] == "TENTATIVE"
    assert "no-store" in client.get(url)["Cache-Control"]
    client.force_login(user)
    client.post(reverse("news:my-calendar-action"), {"action": "reset"})
    new = CalendarToken.objects.get(user=user).token
    assert new != token.token
    assert client.get(url).status_code == 404
    assert client.get(reverse("news:private-calendar", args=[new])).status_code == 200
    client.post(reverse("news:my-calendar-action"), {"action": "revoke"})
    assert client.get(reverse("news:private-calendar", args=[new])).status_code == 404


def test_other_apps_add_entries_to_the_private_calendar(client, event):
    user = make_party_user()
    token = services.calendar_token_get_or_create(user=user)

    def meetings(person):
        if person != user:
            return []
        entry = icalendar.Event()
        entry.add("uid", "meeting-1@secportal")
        entry.add("summary", "SEC Panel meeting")
        entry.add("dtstart", datetime.datetime(2027, 1, 22, 10, tzinfo=LONDON))
        entry.add("dtend", datetime.datetime(2027, 1, 22, 13, tzinfo=LONDON))
        entry.add("dtstamp", datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC))
        return [entry]

    calendar.register_user_calendar_entries("test.meetings", meetings)
    try:
        cal = parse(client.get(reverse("news:private-calendar", args=[token.token])))
    finally:
        ics._user_entry_providers.pop("test.meetings")
    assert [str(v["SUMMARY"]) for v in vevents(cal)] == ["SEC Panel meeting"]
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("news:private-calendar", args=["nope"])).status_code == 404
