"""Notifications: who is told what, when, and how (in the portal, by email now, or in a digest).

A change made in a request (a stage change, a document published) calls `announce()` in its
transaction: that writes one Happening row, whatever the number of people who will hear, and a
Celery task queued on commit works out who hears (the audience the app registered) and tells
them. Time-driven sources that beat runs every minute (a reminder before an event) call
`notify()` directly. Either way the people are told in batches, each in a fixed number of
queries: one Notification per person (unique per person, kind, subject and occurrence) and, as
each person prefers, an outbox email now or an entry that waits for their digest.
Access is checked when the notification is written, when its email is sent, when a digest is
built and when the portal lists it: a person who can no longer see the subject hears nothing.
"""

import contextlib
import datetime
import functools
import logging
import re
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from .models import (
    Frequency,
    Happening,
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
    ReminderSchedule,
)
from .registry import notification_access, notification_audiences, notification_kinds, notification_sources
from .services import PUBLISH_RETRY_POLICY, outbox_enqueue, outbox_enqueue_many, prefixed, render_email
from .sql import quoted
from .workingdays import LONDON, is_working_day, next_working_day

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "secportal.notifications.unsubscribe"
DIGEST_KINDS = {"digest.daily": Frequency.DAILY, "digest.weekly": Frequency.WEEKLY}


# --- Unsubscribe links ----------------------------------------------------------------------------------


def unsubscribe_token(user, kind: str) -> str:
    """A signed token for one person and one kind of notification (or one digest): it works without
    signing in, and only ever turns that one kind off."""
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def unsubscribe_url(user, kind: str) -> str:
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kind)])


def _unsubscribe_headers(url: str) -> dict:
    # RFC 8058: mail clients may offer "Unsubscribe" and POST to the link without a visit.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- Preferences ----------------------------------------------------------------------------------------


def settings_for(user) -> NotificationSettings:
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def _allowed(kind_key: str, frequency: str) -> str:
    kind = notification_kinds.get(kind_key)
    if not kind.digestible and frequency in (Frequency.DAILY, Frequency.WEEKLY):
        return Frequency.IMMEDIATE
    return frequency


def preferences_for(user) -> dict[str, str]:
    """Every registered kind with this person's choice (or the kind's default)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {k.key: _allowed(k.key, chosen.get(k.key, k.default)) for k in notification_kinds.kinds()}


@transaction.atomic
def preferences_save(*, user, choices: dict[str, str], working_days_only: bool, weekly_day: int) -> None:
    """Save a person's choices. Items already waiting for a digest follow the new choice: to the
    other digest, into an email now, or (for 'not by email') kept in the portal only."""
    valid = set(Frequency.values)
    if not set(choices.values()) <= valid:
        raise ValueError(f"Unknown frequency in {choices!r}")
    choices = {kind_key: _allowed(kind_key, frequency) for kind_key, frequency in choices.items()}
    for kind_key, frequency in choices.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind_key, defaults={"frequency": frequency})
    NotificationSettings.objects.update_or_create(
        user=user, defaults={"working_days_only": working_days_only, "weekly_day": weekly_day}
    )
    waiting = Notification.objects.select_for_update().filter(user=user, delivery=Notification.Delivery.DIGEST)
    for kind_key, frequency in choices.items():
        pending = waiting.filter(kind=kind_key)
        if frequency in (Frequency.DAILY, Frequency.WEEKLY):
            pending.update(digest=frequency)
        elif frequency == Frequency.NONE:
            pending.update(delivery=Notification.Delivery.PORTAL_ONLY, digest="")
        else:
            # Straight away: what was waiting goes out in the next daily digest rather than one by one.
            pending.update(digest=Frequency.DAILY)


@transaction.atomic
def unsubscribe(*, user_id: int, kind: str) -> str | None:
    """Turn one kind of email off (or one digest: every kind that went into it). Returns a
    description of what was turned off, or None when the link names nothing we know."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if kind in DIGEST_KINDS:
        current = preferences_for(user)
        kinds = [k for k, f in current.items() if f == DIGEST_KINDS[kind]]
        label = f"the {DIGEST_KINDS[kind].label.removeprefix('In a ')}"
    else:
        try:
            kinds, label = [kind], notification_kinds.get(kind).label
        except LookupError:
            return None
    for kind_key in kinds:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind_key, defaults={"frequency": Frequency.NONE}
        )
    Notification.objects.filter(user=user, kind__in=kinds, delivery=Notification.Delivery.DIGEST).update(
        delivery=Notification.Delivery.PORTAL_ONLY, digest=""
    )
    return label


# --- Writing notifications ------------------------------------------------------------------------------


def email_due_at(*, urgent: bool, working_days_only: bool, now: datetime.datetime) -> datetime.datetime:
    """Now, or (non-urgent, for a person who wants email on Working Days only, on a day that is not
    one) the start of the next Working Day, UK time."""
    local = timezone.localtime(now, LONDON)
    if urgent or not working_days_only or is_working_day(local.date()):
        return now
    day = next_working_day(local.date())
    start = datetime.time(settings.SECPORTAL_WORKDAY_START_HOUR)
    return datetime.datetime.combine(day, start, tzinfo=LONDON)


# People per batch: each batch costs the same few queries (and one rendering of the email)
# whatever its size, so a fan-out to 5,000 people runs ten batches.
BATCH_SIZE = 500


def notify(
    *,
    users: Iterable,
    kind: str,
    subject_obj: models.Model,
    title: str,
    url: str,
    occurrence: str = "",
    body: str = "",
    group: str = "",
    template_prefix: str = "emails/notifications/notification",
    context: dict | None = None,
    attachments: list[dict] | None = None,
    now: datetime.datetime | None = None,
) -> list[Notification]:
    """Tell each person (people or their pks) who may see the subject about it once: in the portal,
    and by email as they prefer. Works through the people in batches of BATCH_SIZE, each in a
    fixed number of queries, so its cost grows with the batches, not the people; still, a change
    made in a request calls `announce()` instead, which leaves the telling to a Celery task.
    Returns the notifications written (none for people already told about this occurrence)."""
    message = _Message.about(
        subject_obj,
        kind=kind,
        occurrence=occurrence,
        title=title,
        body=body,
        url=url,
        group=group,
        template_prefix=template_prefix,
        context=context or {},
        attachments=attachments or [],
    )
    return _tell(users, message, now=now or timezone.now())


@dataclass(frozen=True)
class _Message:
    """What everyone in one fan-out is told (each person's copy differs only by their name and
    unsubscribe link)."""

    kind: str
    subject_type: str
    subject_id: str
    occurrence: str
    title: str
    body: str
    url: str
    group: str
    template_prefix: str = "emails/notifications/notification"
    context: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)

    @classmethod
    def about(cls, subject_obj: models.Model, *, title: str, group: str = "", **fields) -> "_Message":
        subject = {"subject_type": subject_obj._meta.label_lower, "subject_id": str(subject_obj.pk)}
        return cls(**subject, title=title[:300], group=group[:300], **fields)

    @property
    def key(self) -> dict:
        return {
            "kind": self.kind,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "occurrence": self.occurrence,
        }

    # What a Happening row keeps of it (a happening's message uses the default template).
    STORED = ("kind", "subject_type", "subject_id", "occurrence", "title", "body", "url", "group", "attachments")

    def stored(self) -> dict:
        return {name: getattr(self, name) for name in self.STORED}

    @classmethod
    def of(cls, happening: Happening) -> "_Message":
        return cls(**{name: getattr(happening, name) for name in cls.STORED})


def _tell(users: Iterable, message: _Message, *, now: datetime.datetime) -> list[Notification]:
    notification_kinds.get(message.kind)  # an unknown kind is a bug: say so before anything is written
    ids = sorted({u if isinstance(u, int) else u.pk for u in users if u is not None})
    letter = None
    written: list[Notification] = []
    for start in range(0, len(ids), BATCH_SIZE):
        people = _people(ids[start : start + BATCH_SIZE], message)
        if not people:
            continue
        if letter is None:
            letter = _Letter.write(message)
        written += _tell_batch(people, message, letter, now=now)
    return written


def _people(ids: list[int], message: _Message) -> list:
    """These people, if active, with an address, not yet told and allowed to see the subject, with
    their roles read for all of them at once (the access checks ask for them)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    told = Notification.objects.filter(user=OuterRef("pk"), **message.key)
    people = list(
        user_model.objects.filter(pk__in=ids, is_active=True).exclude(email="").exclude(Exists(told)).order_by("pk")
    )
    if not people:
        return []
    roles: dict[int, set[str]] = defaultdict(set)
    through = user_model.groups.through.objects.filter(user_id__in=[p.pk for p in people])
    for user_id, name in through.values_list("user_id", "group__name"):
        roles[user_id].add(name)
    for person in people:
        person.role_names = frozenset(roles[person.pk])  # what the cached property would have read
    allowed = notification_access.audience(people, message.subject_type, message.subject_id)
    return [p for p in people if p.pk in allowed]


def _tell_batch(people: list, message: _Message, letter: "_Letter", *, now: datetime.datetime) -> list[Notification]:
    definition = notification_kinds.get(message.kind)
    pks = [p.pk for p in people]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=pks, kind=message.kind).values_list("user_id", "frequency")
    )
    general = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=pks)}
    rows = []
    for person in people:
        frequency = _allowed(message.kind, chosen.get(person.pk, definition.default))
        notification = Notification(
            user=person,
            **message.key,
            title=message.title,
            body=message.body,
            url=message.url,
            group=message.group,
            created_at=now,
            delivery=Notification.Delivery.EMAILED,
        )
        if frequency in (Frequency.DAILY, Frequency.WEEKLY):
            notification.delivery, notification.digest = Notification.Delivery.DIGEST, frequency
        elif frequency == Frequency.NONE:
            notification.delivery = Notification.Delivery.PORTAL_ONLY
        rows.append(notification)
    # A concurrent run may have told some of them a moment ago: the unique key keeps theirs, and
    # only the rows this run wrote (its own `now`) are emailed from here.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    by_pk = {p.pk: p for p in people}
    written = list(Notification.objects.filter(user_id__in=pks, **message.key, created_at=now).order_by("user_id"))
    emailed = [n for n in written if n.delivery == Notification.Delivery.EMAILED]
    if emailed:
        emails = []
        for notification in emailed:
            person = by_pk[notification.user_id]
            link = unsubscribe_url(person, message.kind)
            subject, body_text, body_html = letter.for_person(name=person.get_short_name(), unsubscribe_url=link)
            working_days_only = (general.get(person.pk) or NotificationSettings(user=person)).working_days_only
            emails.append(
                OutboxMessage(
                    recipient=person.email,
                    user=person,
                    **message.key,
                    subject=subject,
                    body_text=body_text,
                    body_html=body_html,
                    headers=_unsubscribe_headers(link),
                    attachments=message.attachments,
                    due_at=email_due_at(urgent=definition.urgent, working_days_only=working_days_only, now=now),
                )
            )
        outbox_enqueue_many(emails)
        # Each notification points at its email: one UPDATE (a CASE per row, as bulk_update
        # writes it, cost more to build than the rest of the batch).
        own_email = OutboxMessage.objects.filter(user_id=OuterRef("user_id"), **message.key).values("pk")[:1]
        Notification.objects.filter(pk__in=[n.pk for n in emailed]).update(email=Subquery(own_email))
        queued = OutboxMessage.objects.filter(user_id__in=[n.user_id for n in emailed], **message.key)
        email_ids = dict(queued.values_list("user_id", "pk"))
        for notification in emailed:
            notification.email_id = email_ids.get(notification.user_id)
    return written


@dataclass(frozen=True)
class _Letter:
    """A notification email written once for a whole fan-out, with a mark where each person's
    name and unsubscribe link go; `for_person` puts them in (escaped for the HTML body, as the
    template would have). Rendering the templates afresh for each person costs ~0.7 ms (3.5 s of a
    5,000-person fan-out, measured on the development machine); filling in the marks ~6 µs.
    modifications/tests/test_fanout.py pins that each person's copy equals their own rendering."""

    subject: str
    body_text: str
    body_html: str
    name_mark: str
    link_mark: str

    @classmethod
    def write(cls, message: _Message) -> "_Letter":
        nonce = uuid.uuid4().hex  # no title or body can contain the marks by chance or on purpose
        name_mark, link_mark = f"PERSONNAME{nonce}", f"UNSUBSCRIBEURL{nonce}"
        context = {
            **message.context,
            "notification": Notification(title=message.title, body=message.body, url=message.url, group=message.group),
            "kind": notification_kinds.get(message.kind),
            "recipient": _Recipient(name_mark),
            "unsubscribe_url": link_mark,
        }
        subject, body_text, body_html = render_email(message.template_prefix, context)
        return cls(subject, body_text, body_html, name_mark, link_mark)

    def for_person(self, *, name: str, unsubscribe_url: str) -> tuple[str, str, str]:
        def fill(text: str, name: str, link: str) -> str:
            return text.replace(self.name_mark, name).replace(self.link_mark, link)

        return (
            fill(self.subject, name, unsubscribe_url),
            fill(self.body_text, name, unsubscribe_url),
            fill(self.body_html, escape(name), escape(unsubscribe_url)),
        )


class _Recipient:
    """The person as the notification templates see them while the letter is written: a mark
    stands for their name."""

    def __init__(self, mark: str) -> None:
        self._mark = mark

    def get_short_name(self) -> str:
        return self._mark

    def __str__(self) -> str:
        return self._mark


def classified_audience(users: list, obj) -> set[int]:
    """The pks of those people who may open a classified object (a document, a paper): the portal's
    one rule, `can_view`, asked for each person. With their roles read beforehand (as `notify`
    does), it asks the database nothing for WHITE and GREEN, nor for SECAS staff and the owning
    Party's people for AMBER; for RED only the named recipients and SECAS staff are asked (no one
    else may open it): one query, and one per named recipient among the people. For AMBER owned by
    a committee, each person outside SECAS and the owning Party has their committees looked up
    (`classification` has no form of that lookup for many people at once)."""
    from .classification import Classification, can_view

    if obj.classification == Classification.RED:
        named = set(obj.red_recipients.values_list("pk", flat=True))
        users = [u for u in users if u.pk in named or u.is_superuser or getattr(u, "is_secas_staff", False)]
    return {u.pk for u in users if can_view(u, obj)}


# --- Happenings: what a change tells, told after commit by a Celery task -------------------------------


def announce(
    *,
    audience: str,
    kind: str,
    subject_obj: models.Model,
    title: str,
    url: str,
    occurrence: str = "",
    body: str = "",
    group: str = "",
    attachments: list[dict] | None = None,
) -> Happening:
    """In the transaction of a change: record what happened (one row, whatever the number of people
    who will hear) and, after commit, queue the Celery task that tells `audience` (a key of
    `notification_audiences`) about it. The request's cost does not depend on the audience. If the
    broker is down, the change still saves and beat tells them within a minute of its return."""
    from .tasks import happening_tell

    notification_kinds.get(kind)
    notification_audiences.get(audience)
    message = _Message.about(
        subject_obj,
        kind=kind,
        occurrence=occurrence,
        title=title,
        body=body,
        url=url,
        group=group,
        attachments=attachments or [],
    )
    happening = Happening.objects.create(audience=audience, **message.stored())
    publish = partial(happening_tell.apply_async, (happening.pk,), retry_policy=PUBLISH_RETRY_POLICY)
    transaction.on_commit(publish, robust=True)
    return happening


MAX_TELL_ATTEMPTS = 5


def happening_tell(*, happening_id: int, now: datetime.datetime | None = None) -> int:
    """Tell a happening's audience, once: the row is locked while its people are worked out and told
    (a second run skips it, or finds it told) and marked told in the same transaction. Returns the
    number of notifications written (0: told already, or being told by another run)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            happening = (
                Happening.objects.select_for_update(skip_locked=True)
                .filter(pk=happening_id, told_at__isnull=True)
                .first()
            )
            if happening is None:
                return 0
            people = notification_audiences.get(happening.audience)(happening)
            written = len(_tell(people, _Message.of(happening), now=now))
            happening.told_at, happening.told = timezone.now(), written
            happening.save(update_fields=["told_at", "told"])
            return written
    except Exception as exc:
        Happening.objects.filter(pk=happening_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise


def happenings_tell_due(*, limit: int = 100) -> int:
    """Beat, every minute: tell what a lost task left untold (the broker was down at commit, a
    worker died), oldest first; a happening that failed MAX_TELL_ATTEMPTS times is left for a person
    to look at (its last error is kept). Returns the notifications written."""
    pending = Happening.objects.filter(told_at__isnull=True, attempts__lt=MAX_TELL_ATTEMPTS).order_by("created_at")
    written = 0
    for happening_id in list(pending.values_list("pk", flat=True)[:limit]):
        try:
            written += happening_tell(happening_id=happening_id)
        except Exception:
            logger.exception("Telling happening %s failed; it is tried again in a minute.", happening_id)
    return written


def happenings_prune(*, now: datetime.datetime | None = None) -> int:
    """Every night from beat: delete the happenings told more than SECPORTAL_HAPPENING_RETENTION_DAYS
    ago. What they told stays (each notification and email is a row of its own); a happening not yet
    told (waiting, or failed and left for a person to look at) is kept. Returns how many went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.SECPORTAL_HAPPENING_RETENTION_DAYS)
    deleted, _ = Happening.objects.filter(told_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def withdraw(*, subject_obj: models.Model, kinds: Iterable[str], reason: str) -> int:
    """Stop what has not gone out yet about an object (reminders of a moved or cancelled event):
    queued emails are withheld with the reason; items waiting for a digest stay in the portal only."""
    kinds = list(kinds)
    subject_type, subject_id = subject_obj._meta.label_lower, str(subject_obj.pk)
    withheld = OutboxMessage.objects.filter(
        kind__in=kinds, subject_type=subject_type, subject_id=subject_id, status=OutboxMessage.Status.QUEUED
    ).update(status=OutboxMessage.Status.WITHHELD, last_error=f"Withheld: {reason}")
    Notification.objects.filter(
        kind__in=kinds, subject_type=subject_type, subject_id=subject_id, delivery=Notification.Delivery.DIGEST
    ).update(delivery=Notification.Delivery.WITHHELD, digest="")
    return withheld


@transaction.atomic
def reopen(*, subject_obj: models.Model, kinds: Iterable[str], tag: str) -> int:
    """Undo `withdraw` for an object that is back (a meeting restored after its cancellation): what
    was withheld keeps its record under its occurrence plus `~tag`, so that the same reminders may
    be written again, worded for the time then left. What went out is not sent again."""
    kinds = list(kinds)
    subject_type, subject_id = subject_obj._meta.label_lower, str(subject_obj.pk)
    emails = OutboxMessage.objects.filter(
        kind__in=kinds, subject_type=subject_type, subject_id=subject_id, status=OutboxMessage.Status.WITHHELD
    )
    email_ids = list(emails.values_list("pk", flat=True))
    renamed = Concat(F("occurrence"), Value(f"~{tag}"))
    Notification.objects.filter(kind__in=kinds, subject_type=subject_type, subject_id=subject_id).filter(
        Q(email_id__in=email_ids) | Q(delivery=Notification.Delivery.WITHHELD)
    ).update(occurrence=renamed)
    return OutboxMessage.objects.filter(pk__in=email_ids).update(occurrence=renamed)


# --- Reading notifications ------------------------------------------------------------------------------


def visible_notifications(*, user, notifications: list[Notification]) -> list[Notification]:
    """The notifications whose subjects the person may still see (one check per kind of subject)."""
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for n in notifications:
        ids_by_type[n.subject_type].append(n.subject_id)
    visible = {(t, i) for t, ids in ids_by_type.items() for i in notification_access.visible(user, t, ids)}
    return [n for n in notifications if (n.subject_type, n.subject_id) in visible]


def visible_only(*, user, notifications: list[Notification]) -> list[Notification]:
    """The visible ones; those the person may no longer see are marked read and withheld, so that
    they no longer count as unread anywhere."""
    shown = visible_notifications(user=user, notifications=notifications)
    hidden = [n.pk for n in notifications if n not in shown]
    if hidden:
        if Notification.objects.filter(pk__in=hidden, read_at__isnull=True).update(read_at=timezone.now()):
            _unread_changed(user)
        Notification.objects.filter(pk__in=hidden, delivery=Notification.Delivery.DIGEST).update(
            delivery=Notification.Delivery.WITHHELD, digest=""
        )
    return shown


def unread_count(*, user) -> int:
    """What `user.unread_notifications` reads: the count the navigation shows on every signed-in
    page. One statement written once per process from the model's metadata (answered from the
    partial index `notification_unread`): the ORM took ~0.8 ms of Python to write it each time, for
    an answer PostgreSQL gives in ~0.1 ms."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_sql(), [user.pk])
        return cursor.fetchone()[0]


@functools.cache
def _unread_sql() -> str:
    table, person, read_at = quoted(Notification, "user", "read_at")
    return f"SELECT COUNT(*) FROM {table} WHERE {person} = %s AND {read_at} IS NULL"  # noqa: S608 (names only)


def _unread_changed(user) -> None:
    """The person's unread count, read with their session, is out of date: read it again when asked."""
    with contextlib.suppress(AttributeError):  # not read yet
        del user.unread_notifications


@transaction.atomic
def mark_read(*, user, ids: list[int] | None = None, now: datetime.datetime | None = None) -> int:
    """Mark some (or, with ids None, all) of a person's notifications as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    count = unread.update(read_at=now or timezone.now())
    if count:
        _unread_changed(user)
    return count


# --- Digests --------------------------------------------------------------------------------------------


def weekly_due(today: datetime.date, *, weekly_day: int, working_days_only: bool) -> tuple[str, datetime.date] | None:
    """The weekly digest due on or before `today` in this week, if any, as (key, due day): the
    chosen day of this week (moved to the next Working Day for people who want email on Working
    Days only), or last week's when that move carried it into this week."""

    def due(day: datetime.date) -> datetime.date:
        return next_working_day(day) if working_days_only and not is_working_day(day) else day

    monday = today - datetime.timedelta(days=today.weekday())
    chosen = monday + datetime.timedelta(days=weekly_day)
    if today >= due(chosen):
        return f"weekly:{chosen.isoformat()}", due(chosen)
    previous = chosen - datetime.timedelta(days=7)
    if due(previous) >= monday:
        return f"weekly:{previous.isoformat()}", due(previous)
    return None


def _digest_time(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(settings.SECPORTAL_DIGEST_HOUR), tzinfo=LONDON)


def digests_send_due(*, now: datetime.datetime | None = None) -> int:
    """Build the digests due now: a daily one each morning at SECPORTAL_DIGEST_HOUR (UK time), a
    weekly one at that hour on each person's day. A digest holds what was waiting at its hour;
    anything later waits for the next one (a digest never goes out in the afternoon because
    something arrived then). The items are locked, put in one outbox message keyed by its day and
    marked as sent in one transaction, so two beats never build it twice and no item appears in
    two digests. Returns how many digests were queued."""
    now = now or timezone.now()
    today = timezone.localtime(now, LONDON).date()
    pairs = list(
        Notification.objects.filter(delivery=Notification.Delivery.DIGEST)
        .values_list("user_id", "digest")
        .distinct()
        .order_by()
    )
    general = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in={u for u, _ in pairs})}
    queued = 0
    for user_id, digest in pairs:
        person = general.get(user_id) or NotificationSettings()
        if digest == Frequency.DAILY:
            if person.working_days_only and not is_working_day(today):
                continue
            key, cutoff = f"daily:{today.isoformat()}", _digest_time(today)
        else:
            found = weekly_due(today, weekly_day=person.weekly_day, working_days_only=person.working_days_only)
            if found is None:
                continue
            key, cutoff = found[0], _digest_time(found[1])
        if now < cutoff:
            continue
        queued += _send_digest(user_id=user_id, digest=digest, key=key, cutoff=cutoff)
    return queued


@dataclass
class DigestGroup:
    heading: str
    items: list[Notification]


DIGEST_TEMPLATE = "emails/notifications/digest"


def _digest_context(user, digest: str, shown: list[Notification]) -> dict:
    groups: OrderedDict[str, DigestGroup] = OrderedDict()
    for n in shown:
        heading = n.group or "Other news"
        groups.setdefault(heading, DigestGroup(heading=heading, items=[])).items.append(n)
    return {
        "recipient": user,
        "digest": digest,
        "groups": list(groups.values()),
        "count": len(shown),
        "unsubscribe_url": unsubscribe_url(user, f"digest.{digest}"),
        "settings_path": reverse("notifications:settings"),
    }


def digest_recheck(message: OutboxMessage) -> str:
    """When a digest is sent (perhaps a day late, after an SMTP outage): items the person may no
    longer see are taken out and the digest is written again without them. Returns a reason to
    withhold it when nothing is left, else ""."""
    items = list(Notification.objects.filter(email=message).order_by("group", "created_at", "pk"))
    if not items or message.user is None:
        return ""
    shown = visible_notifications(user=message.user, notifications=items)
    if len(shown) == len(items):
        return ""
    Notification.objects.filter(pk__in=[n.pk for n in items if n not in shown]).update(
        delivery=Notification.Delivery.WITHHELD, email=None
    )
    if not shown:
        return "Withheld: the recipient may no longer see anything this digest was about."
    digest = DIGEST_KINDS[message.kind].value
    subject, body_text, body_html = render_email(DIGEST_TEMPLATE, _digest_context(message.user, digest, shown))
    message.subject, message.body_text, message.body_html = prefixed(subject), body_text, body_html
    message.save(update_fields=["subject", "body_text", "body_html"])
    return ""


@transaction.atomic
def _send_digest(*, user_id: int, digest: str, key: str, cutoff: datetime.datetime) -> int:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    kind = f"digest.{digest}"
    items = list(
        Notification.objects.select_for_update(skip_locked=True)
        .filter(user_id=user_id, delivery=Notification.Delivery.DIGEST, digest=digest, created_at__lte=cutoff)
        .order_by("group", "created_at", "pk")
    )
    if not items or user is None:
        return 0
    if OutboxMessage.objects.filter(recipient=user.email.lower(), kind=kind, subject_type="", occurrence=key).exists():
        return 0  # today's (this week's) digest has gone: these wait for the next one
    shown = visible_notifications(user=user, notifications=items)
    hidden = [n.pk for n in items if n not in shown]
    if hidden:
        Notification.objects.filter(pk__in=hidden).update(delivery=Notification.Delivery.WITHHELD, digest="")
    if not shown:
        return 0
    message = outbox_enqueue(
        recipient=user.email,
        kind=kind,
        template_prefix=DIGEST_TEMPLATE,
        context=_digest_context(user, digest, shown),
        occurrence=key,
        user=user,
        headers=_unsubscribe_headers(unsubscribe_url(user, kind)),
    )
    if message is None:
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in shown]).update(
        delivery=Notification.Delivery.DIGESTED, digest="", email=message
    )
    return 1


# --- Reminders ------------------------------------------------------------------------------------------

_OFFSET = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MAX_REMINDER = datetime.timedelta(days=90)


def parse_offsets(text: str) -> list[datetime.timedelta]:
    """'7d, 1d, 1h' -> timedeltas; raises ValueError on anything else."""
    offsets = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _OFFSET.match(part)
        if not match or int(match.group(1)) == 0 or len(match.group(1)) > 6:
            raise ValueError(f"“{part}” is not a reminder time: write a number and d, h or m, such as 7d or 1h.")
        offset = datetime.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if offset > MAX_REMINDER:
            raise ValueError(f"“{part}” is too early: reminders go out at most {MAX_REMINDER.days} days before.")
        offsets.append(offset)
    return sorted(set(offsets), reverse=True)


@dataclass(frozen=True)
class ReminderTimes:
    """The reminder times SECAS set per kind of event (read once per run), with the defaults."""

    schedules: dict[str, tuple[str, str]]

    def offsets(self, event_kind: str, *, online: bool) -> list[datetime.timedelta]:
        default = (settings.SECPORTAL_REMINDER_OFFSETS, settings.SECPORTAL_ONLINE_REMINDER_OFFSETS)
        offsets, extra = self.schedules.get(event_kind, default)
        return parse_offsets(f"{offsets},{extra}" if online and extra else offsets)

    @property
    def horizon(self) -> datetime.timedelta:
        """The longest reminder time of any kind: sources look this far ahead."""
        texts = [settings.SECPORTAL_REMINDER_OFFSETS, settings.SECPORTAL_ONLINE_REMINDER_OFFSETS]
        texts += [text for pair in self.schedules.values() for text in pair]
        return max((max(parse_offsets(t), default=datetime.timedelta()) for t in texts), default=datetime.timedelta())


def reminder_times() -> ReminderTimes:
    rows = ReminderSchedule.objects.values_list("event_kind", "offsets", "online_offsets")
    return ReminderTimes(schedules={kind: (offsets, online) for kind, offsets, online in rows})


def when_text(happening) -> str:
    """'Monday 7 December 2026, 11:00 to 12:00 GMT': when an event or meeting (anything with
    starts_at and ends_at) takes place, for reminders and notices."""
    start, end = timezone.localtime(happening.starts_at, LONDON), timezone.localtime(happening.ends_at, LONDON)
    return f"{start:%A %-d %B %Y, %H:%M} to {end:%H:%M %Z}"


def reminder_due(
    starts_at: datetime.datetime, offsets: list[datetime.timedelta], now: datetime.datetime
) -> datetime.timedelta | None:
    """The reminder to send now: the latest one whose time has come, while the event is still ahead.
    (A reminder missed while beat was down is sent late rather than never, but never after a later
    one: the 1-day reminder replaces an unsent 7-day one.)"""
    if now >= starts_at:
        return None
    passed = [o for o in offsets if starts_at - o <= now]
    return min(passed) if passed else None


def offset_code(offset: datetime.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def reminder_occurrence(offset: datetime.timedelta, starts_at: datetime.datetime) -> str:
    """Unique per reminder and per start time: an event moved to a new time gets new reminders."""
    return f"reminder-{offset_code(offset)}@{starts_at.astimezone(datetime.UTC):%Y%m%dT%H%MZ}"


def time_until(starts_at: datetime.datetime, now: datetime.datetime) -> str:
    """'in 7 days', 'tomorrow', 'in 1 hour', for a reminder's text."""
    seconds = (starts_at - now).total_seconds()
    if seconds >= 36 * 3600:
        days = round(seconds / 86400)
        return f"in {days} days"
    if seconds >= 20 * 3600:
        return "tomorrow"
    hours = round(seconds / 3600)
    if hours >= 2:
        return f"in {hours} hours"
    minutes = max(1, round(seconds / 60))
    if minutes >= 50:
        return "in 1 hour"
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def run_sources(*, now: datetime.datetime | None = None) -> int:
    """Run every time-driven source (reminders, closing consultations); returns notifications written.
    A source that fails is logged and runs again next minute (what it wrote stays: sources are
    idempotent), and does not hold the others back."""
    now = now or timezone.now()
    written = 0
    for key, source in notification_sources.sources():
        try:
            written += source(now=now)
        except Exception:
            logger.exception("Notification source %s failed; it runs again in a minute.", key)
    return written
