"""Writes for news and events: posts (draft, schedule, publish, withdraw, revisions), attachments,
events and series, registrations with capacity, per-Party places and waitlist, slide packs and
private calendar addresses.

Registrations lock the event row (`select_for_update`) before counting, and the database checks
that the confirmed count never exceeds the capacity, so places are never oversold however many
people register at the same moment.
"""

import datetime
import logging
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from modifications.models import ModificationProposal
from parties.models import Party, User
from secportal.exceptions import ApplicationError
from secportal.richtext import source_text
from secportal.services import outbox_enqueue
from secportal.uploads import UploadRejected, check_upload, stored_name

from . import notifications, recurrence, thumbnails
from .models import (
    POST_TRANSITIONS,
    RESERVED_SLUGS,
    AgendaItem,
    AttachmentDownload,
    CalendarToken,
    Event,
    EventKind,
    EventSeries,
    NewsAttachment,
    NewsImage,
    NewsPost,
    NewsPostEvent,
    NewsPostRevision,
    NewsTag,
    Registration,
    SlidePack,
    SlidePackDownload,
)
from .permissions import can_cancel_registration, can_manage_events, can_publish_news, can_register

logger = logging.getLogger(__name__)

SLIDE_KINDS = {"pdf", "pptx"}


def _require_publisher(actor: User | None) -> None:
    if not can_publish_news(actor):
        raise ApplicationError("Only SECAS staff can write and publish news.")


def _require_event_manager(actor: User | None) -> None:
    if not can_manage_events(actor):
        raise ApplicationError("Only SECAS staff can manage events.")


def _unique_slug(model, text: str, *, max_length: int = 200) -> str:
    base = slugify(text)[:max_length].strip("-") or "item"
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return slug


def _save_with_slug(obj, text: str) -> None:
    """Save a new object with a fresh slug; a slug taken a moment ago by someone else gets a suffix."""
    for _ in range(5):
        obj.slug = _unique_slug(type(obj), text)
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            continue
    obj.slug = f"{slugify(text)[:180]}-{uuid.uuid4().hex[:8]}"
    obj.save()


# --- News posts -------------------------------------------------------------------------------------


def _tags(names: list[str]) -> list[NewsTag]:
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        slug = slugify(name)[:60]
        if not slug:
            continue
        tag, _ = NewsTag.objects.get_or_create(slug=slug, defaults={"name": name[:50]})
        tags.append(tag)
    return tags


def _write_revision(post: NewsPost, *, actor: User, tags: list[NewsTag]) -> NewsPostRevision:
    last = post.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return NewsPostRevision.objects.create(
        post=post,
        number=last + 1,
        title=post.title,
        summary=post.summary,
        body=post.body,
        kind=post.kind,
        publisher=post.publisher,
        tags=", ".join(t.name for t in tags),
        editor=actor,
    )


def _check_post_fields(*, title: str, summary: str, body: str, kind: str) -> None:
    if not title.strip():
        raise ApplicationError("Give the post a title.")
    if not summary.strip():
        raise ApplicationError("Write a short summary: it is shown in lists, the feed and on the home page.")
    if not body.strip():
        raise ApplicationError("Write the body of the post.")
    if kind not in NewsPost.Kind.values:
        raise ApplicationError("Choose what kind of post this is.")


def _publisher(*, kind: str, publisher: str) -> str:
    """Who published a government publication: an Ofgem decision is Ofgem's; any other kind of
    post has none."""
    if kind == NewsPost.Kind.OFGEM:
        return NewsPost.Publisher.OFGEM
    if kind != NewsPost.Kind.GOVERNMENT:
        return ""
    if publisher not in NewsPost.Publisher.values:
        raise ApplicationError("Say who published this government publication: DESNZ or Ofgem.")
    return publisher


@transaction.atomic
def news_create(
    *,
    actor: User,
    title: str,
    summary: str,
    body: str,
    kind: str = NewsPost.Kind.NEWS,
    publisher: str = "",
    tags: list[str] = (),
    related_modifications: list[ModificationProposal] = (),
) -> NewsPost:
    """A new draft post (its first revision); nobody but SECAS sees it until it is published."""
    _require_publisher(actor)
    _check_post_fields(title=title, summary=summary, body=body, kind=kind)
    publisher = _publisher(kind=kind, publisher=publisher)
    post = NewsPost(
        title=title.strip(),
        summary=source_text(summary),
        body=source_text(body),
        kind=kind,
        publisher=publisher,
        author=actor,
    )
    _save_with_slug(post, post.title)
    tag_objects = _tags(list(tags))
    post.tags.set(tag_objects)
    post.related_modifications.set(related_modifications)
    _write_revision(post, actor=actor, tags=tag_objects)
    NewsPostEvent.objects.create(post=post, to_status=NewsPost.Status.DRAFT, actor=actor, note="Draft written")
    return post


@transaction.atomic
def news_update(
    *,
    actor: User,
    post: NewsPost,
    title: str,
    summary: str,
    body: str,
    kind: str,
    publisher: str = "",
    tags: list[str] = (),
    related_modifications: list[ModificationProposal] = (),
) -> NewsPost:
    """Edit a post in any state; every save that changes its content keeps a revision. The slug stays."""
    _require_publisher(actor)
    _check_post_fields(title=title, summary=summary, body=body, kind=kind)
    publisher = _publisher(kind=kind, publisher=publisher)
    post = NewsPost.objects.select_for_update().get(pk=post.pk)
    tag_objects = _tags(list(tags))
    content = ("title", "summary", "body", "kind", "publisher")
    before = (*(getattr(post, name) for name in content), sorted(post.tags.values_list("pk", flat=True)))
    post.title, post.summary, post.body = title.strip(), source_text(summary), source_text(body)
    post.kind, post.publisher = kind, publisher
    after = (*(getattr(post, name) for name in content), sorted(t.pk for t in tag_objects))
    post.tags.set(tag_objects)
    post.related_modifications.set(related_modifications)
    if before != after:
        post.updated_at = timezone.now()
        post.save(update_fields=[*content, "updated_at"])
        _write_revision(post, actor=actor, tags=tag_objects)
    return post


def _move_post(post: NewsPost, *, actor: User | None, to: str, note: str = "", **fields) -> NewsPost:
    """Lock, check, move, record: the only place a post's status changes."""
    post = NewsPost.objects.select_for_update().get(pk=post.pk)
    old = post.status
    if to not in POST_TRANSITIONS[NewsPost.Status(old)]:
        raise ApplicationError(
            f"This post is {NewsPost.Status(old).label.lower()}; it cannot become {NewsPost.Status(to).label.lower()}."
        )
    for name, value in fields.items():
        setattr(post, name, value)
    post.status = to
    post.save(update_fields=["status", *fields])
    NewsPostEvent.objects.create(post=post, from_status=old, to_status=to, actor=actor, note=note)
    return post


@transaction.atomic
def news_publish(*, actor: User, post: NewsPost, now: datetime.datetime | None = None) -> NewsPost:
    """Publish now. A withdrawn post published again keeps its first publication date."""
    _require_publisher(actor)
    now = now or timezone.now()
    published_at = post.published_at or now
    return _move_post(
        post,
        actor=actor,
        to=NewsPost.Status.PUBLISHED,
        note="Published",
        published_at=published_at,
        publish_at=None,
        withdrawn_at=None,
        withdrawal_reason="",
    )


@transaction.atomic
def news_schedule(
    *, actor: User, post: NewsPost, publish_at: datetime.datetime, now: datetime.datetime | None = None
) -> NewsPost:
    """Publish at a set time: the beat task `news_publish_due` publishes it on its first run after then."""
    _require_publisher(actor)
    now = now or timezone.now()
    if timezone.is_naive(publish_at):
        raise ApplicationError("Give the time with its time zone.")
    if publish_at <= now:
        raise ApplicationError("Choose a time in the future, or publish now.")
    when = timezone.localtime(publish_at).strftime("%-d %B %Y, %H:%M %Z")
    return _move_post(
        post, actor=actor, to=NewsPost.Status.SCHEDULED, note=f"Scheduled for {when}", publish_at=publish_at
    )


@transaction.atomic
def news_unschedule(*, actor: User, post: NewsPost) -> NewsPost:
    """Back to a draft: a scheduled post that should not go out after all."""
    _require_publisher(actor)
    return _move_post(post, actor=actor, to=NewsPost.Status.DRAFT, note="Schedule cancelled", publish_at=None)


@transaction.atomic
def news_withdraw(*, actor: User, post: NewsPost, reason: str, now: datetime.datetime | None = None) -> NewsPost:
    """Unpublish: the post's address keeps working and says that it was withdrawn, when and why."""
    _require_publisher(actor)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the post is withdrawn: readers who follow a link to it will see this.")
    return _move_post(
        post,
        actor=actor,
        to=NewsPost.Status.WITHDRAWN,
        note=reason,
        withdrawn_at=now or timezone.now(),
        withdrawal_reason=reason,
    )


def news_publish_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Publish every scheduled post whose time has come, each once; returns their ids.

    Run every minute by beat. A post missed while the worker was down is published on the next
    run. Each post is locked and its status checked again, so overlapping runs publish it once.
    """
    now = now or timezone.now()
    published = []
    for pk in NewsPost.objects.due(now).order_by("publish_at", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            post = NewsPost.objects.select_for_update(skip_locked=True).due(now).filter(pk=pk).first()
            if post is None:
                continue  # published by an overlapping run, or rescheduled meanwhile
            _move_post(
                post,
                actor=None,
                to=NewsPost.Status.PUBLISHED,
                note="Published as scheduled",
                published_at=post.published_at or post.publish_at,
                publish_at=None,
            )
            published.append(pk)
    return published


@transaction.atomic
def attachment_upload(
    *,
    actor: User,
    post: NewsPost,
    title: str,
    upload,
    classification: str,
    owner_party: Party | None = None,
    owner_committee: str = "",
    red_recipients=(),
) -> NewsAttachment:
    _require_publisher(actor)
    _check_classification(classification, owner_party, owner_committee, red_recipients)
    try:
        checked = check_upload(upload)
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    name = default_storage.save(stored_name(checked, prefix="news"), upload)
    attachment = NewsAttachment.objects.create(
        post=post,
        title=title.strip() or "Attachment",
        file=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        classification=classification,
        owner_party=owner_party,
        owner_committee=owner_committee,
    )
    if red_recipients:
        attachment.red_recipients.set(red_recipients)
    return attachment


@transaction.atomic
def image_upload(*, actor: User, upload, alt_text: str) -> NewsImage:
    """A PNG or JPEG to show in posts, checked by content; the writer pastes its Markdown into a post."""
    _require_publisher(actor)
    alt_text = " ".join(alt_text.split())
    if not alt_text:
        raise ApplicationError("Describe the image for people who cannot see it (alternative text).")
    try:
        checked = check_upload(upload, allowed={"png", "jpeg"})
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    name = default_storage.save(stored_name(checked, prefix="news/images"), upload)
    return NewsImage.objects.create(
        file=name,
        content_type=checked.content_type,
        extension=checked.extension.lstrip("."),
        size=checked.size,
        sha256=checked.sha256,
        alt_text=alt_text[:300],
        uploaded_by=actor,
    )


def _check_classification(classification: str, owner_party, owner_committee: str, red_recipients) -> None:
    if classification == "amber" and not (owner_party or owner_committee):
        raise ApplicationError("An AMBER file needs its owner: a Party or a committee.")
    if classification == "red" and not red_recipients:
        raise ApplicationError("A RED file needs its named recipients.")


# --- Events --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaLine:
    starts_at: datetime.time
    title: str
    speaker: str = ""


@dataclass(frozen=True)
class EventDetails:
    """What SECAS sets on an event (one occurrence of a series included)."""

    title: str
    kind: str
    summary: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    description: str = ""
    online_link: str = ""
    venue: str = ""
    capacity: int | None = None
    places_per_party: int | None = None
    registration_opens_at: datetime.datetime | None = None
    registration_closes_at: datetime.datetime | None = None
    agenda: tuple[AgendaLine, ...] = ()


def _check_event(details: EventDetails) -> None:
    if not details.title.strip() or not details.summary.strip():
        raise ApplicationError("Give the event a title and a summary.")
    if details.kind not in EventKind.values:
        raise ApplicationError("Choose the kind of event.")
    if details.ends_at <= details.starts_at:
        raise ApplicationError("The event must end after it starts.")
    if not (details.online_link.strip() or details.venue.strip()):
        raise ApplicationError("Give an online link, a venue, or both.")
    if details.capacity is not None and details.capacity < 1:
        raise ApplicationError("The capacity is at least 1 (leave it empty for no limit).")
    if details.places_per_party is not None and details.places_per_party < 1:
        raise ApplicationError("Places per Party is at least 1 (leave it empty for no limit).")
    opens, closes = details.registration_opens_at, details.registration_closes_at
    if opens and closes and closes <= opens:
        raise ApplicationError("Registration must close after it opens.")
    if closes and closes > details.ends_at:
        raise ApplicationError("Registration cannot close after the event has ended.")
    times = [line.starts_at for line in details.agenda]
    if times != sorted(times):
        raise ApplicationError("List the agenda in time order.")


def _set_agenda(event: Event, agenda: tuple[AgendaLine, ...]) -> None:
    event.agenda_items.all().delete()
    AgendaItem.objects.bulk_create(
        AgendaItem(
            event=event, position=i, starts_at=line.starts_at, title=line.title[:300], speaker=line.speaker[:200]
        )
        for i, line in enumerate(agenda, start=1)
    )


_EVENT_FIELDS = (
    "title",
    "kind",
    "summary",
    "description",
    "starts_at",
    "ends_at",
    "online_link",
    "venue",
    "capacity",
    "places_per_party",
    "registration_opens_at",
    "registration_closes_at",
)


@transaction.atomic
def event_create(*, actor: User, details: EventDetails) -> Event:
    _require_event_manager(actor)
    _check_event(details)
    event = Event(created_by=actor, **{f: getattr(details, f) for f in _EVENT_FIELDS})
    event.title, event.summary = event.title.strip(), event.summary.strip()
    _save_with_slug(event, f"{event.title} {timezone.localtime(event.starts_at):%Y-%m-%d}")
    _set_agenda(event, details.agenda)
    return event


@transaction.atomic
def event_update(*, actor: User, event: Event, details: EventDetails, now: datetime.datetime | None = None) -> Event:
    """Edit one event (for a series: this occurrence only; the others are untouched)."""
    _require_event_manager(actor)
    _check_event(details)
    event = Event.objects.select_for_update().get(pk=event.pk)
    old_starts_at = event.starts_at
    if details.capacity is not None and details.capacity < event.confirmed_count:
        raise ApplicationError(
            f"{event.confirmed_count} people already hold places; the capacity cannot go below that. "
            "Cancel registrations first, or leave the capacity as it is."
        )
    for field in _EVENT_FIELDS:
        setattr(event, field, getattr(details, field))
    event.detached = event.series_id is not None
    event.sequence += 1
    event.updated_at = timezone.now()
    event.save()
    _set_agenda(event, details.agenda)
    _fill_from_waitlist(event, now=now or timezone.now())
    if event.starts_at != old_starts_at:
        notifications.event_moved(event=event, old_starts_at=old_starts_at)
    return event


@transaction.atomic
def event_cancel(*, actor: User, event: Event, reason: str, now: datetime.datetime | None = None) -> Event:
    """Cancel an event (or one occurrence of a series): its page stays and says so; people are told.
    It cannot be undone (the notices go at once), and an event that has ended cannot be cancelled."""
    _require_event_manager(actor)
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the event is cancelled: the people registered will be told.")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_cancelled:
        raise ApplicationError("This event is already cancelled.")
    if event.is_past(now):
        raise ApplicationError("This event has already taken place; it cannot be cancelled.")
    event.status = Event.Status.CANCELLED
    event.cancellation_reason = reason
    event.sequence += 1
    event.updated_at = timezone.now()
    event.detached = event.series_id is not None
    event.save(update_fields=["status", "cancellation_reason", "sequence", "updated_at", "detached"])
    notifications.event_cancelled(event=event)
    return event


@transaction.atomic
def series_create(
    *,
    actor: User,
    title: str,
    summary: str,
    first_month: datetime.date,
    months: int,
    local_start: datetime.time = datetime.time(11, 0),
    duration_minutes: int = 60,
    description: str = "",
    online_link: str = "",
    venue: str = "",
    capacity: int | None = None,
    places_per_party: int | None = None,
    kind: str = EventKind.QUESTIONS_HOUR,
) -> EventSeries:
    """A monthly series (first Monday at `local_start` UK time, next Working Day after a bank holiday)."""
    _require_event_manager(actor)
    if kind not in EventKind.values:
        raise ApplicationError("Choose what kind of event the series is.")
    if not 1 <= months <= 36:
        raise ApplicationError("Create between 1 and 36 monthly occurrences at a time.")
    if not 5 <= duration_minutes <= 600:
        raise ApplicationError("An occurrence lasts between 5 minutes and 10 hours.")
    if not (online_link.strip() or venue.strip()):
        raise ApplicationError("Give an online link, a venue, or both.")
    series = EventSeries(
        title=title.strip(),
        kind=kind,
        summary=summary.strip(),
        description=description,
        local_start=local_start,
        duration_minutes=duration_minutes,
        online_link=online_link,
        venue=venue,
        capacity=capacity,
        places_per_party=places_per_party,
        created_by=actor,
    )
    _save_with_slug(series, series.title)
    series_extend(actor=actor, series=series, first_month=first_month, months=months)
    return series


@transaction.atomic
def series_extend(*, actor: User, series: EventSeries, first_month: datetime.date, months: int) -> list[Event]:
    """Add the occurrences of `months` months from `first_month`; months that already have one are
    left as they are (edited or cancelled occurrences included), so running it twice adds nothing."""
    _require_event_manager(actor)
    series = EventSeries.objects.select_for_update().get(pk=series.pk)
    existing = set(series.occurrences.values_list("occurrence_key", flat=True))
    now = timezone.now()
    created = []
    for year, month in recurrence.months_from(first_month, months):
        key = recurrence.occurrence_key(year, month)
        if key in existing:
            continue
        starts_at, ends_at = recurrence.occurrence_times(
            year, month, local_start=series.local_start, duration=datetime.timedelta(minutes=series.duration_minutes)
        )
        if ends_at <= now:
            continue
        event = Event(
            title=series.title,
            kind=series.kind,
            summary=series.summary,
            description=series.description,
            starts_at=starts_at,
            ends_at=ends_at,
            online_link=series.online_link,
            venue=series.venue,
            capacity=series.capacity,
            places_per_party=series.places_per_party,
            series=series,
            occurrence_key=key,
            created_by=actor,
        )
        _save_with_slug(event, f"{series.title} {starts_at:%Y-%m-%d}")
        created.append(event)
    return created


# --- Registration -----------------------------------------------------------------------------------------


def _email(registration: Registration, name: str, *, subject_obj=None) -> None:
    event = registration.event
    outbox_enqueue(
        recipient=registration.user.email,
        kind=f"news.{name}",
        template_prefix=f"emails/news/{name}",
        context={
            "registration": registration,
            "event": event,
            "event_path": reverse("news:event-detail", args=[event.slug]),
            "ics_path": reverse("news:event-ics", args=[event.slug]),
        },
        subject_obj=subject_obj or registration,
        user=registration.user,
    )


def _party_counts(event: Event) -> Counter:
    rows = (
        event.registrations.filter(status=Registration.Status.CONFIRMED)
        .values("party_id")
        .annotate(n=Count("pk"))
        .values_list("party_id", "n")
    )
    return Counter(dict(rows))


def _room(event: Event, party_counts: Counter, party_id: int) -> bool:
    if event.capacity is not None and event.confirmed_count >= event.capacity:
        return False
    return event.places_per_party is None or party_counts[party_id] < event.places_per_party


def _confirm(event: Event, registration: Registration, now: datetime.datetime) -> None:
    registration.status = Registration.Status.CONFIRMED
    registration.confirmed_at = now
    event.confirmed_count += 1
    event.save(update_fields=["confirmed_count"])  # the database refuses a count over the capacity


def _fill_from_waitlist(event: Event, *, now: datetime.datetime) -> list[Registration]:
    """Give free places to the waitlist, first come first served (someone whose Party has used its
    places waits while a later person from another Party may take a place). The event is locked."""
    if event.is_cancelled or event.starts_at <= now:
        return []
    if event.capacity is not None and event.confirmed_count >= event.capacity:
        return []
    counts = _party_counts(event)
    promoted = []
    waiting = event.registrations.filter(status=Registration.Status.WAITLISTED).select_related("user")
    for registration in waiting.order_by("waitlisted_at", "pk"):
        if event.capacity is not None and event.confirmed_count >= event.capacity:
            break
        if not _room(event, counts, registration.party_id):
            continue
        _confirm(event, registration, now)
        registration.save(update_fields=["status", "confirmed_at"])
        counts[registration.party_id] += 1
        registration.event = event
        _email(registration, "waitlist_promoted")
        promoted.append(registration)
    return promoted


REGISTRATION_REFUSALS = {
    "cancelled": "This event is cancelled.",
    "past": "This event has already started.",
    "not_yet": "Registration has not opened yet.",
    "closed": "Registration has closed.",
}


def _check_registration_open(event: Event, now: datetime.datetime) -> None:
    state = event.registration_state(now)
    if state != "open":
        raise ApplicationError(REGISTRATION_REFUSALS[state])


@transaction.atomic
def registration_create(
    *, actor: User, event: Event, notes: str = "", now: datetime.datetime | None = None
) -> Registration:
    """Register for a place; when the event or the person's Party is full, join the waitlist."""
    if not can_register(actor):
        raise ApplicationError("Sign in with an account of a SEC Party to register for events.")
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=event.pk)  # one registration at a time per event
    _check_registration_open(event, now)
    if event.registrations.filter(
        user=actor, status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED]
    ).exists():
        raise ApplicationError("You are already registered for this event.")
    registration = Registration(event=event, user=actor, party_id=actor.party_id, notes=notes.strip()[:2000])
    if _place_free(event, actor.party_id):
        _confirm(event, registration, now)
    else:
        registration.status = Registration.Status.WAITLISTED
        registration.waitlisted_at = now
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise ApplicationError("You are already registered for this event.") from None
    _email(registration, "registration_confirmed" if registration.status == "confirmed" else "registration_waitlisted")
    return registration


def _place_free(event: Event, party_id: int) -> bool:
    """May someone of this Party take a place now? Not when the event or the Party is full, nor
    when someone already waiting could take it (they come first). The event is locked."""
    counts = _party_counts(event)
    if not _room(event, counts, party_id):
        return False
    has_waitlist = event.registrations.filter(status=Registration.Status.WAITLISTED).exists()
    return not (has_waitlist and _waitlist_ahead(event, counts, party_id))


def _waitlist_ahead(event: Event, counts: Counter, party_id: int) -> bool:
    """Is someone already waiting who could take the free place? (Then they come first.)"""
    waiting_parties = event.registrations.filter(status=Registration.Status.WAITLISTED).values_list(
        "party_id", flat=True
    )
    return any(_room(event, counts, p) for p in waiting_parties)


@transaction.atomic
def registration_cancel(
    *, actor: User, registration: Registration, now: datetime.datetime | None = None
) -> Registration:
    """Give up a place (or leave the waitlist); a freed place goes to the first person waiting.
    Once the event has started there is nothing to give up: the registration stays as it is."""
    if not can_cancel_registration(actor, registration):
        raise ApplicationError("You can cancel only your own registration.")
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_active:
        raise ApplicationError("This registration is already cancelled.")
    if event.starts_at <= now:
        raise ApplicationError("This event has already started, so its places can no longer be cancelled.")
    was_confirmed = registration.status == Registration.Status.CONFIRMED
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        event.confirmed_count -= 1
        event.save(update_fields=["confirmed_count"])
        _fill_from_waitlist(event, now=now)
    return registration


@dataclass(frozen=True)
class Restored:
    """What undoing a cancellation gave back: the registration (a place, or the waitlist), and why
    a place that was held is not back: it went to someone on the waitlist, or the event filled up."""

    registration: Registration
    went_to_waitlist: bool = False
    filled_up: bool = False


ACTIVE = (Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)


@transaction.atomic
def registration_restore(*, actor: User, registration: Registration, now: datetime.datetime | None = None) -> Restored:
    """Undo a cancellation, by the rules of registering: the place back if one is free and no one
    waiting comes first; otherwise the end of the waitlist (the place held may have gone to the
    first person waiting, who keeps it). Someone who had left the waitlist goes back to where they
    were. Only while the event takes registrations, and not for someone registered again since.
    Nobody is emailed unless the waitlist moves (then as always: the person given a place)."""
    if not can_cancel_registration(actor, registration):
        raise ApplicationError("You can undo only your own cancellation.")
    now = now or timezone.now()
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    registration = Registration.objects.select_for_update().select_related("user").get(pk=registration.pk)
    if registration.status != Registration.Status.CANCELLED:
        raise ApplicationError("This registration is not cancelled: there is nothing to undo.")
    _check_registration_open(event, now)
    if not can_register(registration.user) or registration.user.party_id != registration.party_id:
        raise ApplicationError("This registration is for someone who can no longer register for their Party.")
    if event.registrations.filter(user_id=registration.user_id, status__in=ACTIVE).exists():
        raise ApplicationError("You have registered for this event again since; nothing was changed.")
    held_a_place = registration.confirmed_at is not None
    cancelled_at = registration.cancelled_at
    registration.cancelled_at = None
    outcome = {}
    if held_a_place and _place_free(event, registration.party_id):
        _confirm(event, registration, now)
    else:
        registration.status = Registration.Status.WAITLISTED
        if held_a_place:  # the place is gone: join the end of the waitlist
            registration.confirmed_at, registration.waitlisted_at = None, now
            went = (
                cancelled_at is not None
                and event.registrations.filter(
                    waitlisted_at__isnull=False, confirmed_at__gte=cancelled_at, status=Registration.Status.CONFIRMED
                ).exists()
            )
            outcome = {"went_to_waitlist": went, "filled_up": not went}
        else:
            registration.waitlisted_at = registration.waitlisted_at or now  # back to where they were
    try:
        with transaction.atomic():
            registration.save(update_fields=["status", "cancelled_at", "confirmed_at", "waitlisted_at"])
    except IntegrityError:
        raise ApplicationError("You have registered for this event again since; nothing was changed.") from None
    if registration.status == Registration.Status.WAITLISTED:
        _fill_from_waitlist(event, now=now)  # as always: a free place goes to the first person waiting
        registration.refresh_from_db(fields=["status", "confirmed_at"])
    registration.event = event
    return Restored(registration=registration, **outcome)


# --- Slide packs -------------------------------------------------------------------------------------------


@transaction.atomic
def slide_pack_upload(
    *,
    actor: User,
    event: Event,
    title: str,
    upload,
    classification: str,
    owner_party: Party | None = None,
    owner_committee: str = "",
    red_recipients=(),
    recording_url: str | None = None,
) -> SlidePack:
    """Publish the slides of an event (PDF or PPTX, checked by content). A PDF's first-page
    thumbnail is drawn by a Celery task after commit (the page says "Preview being prepared" until
    then): nothing here parses or draws the PDF. `recording_url`, when given, is set on the event."""
    _require_event_manager(actor)
    _check_classification(classification, owner_party, owner_committee, red_recipients)
    try:
        checked = check_upload(upload, allowed=SLIDE_KINDS)
    except UploadRejected as exc:
        raise ApplicationError(exc.message) from None
    if checked.kind == "pdf":
        upload.seek(max(0, checked.size - thumbnails.TAIL_BYTES))
        tail = upload.read()
        upload.seek(0)
        if not thumbnails.looks_like_a_pdf(tail):
            raise ApplicationError("This PDF could not be read. Export it again from your presentation software.")
    name = default_storage.save(stored_name(checked, prefix="events"), upload)
    pending = checked.kind == "pdf"
    pack = SlidePack.objects.create(
        event=event,
        title=title.strip() or "Slides",
        file=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        classification=classification,
        owner_party=owner_party,
        owner_committee=owner_committee,
        thumbnail_status=SlidePack.Thumbnail.PENDING if pending else SlidePack.Thumbnail.NONE,
    )
    if red_recipients:
        pack.red_recipients.set(red_recipients)
    if recording_url is not None and recording_url != event.recording_url:
        Event.objects.filter(pk=event.pk).update(recording_url=recording_url, updated_at=timezone.now())
        event.recording_url = recording_url
    if pending:
        from .tasks import slide_thumbnail_make

        transaction.on_commit(partial(slide_thumbnail_make.delay, pack.pk), robust=True)
    return pack


MAX_THUMBNAIL_ATTEMPTS = 3


def slide_thumbnail_make(*, pack_id: int) -> str:
    """Draw a slide pack's thumbnail (the Celery task's work), at most MAX_THUMBNAIL_ATTEMPTS times:
    within the limits of news.thumbnails, or not at all (the pack is marked failed and its page
    shows a generic icon). Safe to run twice: only a pending pack is drawn, and only the first
    result is kept. Returns the pack's thumbnail status afterwards."""
    claimed = SlidePack.objects.filter(
        pk=pack_id, thumbnail_status=SlidePack.Thumbnail.PENDING, thumbnail_attempts__lt=MAX_THUMBNAIL_ATTEMPTS
    ).update(thumbnail_attempts=F("thumbnail_attempts") + 1)
    pack = SlidePack.objects.filter(pk=pack_id).first()
    if pack is None or not claimed:
        return pack.thumbnail_status if pack is not None else ""
    with pack.file.open("rb") as stored:
        data = stored.read()
    try:
        png = thumbnails.make_thumbnail(
            data, seconds=settings.SECPORTAL_THUMBNAIL_SECONDS, memory_mb=settings.SECPORTAL_THUMBNAIL_MEMORY_MB
        )
    except thumbnails.ThumbnailFailed as exc:
        logger.warning("No thumbnail for slide pack %s: %s", pack_id, exc)
        return _thumbnail_done(pack_id, name="", status=SlidePack.Thumbnail.FAILED)
    today = timezone.localdate()
    name = default_storage.save(f"events/thumbnails/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.png", ContentFile(png))
    return _thumbnail_done(pack_id, name=name, status=SlidePack.Thumbnail.READY)


@transaction.atomic
def _thumbnail_done(pack_id: int, *, name: str, status: str) -> str:
    """Keep the result if the pack still waits for it (a second run's copy is deleted)."""
    pack = SlidePack.objects.select_for_update().filter(pk=pack_id).first()
    if pack is None or pack.thumbnail_status != SlidePack.Thumbnail.PENDING:
        if name:
            default_storage.delete(name)
        return pack.thumbnail_status if pack is not None else ""
    pack.thumbnail, pack.thumbnail_status = name, status
    pack.save(update_fields=["thumbnail", "thumbnail_status"])
    return status


def slide_thumbnails_due(*, now: datetime.datetime | None = None) -> int:
    """Beat: thumbnails whose task was lost (the broker was down at the upload, a worker died) are
    drawn again; those tried MAX_THUMBNAIL_ATTEMPTS times are given up (a generic icon). Returns
    how many were drawn or given up."""
    quiet_since = (now or timezone.now()) - datetime.timedelta(minutes=10)
    waiting = SlidePack.objects.filter(thumbnail_status=SlidePack.Thumbnail.PENDING, uploaded_at__lte=quiet_since)
    done = 0
    for pack_id, attempts in list(waiting.values_list("pk", "thumbnail_attempts")[:20]):
        if attempts >= MAX_THUMBNAIL_ATTEMPTS:
            _thumbnail_done(pack_id, name="", status=SlidePack.Thumbnail.FAILED)
        else:
            slide_thumbnail_make(pack_id=pack_id)
        done += 1
    return done


# --- Private calendar -----------------------------------------------------------------------------------------


@transaction.atomic
def calendar_token_get_or_create(*, user: User) -> CalendarToken:
    if not (user and user.is_authenticated and user.is_active):
        raise ApplicationError("Sign in to get your calendar address.")
    token, _ = CalendarToken.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return token


@transaction.atomic
def calendar_token_reset(*, user: User) -> CalendarToken:
    """A new secret address; the old one stops working at once."""
    if not (user and user.is_authenticated and user.is_active):
        raise ApplicationError("Sign in to reset your calendar address.")
    token, _ = CalendarToken.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "created_at": timezone.now(), "last_used_at": None}
    )
    return token


@transaction.atomic
def calendar_token_revoke(*, user: User) -> None:
    CalendarToken.objects.filter(user=user).delete()


@transaction.atomic
def attachment_download_record(*, user: User | None, attachment: NewsAttachment) -> AttachmentDownload:
    return AttachmentDownload.objects.create(attachment=attachment, user=user)


@transaction.atomic
def slide_pack_download_record(*, user: User | None, pack: SlidePack, thumbnail: bool = False) -> SlidePackDownload:
    return SlidePackDownload.objects.create(pack=pack, user=user, thumbnail=thumbnail)
