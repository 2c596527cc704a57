from celery import shared_task

from . import services


@shared_task(name="news.tasks.news_publish_due", ignore_result=True)
def news_publish_due() -> int:
    """Every minute from beat: publish the scheduled posts whose time has come (each exactly once;
    posts missed while the worker was down go out on the next run)."""
    return len(services.news_publish_due())
