from celery import shared_task
from django.db import DatabaseError

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


@shared_task(
    name="secportal.tasks.happening_tell",
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=240,
    time_limit=300,
)
def happening_tell(happening_id: int) -> int:
    """After the commit of a change: tell the people who hear about it, in batches. Run twice, it
    tells no one twice (the happening is locked and marked told; each notification and email is
    keyed once). Beat tells what a lost task left (`happenings_tell_due`)."""
    from . import notifications

    return notifications.happening_tell(happening_id=happening_id)


@shared_task(name="secportal.tasks.happenings_tell_due", ignore_result=True)
def happenings_tell_due() -> int:
    """Every minute from beat: tell what is still untold (the broker was down at commit, a worker died)."""
    from . import notifications

    return notifications.happenings_tell_due()


@shared_task(name="secportal.tasks.happenings_prune", ignore_result=True)
def happenings_prune() -> int:
    """Every night from beat: delete happenings told longer ago than their retention."""
    from . import notifications

    return notifications.happenings_prune()
