from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def portal(request: HttpRequest) -> dict:
    """Navigation and the cookie notice, shared by every page."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    nav = [
        ("Modifications", reverse("modifications:modification-list")),
        ("News", reverse("news:post-list")),
        ("Events", reverse("news:event-list")),
        ("Parties", reverse("parties:party-list")),
        ("Panel", reverse("panel:committee-list")),
    ]
    if signed_in:
        nav.append(("Dashboard", reverse("dashboard")))
    path = request.path
    return {
        "nav_items": [
            {"label": label, "url": url, "current": path == url or (url != "/" and path.startswith(url))}
            for label, url in nav
        ],
        "show_cookie_notice": settings.SECPORTAL_COOKIE_NOTICE_COOKIE not in request.COOKIES,
        "show_staff_links": signed_in and user.is_staff,
    }
