from celery import shared_task

from . import services


@shared_task(name="modifications.tasks.consultations_close_due", ignore_result=True)
def consultations_close_due() -> int:
    """Every minute from beat: act on consultations whose close has passed (each exactly once)."""
    return services.consultations_close_due()
