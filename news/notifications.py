"""Reminders before events, and notices when an event moves or is cancelled. Registered with
secportal in NewsConfig.ready(); beat runs `event_reminders` every minute."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from secportal.ics import build_calendar, ics_attachment
from secportal.notifications import (
    ReminderTimes,
    announce,
    notify,
    reminder_due,
    reminder_occurrence,
    reminder_times,
    time_until,
    when_text,
    withdraw,
)
from secportal.registry import (
    NotificationKind,
    email_kinds,
    notification_access,
    notification_audiences,
    notification_kinds,
    notification_sources,
)
from secportal.workingdays import LONDON

from .calendar import event_component
from .models import Event, Registration

EVENT_REMINDER = "news.event_reminder"
EVENT_CHANGED = "news.event_changed"
EVENT_CANCELLED = "news.event_cancelled"

KINDS = (
    NotificationKind(
        EVENT_REMINDER,
        "Reminders before events",
        "Before an event you registered for (by default 7 days and 1 day before, and 1 hour "
        "before online events), with its time, link and a calendar file.",
        topic="Events",
        urgent=True,
        digestible=False,
    ),
    NotificationKind(
        EVENT_CHANGED,
        "An event you registered for moves",
        "Its new date and time, with an updated calendar file.",
        topic="Events",
        urgent=True,
        digestible=False,
    ),
    NotificationKind(
        EVENT_CANCELLED,
        "An event you registered for is cancelled",
        "With the reason, so you can free the time.",
        topic="Events",
        urgent=True,
        digestible=False,
    ),
)

ACTIVE = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)
# Audiences of a notice about an event: those holding a place, and those on its waitlist.
HOLDERS = "news.event_holders"
WAITING = "news.event_waitlist"


def _where(event: Event) -> str:
    parts = [p for p in (event.venue, f"online: {event.online_link}" if event.online_link else "") if p]
    return " and ".join(parts)


def _calendar(event: Event, *, online_link: bool = True) -> list[dict]:
    """The event's .ics; the join link only for people who hold a place (not the waitlist)."""
    content = build_calendar(name=event.title, components=[event_component(event, online_link=online_link)])
    return [ics_attachment(name=f"{event.slug}.ics", calendar=content)]


def _path(event: Event) -> str:
    return reverse("news:event-detail", args=[event.slug])


def event_reminders(*, now: datetime.datetime) -> int:
    """Source: the reminder due now for each upcoming event, to its confirmed registrants (not to
    those who registered after that reminder's time: they have just had their confirmation).
    Each event is locked while its reminders are written, so an edit or a cancellation in
    progress is waited for, and a cancelled event gets no reminder."""
    times = reminder_times()
    upcoming = Event.objects.filter(
        status=Event.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + times.horizon
    ).values_list("pk", flat=True)
    written = 0
    for event_id in list(upcoming):
        with transaction.atomic():
            event = (
                Event.objects.select_for_update()
                .filter(pk=event_id, status=Event.Status.SCHEDULED, starts_at__gt=now)
                .prefetch_related("agenda_items")
                .first()
            )
            if event is None:
                continue
            written += _remind(event, times, now)
    return written


def _remind(event: Event, times: ReminderTimes, now: datetime.datetime) -> int:
    offset = reminder_due(event.starts_at, times.offsets(event.kind, online=bool(event.online_link)), now)
    if offset is None:
        return 0
    registrations = event.registrations.filter(
        status=Registration.Status.CONFIRMED, confirmed_at__lte=event.starts_at - offset
    ).select_related("user")
    users = [r.user for r in registrations]
    if not users:
        return 0
    return len(
        notify(
            users=users,
            kind=EVENT_REMINDER,
            subject_obj=event,
            occurrence=reminder_occurrence(offset, event.starts_at),
            title=f"Reminder: {event.title}, {time_until(event.starts_at, now)}",
            body=f"{when_text(event)}. {_where(event).capitalize()}.",
            url=_path(event),
            group=event.title,
            attachments=_calendar(event),
            now=now,
        )
    )


def _holders(happening) -> set[int]:
    """Audience: the people holding a place at the event a notice is about."""
    return _registered_people(happening.subject_id, Registration.Status.CONFIRMED)


def _waiting(happening) -> set[int]:
    """Audience: the people on the event's waitlist (their calendar file has no join link)."""
    return _registered_people(happening.subject_id, Registration.Status.WAITLISTED)


def _registered_people(event_id: str, status: str) -> set[int]:
    rows = Registration.objects.filter(event_id=event_id, status=status)
    return set(rows.values_list("user_id", flat=True))


def _tell(event: Event, *, kind: str, occurrence: str, title: str, body: str) -> None:
    """A notice to everyone registered: one row per audience in the edit's transaction; a Celery
    task tells them after commit."""
    for audience, online_link in ((HOLDERS, True), (WAITING, False)):
        announce(
            audience=audience,
            kind=kind,
            subject_obj=event,
            occurrence=occurrence,
            title=title,
            body=body,
            url=_path(event),
            group=event.title,
            attachments=_calendar(event, online_link=online_link),
        )


def event_moved(*, event: Event, old_starts_at: datetime.datetime) -> None:
    """In the transaction of the edit: reminders for the old time are withheld; people are told."""
    withdraw(subject_obj=event, kinds=[EVENT_REMINDER], reason="the event moved to a new time")
    _tell(
        event,
        kind=EVENT_CHANGED,
        occurrence=f"moved-{event.sequence}",
        title=f"Moved: {event.title} is now on {timezone.localtime(event.starts_at, LONDON):%A %-d %B, %H:%M %Z}",
        body=f"It was on {timezone.localtime(old_starts_at, LONDON):%A %-d %B, %H:%M %Z}. "
        f"New time: {when_text(event)}.",
    )


def event_cancelled(*, event: Event) -> None:
    withdraw(subject_obj=event, kinds=[EVENT_REMINDER, EVENT_CHANGED], reason="the event is cancelled")
    _tell(
        event,
        kind=EVENT_CANCELLED,
        occurrence=f"cancelled-{event.sequence}",
        title=f"Cancelled: {event.title}, {timezone.localtime(event.starts_at, LONDON):%-d %B %Y}",
        body=event.cancellation_reason,
    )


def _registered(user, ids: list[str]) -> set[str]:
    """People hear about an event while they hold a place or a waitlist place at it."""
    rows = Registration.objects.filter(user=user, event_id__in=ids, status__in=ACTIVE).values_list(
        "event_id", flat=True
    )
    return {str(pk) for pk in rows}


def _registered_audience(users: list, event_id: str) -> set[int]:
    """The same rule as `_registered`, for many people and one event, in one query."""
    rows = Registration.objects.filter(user__in=[u.pk for u in users], event_id=event_id, status__in=ACTIVE)
    return set(rows.values_list("user_id", flat=True))


# Emails sent outside the notification kinds (services._email), in words for the outbox.
EMAIL_KINDS = {
    "news.registration_confirmed": "Event place confirmed",
    "news.registration_waitlisted": "On an event's waitlist",
    "news.waitlist_promoted": "Event place freed up from the waitlist",
}


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    for key, label in EMAIL_KINDS.items():
        email_kinds.register(key, label)
    notification_access.register("news.event", _registered, audience=_registered_audience)
    notification_audiences.register(HOLDERS, _holders)
    notification_audiences.register(WAITING, _waiting)
    notification_sources.register("news.event_reminders", event_reminders)
