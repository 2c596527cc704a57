import functools
from collections.abc import Mapping
from types import MappingProxyType

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

NAV = [
    ("Modifications", "modifications:modification-list"),
    ("News", "news:post-list"),
    ("Events", "news:event-list"),
    ("Parties", "parties:party-list"),
    ("Panel", "panel:committee-list"),
]

# The addresses base.html links to on every page, by URL name.
LAYOUT_URLS = {
    "home": "home",
    "cookies": "cookies",
    "privacy": "privacy",
    "accessibility": "accessibility",
    "cookies_dismiss": "cookies-dismiss",
    "account_request": "account-request",
    "login": "account_login",
    "logout": "account_logout",
    "outbox": "notifications:outbox",
    "admin": "admin:index",
    "notifications": "notifications:list",
    "profile": "profile",
    "register": "modifications:modification-list",
    "parties": "parties:party-list",
    "committees": "panel:committee-list",
}
LAYOUT_STATIC = {
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
    "portal_css": "css/portal.css",
    "favicon": "img/favicon.svg",
    "logo": "img/logo.svg",
    "bootstrap_js": "vendor/bootstrap/bootstrap.bundle.min.js",
}


@functools.lru_cache(maxsize=16)
def _nav(signed_in: bool, script_prefix: str, urlconf: str | None) -> tuple[tuple[str, str], ...]:
    """The navigation's addresses, reversed once per process (and URL configuration), not per page."""
    names = [*NAV, ("Dashboard", "dashboard")] if signed_in else NAV
    return tuple((label, reverse(name)) for label, name in names)


@functools.lru_cache(maxsize=16)
def _layout(script_prefix: str, urlconf: str | None) -> Mapping[str, str]:
    """The layout's links and static files, worked out once per process (and URL configuration and
    static settings): every page shows them, and reversing and hashing them each time cost more
    than the rest of a signed-in page's frame."""
    links = {key: reverse(name) for key, name in LAYOUT_URLS.items()}
    return MappingProxyType(links | {key: static(path) for key, path in LAYOUT_STATIC.items()})


@receiver(setting_changed)
def _forget_layout(*, setting: str, **kwargs) -> None:
    # Tests change URL and static settings; a running portal never does.
    if setting in {"STATIC_URL", "STORAGES", "ROOT_URLCONF", "FORCE_SCRIPT_NAME", "DEBUG"}:
        _layout.cache_clear()
        _nav.cache_clear()


def layout() -> Mapping[str, str]:
    """The layout's links and static files (`layout` in every template)."""
    return _layout(get_script_prefix(), get_urlconf())


def portal(request: HttpRequest) -> dict:
    """Navigation, the layout's links and the cookie notice, shared by every page."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    path = request.path
    return {
        "nav_items": [
            {"label": label, "url": url, "current": path == url or (url != "/" and path.startswith(url))}
            for label, url in _nav(signed_in, get_script_prefix(), get_urlconf())
        ],
        "layout": layout(),
        "show_cookie_notice": settings.SECPORTAL_COOKIE_NOTICE_COOKIE not in request.COOKIES,
        "show_staff_links": signed_in and user.is_staff,
        "contact_email": settings.SECPORTAL_CONTACT_EMAIL,
    }
