"""The outbox: written with the change, delivered once, retried on failure, never lost."""

from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.db import transaction
from django.utils import timezone

from parties.models import Party
from secportal.celery import app as celery_app
from secportal.models import OutboxMessage
from secportal.services import (
    ERASED_BODY,
    outbox_deliver,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_enqueue_rendered,
    outbox_requeue,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject(party_factory) -> Party:
    return party_factory(name="Outbox Energy Ltd")


def enqueue(subject, **kw):
    return outbox_enqueue_rendered(
        recipient=kw.pop("recipient", "someone@example.org"),
        kind=kw.pop("kind", "test.kind"),
        subject="Hello",
        body_text="Plain body",
        body_html="<p>HTML body</p>",
        subject_obj=subject,
        **kw,
    )


def test_the_same_message_is_queued_once(subject):
    first = enqueue(subject)
    second = enqueue(subject, recipient="SOMEONE@example.org")
    assert first is not None and second is None
    assert OutboxMessage.objects.count() == 1
    # A different kind, occurrence or recipient is a different message.
    assert enqueue(subject, kind="other.kind") is not None
    assert enqueue(subject, occurrence="2026-12-01") is not None
    assert enqueue(subject, recipient="else@example.org") is not None


def test_messages_that_may_repeat_get_an_occurrence_of_their_own(subject):
    assert enqueue(subject, unique=False) is not None
    assert enqueue(subject, unique=False) is not None
    assert OutboxMessage.objects.count() == 2


def test_a_message_is_delivered_after_commit_and_only_once(subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue(subject)
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.sent_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.subject, sent.to, sent.body) == ("[SEC Portal] Hello", ["someone@example.org"], "Plain body")
    assert sent.alternatives[0][1] == "text/html"
    assert sent.extra_headers["Message-ID"] == f"<outbox-{message.pk}@secportal>"
    # Running the delivery again (a retried task, a second beat) sends nothing more.
    assert outbox_deliver(message_id=message.pk) is None
    assert outbox_deliver_due() == 0
    assert len(mail.outbox) == 1


@pytest.fixture
def delivery_runs() -> list[str]:
    """The ids of the delivery runs that start (tasks are eager here: a run published runs at once)."""
    started: list[str] = []

    def started_run(sender=None, task_id=None, **kwargs) -> None:
        if sender.name == "secportal.tasks.outbox_deliver_due":
            started.append(task_id)

    task_prerun.connect(started_run, weak=False)
    yield started
    task_prerun.disconnect(started_run)


def test_a_change_that_queues_many_messages_publishes_one_delivery_run(
    subject, django_capture_on_commit_callbacks, delivery_runs
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(3):
            enqueue(subject, recipient=f"person{i}@example.org")
    assert len(delivery_runs) == 1
    assert len(mail.outbox) == 3


def test_a_large_fan_out_publishes_one_run_per_batch_up_to_the_limit(
    subject, settings, django_capture_on_commit_callbacks, delivery_runs
):
    settings.SECPORTAL_OUTBOX_BATCH_SIZE = 2
    settings.SECPORTAL_OUTBOX_PARALLEL_RUNS = 4
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(5):  # three batches
            enqueue(subject, recipient=f"person{i}@example.org")
    assert len(delivery_runs) == 3
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(5, 25):  # ten batches: at most four runs
            enqueue(subject, recipient=f"person{i}@example.org")
    assert len(delivery_runs) == 3 + 4
    assert len(mail.outbox) == 25  # each sent once: the runs share the rows


def test_the_delivery_run_survives_a_rolled_back_savepoint(subject, django_capture_on_commit_callbacks, delivery_runs):
    """The first message's publish goes with its savepoint; the second message still gets one."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(subject, recipient="undone@example.org")
            raise RuntimeError("this part of the change failed")
        enqueue(subject, recipient="kept@example.org")
    assert len(callbacks) == 1 and len(delivery_runs) == 1
    assert [sent.to for sent in mail.outbox] == [["kept@example.org"]]


def test_a_change_that_rolled_back_adds_nothing_to_the_next_one(
    subject, settings, django_capture_on_commit_callbacks, delivery_runs
):
    """Its callbacks never run; the next change publishes for its own messages only."""
    settings.SECPORTAL_OUTBOX_BATCH_SIZE = 2
    with pytest.raises(RuntimeError), transaction.atomic():
        for i in range(10):
            enqueue(subject, recipient=f"undone{i}@example.org")
        raise RuntimeError("the change failed")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue(subject, recipient="kept@example.org")
    assert len(delivery_runs) == 1
    assert [sent.to for sent in mail.outbox] == [["kept@example.org"]]


def test_nothing_is_queued_when_the_change_rolls_back(subject):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(subject)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


def test_templates_render_text_and_html(subject):
    message = outbox_enqueue(
        recipient="rosa@example.org",
        kind="account_request.to_decide",
        template_prefix="emails/notifications/notification",
        context={
            "notification": {"title": "Account request to decide: Rosa O'Brien (Fenland & Co)", "url": "/x/"},
            "recipient": {"get_short_name": "Sam"},
            "kind": {"label": "An account request to decide (SECAS)"},
            "unsubscribe_url": "https://portal.example/unsubscribe/",
        },
        subject_obj=subject,
    )
    assert message.subject == "[SEC Portal] Account request to decide: Rosa O'Brien (Fenland & Co)"
    assert "Rosa O'Brien" in message.body_text and "Fenland & Co" in message.body_text  # not HTML-escaped
    assert "Rosa O&#x27;Brien" in message.body_html and "Fenland &amp; Co" in message.body_html


def failing_send(exc):
    def send(self, *args, **kwargs):
        raise exc

    return send


def test_an_smtp_outage_is_retried_with_backoff_for_as_long_as_it_lasts(subject, settings, monkeypatch):
    settings.SECPORTAL_OUTBOX_MAX_ATTEMPTS = 3
    message = enqueue(subject)
    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        failing_send(ConnectionRefusedError("SMTP server is down")),
    )
    before = timezone.now()
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED
    assert message.attempts == 1 and "SMTP server is down" in message.last_error
    assert message.due_at >= before + timedelta(minutes=2)
    assert outbox_deliver_due() == 0  # not due yet
    for _ in range(10):  # far more than the attempts a refused address gets
        OutboxMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED and message.attempts == 11
    assert message.due_at <= timezone.now() + timedelta(minutes=241)  # backoff is capped
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    assert outbox_deliver_due() == 1
    assert len(mail.outbox) == 1


def test_a_refused_address_is_marked_failed_and_can_be_sent_again(subject, settings, monkeypatch):
    import smtplib

    settings.SECPORTAL_OUTBOX_MAX_ATTEMPTS = 2
    message = enqueue(subject)
    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        failing_send(smtplib.SMTPRecipientsRefused({"someone@example.org": (550, b"No such user")})),
    )
    for _ in range(2):
        OutboxMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 2
    assert "SMTPRecipientsRefused" in message.last_error
    monkeypatch.undo()
    assert outbox_deliver_due() == 0
    assert outbox_requeue(message_ids=[message.pk]).queued == 1
    assert outbox_deliver_due() == 1
    assert len(mail.outbox) == 1


def test_personal_links_are_erased_once_sent(subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(subject, sensitive=True)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert mail.outbox[0].body == "Plain body"
    assert message.body_text == ERASED_BODY and message.body_html == ""


def test_a_once_only_message_needs_what_it_is_about():
    with pytest.raises(ValueError, match="needs the object"):
        outbox_enqueue_rendered(recipient="a@example.org", kind="k", subject="s", body_text="b")


def test_when_smtp_returns_the_queued_message_is_sent(subject, monkeypatch):
    message = enqueue(subject)
    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", failing_send(OSError("down")))
    outbox_deliver(message_id=message.pk)
    monkeypatch.undo()
    OutboxMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    assert outbox_deliver_due() == 1
    assert len(mail.outbox) == 1


def test_a_broker_that_is_down_does_not_undo_the_change(subject, django_capture_on_commit_callbacks):
    """Redis down: the change and its message are saved; beat sends it when the broker is back."""
    old = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app.conf.broker_connection_max_retries = 0
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue(subject)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = old
        celery_app.conf.broker_connection_max_retries = 100
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED
    assert outbox_deliver_due() == 1
    assert len(mail.outbox) == 1


@pytest.fixture
def smtp(smtp_server, settings):
    """The outbox sends through Django's SMTP backend to a real SMTP server (aiosmtpd)."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 10},
        }
    }
    return smtp_server.inbox


def test_the_email_as_sent_keeps_non_ascii_text_attachments_and_long_headers_intact(subject, smtp, settings):
    import email as email_lib
    import email.policy

    settings.DEFAULT_FROM_EMAIL = "Équipe SECAS <noreply@secportal.example>"
    url = "<https://portal.example/notifications/unsubscribe/" + "x" * 120 + "/>"
    message = enqueue(
        subject,
        recipient="rosa@example.org",
        headers={"List-Unsubscribe": url, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        attachments=[
            {
                "name": "meeting.ics",
                "type": "text/calendar; charset=utf-8",
                "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            }
        ],
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        subject="Cancelled: Café séance \u2013 7 December",
        body_text="Désolé: the meeting on Monday is cancelled.",
        body_html="<p>Désolé</p>",
    )
    assert outbox_deliver_due() == 1
    [(recipients, raw)] = smtp.messages
    assert recipients == ["rosa@example.org"]
    # Headers in ASCII (bodies are Django's: UTF-8 text as 8bit, quoted-printable when a line is long).
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"\n" not in head.replace(b"\r\n", b"")
    # One line, as written: a one-click unsubscribe URL folded into encoded words is no URL.
    assert f"\r\nList-Unsubscribe: {url}\r\n".encode() in head
    parsed = email_lib.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Cancelled: Café séance \u2013 7 December"
    assert parsed["From"].addresses[0].display_name == "Équipe SECAS"
    assert parsed["Message-ID"] == f"<outbox-{message.pk}@secportal>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_body(("plain",)).get_content().strip() == "Désolé: the meeting on Monday is cancelled."
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Désolé</p>"
    [ics] = list(parsed.iter_attachments())
    assert ics.get_filename() == "meeting.ics" and ics.get_content_type() == "text/calendar"
    assert ics.get_content().split() == ["BEGIN:VCALENDAR", "END:VCALENDAR"]


@pytest.mark.parametrize(
    "bad",
    [
        {"subject": "Hello\r\nBcc: everyone@example.org"},
        {"subject": "Hello\x0bBcc: everyone@example.org"},
        {"subject": "Hello\u2028Bcc: everyone@example.org"},
        {"subject": "Hello\n"},
        {"recipient": "rosa@example.org\nBcc: x@example.org"},
        {"recipient": "rösa@example.org"},
        {"headers": {"X-Test": 5}},
        {"headers": {"List-Unsubscribe": "<https://x.example/>\r\nBcc: everyone@example.org"}},
        {"headers": {"List-Unsubscribe": "<https://x.example/é>\nBcc: everyone@example.org"}},
        {"headers": {"List-Unsubscribe": "<https://x.example/" + "x" * 990 + ">"}},
        {"headers": {"Bad Name:": "value"}},
        {"headers": {"To": "someone.else@example.org"}},
    ],
)
def test_a_message_that_cannot_be_sent_fails_at_once_instead_of_retrying(subject, bad):
    message = enqueue(subject, recipient="rosa@example.org")
    OutboxMessage.objects.filter(pk=message.pk).update(**bad)
    outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 1 and message.last_error
    assert mail.outbox == []


def test_international_domains_and_long_lines_are_sent_as_the_wire_requires(subject, smtp):
    import email as email_lib
    import email.policy

    long_line = "word " * 400  # one 2,000-character line: must not go out as raw 7bit
    message = enqueue(subject, recipient="rosa@bücher.example")
    OutboxMessage.objects.filter(pk=message.pk).update(subject="Über", body_text=long_line, body_html="")
    assert outbox_deliver_due() == 1
    [(recipients, raw)] = smtp.messages
    assert recipients == ["rosa@xn--bcher-kva.example"]  # the envelope's domain in IDNA
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"Subject: =?utf-8?" in raw and b"To: rosa@xn--bcher-kva.example\r\n" in raw
    parsed = email_lib.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Über" and parsed.get_content().splitlines() == [long_line]
