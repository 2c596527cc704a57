"""What `news` contributes to the shared pages: the home page and the dashboard."""

from django.utils import timezone

from .models import Event
from .permissions import can_register
from .selectors import latest_posts, user_events

HOME_POSTS = 4
HOME_EVENTS = 4


def home_news(request, **objects) -> dict:
    return {"posts": latest_posts(limit=HOME_POSTS)}


def home_events(request, **objects) -> dict:
    events = Event.objects.upcoming(timezone.now()).filter(status=Event.Status.SCHEDULED)
    return {"events": list(events[:HOME_EVENTS])}


def my_events(request, **objects) -> dict:
    user = request.user
    return {"registrations": user_events(user=user), "can_register": can_register(user)}
