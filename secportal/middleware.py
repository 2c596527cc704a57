import re
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import errors

# Pages a person who still has to set up MFA may reach: the account pages (sign out, MFA set-up
# itself), static files, the health check and the cookie pages.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/cookies/")


class RequireMFAMiddleware:
    """Send privileged users without TOTP to set it up before any other page (SECPORTAL_REQUIRE_MFA)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.SECPORTAL_REQUIRE_MFA
            and user is not None
            and user.is_authenticated
            and getattr(user, "requires_mfa", False)
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and not user.has_totp
        ):
            messages.warning(
                request,
                "Your role needs two-factor authentication. Set up an authenticator app to continue.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


# --- Input the portal never sends: refused at the door ---------------------------------------------------

# A NUL (PostgreSQL cannot store it in text, and psycopg refuses to send it) or a lone surrogate
# (half of a UTF-16 pair: not a character, and not encodable as UTF-8).
_FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def accepts_uploads(view: Callable) -> Callable:
    """Mark a view that takes files: its requests may be as large as SECPORTAL_UPLOAD_MAX_BYTES
    (plus SECPORTAL_REQUEST_MAX_BYTES for the form around the file) instead of the default cap."""
    view.accepts_uploads = True
    return view


def request_limit(view: Callable | None) -> int:
    """The most bytes a request to `view` may carry."""
    if getattr(view, "accepts_uploads", False):
        return settings.SECPORTAL_UPLOAD_MAX_BYTES + settings.SECPORTAL_REQUEST_MAX_BYTES
    return settings.SECPORTAL_REQUEST_MAX_BYTES


def _clean_bytes(raw: bytes) -> bool:
    """UTF-8 text without a NUL (a lone surrogate encoded as UTF-8 is not valid UTF-8)."""
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _clean_urlencoded(data: str | bytes) -> bool:
    if isinstance(data, str):
        # The query string as WSGI hands it over: its bytes decoded as ISO-8859-1. (A server that
        # decoded them as UTF-8 itself is undone too: a surrogate comes back as bytes that are not.)
        try:
            data = data.encode("iso-8859-1")
        except UnicodeEncodeError:
            data = data.encode("utf-8", "surrogatepass")
    return _clean_bytes(unquote_to_bytes(data.replace(b"+", b" ")))


def _clean_texts(*texts: str) -> bool:
    return not any(_FORBIDDEN_CHARACTERS.search(text) for text in texts)


class RequestLimitsMiddleware:
    """Refuse what no page of the portal sends, before a view or the database sees it.

    400, with the portal's "bad request" page, for a NUL, a lone surrogate or bytes that are not
    UTF-8 in the path, the query string, a cookie or a form field (names and values). PostgreSQL
    cannot store a NUL, so such a value reaching a query was a 500 on any page that looks something
    up by what it is given. Checking here, once, covers every view (the admin's and allauth's too,
    and those not written yet); cleaning in forms and selectors would need each of them to remember.
    (Django itself writes bytes in the path that are not UTF-8 back as "%FF", and drops unprintable
    characters from the names of uploaded files.)

    413, with a page that names the limit, for a body larger than SECPORTAL_REQUEST_MAX_BYTES (or,
    for a view marked `@accepts_uploads`, SECPORTAL_UPLOAD_MAX_BYTES more), judged by its declared
    Content-Length before a byte of it is read. Under WSGI Django never reads past Content-Length,
    and a body sent chunked without one is not read at all.

    Placed before the session middleware, so a refused request costs no query; `process_view` runs
    before the CSRF middleware's, which would read the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (
            _clean_texts(request.path_info)
            and _clean_urlencoded(request.META.get("QUERY_STRING", ""))
            and _clean_texts(*request.COOKIES.keys(), *request.COOKIES.values())
        ):
            return errors.bad_request(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then either
        limit = request_limit(view_func)
        if length > limit:
            return errors.request_too_large(request, limit=limit)
        if length <= 0 or request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.content_type == _FORM_CONTENT_TYPE:
            if not _clean_urlencoded(request.body):
                return errors.bad_request(request)
        elif request.content_type == "multipart/form-data":
            fields = [text for key, values in request.POST.lists() for text in (key, *values)]
            if not _clean_texts(*fields, *request.FILES.keys()):
                return errors.bad_request(request)
        return None
