"""Versioned caching of rendered pages and fragments: a change is visible at once.

Each app's data has a *version*, a token kept in the cache. Every write to one of the app's models
(save, delete, many-to-many change) replaces the token, so every key built from it falls out of
use at once; there is nothing to find and delete. Reading the versions is one cache round trip
whatever the size of the tables (no COUNT or MAX over the rows).

An app opts in from its `AppConfig.ready()` with `watch_app(self)`. This is a departure from
STYLE.md ("signals only adapt third-party events"): invalidation is not business logic, and a
signal catches every write path (services, the admin, the shell) without touching services.py.
Writes that send no signal (`QuerySet.update()`, `bulk_create`) are covered when the same
transaction also saves a watched object, and otherwise must call `bump()` themselves
(seed_bench and seed_demo do; so does every migrate).

The token changes twice: at once (so the writer's next request sees the change, and tests without
commits do too) and again after the transaction commits (so a page rendered by someone else
between the first change and the commit, still from the old rows, is never served after it).

Cached content never crosses an access boundary: whole pages are shared by anonymous visitors
only (who all see the same, WHITE, content); a signed-in person's own page (their dashboard) is
kept for them alone, under their id; and a fragment shown to signed-in people is keyed by the
exact set of classified objects the viewer may see (see `digest`), so two people share it only
when they would see the same thing. When the cache is down nothing is cached and pages are
rendered as usual; so they are when SECPORTAL_PAGE_CACHE is off.
"""

import functools
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import Resolver404, get_urlconf, resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe

VERSION_KEY = "pagecache:version:"
# A person's own version: what only they see (their notifications, what they follow).
PERSON_KEY = "pagecache:person:"
# A key's "v2" is the shape of what is kept under it: a new shape gets a new prefix, so that what a
# process of the previous release kept (and may still keep, during a rolling deploy) is never read.
PAGE_KEY = "pagecache:page:v2:"
FRAGMENT_KEY = "pagecache:fragment:"

logger = logging.getLogger(__name__)
_groups: set[str] = set()


def _token() -> str:
    return uuid.uuid4().hex[:16]


# --- Versions ------------------------------------------------------------------------------------------


def _version_keys(groups: Iterable[str]) -> list[str]:
    return [VERSION_KEY + group for group in groups]


def _read(keys: list[str], extra: list[str]) -> dict | None:
    """The values of the version `keys` (each made on first use) and of the `extra` keys, in one
    round trip; None when the cache does not answer."""
    found = cache.get_many([*keys, *extra])
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _token(), None)  # first use (or evicted): any new token will do
        found.update(cache.get_many(missing))
        if any(key not in found for key in keys):
            return None
    return found


def versions(*groups: str, extra: Iterable[str] = (), people: Iterable[int] = ()) -> tuple[str | None, dict]:
    """The current versions of `groups` (and of `people`'s own versions) joined in one string (None
    when the cache does not answer), and the values of the `extra` keys read in the same round trip."""
    if not settings.SECPORTAL_PAGE_CACHE:
        return None, {}
    keys = [*_version_keys(groups), *(PERSON_KEY + str(pk) for pk in people)]
    extra = list(extra)
    found = _read(keys, extra)
    if found is None:
        return None, {}
    return ".".join(found[key] for key in keys), {key: found[key] for key in extra if key in found}


def _write(groups: Iterable[str]) -> None:
    cache.set_many({key: _token() for key in _version_keys(groups)}, None)


class _BumpOnCommit:
    """One callback per transaction, whatever the number of writes in it."""

    def __init__(self) -> None:
        self.groups: set[str] = set()

    def __call__(self) -> None:
        _write(sorted(self.groups))


def bump(*groups: str) -> None:
    """A write changed what these groups' pages show: new versions now, and again after commit."""
    if not settings.SECPORTAL_PAGE_CACHE:
        return
    _write(groups)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    # Django replaces the list of commit hooks when a transaction (or savepoint) ends: while it is
    # the same list, the callback registered on it is still to run.
    pending = getattr(connection, "_pagecache_pending", None)
    if pending is not None and pending[1] is connection.run_on_commit:
        pending[0].groups.update(groups)
        return
    callback = _BumpOnCommit()
    callback.groups.update(groups)
    transaction.on_commit(callback, robust=True)
    connection._pagecache_pending = (callback, connection.run_on_commit)


# --- A person's own version (what only they see: their notifications, what they follow) ---------------


def bump_person(user_ids: Iterable[int]) -> None:
    """What these people alone see changed: new tokens now, and again after commit (so a dashboard
    rendered from the old rows meanwhile is not kept). Personal writes (a follow, a notification
    read) use this instead of an app's version, so one person's clicks never empty everyone's cache."""
    keys = [PERSON_KEY + str(pk) for pk in set(user_ids)]
    if not keys or not settings.SECPORTAL_PAGE_CACHE:
        return

    def write() -> None:
        cache.set_many({key: _token() for key in keys}, None)

    write()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(write, robust=True)


def bump_all() -> None:
    """After writes that send no signal (bulk loads, migrations): every version changes."""
    if _groups:
        bump(*sorted(_groups))


def watch_app(
    app_config,
    *,
    group: str = "",
    ignore: Iterable[str] = (),
    ignore_updates: dict[str, Iterable[str]] | None = None,
) -> None:
    """Every write to the app's models changes the version of `group` (default: the app's label),
    except writes to the models named in `ignore` and saves that only touch the fields
    `ignore_updates` names for a model (model names: a log of downloads, a draft being typed, a
    sign-in's time)."""
    group = group or app_config.label
    _groups.add(group)
    ignored = {name.lower() for name in ignore}
    quiet = {name.lower(): frozenset(fields) for name, fields in (ignore_updates or {}).items()}

    for model in app_config.get_models(include_auto_created=True):
        name = model._meta.model_name
        if name in ignored:
            continue
        quiet_fields = quiet.get(name, frozenset())

        def changed(sender, *, _quiet=quiet_fields, **kwargs) -> None:
            if kwargs.get("action", "post_").startswith("pre_"):
                return  # a many-to-many change is counted once, after it happened
            update_fields = kwargs.get("update_fields")
            if _quiet and update_fields and frozenset(update_fields) <= _quiet:
                return
            bump(group)

        uid = f"pagecache:{model._meta.label_lower}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")
        if model._meta.auto_created:  # a many-to-many table: .add(), .remove(), .set(), .clear()
            m2m_changed.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":m2m")


def on_post_migrate(**kwargs) -> None:
    bump_all()


# --- Keys --------------------------------------------------------------------------------------------------


def digest(values: Iterable) -> str:
    """A short, stable digest of values (the ids of what a viewer may see, say) for a cache key."""
    return hashlib.sha256(json.dumps([str(value) for value in values]).encode()).hexdigest()[:32]


# --- Whole pages for anonymous visitors ---------------------------------------------------------------


def _fill(content: bytes, request: HttpRequest, csrf_placeholder: str | None, nonce_placeholder: str | None) -> bytes:
    """This request's CSRF token and CSP nonce in place of a kept page's placeholders (each made
    only if the page has a place for it, as rendering would)."""
    if csrf_placeholder and (placeholder := csrf_placeholder.encode()) in content:
        content = content.replace(placeholder, get_token(request).encode())
    if nonce_placeholder and (placeholder := nonce_placeholder.encode()) in content:
        nonce = get_nonce(request)  # made when first read (a LazyNonce is false until then)
        content = content.replace(placeholder, b"" if nonce is None else str(nonce).encode())
    return content


def _without_nonce(request: HttpRequest, content: bytes) -> tuple[bytes, str | None]:
    """The page with this request's CSP nonce (if it used one) replaced by a random placeholder,
    and the placeholder: a kept page is sent with each request's own nonce."""
    nonce = get_nonce(request)
    if not nonce:  # never made: the page has no place for one
        return content, None
    placeholder = secrets.token_hex(16)
    return content.replace(str(nonce).encode(), placeholder.encode()), placeholder


def _anonymous_key(request: HttpRequest) -> str:
    notice = settings.SECPORTAL_COOKIE_NOTICE_COOKIE in request.COOKIES
    return PAGE_KEY + digest([request.get_host(), notice, request.get_full_path()])


def _page_key(request: HttpRequest, params: frozenset[str]) -> str | None:
    """The key of this request's page, or None when the page is not one to share: a signed-in
    person (their own links and forms), a message waiting to be shown, anything but GET, or a
    query parameter the page does not read (a cache-buster would otherwise store a copy each)."""
    if (
        request.method != "GET"
        or not params.issuperset(request.GET)
        or request.user.is_authenticated
        or len(messages.get_messages(request))
    ):
        return None
    return _anonymous_key(request)


def _shareable(request: HttpRequest, response: HttpResponse) -> bool:
    """Only a plain page that set nothing for this visitor (no CSRF token, cookie or session)."""
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not getattr(response, "pagecache_skip", False)
    )


def do_not_store(response: HttpResponse) -> HttpResponse:
    """Mark a response as one not to keep (an invalid filter, a page number out of range, a long
    search): what anyone can vary at will must not fill the cache."""
    response.pagecache_skip = True
    return response


def cache_anonymous_page(*groups: str, params: Iterable[str] = (), timeout: int = 300) -> Callable:
    """Serve anonymous visitors one shared rendering of the page while `groups` (app labels; none:
    every watched app) are unchanged. `params`: the query parameters the page reads (with any
    other, it is rendered and not stored).

    The stored page carries the versions it was rendered at; reading them and it is one round
    trip. `timeout` only bounds what versions cannot see: the passing of time (an event ending)
    and a version change lost while the cache was down.
    """

    allowed = frozenset(params)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key = _page_key(request, allowed)
            if key is None:
                return view(request, *args, **kwargs)
            page_groups = tuple(groups or sorted(_groups))
            version, found = versions(*page_groups, extra=[key])
            stored = found.get(key)
            if version is not None and isinstance(stored, tuple) and len(stored) == 4 and stored[1] == version:
                return HttpResponse(_fill(stored[2], request, None, stored[3]))
            response = view(request, *args, **kwargs)
            if version is not None and _shareable(request, response):
                # The groups go with the page, for AnonymousPageMiddleware to check.
                content, nonce_placeholder = _without_nonce(request, response.content)
                cache.set(key, (page_groups, version, content, nonce_placeholder), timeout)
            return response

        wrapped.pagecache_anonymous = True  # AnonymousPageMiddleware looks for kept pages only here
        return wrapped

    return decorator


@functools.lru_cache(maxsize=1024)
def _keeps_pages(path: str, urlconf: str) -> bool:
    """Is the view at this address one whose pages are kept (`cache_anonymous_page`)? Worked out
    once per address, so that no other page pays a round trip to the cache."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "pagecache_anonymous", False)


class AnonymousPageMiddleware:
    """Answer an anonymous visitor's GET with its kept page before the rest of the stack runs, as
    Django's FetchFromCacheMiddleware does: no session, authentication, URL resolution or view.

    Only for a visitor without a session cookie, who can be neither signed in nor have a message
    waiting; any other request goes on to the view, whose `cache_anonymous_page` decides. A page
    is only ever kept by that decorator, under the exact address it answered, so an address
    with a parameter the page does not read is never found here. Every watched app's version is
    read with the page, in one round trip, and the page is used only if the versions it was kept
    at are current. The middleware above this one (security headers, CSP, X-Frame-Options) still
    applies to the answer."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and settings.SECPORTAL_PAGE_CACHE
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and _keeps_pages(request.path_info, get_urlconf() or settings.ROOT_URLCONF)
        ):
            try:
                response = self._kept(request)
            except Exception:  # a cache that cannot answer must never fail the page
                logger.warning("Kept page unreadable for %s: rendering it", request.path, exc_info=True)
                response = None
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def _kept(request: HttpRequest) -> HttpResponse | None:
        key = _anonymous_key(request)
        version_keys = _version_keys(sorted(_groups))
        # Only reading: a version not there yet cannot match a kept page (the view makes it).
        found = cache.get_many([*version_keys, key])
        stored = found.get(key)
        if not (isinstance(stored, tuple) and len(stored) == 4):
            return None
        page_groups, version, content, nonce_placeholder = stored
        current = [found.get(VERSION_KEY + group) for group in page_groups]
        if None in current or ".".join(current) != version:
            return None
        response = HttpResponse(_fill(content, request, None, nonce_placeholder))
        patch_vary_headers(response, ["Cookie"])  # what a signed-in visitor gets differs
        return response


# --- A signed-in person's own page -------------------------------------------------------------------

PERSONAL_KEY = "pagecache:personal:v2:"


def _personal_key(request: HttpRequest) -> str | None:
    """The key of this person's own copy of the page, or None when it is not one to keep: not
    signed in, anything but a plain GET, or a message waiting to be shown."""
    user = request.user
    if request.method != "GET" or request.GET or not user.is_authenticated or len(messages.get_messages(request)):
        return None
    notice = settings.SECPORTAL_COOKIE_NOTICE_COOKIE in request.COOKIES
    return PERSONAL_KEY + digest([user.pk, request.get_host(), request.path, notice, timezone.localdate()])


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    """A plain page that changed nothing for this visit (no message added, no session change)."""
    return (
        response.status_code == 200
        and not getattr(response, "pagecache_skip", False)
        and not getattr(messages.get_messages(request), "added_new", False)
        and not request.session.modified
    )


def cache_personal_page(timeout: int = 60) -> Callable:
    """Keep a signed-in person's own rendering of a page (their dashboard) for them alone, while every
    watched app's data and their own version (`bump_person`) are unchanged, on the same day, and
    for `timeout` seconds at most (deadlines and meetings pass with time). Reading the versions and
    the page is one round trip.

    The view returns a TemplateResponse. It is rendered here with placeholders for the CSRF token
    and the CSP nonce, random for each rendering (so that no text in the page can name them), kept
    so with them, and sent with this request's own token and nonce, as a kept page is each time.
    A view marks a response not to keep with `do_not_store`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key = _personal_key(request)
            if key is None:
                return view(request, *args, **kwargs)
            version, found = versions(*sorted(_groups), extra=[key], people=[request.user.pk])
            stored = found.get(key)
            if version is not None and isinstance(stored, tuple) and len(stored) == 3 and stored[0] == version:
                return HttpResponse(_fill(stored[1], request, *stored[2]))
            response = view(request, *args, **kwargs)
            if version is None or not isinstance(response, TemplateResponse) or response.is_rendered:
                return response
            placeholders = (secrets.token_hex(16), secrets.token_hex(16))
            response.context_data = {
                **(response.context_data or {}),
                "csrf_token": placeholders[0],
                "csp_nonce": placeholders[1],
            }
            response.render()
            if _keepable(request, response):
                cache.set(key, (version, response.content, placeholders), timeout)
            response.content = _fill(response.content, request, *placeholders)
            return response

        return wrapped

    return decorator


def cached_value(
    name: str, *, groups: Iterable[str] | None, parts: Iterable, compute: Callable[[], Any], timeout: int = 300
):
    """`compute()`, shared by every request with the same `parts` while `groups` (None: every watched
    app) are unchanged.
    `parts` must name everything the value depends on besides those versions (the object, the
    viewer's visible ids): whoever has the same parts gets the same value. One round trip to read."""
    key = FRAGMENT_KEY + name + ":" + digest(parts)
    version, found = versions(*(sorted(_groups) if groups is None else groups), extra=[key])
    stored = found.get(key)
    if version is not None and stored is not None and stored[0] == version:
        return stored[1]
    value = compute()
    if version is not None:
        cache.set(key, (version, value), timeout)
    return value


def cached_fragment(name: str, *, groups: Iterable[str], parts: Iterable, render: Callable[[], str]) -> SafeString:
    """A rendered fragment of a page, shared as `cached_value` shares values."""
    html = cached_value(name, groups=groups, parts=parts, compute=lambda: str(render()))
    return mark_safe(html)  # our own template's output, escaped as it was rendered
