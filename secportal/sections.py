"""The shared layer's own sections of the dashboard: a person's latest notifications, and for
SECAS the emails that failed."""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from .models import Notification, OutboxMessage
from .notification_views import can_see_outbox
from .notifications import visible_only
from .queues import QUEUE_LIMIT, QueueItem, queue
from .templatetags.portal import ukdatetime

# Failed emails stay failed until sent again; the dashboard lists those of the last fortnight.
FAILED_EMAIL_DAYS = 14


def notifications_section(request, **objects) -> dict | None:
    user = request.user
    latest = list(Notification.objects.filter(user=user).order_by("-created_at", "-id")[:5])
    items = visible_only(user=user, notifications=latest)  # before counting: hidden ones become read
    return {"items": items, "unread": user.unread_notifications}


def failed_emails(request, **objects) -> dict | None:
    """For SECAS: emails the mail server refused for good in the last FAILED_EMAIL_DAYS days (by
    when their last attempt was due), the oldest first. Never what an email said: the subject,
    the recipient and the reason, as /notifications/outbox/ shows them."""
    if not can_see_outbox(request.user):
        return None
    failed = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.FAILED, due_at__gte=timezone.now() - timedelta(days=FAILED_EMAIL_DAYS)
    )
    shown = list(
        failed.only("recipient", "subject", "sensitive", "last_error", "due_at", "status").order_by("due_at", "pk")[
            :QUEUE_LIMIT
        ]
    )
    count = failed.count()  # always asked, so the queries do not depend on how many wait
    outbox = reverse("notifications:outbox") + "?status=failed"
    items = [
        QueueItem(
            title=f"{m.subject} to {m.recipient}",
            url=reverse("notifications:outbox") + "?" + urlencode({"status": "failed", "q": m.recipient}),
            detail=f"Failed after the attempt due {ukdatetime(m.due_at)}"
            + (f": {m.last_error[:120]}" if m.last_error else "")
            + ("; it carried a personal link: ask the person to request a new one" if m.sensitive else ""),
        )
        for m in shown
    ]
    return queue(
        items,
        count=count,
        count_label="failed",
        empty=f"No email has failed in the last {FAILED_EMAIL_DAYS} days.",
        links=[(outbox, "Failed emails: send again")],
    )
