"""Pages that gather from every app (home, dashboard), the health check and the cookie pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .redirects import redirect_to_next
from .registry import dashboard_sections, home_sections


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "secportal/home.html", {"sections": home_sections.render_for(request)})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """A person's work queues first (what waits for them, most urgent first in each), then the rest
    (notifications, their account, what they follow). Each app adds its sections through
    `dashboard_sections`; a section that does not concern the person is left out."""
    user = request.user
    sections = dashboard_sections.render_for(request)
    context = {
        "queues": [s for s in sections if s.section.queue],
        "sections": [s for s in sections if not s.section.queue],
        "party_name": user.party.name if user.party_id else "",
    }
    return render(request, "secportal/dashboard.html", context)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("healthz", "ok", 10)
    return "ok" if cache.get("healthz") == "ok" else "error: value not read back"


def _check_broker() -> str:
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """JSON status of the database, cache and broker; 200 when the database answers."""
    checks = {}
    for name, check in (("database", _check_database), ("cache", _check_cache), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 (any failure is a status to report, not a 500)
            checks[name] = f"error: {type(exc).__name__}"
    healthy = checks["database"] == "ok"
    overall = "ok" if all(v == "ok" for v in checks.values()) else ("degraded" if healthy else "down")
    return JsonResponse({"status": overall, "checks": checks}, status=200 if healthy else 503)


def cookies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "secportal/cookies.html",
        {
            "session_cookie": settings.SESSION_COOKIE_NAME,
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "notice_cookie": settings.SECPORTAL_COOKIE_NOTICE_COOKIE,
        },
    )


@csrf_exempt  # harmless (it only hides the notice), and lets anonymous pages be cached without a token
@require_POST
def cookies_dismiss(request: HttpRequest) -> HttpResponse:
    """Remember that the cookie notice was read (a cookie of its own, for a year)."""
    response = redirect_to_next(request, "/")
    response.set_cookie(
        settings.SECPORTAL_COOKIE_NOTICE_COOKIE,
        "dismissed",
        max_age=365 * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    messages.info(request, "Thank you: the cookie notice will not be shown again on this device.")
    return response
