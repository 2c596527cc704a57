"""iCalendar output: one event, every event, and a person's private calendar.

Each event (each occurrence of a series too) is one VEVENT with a UID that never changes, its
times in Europe/London with the VTIMEZONE included, the page URL and the online link. Editing an
event bumps its SEQUENCE; a cancelled event stays in the calendar with STATUS:CANCELLED so that
subscribed calendars remove it.

Other apps add entries to a person's private calendar (the panel app: the meetings they attend)
through `secportal.ics.register_user_calendar_entries`; building a calendar file is shared there.
"""

import datetime

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from secportal.ics import PRODID, build_calendar, register_user_calendar_entries, user_calendar_entries
from secportal.workingdays import LONDON

from .models import Event

UID_DOMAIN = "secportal"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def event_uid(event: Event) -> str:
    return f"event-{event.uid}@{UID_DOMAIN}"


def _description(event: Event, *, online_link: bool) -> str:
    lines = [event.summary]
    if event.online_link and online_link:
        lines.append(f"Join online: {event.online_link}")
    if event.venue:
        lines.append(f"Venue: {event.venue}")
    agenda = list(event.agenda_items.all())
    if agenda:
        lines.append("")
        lines.append("Agenda (UK time):")
        lines.extend(
            f"{item.starts_at:%H:%M} {item.title}" + (f" ({item.speaker})" if item.speaker else "") for item in agenda
        )
    lines.append("")
    lines.append(f"Details and registration: {absolute_url(reverse('news:event-detail', args=[event.slug]))}")
    return "\n".join(lines)


def event_component(event: Event, *, summary_suffix: str = "", online_link: bool = True) -> icalendar.Event:
    """One VEVENT for the event (its agenda items prefetched, to keep the query count fixed). The join
    link is for confirmed registrants: public calendar files leave it out (online_link=False)."""
    component = icalendar.Event()
    component.add("uid", event_uid(event))
    component.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    component.add("dtstart", event.starts_at.astimezone(LONDON))
    component.add("dtend", event.ends_at.astimezone(LONDON))
    component.add("last-modified", event.updated_at.astimezone(datetime.UTC))
    component.add("sequence", event.sequence)
    component.add("summary", f"{event.title}{summary_suffix}")
    component.add("description", _description(event, online_link=online_link))
    component.add("url", absolute_url(reverse("news:event-detail", args=[event.slug])))
    component.add("location", event.venue or ("Online" if event.online_link else ""))
    component.add("categories", [event.get_kind_display()])
    if event.online_link and online_link:
        # RFC 7986; clients that ignore it still find the link in LOCATION and DESCRIPTION.
        component.add("conference", event.online_link, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    return component


__all__ = [
    "PRODID",
    "build_calendar",
    "event_component",
    "event_uid",
    "register_user_calendar_entries",
    "user_calendar_entries",
]
