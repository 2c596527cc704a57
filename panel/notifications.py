"""Reminders before committee meetings, "papers published" on paper day, notices when a meeting
moves or is cancelled, and the meetings in members' private calendars. Registered with secportal
in PanelConfig.ready()."""

import datetime

import icalendar
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from secportal.ics import build_calendar, ics_attachment, register_user_calendar_entries
from secportal.notifications import (
    announce,
    notify,
    reminder_due,
    reminder_occurrence,
    reminder_times,
    reopen,
    time_until,
    when_text,
    withdraw,
)
from secportal.registry import (
    NotificationKind,
    notification_access,
    notification_audiences,
    notification_kinds,
    notification_sources,
)
from secportal.workingdays import LONDON

from .models import Meeting, Paper
from .permissions import committee_rights, current_places

MEETING_REMINDER = "panel.meeting_reminder"
MEETING_CHANGED = "panel.meeting_changed"
MEETING_CANCELLED = "panel.meeting_cancelled"
PAPERS_PUBLISHED = "panel.papers_published"
REMINDER_KIND = "meeting"  # the ReminderSchedule kind SECAS sets for committee meetings
MEMBERS = "panel.meeting_members"  # audience: the committee's members and alternates on the meeting's day

KINDS = (
    NotificationKind(
        MEETING_REMINDER,
        "Reminders before meetings",
        "Before a meeting of a committee you sit on (by default 7 days and 1 day before, and 1 hour "
        "before online meetings), with a calendar file.",
        topic="Committees",
        urgent=True,
        digestible=False,
    ),
    NotificationKind(
        PAPERS_PUBLISHED,
        "Meeting papers are published",
        "On paper day, when the papers for a meeting of your committee are ready to read.",
        topic="Committees",
    ),
    NotificationKind(
        MEETING_CHANGED,
        "A meeting moves or is back on",
        "A meeting of your committee has a new date or time, or is no longer cancelled.",
        topic="Committees",
        urgent=True,
        digestible=False,
    ),
    NotificationKind(
        MEETING_CANCELLED,
        "A meeting is cancelled",
        "A meeting of your committee will not take place.",
        topic="Committees",
        urgent=True,
        digestible=False,
    ),
)


def _path(meeting: Meeting) -> str:
    return reverse("panel:meeting-detail", args=[meeting.pk])


def meeting_component(meeting: Meeting) -> icalendar.Event:
    """The meeting as a calendar entry, with its online link: it goes only into the committee's own
    notices and calendars (members current on the day, checked again when sent), the same people
    `permissions.can_see_join_link` lets see the link on the meeting's page."""
    component = icalendar.Event()
    component.add("uid", f"meeting-{meeting.pk}@secportal")
    component.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    component.add("dtstart", meeting.starts_at.astimezone(LONDON))
    component.add("dtend", meeting.ends_at.astimezone(LONDON))
    component.add("summary", str(meeting))
    url = f"{settings.SITE_URL}{_path(meeting)}"
    lines = [f"Agenda and papers: {url}"]
    if meeting.online_link:
        lines.insert(0, f"Join online: {meeting.online_link}")
    component.add("description", "\n".join(lines))
    component.add("url", url)
    component.add("location", meeting.venue or ("Online" if meeting.online_link else ""))
    cancelled = meeting.status == Meeting.Status.CANCELLED
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    component.add("sequence", meeting.sequence)  # bumped when it moves or is cancelled
    return component


def _calendar(meeting: Meeting) -> list[dict]:
    content = build_calendar(name=str(meeting), components=[meeting_component(meeting)])
    return [ics_attachment(name=f"meeting-{meeting.pk}.ics", calendar=content)]


def _members(meeting: Meeting) -> list:
    on = timezone.localtime(meeting.starts_at, LONDON).date()
    rows = current_places(on).filter(committee_id=meeting.committee_id).select_related("user")
    return list({m.user_id: m.user for m in rows}.values())


def _locked_meetings(ids, now: datetime.datetime):
    """Each coming meeting in turn, locked while its notifications are written (an edit or a
    cancellation in progress is waited for; a cancelled meeting is skipped)."""
    for meeting_id in list(ids):
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .filter(pk=meeting_id, starts_at__gt=now)
                .exclude(status=Meeting.Status.CANCELLED)
                .select_related("committee")
                .first()
            )
            if meeting is not None:
                yield meeting


def _coming(now: datetime.datetime, until: datetime.datetime):
    return (
        Meeting.objects.filter(starts_at__gt=now, starts_at__lte=until)
        .exclude(status=Meeting.Status.CANCELLED)
        .values_list("pk", flat=True)
    )


def meeting_reminders(*, now: datetime.datetime) -> int:
    """Source: the reminder due now for each coming meeting, to its committee's members and alternates."""
    written = 0
    times = reminder_times()
    for meeting in _locked_meetings(_coming(now, now + times.horizon), now):
        offset = reminder_due(meeting.starts_at, times.offsets(REMINDER_KIND, online=bool(meeting.online_link)), now)
        if offset is None:
            continue
        written += len(
            notify(
                users=_members(meeting),
                kind=MEETING_REMINDER,
                subject_obj=meeting,
                occurrence=reminder_occurrence(offset, meeting.starts_at),
                title=f"Reminder: {meeting}, {time_until(meeting.starts_at, now)}",
                body=f"{when_text(meeting)}."
                + (f" Venue: {meeting.venue}." if meeting.venue else "")
                + (f" Online: {meeting.online_link}" if meeting.online_link else ""),
                url=_path(meeting),
                group=str(meeting.committee),
                attachments=_calendar(meeting),
                now=now,
            )
        )
    return written


def papers_published(*, now: datetime.datetime) -> int:
    """Source: from paper day (9:00 UK time) until the meeting, members of a committee whose meeting
    has papers are told once that they are ready."""
    local = timezone.localtime(now, LONDON)
    if local.hour < 9:
        return 0
    has_papers = Exists(Paper.objects.filter(meeting=OuterRef("pk"), published_at__lte=now))
    ids = _coming(now, now + datetime.timedelta(days=31)).filter(has_papers)
    written = 0
    for meeting in _locked_meetings(ids, now):
        if local.date() < meeting.paper_day:
            continue
        written += len(
            notify(
                users=_members(meeting),
                kind=PAPERS_PUBLISHED,
                subject_obj=meeting,
                occurrence="papers",
                title=f"Papers published for {meeting}",
                body=f"The papers are ready to read before the meeting on {when_text(meeting)}.",
                url=_path(meeting) + "#agenda-title",
                group=str(meeting.committee),
                now=now,
            )
        )
    return written


def _members_audience(happening) -> set[int]:
    """Audience: the members and alternates of the committee of the meeting a notice is about."""
    meeting = Meeting.objects.filter(pk=happening.subject_id).first()
    return {u.pk for u in _members(meeting)} if meeting is not None else set()


def _tell_members(meeting: Meeting, *, kind: str, occurrence: str, title: str, body: str = "") -> None:
    """A notice about the meeting itself to its committee's members, with its calendar file: one
    row in the edit's transaction; a Celery task tells them after commit."""
    announce(
        audience=MEMBERS,
        kind=kind,
        subject_obj=meeting,
        occurrence=occurrence,
        title=title,
        body=body,
        url=_path(meeting),
        group=str(meeting.committee),
        attachments=_calendar(meeting),
    )


def meeting_changed(*, meeting: Meeting, old_starts_at: datetime.datetime, old_status: str) -> None:
    """In the transaction of the edit: a cancelled or moved meeting withholds the stale reminders
    and sends a notice instead; a cancelled meeting restored sends a notice, and its reminders
    again."""
    cancelled = Meeting.Status.CANCELLED
    when = timezone.localtime(meeting.starts_at, LONDON)
    if meeting.status == cancelled and old_status != cancelled:
        withdraw(subject_obj=meeting, kinds=[MEETING_REMINDER, MEETING_CHANGED], reason="the meeting is cancelled")
        _tell_members(
            meeting,
            kind=MEETING_CANCELLED,
            occurrence=f"cancelled-{meeting.sequence}",
            title=f"Cancelled: {meeting}, {when:%-d %B %Y}",
        )
    elif old_status == cancelled and meeting.status != cancelled:
        # Back on: the reminders the cancellation withheld go out again (as due from now on).
        reopen(subject_obj=meeting, kinds=[MEETING_REMINDER], tag=f"restored-{meeting.sequence}")
        _tell_members(
            meeting,
            kind=MEETING_CHANGED,
            occurrence=f"restored-{meeting.sequence}",
            title=f"Back on: {meeting}, {when:%A %-d %B, %H:%M %Z}",
            body=f"The meeting is no longer cancelled. {when_text(meeting)}.",
        )
    elif meeting.starts_at != old_starts_at and meeting.status != cancelled:
        withdraw(subject_obj=meeting, kinds=[MEETING_REMINDER], reason="the meeting moved to a new time")
        _tell_members(
            meeting,
            kind=MEETING_CHANGED,
            occurrence=f"moved-{meeting.starts_at.astimezone(datetime.UTC):%Y%m%dT%H%MZ}",
            title=f"Moved: {meeting} is now on {when:%A %-d %B, %H:%M %Z}",
            body=f"It was on {timezone.localtime(old_starts_at, LONDON):%A %-d %B, %H:%M %Z}. "
            f"New time: {when_text(meeting)}.",
        )


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_secas_staff", False) or user.is_superuser)


def _sitting(user_ids: list[int]):
    """These people's places today (observers included): the same places as `committee_rights`."""
    return current_places().filter(user_id__in=user_ids)


def _members_of(user, ids: list[str]) -> set[str]:
    """People hear about a meeting while they have a place on its committee today, observers
    included (panel.permissions), or are SECAS staff."""
    meetings = Meeting.objects.filter(pk__in=ids)
    if not _is_staff(user):
        meetings = meetings.filter(committee_id__in=committee_rights(user).committee_ids)
    return {str(pk) for pk in meetings.values_list("pk", flat=True)}


def _meeting_audience(users: list, meeting_id: str) -> set[int]:
    """The same rule as `_members_of`, for many people and one meeting, in two queries."""
    staff = {u.pk for u in users if _is_staff(u)}
    others = [u.pk for u in users if u.pk not in staff]
    committee = Meeting.objects.filter(pk=meeting_id).values("committee_id")
    return staff | set(_sitting(others).filter(committee_id__in=committee).values_list("user_id", flat=True))


def meetings_for_calendar(user) -> list[icalendar.Event]:
    """The private calendar: meetings of the person's committees (a place today, observers
    included), from a month ago onwards."""
    committees = committee_rights(user).committee_ids
    meetings = Meeting.objects.filter(
        committee_id__in=committees, starts_at__gte=timezone.now() - datetime.timedelta(days=31)
    ).select_related("committee")
    return [meeting_component(m) for m in meetings]


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)
    notification_access.register("panel.meeting", _members_of, audience=_meeting_audience)
    notification_audiences.register(MEMBERS, _members_audience)
    notification_sources.register("panel.meeting_reminders", meeting_reminders)
    notification_sources.register("panel.papers_published", papers_published)
    register_user_calendar_entries("panel.meetings", meetings_for_calendar)
