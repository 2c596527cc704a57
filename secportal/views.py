"""Pages that gather from every app (home, dashboard), the pages SECAS edits (privacy notice,
accessibility statement), the health check and the cookie pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .exceptions import ApplicationError
from .forms import PageTextForm
from .models import PageText
from .pages import can_edit_pages, page_get, page_revisions, page_update
from .redirects import redirect_to_next
from .registry import dashboard_sections, home_sections


def home(request: HttpRequest) -> HttpResponse:
    """The welcome to the SEC (SECAS's words), what the portal is for, then each app's sections."""
    context = {
        "welcome": page_get(PageText.Page.HOME),
        "can_edit_pages": can_edit_pages(request.user),
        "sections": home_sections.render_for(request),
    }
    return render(request, "secportal/home.html", context)


def _page_or_404(slug: str) -> PageText:
    page = page_get(slug)
    if page is None:
        raise Http404("No page has this address.")
    return page


def page_text(request: HttpRequest, slug: str) -> HttpResponse:
    """A page of SECAS's words at a stable address (/privacy/, /accessibility/)."""
    page = _page_or_404(slug)
    return render(request, "secportal/page_text.html", {"page": page, "can_edit_pages": can_edit_pages(request.user)})


def _editors_only(request: HttpRequest) -> None:
    """Editing is for SECAS only; everyone else is told there is no such page (README "Who sees what")."""
    if not can_edit_pages(request.user):
        raise Http404


def _page_address(page: PageText) -> str:
    return "home" if page.slug == PageText.Page.HOME else page.slug


@login_required
def page_text_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _editors_only(request)
    page = _page_or_404(slug)
    form = PageTextForm(request.POST or None, initial={"title": page.title, "body": page.body})
    if request.method == "POST" and form.is_valid():
        try:
            page, changed = page_update(
                actor=request.user, page=page, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            if changed:
                messages.success(request, "Saved. The page shows the new text now; the earlier version is kept.")
            else:
                messages.info(request, "Nothing changed, so nothing was saved.")
            return redirect(_page_address(page))
    return render(
        request, "secportal/page_text_form.html", {"page": page, "form": form}, status=400 if form.errors else 200
    )


@login_required
def page_text_history(request: HttpRequest, slug: str) -> HttpResponse:
    _editors_only(request)
    page = _page_or_404(slug)
    return render(request, "secportal/page_text_history.html", {"page": page, "revisions": page_revisions(page)})


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
