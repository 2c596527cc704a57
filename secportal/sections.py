"""The shared layer's own section of the dashboard: a person's latest notifications."""

from .models import Notification
from .notifications import visible_only


def notifications_section(request, **objects) -> dict | None:
    user = request.user
    latest = list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:5])
    items = visible_only(user=user, notifications=latest)  # before counting: hidden ones become read
    return {"items": items, "unread": user.unread_notifications}
