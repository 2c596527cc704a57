"""Reminders before events, and notices when an event moves or is cancelled. Registered with
secportal in NewsConfig.ready(); beat runs `event_reminders` every minute."""

import datetime

from django.urls import reverse
from django.utils import timezone

from secportal.ics import build_calendar, ics_attachment
from secportal.notifications import (
    notify,
    reminder_due,
    reminder_horizon,
    reminder_occurrence,
    reminder_offsets,
    time_until,
    withdraw,
)
from secportal.registry import NotificationKind, notification_access, notification_kinds, notification_sources
from secportal.workingdays import LONDON

from .calendar import event_component
from .models import Event, Registration

EVENT_REMINDER = "news.event_reminder"
EVENT_CHANGED = "news.event_changed"
EVENT_CANCELLED = "news.event_cancelled"

KINDS = (
    NotificationKind(EVENT_REMINDER, "Reminders before events",
                     "Before an event you registered for (by default 7 days and 1 day before, and 1 hour "
                     "before online events), with its time, link and a calendar file.",
                     topic="Events", urgent=True, digestible=False),
    NotificationKind(EVENT_CHANGED, "An event you registered for moves",
                     "Its new date and time, with an updated calendar file.", topic="Events", urgent=True,
                     digestible=False),
    NotificationKind(EVENT_CANCELLED, "An event you registered for is cancelled",
                     "With the reason, so you can free the time.", topic="Events", urgent=True, digestible=False),
)  # fmt: skip

ACTIVE = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)


def _when(event: Event) -> str:
    start, end = timezone.localtime(event.starts_at, LONDON), timezone.localtime(event.ends_at, LONDON)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%H:%M %Z}"


def _where(event: Event) -> str:
    parts = [p for p in (event.venue, f"online: {event.online_link}" if event.online_link else "") if p]
    return " and ".join(parts)


def _calendar(event: Event) -> list[dict]:
    content = build_calendar(name=event.title, components=[event_component(event)], method="PUBLISH")
    return [ics_attachment(name=f"{event.slug}.ics", calendar=content)]


def _path(event: Event) -> str:
    return reverse("news:event-detail", args=[event.slug])


def _people(event: Event, statuses=ACTIVE) -> list:
    return [r.user for r in event.registrations.filter(status__in=statuses).select_related("user")]


def event_reminders(*, now: datetime.datetime) -> int:
    """Source: the reminder due now for each upcoming event, to its confirmed registrants (not to
    those who registered after that reminder's time: they have just had their confirmation)."""
    events = Event.objects.filter(
        status=Event.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + reminder_horizon()
    ).prefetch_related("agenda_items")
    written = 0
    for event in events:
        offset = reminder_due(event.starts_at, reminder_offsets(event.kind, online=bool(event.online_link)), now)
        if offset is None:
            continue
        registrations = event.registrations.filter(
            status=Registration.Status.CONFIRMED, confirmed_at__lte=event.starts_at - offset
        ).select_related("user")
        users = [r.user for r in registrations]
        if not users:
            continue
        written += len(
            notify(
                users=users,
                kind=EVENT_REMINDER,
                subject_obj=event,
                occurrence=reminder_occurrence(offset, event.starts_at),
                title=f"Reminder: {event.title}, {time_until(event.starts_at, now)}",
                body=f"{_when(event)}. {_where(event).capitalize()}.",
                url=_path(event),
                group=event.title,
                attachments=_calendar(event),
                now=now,
            )
        )
    return written


def event_moved(*, event: Event, old_starts_at: datetime.datetime) -> None:
    """In the transaction of the edit: reminders for the old time are withheld; people are told."""
    withdraw(subject_obj=event, kinds=[EVENT_REMINDER], reason="the event moved to a new time")
    notify(
        users=_people(event),
        kind=EVENT_CHANGED,
        subject_obj=event,
        occurrence=f"moved-{event.sequence}",
        title=f"Moved: {event.title} is now on {timezone.localtime(event.starts_at, LONDON):%A %-d %B, %H:%M %Z}",
        body=f"It was on {timezone.localtime(old_starts_at, LONDON):%A %-d %B, %H:%M %Z}. New time: {_when(event)}.",
        url=_path(event),
        group=event.title,
        attachments=_calendar(event),
    )


def event_cancelled(*, event: Event) -> None:
    withdraw(subject_obj=event, kinds=[EVENT_REMINDER, EVENT_CHANGED], reason="the event is cancelled")
    notify(
        users=_people(event),
        kind=EVENT_CANCELLED,
        subject_obj=event,
        title=f"Cancelled: {event.title}, {timezone.localtime(event.starts_at, LONDON):%-d %B %Y}",
        body=event.cancellation_reason,
        url=_path(event),
        group=event.title,
        attachments=_calendar(event),
    )


def _registered(user, ids: list[str]) -> set[str]:
    """People hear about an event while they hold a place or a waitlist place at it."""
    rows = Registration.objects.filter(user=user, event_id__in=ids, status__in=ACTIVE).values_list(
        "event_id", flat=True
    )
    return {str(pk) for pk in rows}


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    notification_access.register("news.event", _registered)
    notification_sources.register("news.event_reminders", event_reminders)
