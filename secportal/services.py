"""Writes of the shared layer: the notification outbox."""

import email.errors
import email.policy
import re
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

from django.conf import settings
from django.contrib import messages
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import IntegrityError, models, transaction
from django.db import connection as db_connection
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import punycode

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


class _DeliverSoon:
    """The after-commit callback that publishes delivery runs: one, or for a large fan-out one per
    batch up to SECPORTAL_OUTBOX_PARALLEL_RUNS, so that every worker process helps (the runs share
    the rows through SKIP LOCKED; a run that finds nothing left ends at once)."""

    def __init__(self) -> None:
        self.done = False
        self.messages = 0

    def __call__(self) -> None:
        from .tasks import outbox_deliver_due

        self.done = True
        batches = -(-self.messages // settings.SECPORTAL_OUTBOX_BATCH_SIZE)
        for _ in range(max(1, min(batches, settings.SECPORTAL_OUTBOX_PARALLEL_RUNS))):
            outbox_deliver_due.apply_async(retry_policy=PUBLISH_RETRY_POLICY)

    def __repr__(self) -> str:
        return "outbox delivery run"


def _deliver_after_commit(count: int = 1) -> None:
    """After commit, publish one delivery run, which sends every message the transaction queued
    (and whatever else is due) over one SMTP connection per batch: a change that notifies a
    thousand people publishes one task, not a thousand (each of which would wait for a broker that
    is down). robust: a broker that is down must not undo or fail the change; beat sends it."""
    # Django keeps the transaction's callbacks in `run_on_commit`, each with the savepoints open
    # when it was registered. One still to run, registered under the same open savepoints, is
    # dropped only when this message is. (Same, not enclosing: pytest-django's transactions never
    # commit, and a test expects the callbacks it captures to send what it queued inside them.)
    connection = transaction.get_connection()
    here = set(connection.savepoint_ids)
    for savepoints, func, _robust in connection.run_on_commit:
        if isinstance(func, _DeliverSoon) and not func.done and savepoints == here:
            func.messages += count
            return
    callback = _DeliverSoon()
    callback.messages = count
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


_HEADER_NAME = re.compile(r"[!-9;-~]+")
_BUILT = {"subject", "from", "to", "date", "content-type", "mime-version", "content-transfer-encoding"}


def _one_line(value) -> str:
    """The value if it is one line of text: no line break of any kind (the classic MIME classes
    would fold one into a header of its own)."""
    if not isinstance(value, str) or len(f"{value}x".splitlines()) != 1:
        raise ValueError(f"A header value must be one line of text, not {value!r}.")
    return value


def _header(value) -> str:
    """One header value, non-ASCII text as RFC 2047 encoded words of at most 75 characters."""
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode(maxlinelen=76)


def _mailbox(value: str) -> tuple[str, str]:
    """(display name, address), the domain in ASCII (IDNA) as SMTP needs it."""
    name, addr = parseaddr(_one_line(value))
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or not local.isascii():
        raise ValueError(f"Not an address the outbox can send to: {value!r}")
    return name, f"{local}@{punycode(domain)}"


def _address(value: str) -> str:
    """One mailbox for a header: the display name encoded when it is not ASCII."""
    name, addr = _mailbox(value)
    if name and not name.isascii():
        name = Header(name, "utf-8").encode()
    return formataddr((name, addr))


# UTF-8 text, and text with lines too long for the wire, in quoted-printable (readable in the raw
# message); short-lined ASCII as it is.
_UTF8 = Charset("utf-8")
_UTF8.body_encoding = QP
_LONGEST_7BIT_LINE = 900


def _part(content: str, mimetype: str) -> MIMEText:
    subtype = mimetype.partition(";")[0].strip().partition("/")[2] or "plain"
    plain = content.isascii() and all(len(line) <= _LONGEST_7BIT_LINE for line in content.splitlines())
    return MIMEText(content, subtype, "us-ascii" if plain else _UTF8)


class OutboxEmail(EmailMultiAlternatives):
    """An outbox email, written with the standard library's classic MIME classes: several times
    cheaper than the header parsing of the modern email API, which dominated the cost of a fan-out.
    Every header is checked to be one line (so nothing can add a header of its own), addresses
    get their domains in IDNA, and ASCII header lines may be as long as RFC 5322 allows, so a long
    List-Unsubscribe URL stays a plain link."""

    def message(self, *, policy=None):
        body = _part(self.body, "text/plain")
        if self.alternatives:
            body_part = MIMEMultipart("alternative")
            body_part.attach(body)
            for alternative in self.alternatives:
                body_part.attach(_part(alternative[0], alternative[1]))
        else:
            body_part = body
        if self.attachments:
            msg = MIMEMultipart("mixed")
            msg.attach(body_part)
            for name, content, mimetype in self.attachments:
                part = _part(content, mimetype)
                part.add_header("Content-Disposition", "attachment", filename=_header(name))
                msg.attach(part)
        else:
            msg = body_part
        msg["Subject"] = _header(self.subject)
        msg["From"] = _address(self.from_email)
        msg["To"] = ", ".join(_address(to) for to in self.to)
        msg["Date"] = formatdate(localtime=False)
        for name, value in self.extra_headers.items():
            if not _HEADER_NAME.fullmatch(name) or name.lower() in _BUILT:
                raise ValueError(f"Not a header the outbox adds: {name!r}")
            msg[name] = _header(value)
        msg.policy = _WIRE  # as sent: CRLF line ends, long header lines kept whole
        return msg

    def envelope(self) -> tuple[str, list[str]]:
        return _mailbox(self.from_email)[1], [_mailbox(to)[1] for to in self.to]

    def raw(self) -> bytes:
        return self.message().as_bytes()


# On the wire: CRLF line ends, header lines up to RFC 5322's 998 characters.
_WIRE = email.policy.compat32.clone(linesep="\r\n", max_line_length=998)


def _send(message: "OutboxEmail", envelope: tuple[str, list[str]], raw: bytes, connection) -> None:
    """Over an open SMTP connection, the bytes built once straight to smtplib (the backend would
    build and parse them again); otherwise (tests: the in-memory backend) through Django's backend."""
    smtp = getattr(connection, "connection", None)
    if isinstance(connection, SmtpBackend) and smtp is not None:
        smtp.sendmail(envelope[0], envelope[1], raw)
    elif connection is not None:
        connection.send_messages([message])
    else:
        message.send()


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


# The two statements every delivery runs, written once: compiling them through the ORM for each
# message cost more than running them (make bench's fan-out).
_TABLE = OutboxMessage._meta.db_table
_COLUMNS = ", ".join(f'"{field.column}"' for field in OutboxMessage._meta.concrete_fields)
# Only the model's own table and column names go into the text; every value is a parameter.
_LOCK_DUE_SQL = (
    f'SELECT {_COLUMNS} FROM "{_TABLE}" WHERE "id" = %s AND "status" = %s AND "due_at" <= %s '  # noqa: S608
    "FOR UPDATE SKIP LOCKED"
)
_MARK_SENT_SQL = (
    f'UPDATE "{_TABLE}" SET "attempts" = %s, "last_error" = %s, "status" = %s, "sent_at" = %s '  # noqa: S608
    'WHERE "id" = %s'
)


def _lock_due(message_id: int) -> OutboxMessage | None:
    """The message, locked (other workers skip it), if it is still queued and due."""
    if db_connection.vendor != "postgresql":  # SQLite (the demo) has one writer and no row locks
        return OutboxMessage.objects.due().filter(pk=message_id).first()
    found = list(OutboxMessage.objects.raw(_LOCK_DUE_SQL, [message_id, OutboxMessage.Status.QUEUED, timezone.now()]))
    return found[0] if found else None


def _mark_sent(message: OutboxMessage) -> None:
    if db_connection.vendor != "postgresql":
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return
    with db_connection.cursor() as cursor:
        cursor.execute(_MARK_SENT_SQL, [message.attempts, "", message.status, message.sent_at, message.pk])


def outbox_deliver(*, message_id: int, connection=None) -> OutboxMessage | None:
    """Send one due message, at most once: the row is locked while it is sent and marked sent
    in the same transaction, so a second worker skips it. Returns None when there was nothing
    to send (already sent, not yet due, or being sent by another worker)."""
    with transaction.atomic():
        message = _lock_due(message_id)
        if message is None:
            return None
        reason = _withheld_reason(message)
        if reason:
            message.status = OutboxMessage.Status.WITHHELD
            message.last_error = reason
            message.save(update_fields=_erase_if_personal(message, ["status", "last_error"]))
            return message
        outgoing = OutboxEmail(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={**message.headers, "Message-ID": f"<outbox-{message.pk}@secportal>"},
        )
        if message.body_html:
            outgoing.attach_alternative(message.body_html, "text/html")
        for attachment in message.attachments:
            outgoing.attach(attachment["name"], attachment["content"], attachment["type"])
        message.attempts += 1
        try:
            envelope, raw = outgoing.envelope(), outgoing.raw()
        except (ValueError, TypeError, email.errors.MessageError) as exc:
            # The message itself is wrong (a header that is not one line, an address SMTP cannot
            # carry): no retry will cure it.
            message.status = OutboxMessage.Status.FAILED
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.save(update_fields=_erase_if_personal(message, ["attempts", "last_error", "status"]))
            return message
        try:
            _send(outgoing, envelope, raw, connection)
        except Exception as exc:  # noqa: BLE001 (any transport error is recorded and retried)
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            update_fields = ["attempts", "last_error", "status", "due_at"]
            if _is_permanent(exc) and message.attempts >= settings.SECPORTAL_OUTBOX_MAX_ATTEMPTS:
                message.status = OutboxMessage.Status.FAILED
                update_fields = _erase_if_personal(message, update_fields)
            else:
                message.due_at = timezone.now() + _retry_delay(message.attempts)
            message.save(update_fields=update_fields)
            return message
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        if message.sensitive:
            message.save(update_fields=_erase_if_personal(message, ["attempts", "last_error", "status", "sent_at"]))
        else:
            _mark_sent(message)
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
        ids = list(OutboxMessage.objects.due().order_by("due_at", "id").values_list("pk", flat=True)[:limit])
        if not ids:
            break
        connection = mailers["default"]
        try:
            connection.open()
        except Exception:  # noqa: BLE001 (the server is down: each message records the error and backs off)
            connection = None
        progressed = False
        try:
            for message_id in ids:
                message = outbox_deliver(message_id=message_id, connection=connection)
                if message is not None:
                    progressed = True
                    sent += message.status == OutboxMessage.Status.SENT
        finally:
            if connection is not None:
                connection.close()
        if not progressed:
            break  # another worker holds these rows
    return sent
