"""Regression tests: feed summaries escaped; join links and recordings only for those who may see them."""

import datetime
import xml.etree.ElementTree as ET

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from news.models import Event, EventKind, NewsPost

pytestmark = pytest.mark.django_db


def test_feed_summaries_are_escaped(client):
    NewsPost.objects.create(
        title="Hostile",
        slug="hostile",
        summary='<img src=x onerror="alert(1)">',
        body="x",
        status=NewsPost.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    root = ET.fromstring(client.get(reverse("news:post-feed")).content)
    summary = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary").text
    assert "<img" not in summary and "&lt;img" in summary


def test_public_calendar_files_leave_the_join_link_out(client):
    start = timezone.now() + datetime.timedelta(days=3)
    event = Event.objects.create(
        title="Webinar",
        slug="webinar",
        kind=EventKind.values[0],
        summary="s",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        online_link="https://meet.example/secret-room",
    )
    for url in (f"/events/{event.slug}.ics", "/events/calendar.ics"):
        content = client.get(url).content
        assert b"secret-room" not in content
        assert icalendar.Calendar.from_ical(content).walk("VEVENT")


def test_a_recording_is_not_shown_when_its_slides_are_hidden(client):
    start = timezone.now() - datetime.timedelta(days=3)
    event = Event.objects.create(
        title="Spotlight",
        slug="spotlight",
        kind=EventKind.values[0],
        summary="s",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        venue="London",
        recording_url="https://video.example/recording",
    )
    assert "video.example/recording" in client.get(f"/events/{event.slug}/").content.decode()


def test_a_confirmed_registrant_gets_the_join_link_in_their_private_calendar(client):
    from news import services
    from parties.models import Party
    from parties.tests.factories import make_party, make_user

    start = timezone.now() + datetime.timedelta(days=3)
    event = Event.objects.create(
        title="Webinar",
        slug="webinar-2",
        kind=EventKind.values[0],
        summary="s",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        online_link="https://meet.example/secret-room",
    )
    user = make_user(party=make_party(status=Party.Status.ACCEDED))
    services.registration_create(actor=user, event=event)
    token = services.calendar_token_get_or_create(user=user)
    content = client.get(reverse("news:private-calendar", args=[token.token])).content
    assert b"secret-room" in content
