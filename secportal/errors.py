"""Error pages in the portal's layout."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import NoReverseMatch

from .context_processors import layout


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # the form fields alone were over the limit
        return request_too_large(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return render(request, "400.html", status=400)


def request_too_large(request: HttpRequest, *, limit: int) -> HttpResponse:
    """413: the body is over `limit` bytes (secportal.middleware.RequestLimitsMiddleware)."""
    return render(request, "413.html", {"limit": limit}, status=413)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever failed may be one of them. The layout's links only.
    try:
        context = {"layout": layout(), "contact_email": settings.SECPORTAL_CONTACT_EMAIL}
    except (NoReverseMatch, ValueError):  # a broken URL conf or static manifest: a page without links
        context = {}
    return HttpResponse(get_template("500.html").render(context), status=500)
