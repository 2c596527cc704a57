from celery import shared_task

from . import services


@shared_task(name="secportal.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(message_id: int) -> None:
    """Deliver one message now (queued after the commit that wrote it)."""
    services.outbox_deliver(message_id=message_id)


@shared_task(name="secportal.tasks.outbox_deliver_due", ignore_result=True)
def outbox_deliver_due() -> int:
    """Every minute from beat: deliver whatever is due (missed, retried or queued while down)."""
    return services.outbox_deliver_due()


@shared_task(name="secportal.tasks.ping")
def ping(value: str) -> str:
    """Wiring check: a worker answers through the broker and the result backend."""
    return f"pong:{value}"


@shared_task(name="secportal.tasks.notifications_run_due", ignore_result=True)
def notifications_run_due() -> int:
    """Every minute from beat: reminders and other time-driven notifications, then due digests.
    Safe to run twice at once (two beats): every write is keyed once in the database."""
    from . import notifications

    written = notifications.run_sources()
    return written + notifications.digests_send_due()


@shared_task(name="secportal.tasks.sessions_clear_expired", ignore_result=True)
def sessions_clear_expired() -> int:
    """Every night from beat: delete the sessions that have expired (Django's `clearsessions`)."""
    from django.utils import timezone

    from .models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
