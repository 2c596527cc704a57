"""The portal's addresses plus the benchmark's floor: a trivial page through the full middleware
stack, the fastest a Django page can be on this machine, which every page is measured against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from secportal.urls import *  # noqa: F403
from secportal.urls import urlpatterns as portal_urlpatterns

FLOOR_PAGE = (
    '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Floor</title></head>'
    "<body><main><h1>Floor</h1><p>A fixed page: the fastest a Django page can be here.</p></main></body></html>"
)


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(FLOOR_PAGE)


def floor_signed_in(request: HttpRequest) -> HttpResponse:
    """The same page for a signed-in person: what every signed-in page pays before its own work
    (Django's session and user, and the portal's middleware: the MFA rule asks for the roles)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    return HttpResponse(FLOOR_PAGE)


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/floor/signed-in/", floor_signed_in, name="bench-floor-signed-in"),
    *portal_urlpatterns,
]
