"""Every URL pattern, walked as every role with real and hostile values: never a 500, never slow.

The walk is driven by the URL resolver, so a view added tomorrow is walked tomorrow:

1. `patterns()` flattens `get_resolver().url_patterns` into templates of literal text and slots.
2. For each role the crawl requests every pattern without slots, then follows the links, redirects
   and form actions of the pages it gets (the demo data's own addresses: real values), at most one
   address per pattern. Patterns no page links to (their addresses arrive by email) are built from
   `UNLINKED`. `test_every_pattern_is_walked` fails for a pattern that no role reached and that is
   not in `NOT_WALKED` with a reason, and for a stale entry in either table.
3. Then each slot of each reached pattern is given hostile values (NUL, 10,000 characters, a lone
   surrogate, an undecodable byte, negative and huge numbers, unicode, HTML, SQL, ...), sampled so
   that the roles between them try them all; every GET page gets hostile values in every query
   parameter the portal reads; every form the crawl saw is posted with hostile values in every field
   plus unknown ones (and every pattern is posted to, forms or not).

A request fails the walk if it raises, answers 500 or more, or takes longer than `SLOW_SECONDS`
(timed again once first: the first rendering of a template or a cold cache may be slow on a busy
machine; slow twice is a failure). Each failure names the role, the method and the address.
"""

import io
import itertools
import re
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, unquote, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from parties.models import User

pytestmark = pytest.mark.django_db

SLOW_SECONDS = 1.0
BASE_DIR = Path(__file__).resolve().parent.parent
SITE_HOST = urlsplit(settings.SITE_URL).netloc

ROLES = {
    "anonymous": None,
    "SECAS staff": "staff@secas.example",
    "Party user": "user@smallsupplier.example",
    "Party admin": "admin@largesupplier.example",
    "Panel member": "member@panel.example",  # Panel and Change Board member (votes)
    "committee member": "james.oconnor@largesupplier.example",  # Change Sub-Committee, Change Board alternate
}

# Raw bytes, percent-encoded where they go: what a browser, a script or an attacker may send.
HOSTILE: dict[str, bytes] = {
    "NUL": b"\x00",
    "NUL inside": b"MP212\x00",
    "10,000 characters": b"A" * 10_000,
    "lone surrogate": b"\xed\xa0\x80",  # U+D800 encoded as if it were a character
    "undecodable byte": b"\xff",
    "negative": b"-1",
    "negative huge": b"-99999999999999999999999",
    "huge": b"99999999999999999999999999",
    "zero": b"0",
    "float": b"1e309",
    "unicode": "Zoë ☃ \U0001d518 \u202e ﷽ 名前 ﬀ".encode(),  # a Fraktur U, right-to-left override, ligature
    "HTML": b'"><script>alert(1)</script>',
    "SQL": b"' OR 1=1; DROP TABLE parties_party; --",
    "LIKE wildcards": b"%_\\",
    "plain word": b"abc",
    "absolute URL": b"https://evil.example/",
    "scheme-relative URL": b"//evil.example/x",
    "empty": b"",
    "impossible date": b"2026-02-30",
    "line break": b"x\r\nSet-Cookie: injected=1",
    "dot segments": b"../../../etc/passwd",
}
HOSTILE_VALUES = list(HOSTILE.items())
# Refused by the portal whatever the page (400 before any view runs).
REFUSED = {"NUL", "NUL inside", "lone surrogate", "undecodable byte"}
# How many hostile values each role tries per path segment, and queries per page (the roles share
# the values out between them).
SEGMENT_SAMPLES = 3
QUERY_SAMPLES = 1

# Query parameters the portal reads (grep request.GET), the admin's, and a few it does not.
QUERY_PARAMETERS = [
    *("q", "page", "sort", "stage", "path", "category", "release", "state", "status", "when", "next"),
    *("kind", "show", "tag", "modification", "at", "from", "to", "o", "p", "e", "_changelist_filters"),
    *("id", "unknown"),
]
UNKNOWN_FIELDS = ["unknown", "id", "pk", "is_staff", "__proto__"]


def _unsubscribe(user: User | None) -> dict[str, str]:
    from secportal.notifications import unsubscribe_token

    return {"token": unsubscribe_token(user or User.objects.get(email=ROLES["Party user"]), "digest.daily")}


def _agenda_item(user: User | None) -> dict[str, str]:
    from panel.models import AgendaItem

    item = AgendaItem.objects.filter(decision_needed=True, modification__isnull=False).order_by("pk").first()
    return {"pk": str(item.meeting_id), "item_pk": str(item.pk)}


def _own_id(user: User | None) -> dict[str, str]:
    return {"id": str(user.pk if user else 1)}


# Patterns the crawl does not reach through links, by route: their addresses come in emails, or
# appear only on pages it does not visit (it visits one address per pattern), and no pattern it
# reached has slots of the same names. The values of their slots, or a function of the signed-in
# person (None when anonymous) that gives them.
UNLINKED: dict[str, dict[str, str] | Callable[[User | None], dict[str, str]]] = {
    "notifications/unsubscribe/<str:token>/": _unsubscribe,
    "parties/invitations/<str:token>/": {"token": "an-invitation-token-nobody-was-sent"},
    r"accounts/confirm-email/(?P<key>[-:\w]+)/$": {"key": "a-key-nobody-was-sent"},
    "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": {"uidb36": "1", "key": "set-password"},
    "admin/(?P<url>.*)$": {"url": "no-such-admin-page/"},
    "admin/r/<path:content_type_id>/<path:object_id>/": {"content_type_id": "1", "object_id": "1"},
    "news/images/<uuid:key>.<slug:extension>": {"key": "00000000-0000-0000-0000-000000000000", "extension": "png"},
    "admin/parties/user/<id>/password/": _own_id,  # linked for superusers only
    "panel/meetings/<int:pk>/items/<int:item_pk>/outcome/": _agenda_item,
    "panel/meetings/<int:pk>/items/<int:item_pk>/vote/": _agenda_item,
}
# Patterns the walk does not request, by route, with the reason.
NOT_WALKED: dict[str, str] = {}


# --- The URL patterns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    name: str
    to_url: Callable[[object], str] = str


@dataclass(frozen=True)
class Pattern:
    route: str  # as ResolverMatch.route gives it
    name: str  # "namespace:name" ("namespace:" when it has none)
    parts: tuple[str | Slot, ...] | None  # None: the walker cannot build it from its regex

    @property
    def admin(self) -> bool:
        return self.name.startswith("admin:")

    @property
    def slots(self) -> list[Slot]:
        return [p for p in self.parts or () if isinstance(p, Slot)]

    def build(self, values: dict[str, str]) -> str:
        """The address with these (already percent-encoded) values in its slots."""
        return "/" + "".join(p if isinstance(p, str) else values[p.name] for p in self.parts)


_ROUTE_SLOT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_METACHARACTERS = set("()[]{}*+?|\\.^$")


def _route_parts(pattern) -> tuple[str | Slot, ...]:
    route, parts, at = str(pattern), [], 0
    for match in _ROUTE_SLOT.finditer(route):
        parts.append(route[at : match.start()])
        parts.append(Slot(match["name"], pattern.converters[match["name"]].to_url))
        at = match.end()
    parts.append(route[at:])
    return tuple(p for p in parts if p != "")


def _regex_parts(regex: str) -> tuple[str | Slot, ...] | None:
    """Literal text and named groups of a simple regex; None if anything else is in it."""
    regex = regex.removeprefix("^").removesuffix("$")
    parts, at = [], 0
    while (start := regex.find("(?P<", at)) >= 0:
        parts.append(regex[at:start])
        depth, end = 0, start
        for end in range(start, len(regex)):
            depth += {"(": 1, ")": -1}.get(regex[end], 0) if regex[end - 1] != "\\" else 0
            if depth == 0:
                break
        parts.append(Slot(regex[start + 4 : regex.index(">", start)]))
        at = end + 1
    parts.append(regex[at:])
    literals = []
    for part in parts:
        if isinstance(part, str) and set(re.sub(r"\\[./-]", "", part)) & _REGEX_METACHARACTERS:
            return None
        literals.append(re.sub(r"\\([./-])", r"\1", part) if isinstance(part, str) else part)
    return tuple(p for p in literals if p != "")


def _walk(url_patterns, route: str, parts: tuple | None, namespace: str):
    for entry in url_patterns:
        text = str(entry.pattern)
        joined = route + (text.removeprefix("^") if route else text)
        own = _route_parts(entry.pattern) if isinstance(entry.pattern, RoutePattern) else _regex_parts(text)
        whole = None if parts is None or own is None else parts + own
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _walk(entry.url_patterns, joined, whole, inner)
        else:
            yield Pattern(route=joined, name=f"{namespace}:{entry.name or ''}".removeprefix(":"), parts=whole)


def patterns() -> dict[str, Pattern]:
    """Every URL pattern of the portal, by route."""
    return {p.route: p for p in _walk(get_resolver().url_patterns, "", (), "")}


# --- Reading pages ------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)  # name -> the value a browser would send
    files: set[str] = field(default_factory=set)  # names of file fields


class PageLinks(HTMLParser):
    """The addresses a page links to and the forms it holds."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.links, self.forms, self._form, self._select = url, [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag in ("a", "link", "img", "script", "iframe") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))
        elif tag == "form":
            self._form = Form(
                action=a.get("action") or self.url,
                method=(a.get("method") or "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            kind = a.get("type", "")
            if kind == "file":
                self._form.files.add(a["name"])
                return
            if kind in ("checkbox", "radio") and a["name"] in self._form.fields and "checked" not in a:
                return
            self._form.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
            if tag == "select":
                self._select = a["name"]
        elif (
            tag == "option"
            and self._select
            and self._form is not None
            and (not self._form.fields[self._select] or "selected" in a)
        ):
            self._form.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def local_path(link: str, base: str) -> str | None:
    """The portal address a link on the page at `base` points to ("/path?query"), or None if it
    leaves the portal."""
    parts = urlsplit(urljoin(base, link.replace("webcal://", "http://", 1)))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver", SITE_HOST):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_of(address: str) -> tuple[str, dict] | None:
    try:
        match = resolve(unquote(urlsplit(address).path))
    except Resolver404:
        return None
    return match.route, match.kwargs


# --- Requests -----------------------------------------------------------------------------------


@dataclass
class Walker:
    role: str
    user: User | None
    client: Client
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    last: object = None  # the last response

    def request(self, method: str, address: str, body: bytes = b"", content_type: str = "") -> int | None:
        """Send one request in a savepoint of its own; record a failure (error, 5xx, slow); the status."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    response = self.client.generic(method, address, body, content_type or "application/octet-stream")
            except Exception as exc:  # noqa: BLE001 (every error is a finding, named with its request)
                self.fail(method, address, f"raised {exc!r} {_where(exc)}")
                return None
            finally:
                self.requests += 1
            took = time.perf_counter() - started
            if took <= SLOW_SECONDS or attempt == 2:
                break
        if response.status_code >= 500:
            self.fail(method, address, f"answered {response.status_code}")
        if took > SLOW_SECONDS:
            self.fail(method, address, f"took {took:.2f} s (twice over {SLOW_SECONDS} s)")
        self._stay_signed_in(response)
        self.last = response
        return response.status_code

    def sign_in_again(self) -> None:
        if self.user is not None and self.client.session.get(SESSION_KEY) != str(self.user.pk):
            self.client.force_login(self.user)

    def fail(self, method: str, address: str, what: str) -> None:
        shown = address if len(address) < 200 else address[:160] + f"...({len(address)} characters)"
        self.failures.append(f"{self.role}: {method} {shown} {what}")

    def _stay_signed_in(self, response) -> None:
        # A hostile post may sign the person out (the sign-out form, say): sign them in again.
        if settings.SESSION_COOKIE_NAME in response.cookies:
            self.sign_in_again()


def _where(exc: Exception) -> str:
    """Where an exception was raised, and the last line of the portal's own code it went through."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if str(BASE_DIR) in f.filename and "site-packages" not in f.filename]
    where = f"at {frames[-1].filename}:{frames[-1].lineno}"
    return where + (f" (from {ours[-1].filename}:{ours[-1].lineno})" if ours and ours[-1] != frames[-1] else "")


def encode_query(values: dict[str, bytes]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote_from_bytes(v, safe='')}" for k, v in values.items())


def encode_multipart(values: dict[str, bytes], files: dict[str, tuple[bytes, bytes]]) -> tuple[bytes, str]:
    boundary = b"fuzzboundary7MA4YWxkTrZu0gW"
    chunks = []
    for name, value in values.items():
        head = b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, name.encode())
        chunks.append(head + value + b"\r\n")
    for name, (filename, content) in files.items():
        chunks.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n%s\r\n" % (boundary, name.encode(), filename, content)
        )
    chunks.append(b"--%s--\r\n" % boundary)
    return b"".join(chunks), f"multipart/form-data; boundary={boundary.decode()}"


# --- The walk -----------------------------------------------------------------------------------


@dataclass
class Reached:
    """What the crawl found for one pattern: a real address, its slot values, how it answered."""

    address: str
    values: dict[str, str]
    status: int | None


@dataclass
class Crawl:
    walker: Walker
    reached: dict[str, Reached] = field(default_factory=dict)  # by route
    forms: dict[str, list[Form]] = field(default_factory=dict)  # by route of their action
    query_names: set[str] = field(default_factory=set)  # fields of forms sent with GET
    admin_open: bool | None = None  # does the admin let this person in?
    built: set[str] = field(default_factory=set)  # routes built from other values, not linked to


def crawl(walker: Walker, every: dict[str, Pattern]) -> Crawl:
    """Request every pattern without slots, then follow links, redirects and form actions, one
    address per pattern; when none is left, build the patterns not reached yet from the values of
    those reached (an admin object's other pages, say) or from `UNLINKED`, and go on.

    The admin's other pages are left out for a person its index does not let in: the admin checks
    who it is talking to before any of its views runs, the same way on every page."""
    found = Crawl(walker)
    admin_index = next(p for p in every.values() if p.name == "admin:index")
    _visit(found, every, admin_index.build({}), [])
    found.admin_open = found.reached[admin_index.route].status == 200
    queue = [p.build({}) for p in every.values() if p.parts is not None and not p.slots]
    while queue:
        while queue:
            _visit(found, every, queue.pop(0), queue)
        built = {p.route: address for p in every.values() if (address := _unreached_address(found, p))}
        queue = list(built.values())
        found.built |= built.keys()
    return found


def _unreached_address(found: Crawl, pattern: Pattern) -> str | None:
    if pattern.route in found.reached or pattern.parts is None or (pattern.admin and not found.admin_open):
        return None
    known = {}
    # A value from the pattern most like this one wins (the same admin model's other page, say).
    for route in sorted(found.reached, key=lambda r: _shared_prefix(r, pattern.route)):
        known |= found.reached[route].values
    given = UNLINKED.get(pattern.route, {})
    known |= given(found.walker.user) if callable(given) else given
    if not all(slot.name in known for slot in pattern.slots):
        return None
    return pattern.build(known)


def _shared_prefix(a: str, b: str) -> int:
    return sum(1 for _ in itertools.takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False)))


def _visit(found: Crawl, every: dict[str, Pattern], address: str, queue: list[str]) -> None:
    walker = found.walker
    match = route_of(address)
    if match is None or match[0] in found.reached:
        return
    route, kwargs = match
    pattern = every[route]
    if pattern.admin and found.admin_open is False:
        return
    values = {s.name: quote(s.to_url(kwargs[s.name]), safe="") for s in pattern.slots if s.name in kwargs}
    status = walker.request("GET", address)
    found.reached[route] = Reached(address, values, status)
    if status is None:
        return
    response = walker.last
    links = [response["Location"]] if response.has_header("Location") else []
    if response.get("Content-Type", "").startswith(("text/html", "application/atom+xml", "application/xml")):
        page = PageLinks(address)
        page.feed(response.content.decode(errors="replace"))
        links += page.links
        for form in page.forms:
            target = local_path(form.action, address)
            if target is None:
                continue
            links.append(target)
            if form.method == "get":
                found.query_names |= form.fields.keys()
            elif (target_route := route_of(target)) is not None:
                form.action = target
                known = found.forms.setdefault(target_route[0], [])
                if all(f.fields.keys() != form.fields.keys() for f in known):  # the sign-out form is on every page
                    known.append(form)
    queue += [p for link in links if (p := local_path(link, address)) is not None]


def _turn(values: list, role: str) -> Iterator:
    start = list(ROLES).index(role) * len(values) // len(ROLES)
    return itertools.cycle(values[start:] + values[:start])


class Hostile:
    """The hostile values in turn, each role starting at its own place in the list: between them
    the roles try every value in every slot, parameter and field, without the cross product.

    The values the portal refuses whatever the page (`REFUSED`, answered 400) are dealt apart: a
    request that carries one tells nothing about how the page treats the others.
    """

    def __init__(self, role: str) -> None:
        self._all = _turn([v for _, v in HOSTILE_VALUES], role)
        self._taken = _turn([v for k, v in HOSTILE_VALUES if k not in REFUSED], role)
        self._refused = _turn([v for k, v in HOSTILE_VALUES if k in REFUSED], role)

    def any(self, count: int) -> list[bytes]:
        return [next(self._all) for _ in range(count)]

    def take(self, count: int) -> list[bytes]:
        return [next(self._taken) for _ in range(count)]

    def refused(self) -> bytes:
        return next(self._refused)


def _walked(found: Crawl, every: dict[str, Pattern]):
    """The patterns the crawl reached, with whether they are the admin's: Django's own code, where
    one hostile request of each kind per page is enough to catch a broken ModelAdmin of ours."""
    for route, reached in found.reached.items():
        yield every[route], reached, every[route].admin


def hostile_segments(found: Crawl, every: dict[str, Pattern]) -> None:
    hostile = Hostile(found.walker.role)
    for pattern, reached, admin in _walked(found, every):
        # A view that only takes POST refuses a GET before it reads its arguments.
        method = "POST" if reached.status == 405 else "GET"
        for slot in pattern.slots:
            for raw in hostile.any(1 if admin else SEGMENT_SAMPLES):
                values = reached.values | {slot.name: quote_from_bytes(raw, safe="")}
                found.walker.request(method, pattern.build(values))


def hostile_queries(found: Crawl, every: dict[str, Pattern]) -> None:
    """Every page that answered 200 gets every query parameter at once, each with a hostile value;
    then each with a value refused at the door."""
    hostile = Hostile(found.walker.role)
    names = sorted(set(QUERY_PARAMETERS) | found.query_names)
    for pattern, reached, admin in _walked(found, every):
        if reached.status != 200 or (admin and pattern.slots):  # the admin reads queries on its lists
            continue
        path = urlsplit(reached.address).path
        for _ in range(1 if admin else QUERY_SAMPLES):
            values = dict(zip(names, hostile.take(len(names)), strict=True))
            found.walker.request("GET", f"{path}?{encode_query(values)}")
        refused = {name: hostile.refused() for name in names}
        found.walker.request("GET", f"{path}?{encode_query(refused)}")


def hostile_posts(found: Crawl, every: dict[str, Pattern]) -> None:
    """Every pattern the crawl reached gets a post per form (at most two): filled as a browser would
    with every other field hostile, or (the roles take turns) with every field hostile; unknown
    fields too; a file field gets a small file with a hostile name. Then every field with a value
    refused at the door. A pattern with no form (for this person) gets the unknown fields, unless
    it answered the crawl's GET with a page: a post there is the same page again."""
    hostile = Hostile(found.walker.role)
    turn = list(ROLES).index(found.walker.role)
    for pattern, reached, admin in _walked(found, every):
        forms = found.forms.get(pattern.route) or [Form(action=reached.address, method="post", multipart=False)]
        if not found.forms.get(pattern.route) and reached.status == 200:
            continue
        for n, form in enumerate(forms[: 1 if admin else 2]):
            names = [*form.fields, *UNKNOWN_FIELDS]
            values = dict(zip(names, hostile.take(len(names)), strict=True))
            if (turn + n) % 2 == 0:
                browser = {k: v.encode() for k, v in form.fields.items()}
                values = browser | {k: v for i, (k, v) in enumerate(values.items()) if i % 2 or k not in browser}
            file_name = hostile.take(1)[0][:200] + b".pdf"
            _post(found.walker, form, values, file_name)
            if form.fields:
                _post(found.walker, form, {name: hostile.refused() for name in names}, file_name)


def _post(walker: Walker, form: Form, values: dict[str, bytes], file_name: bytes) -> None:
    if form.multipart or form.files:
        body, content_type = encode_multipart(values, dict.fromkeys(form.files, (file_name, b"%PDF-1.4 no more")))
    else:
        body, content_type = encode_query(values).encode(), "application/x-www-form-urlencoded"
    walker.request("POST", form.action, body, content_type)


# --- The tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_settings(tmp_path_factory):
    """The demo's setting (two-factor set-up not required, or every privileged page would redirect
    to it), and files (the demo's and any upload a post gets through) kept out of the project."""
    with override_settings(SECPORTAL_REQUIRE_MFA=False, MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="module")
def demo_data(portal_settings, django_db_setup, django_db_blocker):
    """The demo data, loaded once for this module in a transaction that is rolled back at its end
    (each test's writes are undone by its own savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--force", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def every_pattern() -> dict[str, Pattern]:
    return patterns()


@pytest.fixture(scope="module")
def crawls(demo_data, every_pattern, django_db_blocker) -> dict[str, Crawl]:
    """Each role's crawl, done once: the real addresses the other tests start from."""
    done = {}
    with django_db_blocker.unblock():
        for role, email in ROLES.items():
            user = User.objects.get(email=email) if email else None
            client = Client()
            if user is not None:
                client.force_login(user)
            done[role] = crawl(Walker(role, user, client), every_pattern)
    return done


def assert_no_failures(walker: Walker) -> None:
    assert not walker.failures, f"{len(walker.failures)} of {walker.requests} requests failed:\n" + "\n".join(
        walker.failures
    )


@pytest.mark.parametrize("role", ROLES)
def test_real_addresses_answer(crawls, role):
    assert_no_failures(crawls[role].walker)


def test_every_pattern_is_walked(crawls, every_pattern):
    reached = set().union(*(c.reached for c in crawls.values()))
    missing = [
        f"{p.name or '(no name)'} {p.route}"
        for p in every_pattern.values()
        if p.route not in reached and p.route not in NOT_WALKED
    ]
    assert not missing, (
        "No page links to these patterns and the walker cannot build them: add them to UNLINKED "
        "(values for their slots) or NOT_WALKED (with the reason):\n" + "\n".join(missing)
    )
    stale = [route for route in {**UNLINKED, **NOT_WALKED} if route not in every_pattern]
    assert not stale, f"UNLINKED or NOT_WALKED name routes that no longer exist: {stale}"
    needless = [route for route in NOT_WALKED if route in reached]
    assert not needless, f"NOT_WALKED names routes the walk reaches: {needless}"
    built = set().union(*(c.built for c in crawls.values()))
    linked = [route for route in UNLINKED if route in reached and route not in built]
    assert not linked, f"UNLINKED names routes the crawl reaches through links: {linked}"


def _fresh_walker(crawls, role) -> Crawl:
    """The role's crawl with a walker of its own (its failures are this test's alone)."""
    done = crawls[role]
    walker = Walker(role, done.walker.user, done.walker.client)
    walker.sign_in_again()  # an earlier test's sign-in was rolled back with its savepoint
    return Crawl(walker, done.reached, done.forms, done.query_names, done.admin_open, done.built)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_path_segments(crawls, every_pattern, role):
    found = _fresh_walker(crawls, role)
    hostile_segments(found, every_pattern)
    assert_no_failures(found.walker)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_parameters(crawls, every_pattern, role):
    found = _fresh_walker(crawls, role)
    hostile_queries(found, every_pattern)
    assert_no_failures(found.walker)


@pytest.mark.parametrize("role", ROLES)
def test_hostile_form_fields(crawls, every_pattern, role):
    found = _fresh_walker(crawls, role)
    hostile_posts(found, every_pattern)
    assert_no_failures(found.walker)


def test_forms_with_files_post_to_views_that_accept_uploads(crawls):
    """A form with a file field posts to a view marked @accepts_uploads (else the 1 MB cap refuses
    every real file with 413)."""
    with_files = {form.action for c in crawls.values() for forms in c.forms.values() for form in forms if form.files}
    unmarked = [
        action for action in with_files if not getattr(resolve(urlsplit(action).path).func, "accepts_uploads", False)
    ]
    assert with_files and not unmarked
