"""What `news` contributes to the shared pages: the home page and the dashboard."""

from django.urls import reverse
from django.utils import timezone

from secportal.queues import QUEUE_LIMIT, QueueItem, queue
from secportal.templatetags.portal import ukdatetime

from .models import Event, NewsPost
from .permissions import can_publish_news, can_register
from .selectors import (
    latest_government_publications,
    latest_posts,
    latest_slide_pack,
    next_questions_hour,
    user_events,
)

HOME_POSTS = 4
HOME_PUBLICATIONS = 3
HOME_EVENTS = 4


def home_news(request, **objects) -> dict:
    """Featured by themselves, as the SEC website's home page did: the latest slide pack, the latest
    government publications (DESNZ, Ofgem) and the next Questions Hour; then the other news. A
    fixed number of queries, however many posts, packs and events there are."""
    return {
        "slide_pack": latest_slide_pack(user=request.user),
        "publications": latest_government_publications(limit=HOME_PUBLICATIONS),
        "questions_hour": next_questions_hour(),
        "posts": latest_posts(limit=HOME_POSTS, exclude_kinds=NewsPost.GOVERNMENT_KINDS),
    }


def home_events(request, **objects) -> dict:
    events = Event.objects.upcoming(timezone.now()).filter(status=Event.Status.SCHEDULED)
    return {"events": list(events[:HOME_EVENTS])}


def my_events(request, **objects) -> dict | None:
    """A Party user's coming events. Left out for those who cannot register (SECAS staff, an
    independent chair) unless they hold a registration from before."""
    user = request.user
    registrations = user_events(user=user)
    if not registrations and not can_register(user):
        return None
    return {"registrations": registrations, "can_register": can_register(user)}


def scheduled_posts(request, **objects) -> dict | None:
    """For SECAS: posts scheduled to publish, the soonest first (beat publishes each when due)."""
    if not can_publish_news(request.user):
        return None
    scheduled = NewsPost.objects.filter(status=NewsPost.Status.SCHEDULED)
    shown = list(scheduled.select_related("author").order_by("publish_at", "pk")[:QUEUE_LIMIT])
    count = scheduled.count()  # always asked, so the queries do not depend on how many wait
    items = [
        QueueItem(
            title=post.title,
            url=reverse("news:post-preview", args=[post.slug]),
            detail=f"Publishes {ukdatetime(post.publish_at)}" + (f" · written by {post.author}" if post.author else ""),
            status=post.get_kind_display(),
        )
        for post in shown
    ]
    return queue(
        items,
        count=count,
        count_label="scheduled",
        empty="No post is scheduled to publish.",
        links=[
            (reverse("news:post-drafts"), "Drafts and scheduled posts"),
            (reverse("news:post-create"), "Write a post"),
        ],
    )
