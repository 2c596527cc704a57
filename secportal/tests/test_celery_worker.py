"""The Celery wiring, end to end: a real worker, the real Redis broker, a real SMTP server."""

import time

import pytest
from django.db import connection

from secportal.models import OutboxMessage
from secportal.services import outbox_enqueue_rendered
from secportal.tasks import outbox_deliver, ping

# Fixtures (smtp_server, worker) in secportal/tests/conftest.py.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_answers_through_redis(worker):
    if "postgresql" not in connection.settings_dict["ENGINE"]:
        pytest.skip("the worker process shares the test database only on PostgreSQL")
    result = ping.apply_async(args=["wiring"], queue=worker)
    assert result.get(timeout=60, disable_sync_subtasks=False) == "pong:wiring"


def test_a_real_worker_delivers_an_outbox_message_to_smtp(worker, smtp_server, party_factory):
    if "postgresql" not in connection.settings_dict["ENGINE"]:
        pytest.skip("the worker process shares the test database only on PostgreSQL")
    inbox = smtp_server.inbox
    party = party_factory()
    message = outbox_enqueue_rendered(
        recipient="rosa@example.org",
        kind="test.worker",
        subject="Through the worker",
        body_text="Hello from Celery",
        subject_obj=party,
    )
    outbox_deliver.apply_async(args=[message.pk], queue=worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not inbox.messages:
        time.sleep(0.2)
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["rosa@example.org"]
    assert b"Hello from Celery" in content
    message.refresh_from_db()
    deadline = time.monotonic() + 10
    while message.status != OutboxMessage.Status.SENT and time.monotonic() < deadline:
        time.sleep(0.1)
        message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    # Asked again, the worker sends nothing more.
    outbox_deliver.apply_async(args=[message.pk], queue=worker)
    ping.apply_async(args=["after"], queue=worker).get(
        timeout=30, disable_sync_subtasks=False
    )  # the queue is drained in order
    assert len(inbox.messages) == 1
