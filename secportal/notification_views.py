"""Pages of notifications: a person's list and email choices, one-click unsubscribe, and for
SECAS the outbox (what was sent to whom and when, what waits, what failed and why)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import notifications
from .forms import NotificationSettingsForm
from .models import Notification, OutboxMessage
from .registry import email_kinds, notification_kinds
from .services import outbox_requeue

PAGE_SIZE = 25


def _ids(request: HttpRequest) -> list[int]:
    return [int(i) for i in request.POST.getlist("id")[:500] if i.isascii() and i.isdigit() and len(i) < 12]


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    rows = Notification.objects.filter(user=request.user)
    if show == "unread":
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    # Some may be about things the person can no longer see: they are left out (not even their
    # titles show) and count as read from now on.
    items = notifications.visible_only(user=request.user, notifications=list(page.object_list))
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "items": items,
            "hidden": len(page.object_list) - len(items),
            "show": show,
            "unread": request.user.unread_notifications,  # after visible_only: hidden ones are read
            "querystring": f"show={show}" if show != "all" else "",
        },
    )


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    if request.POST.get("all"):
        count = notifications.mark_read(user=request.user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    else:
        ids = _ids(request)
        notifications.mark_read(user=request.user, ids=ids)
        messages.success(request, "Marked as read.")
    return redirect("notifications:list")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its subject, marking it read on the way."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if not notifications.visible_notifications(user=request.user, notifications=[notification]):
        raise Http404
    if notification.read_at is None:
        notifications.mark_read(user=request.user, ids=[notification.pk])
    url = notification.url
    if not url.startswith("/") or url.startswith("//"):
        raise Http404
    return redirect(url)


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = notifications.preferences_for(request.user)
    general = notifications.settings_for(request.user)
    kinds = notification_kinds.kinds()
    form = NotificationSettingsForm(request.POST or None, kinds=kinds, current=current, general=general, prefix="n")
    if request.method == "POST" and form.is_valid():
        notifications.preferences_save(
            user=request.user,
            choices=form.choices(),
            working_days_only=form.cleaned_data["working_days_only"],
            weekly_day=int(form.cleaned_data["weekly_day"]),
        )
        messages.success(request, "Your email choices are saved.")
        return redirect("notifications:settings")
    topics: dict[str, list] = {}
    for kind in kinds:
        topics.setdefault(kind.topic, []).append((kind, form[f"kind_{kind.key}"]))
    if form.is_bound and form["weekly_day"].errors:
        form.fields["weekly_day"].widget.attrs["aria-describedby"] = "weekly-day-help weekly-day-error"
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "topics": topics, "digest_hour": f"{settings.SECPORTAL_DIGEST_HOUR:02d}"},
    )


@never_cache
@csrf_exempt  # the signed token is the credential; mail clients POST here in one click (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = notifications.read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    user_id, kind = found
    if request.method == "POST":
        label = notifications.unsubscribe(user_id=user_id, kind=kind)
        if label is None:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    if kind in notifications.DIGEST_KINDS:
        label = f"the {notifications.DIGEST_KINDS[kind].label.removeprefix('In a ')}"
    else:
        try:
            label = notification_kinds.get(kind).label
        except LookupError:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})


def can_see_outbox(user) -> bool:
    """The outbox (every email, its status, "send again") is for SECAS staff and superusers."""
    return bool(
        user.is_authenticated and user.is_active and (getattr(user, "is_secas_staff", False) or user.is_superuser)
    )


def _require_staff(request: HttpRequest) -> None:
    if not can_see_outbox(request.user):
        raise Http404


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """For SECAS: what was sent to whom and when, what is queued, what failed (and why)."""
    _require_staff(request)
    status = request.GET.get("status", "")
    if status not in OutboxMessage.Status.values:
        status = ""
    q = request.GET.get("q", "").strip()[:200]
    # Never the bodies: a personal link in one would let whoever reads it sign in as the recipient.
    shown = ("recipient", "kind", "subject", "sensitive", "status", "attempts", "last_error", "due_at", "sent_at")
    rows = OutboxMessage.objects.only(*shown, "created_at")
    if status:
        rows = rows.filter(status=status)
    if q:
        # A kind is found by its words (what the page shows) as well as its identifier.
        kinds = Q(kind__icontains=q) | Q(kind__in=email_kinds.matching(q))
        rows = rows.filter(Q(recipient__icontains=q) | Q(subject__icontains=q) | kinds)
    order = ("-sent_at", "-id") if status == OutboxMessage.Status.SENT else ("-created_at", "-id")
    page = Paginator(rows.order_by(*order), 50).get_page(request.GET.get("page"))
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    querystring = urlencode({k: v for k, v in (("status", status), ("q", q)) if v})
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "statuses": [(value, label, counts.get(value, 0)) for value, label in OutboxMessage.Status.choices],
            "total": sum(counts.values()),
            "querystring": querystring,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def outbox_retry(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    requeued = outbox_requeue(message_ids=_ids(request))
    messages.add_message(request, requeued.level, requeued.summary())
    return redirect(reverse("notifications:outbox") + "?status=failed")
