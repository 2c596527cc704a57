"""Writes of the shared layer: the notification outbox."""

import contextlib
import email.errors
import re
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxMessage
from .registry import notification_access, notification_kinds


def render_email(template_prefix: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML bodies from `<prefix>_subject.txt`, `_body.txt`, `_body.html`."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template_prefix}_subject.txt", context)
    subject = " ".join(subject.split())
    body_text = render_to_string(f"{template_prefix}_body.txt", context)
    try:
        body_html = render_to_string(f"{template_prefix}_body.html", context)
    except TemplateDoesNotExist:
        body_html = ""
    return subject, body_text, body_html


def outbox_enqueue(
    *,
    recipient: str,
    kind: str,
    template_prefix: str,
    context: dict,
    subject_obj: models.Model | None = None,
    occurrence: str = "",
    user=None,
    unique: bool = True,
    sensitive: bool = False,
    due_at=None,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> OutboxMessage | None:
    """Queue one email in the caller's transaction; Celery delivers it after commit (or at `due_at`).

    Returns None when the same (recipient, kind, subject, occurrence) is already queued or
    sent: a retried cause never sends twice. `unique=False` gives the message an occurrence of
    its own (for emails a person may ask for again, such as a password reset link).
    """
    subject, body_text, body_html = render_email(template_prefix, context)
    return outbox_enqueue_rendered(
        recipient=recipient,
        kind=kind,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        subject_obj=subject_obj,
        occurrence=occurrence,
        user=user,
        unique=unique,
        sensitive=sensitive,
        due_at=due_at,
        headers=headers,
        attachments=attachments,
    )


def prefixed(subject: str) -> str:
    prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
    return f"{prefix}{subject}" if prefix and not subject.startswith(prefix) else subject


def outbox_enqueue_rendered(
    *,
    recipient: str,
    kind: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    subject_obj: models.Model | None = None,
    occurrence: str = "",
    user=None,
    unique: bool = True,
    sensitive: bool = False,
    due_at=None,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> OutboxMessage | None:
    """Queue an email whose subject and bodies are already written (see `outbox_enqueue`)."""
    if not unique:
        occurrence = uuid.uuid4().hex
    elif subject_obj is None and not occurrence:
        raise ValueError("A message queued once needs the object it is about or an occurrence (or unique=False).")
    message = OutboxMessage(
        recipient=recipient.strip().lower(),
        user=user,
        kind=kind,
        subject_type=subject_obj._meta.label_lower if subject_obj is not None else "",
        subject_id=str(subject_obj.pk) if subject_obj is not None else "",
        occurrence=occurrence,
        subject=prefixed(subject),
        body_text=body_text,
        body_html=body_html,
        sensitive=sensitive,
        due_at=due_at or timezone.now(),
        headers=headers or {},
        attachments=attachments or [],
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    _deliver_after_commit()
    return message


def outbox_enqueue_many(messages: list[OutboxMessage]) -> None:
    """Queue many emails of one kind about one subject and occurrence (a fan-out), subjects and
    bodies written, in one query whatever their number: those already queued or sent are left
    alone (the unique key), so a fan-out run twice queues each email once."""
    if not messages:
        return
    first = messages[0]
    key = {
        "kind": first.kind,
        "subject_type": first.subject_type,
        "subject_id": first.subject_id,
        "occurrence": first.occurrence,
    }
    for message in messages:
        if any(getattr(message, field) != value for field, value in key.items()):
            raise ValueError("outbox_enqueue_many queues messages of one kind, subject and occurrence.")
        message.recipient = message.recipient.strip().lower()
        message.subject = prefixed(message.subject)
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    _deliver_after_commit(count=len(messages))


# Publishing a delivery run is only a hurry-up: beat sends whatever is due every minute. So a
# broker that is down must not hold up the change: one retry, at once (it renews a pooled
# connection that Redis closed), instead of Celery's default of three with pauses.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0}


class _Waiting(threading.local):
    """This thread's after-commit callbacks that have not run yet, in the order they were registered."""

    def __init__(self) -> None:
        self.callbacks: list[_DeliverSoon] = []


_waiting = _Waiting()


class _DeliverSoon:
    """The after-commit callback of one enqueue (`transaction.on_commit`, Django's public API).

    A change that queues a thousand emails registers a thousand of these, but publishes one
    delivery run (for a large fan-out one per batch, up to SECPORTAL_OUTBOX_PARALLEL_RUNS, so that
    every worker process helps: the runs share the rows through SKIP LOCKED). Django runs the
    callbacks of a commit one after another in the order they were registered, so the first of them
    to run publishes for itself and every callback after it, and the rest find nothing to do. Those
    registered before it never ran: their transaction or savepoint rolled back, so they are
    forgotten, and a rolled-back change adds nothing to the next one. (A callback after it whose
    savepoint rolled back is counted: at worst one more run, which finds nothing and ends at once.)
    What this buys: a change that notifies 50 people with the broker down waits for one failed
    publish, not 50 (test_outbox_faults.py pins both the count of runs and the time)."""

    __slots__ = ("messages",)

    def __init__(self, messages: int) -> None:
        self.messages = messages

    def __call__(self) -> None:
        from .tasks import outbox_deliver_due

        waiting = _waiting.callbacks
        index = next((i for i, callback in enumerate(waiting) if callback is self), None)
        if index is None:
            return  # an earlier callback of the same commit published the runs
        messages = sum(callback.messages for callback in waiting[index:])
        waiting.clear()
        batches = -(-messages // settings.SECPORTAL_OUTBOX_BATCH_SIZE)
        for _ in range(max(1, min(batches, settings.SECPORTAL_OUTBOX_PARALLEL_RUNS))):
            outbox_deliver_due.apply_async(retry_policy=PUBLISH_RETRY_POLICY)

    def __repr__(self) -> str:
        return f"outbox delivery run ({self.messages} queued)"


def _deliver_after_commit(count: int = 1) -> None:
    """After commit, publish the delivery runs that send what the transaction queued (and whatever
    else is due), each over one SMTP connection per batch. robust: a broker that is down must not
    undo or fail the change; beat sends it."""
    callback = _DeliverSoon(count)
    _waiting.callbacks.append(callback)
    transaction.on_commit(callback, robust=True)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 240))


# Refusals that no retry will cure (the address or the message is wrong); anything else
# (server down, timeout, 4xx) is retried, however long the outage lasts.
_PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, _PERMANENT):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


# A message the outbox cannot write: no retry will cure it. Django and the email package raise
# ValueError for a header with a line break, TypeError for a header that is not text, and
# MessageError when a header would be written wrongly; Django's validate_email refuses an address.
_UNWRITABLE = (ValueError, TypeError, ValidationError, email.errors.MessageError)


def _one_line(value) -> str:
    """The value if it is one line of text. Django and the email package refuse a line break inside
    a header value, but not one at its end (they send it as an encoded "=0A")."""
    if not isinstance(value, str) or len(f"{value}x".splitlines()) != 1:
        raise ValueError(f"A header value must be one line of text, not {value!r}.")
    return value


# RFC 5322's field name: printable ASCII but the colon. The email package writes any name it is
# given, and Django lets extra headers replace From, To, Cc and Reply-To: a stored header could
# change whom an email seems to come from or go to. The outbox adds only headers of its own.
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_WRITTEN_BY_DJANGO = {
    "subject",
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
}
_LONGEST_LINE = 998  # RFC 5322


class UnfoldedHeader(str):
    """An ASCII header value written on one line as it is (RFC 5322 allows lines of 998
    characters), through the email package's documented protocol for header objects (a `name`
    and a `fold` method). Without it the email package folds a value longer than 78 characters into
    RFC 2047 encoded words, and a List-Unsubscribe URL written so is no longer a URL to a mail
    client: one-click unsubscribe stops working. test_outbox.py pins the header as it reaches an
    SMTP server."""

    name: str

    @classmethod
    def of(cls, name: str, value: str) -> "UnfoldedHeader":
        header = cls(value)
        header.name = name
        return header

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def _extra_headers(headers: dict) -> dict:
    """The message's own headers (List-Unsubscribe), checked: see _FIELD_NAME and _one_line."""
    checked = {}
    for name, stored in headers.items():
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name) or name.lower() in _WRITTEN_BY_DJANGO:
            raise ValueError(f"Not a header the outbox adds: {name!r}")
        value = _one_line(stored)
        if value.isascii():
            if len(name) + 2 + len(value) > _LONGEST_LINE:
                raise ValueError(f"The {name} header is longer than a line may be.")
            value = UnfoldedHeader.of(name, value)
        checked[name] = value
    return checked


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    """The message as Django's email, which the mailer writes (in the SMTP backend, the domains
    of the addresses in IDNA, bodies with long lines in quoted-printable) and sends. Raises one of
    _UNWRITABLE if it cannot be written; Django's own checks run when it is sent."""
    validate_email(message.recipient)  # one line, an ASCII local part (SMTP carries no other)
    return EmailMultiAlternatives(
        subject=_one_line(message.subject),
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={**_extra_headers(message.headers), "Message-ID": f"<outbox-{message.pk}@secportal>"},
        alternatives=[(message.body_html, "text/html")] if message.body_html else None,
        attachments=[(a["name"], a["content"], a["type"]) for a in message.attachments],
    )


def _send(outgoing: EmailMultiAlternatives, connection) -> None:
    """Send one email over the batch's open connection with the mailer's `send_messages`, which
    raises on the first failure: one message per call gives each message its own outcome. A
    connection the server dropped is closed, so that the next message opens a new one."""
    if connection is None:
        connection = mailers["default"]  # opened for this one message, and closed after it
    else:
        connection.open()  # does nothing while the batch's connection is open
    try:
        sent = connection.send_messages([outgoing])
    except (OSError, smtplib.SMTPServerDisconnected):
        with contextlib.suppress(Exception):
            connection.close()
        raise
    if sent != 1:
        raise smtplib.SMTPException("The mailer sent nothing.")


def _withheld_reason(message: OutboxMessage) -> str:
    """Access is checked again when sending: a person who can no longer see what a message is
    about (a paper, a committee's meeting, a cancelled registration), or whose account is closed,
    does not get it; a digest is written again without what they may no longer see."""
    from .notifications import DIGEST_KINDS, digest_recheck

    is_notification = message.kind in DIGEST_KINDS or notification_kinds.has(message.kind)
    if message.user_id is None or not (is_notification or notification_access.has_check(message.subject_type)):
        return ""  # no person, or a transactional email (a confirmation, a sign-in link): nothing to check
    user = message.user
    if is_notification and not user.is_active:
        return "Withheld: the recipient's account is closed."
    if message.kind in DIGEST_KINDS:
        return digest_recheck(message)
    if not notification_access.has_check(message.subject_type):
        return ""
    if notification_access.visible(user, message.subject_type, [message.subject_id]):
        return ""
    return "Withheld: the recipient may no longer see what this message is about."


# A personal link (password reset, set-password, invitation, email verification) is kept only while
# its email waits to be sent: once the email is sent, has failed or is withheld, its bodies go.
ERASED_BODY = "(Erased: this email carried a personal link, which is not kept once the email is sent or has failed.)"


def _erase_if_personal(message: OutboxMessage, update_fields: list[str]) -> list[str]:
    """Erase a personal message's bodies as it leaves the queue; the fields to save."""
    if not message.sensitive:
        return update_fields
    message.body_text, message.body_html = ERASED_BODY, ""
    return [*update_fields, "body_text", "body_html"]


def outbox_deliver(*, message_id: int, connection=None) -> OutboxMessage | None:
    """Send one message if it is due, at most once (see `_deliver`). `connection` is an open
    mailer a delivery run shares between the messages of a batch; without one the default mailer
    opens its own. Returns None when there was nothing to send (already sent, not yet due, or being
    sent by another worker)."""
    message = OutboxMessage.objects.due().filter(pk=message_id).first()
    return None if message is None else _deliver(message, connection)


def _store(message: OutboxMessage, fields: list[str]) -> None:
    """Write these fields of the message: one UPDATE (a model's save() costs more, for nothing here)."""
    OutboxMessage.objects.filter(pk=message.pk).update(**{field: getattr(message, field) for field in fields})


def _deliver(message: OutboxMessage, connection) -> OutboxMessage | None:
    """Send a message read while it was due, at most once: its row is locked while it is sent
    (other workers skip it: SKIP LOCKED) and marked sent in the same transaction.

    The lock asks only whether the row is still queued and due, and the message is sent as it was
    read. Only a delivery changes a queued message, and a delivery that ran in between sent it,
    failed it or put it off, which the lock's conditions see. What this buys: a delivery run reads
    its batch in one query and each message costs two short statements, not a full read and a
    save: measured in one process over 1,000 messages, the ORM's share fell from ~2.3 to ~1.5 ms
    of CPU and the whole message from ~5.7 to ~4.3 ms (docs/decisions.md, the outbox)."""
    with transaction.atomic():
        if not OutboxMessage.objects.due().select_for_update(skip_locked=True).filter(pk=message.pk).exists():
            return None
        reason = _withheld_reason(message)
        if reason:
            message.status = OutboxMessage.Status.WITHHELD
            message.last_error = reason
            _store(message, _erase_if_personal(message, ["status", "last_error"]))
            return message
        message.attempts += 1
        try:
            _send(_email(message), connection)
        except _UNWRITABLE as exc:
            # The message itself is wrong (a header that is not one line, an address SMTP cannot
            # carry): no retry will cure it.
            message.status = OutboxMessage.Status.FAILED
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            _store(message, _erase_if_personal(message, ["attempts", "last_error", "status"]))
            return message
        except Exception as exc:  # noqa: BLE001 (any transport error is recorded and retried)
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            fields = ["attempts", "last_error", "status", "due_at"]
            if _is_permanent(exc) and message.attempts >= settings.SECPORTAL_OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                fields = _erase_if_personal(message, fields)
            else:
                message.due_at = timezone.now() + _retry_delay(message.attempts)
            _store(message, fields)
            return message
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        _store(message, _erase_if_personal(message, ["attempts", "last_error", "status", "sent_at"]))
        return message


@dataclass(frozen=True)
class Requeued:
    """What "send again" did: failed messages queued again, and failed personal messages refused
    (their link was erased when they failed: the person asks for a new one)."""

    queued: int
    link_not_kept: int

    def summary(self) -> str:
        said = []
        if self.queued:
            said.append(f"{self.queued} failed message{'s' if self.queued != 1 else ''} queued to be sent again.")
        if self.link_not_kept:
            n = self.link_not_kept
            said.append(
                f"{n} not sent again: {'it' if n == 1 else 'each'} carried a personal link (a password reset, "
                "set-password, invitation or verification link), which is not kept once an email fails. "
                "Ask the person to request a new one."
            )
        return " ".join(said) or "Nothing to send again: only failed messages can be sent again."

    @property
    def level(self) -> int:
        """How the summary is shown (a level of django.contrib.messages)."""
        return messages.WARNING if self.link_not_kept else messages.SUCCESS if self.queued else messages.INFO


@transaction.atomic
def outbox_requeue(*, message_ids: list[int]) -> Requeued:
    """Send failed messages again (SECAS, after fixing the cause). A failed personal message cannot
    be: its body was erased when it failed."""
    failed = OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxMessage.Status.FAILED)
    count = failed.filter(sensitive=False).update(
        status=OutboxMessage.Status.QUEUED, due_at=timezone.now(), last_error=""
    )
    if count:
        from .tasks import outbox_deliver_due

        transaction.on_commit(outbox_deliver_due.delay, robust=True)
    return Requeued(queued=count, link_not_kept=failed.filter(sensitive=True).count())


def outbox_deliver_due(*, limit: int | None = None, seconds: float = 50.0) -> int:
    """Send what is due, oldest first, batch after batch (each over one SMTP connection) until
    nothing is due or `seconds` have passed; returns how many were sent. Rows are locked one by one
    with SKIP LOCKED, so runs in several workers (or two beats) share the work and never send a
    message twice."""
    limit = limit or settings.SECPORTAL_OUTBOX_BATCH_SIZE
    deadline = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < deadline:
        batch = list(OutboxMessage.objects.due().order_by("due_at", "id")[:limit])
        if not batch:
            break
        connection = mailers["default"]  # opened by the first message, shared by the batch
        progressed = False
        try:
            for due in batch:
                message = _deliver(due, connection)
                if message is not None:
                    progressed = True
                    sent += message.status == OutboxMessage.Status.SENT
        finally:
            with contextlib.suppress(Exception):  # closing a connection the server dropped is no error
                connection.close()
        if not progressed:
            break  # another worker holds these rows
    return sent
