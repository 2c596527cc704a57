import functools

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

NAV = [
    ("Modifications", "modifications:modification-list"),
    ("News", "news:post-list"),
    ("Events", "news:event-list"),
    ("Parties", "parties:party-list"),
    ("Panel", "panel:committee-list"),
]


@functools.lru_cache(maxsize=16)
def _nav(signed_in: bool, script_prefix: str, urlconf: str | None) -> tuple[tuple[str, str], ...]:
    """The navigation's addresses, reversed once per process (and URL configuration), not per page."""
    names = [*NAV, ("Dashboard", "dashboard")] if signed_in else NAV
    return tuple((label, reverse(name)) for label, name in names)


def portal(request: HttpRequest) -> dict:
    """Navigation and the cookie notice, shared by every page."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    path = request.path
    return {
        "nav_items": [
            {"label": label, "url": url, "current": path == url or (url != "/" and path.startswith(url))}
            for label, url in _nav(signed_in, get_script_prefix(), get_urlconf())
        ],
        "show_cookie_notice": settings.SECPORTAL_COOKIE_NOTICE_COOKIE not in request.COOKIES,
        "show_staff_links": signed_in and user.is_staff,
    }
