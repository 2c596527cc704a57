"""What `news` contributes to the shared pages: the home page and the dashboard."""

from django.utils import timezone

from .models import Event, NewsPost
from .permissions import can_register
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


def my_events(request, **objects) -> dict:
    user = request.user
    return {"registrations": user_events(user=user), "can_register": can_register(user)}
