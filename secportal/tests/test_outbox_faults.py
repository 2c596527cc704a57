"""The notification outbox survives faults (README, "The outbox": each message is sent at most once, whatever
retries, crashes or duplicate beats happen; nothing is lost while Redis or SMTP is down).

Real PostgreSQL, real Redis servers (the tests' own, so they may be stopped), real Celery worker
and beat processes, a real aiosmtpd SMTP server. Fixtures in secportal/tests/conftest.py.
"""

import asyncio
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from secportal.models import OutboxMessage
from secportal.services import outbox_deliver_due, outbox_enqueue_rendered
from secportal.tasks import outbox_deliver_due as outbox_deliver_due_task
from secportal.tasks import ping

from .conftest import SmtpServer, free_port, wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgresql"),
]

SENT = OutboxMessage.Status.SENT
QUEUED = OutboxMessage.Status.QUEUED


def fields(i: int) -> dict:
    return {
        "recipient": f"person{i}@example.org",
        "kind": "test.faults",
        "occurrence": str(i),
        "subject": f"Message {i}",
        "body_text": f"Hello {i}",
    }


def queue_messages(count: int) -> list[int]:
    """Due messages written straight into the table: nothing is published after commit, so only
    the delivery runs the test starts (or beat sends) can deliver them."""
    messages = OutboxMessage.objects.bulk_create(OutboxMessage(**fields(i)) for i in range(count))
    return [message.pk for message in messages]


def enqueue_in_one_change(count: int, *, start: int = 0) -> list[int]:
    """A change that notifies `count` people: the outbox service in one transaction, with its
    after-commit publish running for real."""
    with transaction.atomic():
        messages = [outbox_enqueue_rendered(**fields(i)) for i in range(start, start + count)]
    return [message.pk for message in messages]


def sent_count(pks: list[int]) -> int:
    return OutboxMessage.objects.filter(pk__in=pks, status=SENT).count()


def assert_delivered_once(inbox, pks: list[int]) -> None:
    received = inbox.message_ids()
    assert {f"<outbox-{pk}@secportal>" for pk in pks} == set(received)
    assert [mid for mid, times in received.items() if times > 1] == []
    assert sum(received.values()) == len(pks)
    assert sent_count(pks) == len(pks)


def test_two_concurrent_delivery_runs_send_each_message_once(smtp_server, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 10},
        }
    }
    settings.SECPORTAL_OUTBOX_BATCH_SIZE = 10  # many small batches, so the two runs overlap throughout
    pks = queue_messages(100)
    start = threading.Barrier(2)
    sent = [0, 0]
    errors = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=10)
            sent[index] = outbox_deliver_due()
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own database connection

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    print(f"messages sent by each run: {sent}")
    assert sum(sent) == 100
    assert_delivered_once(smtp_server.inbox, pks)


def test_two_beats_and_a_worker_send_each_message_once(private_broker, smtp_server, celery_processes):
    pks = queue_messages(40)
    redis_url = private_broker.url
    celery_processes.worker(redis_url=redis_url, smtp_port=smtp_server.port)
    beats = ["beat-1", "beat-2"]
    for name in beats:
        celery_processes.beat(name, redis_url=redis_url, env={"SECPORTAL_OUTBOX_BEAT_SECONDS": "1"})

    wait_for(lambda: sent_count(pks) == len(pks), timeout=40, what="the beats' runs to send every message")

    # Both beats go on sending runs every second; each finds nothing left to send.
    def runs_sent_by(beat: str) -> int:
        return celery_processes.log(beat).count("Sending due task deliver-due-outbox-messages")

    wait_for(lambda: min(map(runs_sent_by, beats)) >= 2, timeout=20, what="two delivery runs from each beat")
    celery_processes.stop(*beats)
    # The solo worker runs tasks in order: once this answers, every run the beats sent has run.
    assert ping.apply_async(args=["drained"]).get(timeout=30, disable_sync_subtasks=False) == "pong:drained"
    assert_delivered_once(smtp_server.inbox, pks)


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(private_broker, smtp_server, celery_processes):
    pks = queue_messages(200)
    redis_url = private_broker.url
    first = celery_processes.worker("worker-1", redis_url=redis_url, smtp_port=smtp_server.port, queue="first")
    # The worker that takes over, started now to save its start-up time; it gets work only after the crash.
    celery_processes.worker("worker-2", redis_url=redis_url, smtp_port=smtp_server.port, queue="second")
    inbox = smtp_server.inbox

    async def kill_the_worker_at_the_60th_message(envelope, arrival: int) -> None:
        if arrival == 60:
            # The worker dies while waiting for the reply to DATA; the message is never accepted.
            os.kill(first.pid, signal.SIGKILL)
            await asyncio.sleep(20)  # aiosmtpd cancels this when the dead worker's connection drops

    inbox.before_accept = kill_the_worker_at_the_60th_message
    outbox_deliver_due_task.apply_async(queue="first")
    assert first.wait(timeout=40) == -signal.SIGKILL
    wait_for(lambda: inbox.cancelled == 1, timeout=10, what="aiosmtpd to cancel the 60th message")
    assert len(inbox.messages) == 59

    # PostgreSQL rolled back the dead worker's transaction: the 60th message is queued again
    # (its attempt not counted) once the dead connection's row lock is gone.
    def nothing_locked() -> bool:
        with transaction.atomic():
            free = OutboxMessage.objects.select_for_update(skip_locked=True).filter(status=QUEUED)
            return len(free) == OutboxMessage.objects.filter(status=QUEUED).count()

    wait_for(nothing_locked, timeout=20, what="PostgreSQL to release the dead worker's row lock")
    assert sent_count(pks) == 59
    assert OutboxMessage.objects.filter(pk__in=pks, status=QUEUED, attempts=0).count() == 141

    outbox_deliver_due_task.apply_async(queue="second")
    wait_for(lambda: sent_count(pks) == 200, timeout=40, what="the second worker to send the rest")
    assert_delivered_once(inbox, pks)
    assert len(inbox.messages) == 200


def test_messages_queued_while_smtp_is_down_are_sent_once_when_it_returns(private_broker, celery_processes):
    smtp = SmtpServer(port=free_port())  # not started: the SMTP server is down
    celery_processes.worker(redis_url=private_broker.url, smtp_port=smtp.port)
    pks = enqueue_in_one_change(20)  # after commit, a delivery run is published to the worker

    wait_for(
        lambda: OutboxMessage.objects.filter(pk__in=pks, attempts__gte=1).count() == 20,
        timeout=40,
        what="the worker to try every message",
    )
    now = timezone.now()
    for message in OutboxMessage.objects.filter(pk__in=pks):
        assert message.status == QUEUED
        assert "Connection refused" in message.last_error
        assert message.due_at > now  # backed off

    smtp.start()
    try:
        # Time passes: the back-off is over.
        OutboxMessage.objects.filter(pk__in=pks).update(due_at=now - timedelta(seconds=1))
        outbox_deliver_due_task.delay()
        wait_for(lambda: sent_count(pks) == 20, timeout=40, what="delivery once SMTP is back")
        assert_delivered_once(smtp.inbox, pks)
        assert set(OutboxMessage.objects.filter(pk__in=pks).values_list("last_error", flat=True)) == {""}
    finally:
        smtp.stop()


def test_a_change_made_while_redis_is_down_commits_at_once_and_is_sent_once_redis_returns(
    private_broker, smtp_server, celery_processes
):
    redis = private_broker.client()
    # A change notifying five people publishes one delivery run (not one per message).
    pks = enqueue_in_one_change(5)
    assert redis.llen("celery") == 1
    private_broker.stop()  # and its queue is lost with it (no persistence), as in a crash

    started = time.monotonic()
    pks += enqueue_in_one_change(50, start=5)  # its publish after commit fails: it must not wait for it
    elapsed = time.monotonic() - started
    print(f"a change notifying 50 people with the broker down took {elapsed:.3f} s")
    assert elapsed < 2.0, f"a change notifying 50 people took {elapsed:.1f} s with the broker down"
    assert OutboxMessage.objects.filter(pk__in=pks, status=QUEUED, attempts=0).count() == 55

    private_broker.start()  # on the same port, empty
    # The web process's publisher reconnects by itself: the next change publishes its delivery run,
    # which sends the whole backlog.
    pks += enqueue_in_one_change(5, start=55)
    assert redis.llen("celery") == 1
    celery_processes.worker(redis_url=private_broker.url, smtp_port=smtp_server.port)
    wait_for(lambda: sent_count(pks) == 60, timeout=40, what="the worker to send the backlog")
    assert_delivered_once(smtp_server.inbox, pks)


def test_a_hung_broker_holds_a_change_up_for_less_than_a_second(private_broker, smtp_server, celery_processes):
    """A Redis that accepts connections but never answers (stopped with SIGSTOP): with the
    configured socket timeout (SECPORTAL_BROKER_SOCKET_TIMEOUT, two tries) the change commits in
    under a second, and is sent once Redis answers."""
    from django.conf import settings

    from secportal.celery import app as celery_app

    from .conftest import _reset_celery_connections

    options = celery_app.conf.broker_transport_options
    timeout = settings.SECPORTAL_BROKER_SOCKET_TIMEOUT  # the setting, whatever broker the tests' settings name
    celery_app.conf.broker_transport_options = {**options, "socket_timeout": timeout, "socket_connect_timeout": timeout}
    _reset_celery_connections()
    pid = private_broker.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        pks = enqueue_in_one_change(3)
        elapsed = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
        celery_app.conf.broker_transport_options = options
        _reset_celery_connections()
    print(f"a change with the broker hung took {elapsed:.2f} s")
    assert elapsed < 1.0, f"a change waited {elapsed:.1f} s for a hung broker"
    assert OutboxMessage.objects.filter(pk__in=pks, status=QUEUED).count() == 3
    celery_processes.worker(redis_url=private_broker.url, smtp_port=smtp_server.port)
    outbox_deliver_due_task.apply_async()
    wait_for(lambda: sent_count(pks) == 3, timeout=40, what="the worker to send what the hung broker held up")
    assert_delivered_once(smtp_server.inbox, pks)


def test_a_large_fan_out_publishes_one_run_per_batch_so_every_worker_helps(private_broker, settings):
    settings.SECPORTAL_OUTBOX_BATCH_SIZE = 100
    settings.SECPORTAL_OUTBOX_PARALLEL_RUNS = 4
    redis = private_broker.client()
    enqueue_in_one_change(250)
    assert redis.llen("celery") == 3  # 250 messages: three batches, three runs (at most four)
    enqueue_in_one_change(1000, start=250)
    assert redis.llen("celery") == 3 + 4


def test_a_stage_move_made_while_redis_is_down_commits_at_once_and_its_followers_are_told_later(
    private_broker, smtp_server, celery_processes
):
    """The move writes one happening; its task cannot be queued while Redis is down, so the move
    commits without it, and the untold happening is told (once) when beat's run reaches a worker."""
    from modifications import services as modification_services
    from modifications.models import Follow, Stage
    from modifications.tests.factories import make_modification
    from parties import roles
    from parties.tests.factories import make_user
    from secportal.models import Happening, Notification, NotificationSettings
    from secportal.tasks import happenings_tell_due

    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    modification = make_modification(stage=Stage.DRAFT)
    followers = [make_user(email=f"follower{i}@example.org") for i in range(5)]
    Follow.objects.bulk_create(Follow(user=u, modification=modification) for u in followers)
    # Email on any day (the default waits for a Working Day, and the test may run on a Sunday).
    NotificationSettings.objects.bulk_create(NotificationSettings(user=u, working_days_only=False) for u in followers)
    private_broker.stop()
    started = time.monotonic()
    modification_services.modification_start_development(actor=staff, modification=modification)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"a move took {elapsed:.1f} s with the broker down"
    happening = Happening.objects.get(subject_id=str(modification.pk))
    assert happening.told_at is None and not Notification.objects.exists()

    private_broker.start()
    celery_processes.worker(redis_url=private_broker.url, smtp_port=smtp_server.port)
    happenings_tell_due.apply_async()  # what beat sends every minute
    emails = OutboxMessage.objects.filter(kind="modification.stage_changed")
    wait_for(lambda: emails.filter(status=SENT).count() == 5, timeout=40, what="the followers' emails")
    happenings_tell_due.apply_async()  # a second run tells no one twice
    assert ping.apply_async(args=["drained"]).get(timeout=30, disable_sync_subtasks=False) == "pong:drained"
    assert Notification.objects.count() == 5 and emails.count() == 5
    assert_delivered_once(smtp_server.inbox, list(emails.values_list("pk", flat=True)))
