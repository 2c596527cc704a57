"""Benchmark rows for news and events: published posts and scheduled events, bulk inserted."""

import datetime

from django.utils import timezone

from .models import Event, EventKind, NewsPost


def seed(*, sizes: dict, stdout=None) -> None:
    now = timezone.now()
    have = NewsPost.objects.filter(slug__startswith="bench-post-").count()
    NewsPost.objects.bulk_create(
        NewsPost(
            title=f"Bench news {n}",
            slug=f"bench-post-{n:05d}",
            summary="A post for the benchmark.",
            body="Some **Markdown** text. " * 20,
            status=NewsPost.Status.PUBLISHED,
            published_at=now - datetime.timedelta(hours=n),
        ).render_rich_text()
        for n in range(have, sizes["news"])
    )
    have = Event.objects.filter(slug__startswith="bench-event-").count()
    kinds = list(EventKind.values)
    Event.objects.bulk_create(
        Event(
            title=f"Bench event {n}",
            slug=f"bench-event-{n:05d}",
            kind=kinds[n % len(kinds)],
            summary="An event.",
            starts_at=now + datetime.timedelta(days=n % 120, hours=1),
            ends_at=now + datetime.timedelta(days=n % 120, hours=2),
            online_link="https://meet.example/bench",
        )
        for n in range(have, sizes["events"])
    )
