from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(name="news.tasks.news_publish_due", ignore_result=True)
def news_publish_due() -> int:
    """Every minute from beat: publish the scheduled posts whose time has come (each exactly once;
    posts missed while the worker was down go out on the next run)."""
    return len(services.news_publish_due())


@shared_task(
    name="news.tasks.slide_thumbnail_make",
    ignore_result=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    max_retries=2,
    soft_time_limit=60,
    time_limit=90,
)
def slide_thumbnail_make(pack_id: int) -> str:
    """After an upload's commit: draw the slide pack's thumbnail in a limited child process
    (news.thumbnails), or mark it failed. Its time limits are a backstop for the child's own."""
    return services.slide_thumbnail_make(pack_id=pack_id)


@shared_task(name="news.tasks.slide_thumbnails_due", ignore_result=True)
def slide_thumbnails_due() -> int:
    """Every few minutes from beat: thumbnails whose task was lost are drawn again (or given up)."""
    return services.slide_thumbnails_due()
