"""iCalendar files shared by every app: building a calendar, and the private calendar's sources.

Apps add entries to a person's private calendar (news: events they registered for; panel: the
meetings of their committees) by registering a provider in their `AppConfig.ready()`:

    from secportal.ics import register_user_calendar_entries
    register_user_calendar_entries("panel.meetings", meetings_for_calendar)

A provider is `provider(user) -> iterable of icalendar.Event`; it applies its own visibility
rules (classification) and gives its entries UIDs of its own.
"""

import datetime
from collections.abc import Callable, Iterable

import icalendar
from django.utils import timezone

PRODID = "-//SECAS//SEC Portal//EN"

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


def build_calendar(
    *, name: str, components: Iterable[icalendar.Event], description: str = "", method: str = "PUBLISH"
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
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


def ics_attachment(*, name: str, calendar: bytes) -> dict:
    """An .ics file for an outbox email."""
    return {"name": name, "type": "text/calendar; charset=utf-8", "content": calendar.decode()}
