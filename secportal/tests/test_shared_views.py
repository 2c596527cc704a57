"""Views that are objects shared by every request (Django's Feed is one instance per URL pattern)
keep nothing from a request: what one reader asked for never reaches another reader's answer."""

import sys
import threading
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from modifications.models import ModificationEvent
from modifications.tests.factories import make_document, make_modification
from parties import roles
from parties.tests.factories import make_party, make_user
from secportal.classification import Classification

ATOM = "{http://www.w3.org/2005/Atom}"


def _callbacks(resolver=None, prefix=""):
    """Every view the URL configuration routes to, with the route that reaches it."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _shared_instances():
    """Views that are instances (not functions, nor the fresh-per-request views of `as_view()`)."""
    return [
        (route, callback)
        for route, callback in _callbacks()
        if not hasattr(callback, "__code__") and not hasattr(callback, "view_class")
    ]


@pytest.fixture
def secret_updates(transactional_db):
    """A modification whose timeline has a WHITE, an AMBER and a RED document: SECAS sees all
    three, an anonymous reader only the WHITE one."""
    owner = make_party(name="Owner Party")
    staff = make_user(email="staff@secas.example", role_names={roles.SECAS_STAFF})
    mp = make_modification(number=901, title="Threaded feed")
    titles = {}
    for label in (Classification.WHITE, Classification.AMBER, Classification.RED):
        document = make_document(
            mp, classification=label, title=f"{label.value} paper", owner_party=owner, owner_committee="change-board"
        )
        ModificationEvent.objects.create(
            modification=mp, kind=ModificationEvent.Kind.DOCUMENT, document=document, summary=f"Published {document}"
        )
        titles[label] = document.title
    return staff, titles


def _entry_titles(content: bytes) -> str:
    return " ".join(e.find(f"{ATOM}title").text for e in ET.fromstring(content).iter(f"{ATOM}entry"))


def test_the_feed_never_gives_one_reader_another_readers_documents(secret_updates, settings):
    """Readers of different rights ask for the feed at once, in threads (as under a threaded
    server); switching threads every microsecond interleaves their requests as tightly as it can."""
    settings.SECPORTAL_REQUIRE_MFA = False
    staff, titles = secret_updates
    url = reverse("modifications:modification-feed")
    leaks, errors, seen_by_staff = [], [], []
    start = threading.Barrier(8)

    def read(signed_in: bool) -> None:
        from django.db import connection

        try:
            client = Client()
            if signed_in:
                client.force_login(staff)
            start.wait()
            for _ in range(25):
                got = _entry_titles(client.get(url).content)
                if signed_in:
                    seen_by_staff.append(titles[Classification.RED] in got)
                elif titles[Classification.AMBER] in got or titles[Classification.RED] in got:
                    leaks.append(got)
        except Exception as exc:  # noqa: BLE001 (reported below, with the thread's failure)
            errors.append(exc)
        finally:
            connection.close()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=read, args=(n % 2 == 0,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    missed = seen_by_staff.count(False)
    assert (len(leaks), missed) == (0, 0), (
        f"{len(leaks)} of 100 anonymous answers held AMBER or RED titles; "
        f"{missed} of {len(seen_by_staff)} answers to SECAS lacked them"
    )


def test_no_shared_view_keeps_anything_from_a_request(client, db, settings):
    """Every view that is one object for all requests (feeds) is the same object after a request
    as before it: nothing of the request (its user, its filters) is left on it for the next one."""
    settings.SECPORTAL_REQUIRE_MFA = False
    shared = _shared_instances()
    assert {route for route, _ in shared} >= {"modifications/feed/", "news/feed/"}
    client.force_login(make_user(role_names={roles.SECAS_STAFF}))
    for route, callback in shared:
        before = dict(vars(callback))
        path = "/" + route.replace("^", "").replace("$", "")
        if "<" not in path:
            assert client.get(path, {"q": "anything"}).status_code == 200, route
        assert vars(callback) == before, f"{route}: {type(callback).__name__} kept {set(vars(callback)) - set(before)}"
