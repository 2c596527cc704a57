"""The Celery wiring, end to end: a real worker, the real Redis broker, a real SMTP server."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from secportal.celery import app as celery_app
from secportal.models import OutboxMessage
from secportal.services import outbox_enqueue_rendered
from secportal.tasks import outbox_deliver, ping

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def worker(redis_url, smtp_server):
    """A Celery worker in its own process, on a queue of its own, using the test database."""
    _, smtp_port = smtp_server
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "secportal", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    old_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = old_eager
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-4000:])  # shown when a test fails


def test_a_real_worker_answers_through_redis(worker):
    if "postgresql" not in connection.settings_dict["ENGINE"]:
        pytest.skip("the worker process shares the test database only on PostgreSQL")
    result = ping.apply_async(args=["wiring"], queue=worker)
    assert result.get(timeout=60) == "pong:wiring"


def test_a_real_worker_delivers_an_outbox_message_to_smtp(worker, smtp_server, party_factory):
    if "postgresql" not in connection.settings_dict["ENGINE"]:
        pytest.skip("the worker process shares the test database only on PostgreSQL")
    inbox, _ = smtp_server
    party = party_factory()
    message = outbox_enqueue_rendered(
        recipient="rosa@example.org", kind="test.worker", subject="Through the worker", body_text="Hello from Celery",
        subject_obj=party,
    )  # fmt: skip
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
    ping.apply_async(args=["after"], queue=worker).get(timeout=30)  # the queue is drained in order
    assert len(inbox.messages) == 1
