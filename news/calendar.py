"""iCalendar output: one event, every event, and a person's private calendar.

Each event (each occurrence of a series too) is one VEVENT with a UID that never changes, its
times in Europe/London with the VTIMEZONE included, the page URL and the online link. Editing an
event bumps its SEQUENCE; a cancelled event stays in the calendar with STATUS:CANCELLED so that
subscribed calendars remove it.

Other apps add entries to a person's private calendar (the panel app: the meetings they attend)
by registering a provider in their `AppConfig.ready()`:

    from news.calendar import register_user_calendar_entries
    register_user_calendar_entries("panel.meetings", meetings_for_calendar)

A provider is `provider(user) -> iterable of icalendar.Event`; it applies its own visibility
rules (classification) and gives its entries UIDs of its own.
"""

import datetime
from collections.abc import Callable, Iterable

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from secportal.workingdays import LONDON

from .models import Event

PRODID = "-//SECAS//SEC Portal//EN"
UID_DOMAIN = "secportal"

UserEntryProvider = Callable[[object], Iterable[icalendar.Event]]
_user_entry_providers: dict[str, UserEntryProvider] = {}


def register_user_calendar_entries(key: str, provider: UserEntryProvider) -> None:
    """Add (or replace, on a second `ready()`) a source of entries for people's private calendars."""
    _user_entry_providers[key] = provider


def user_calendar_entries(user) -> list[icalendar.Event]:
    """The entries every registered provider has for this person, in registration order."""
    entries: list[icalendar.Event] = []
    for provider in _user_entry_providers.values():
        entries.extend(provider(user))
    return entries


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


def build_calendar(*, name: str, components: Iterable[icalendar.Event], description: str = "") -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    if description:
        calendar.add("x-wr-caldesc", description)
    first = None
    for component in components:
        calendar.add_component(component)
        start = component.get("dtstart")
        if start is not None:
            day = start.dt.date() if isinstance(start.dt, datetime.datetime) else start.dt
            first = day if first is None else min(first, day)
    if first is not None:
        # The VTIMEZONE, from a little before the first entry to well after the last.
        calendar.add_missing_timezones(first_date=first - datetime.timedelta(days=366))
    else:
        calendar.add_component(icalendar.Timezone.from_tzid("Europe/London", first_date=timezone.localdate()))
    return calendar.to_ical()
