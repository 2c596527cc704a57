"""The cache fails fast (secportal.cache): a Redis that hangs costs one socket timeout per process per
breaker period, not one per cache call, and pages and sign-in keep working meanwhile."""

import socket
import threading

import pytest
from django.core.cache import caches
from django.urls import reverse

from parties.tests.factories import PASSWORD, make_user
from secportal import cache as portal_cache


class HungRedis:
    """A TCP server that accepts connections and never answers: Redis under SIGSTOP, as seen from a client."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_cache(settings):
    hung = HungRedis()
    portal_cache._breakers.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "secportal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{hung.port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    yield hung
    caches["default"].close()
    hung.close()
    portal_cache._breakers.clear()


def test_a_hung_cache_is_asked_once_per_breaker_period(hung_cache):
    cache = caches["default"]
    assert cache.get("a", "missing") == "missing"  # waited for its timeout, once
    asked = len(hung_cache.accepted)
    assert asked >= 1
    for n in range(50):
        assert cache.get(f"k{n}", 7) == 7
        cache.set(f"k{n}", n)
        assert cache.add(f"lock{n}", 1) is True
    assert len(hung_cache.accepted) == asked  # the breaker kept every later call off the socket


def test_the_breaker_closes_after_its_period(hung_cache, monkeypatch):
    cache = caches["default"]
    cache.get("a")
    asked = len(hung_cache.accepted)
    breaker = portal_cache._breakers[next(iter(portal_cache._breakers))]
    breaker.open_until = 0.0  # the period has passed
    cache.get("b")
    assert len(hung_cache.accepted) > asked  # asked again, and found still hung
    assert not breaker.closed()


@pytest.mark.django_db
def test_pages_and_sign_in_work_while_the_cache_hangs(client, hung_cache, settings):
    settings.SECPORTAL_REQUIRE_MFA = False
    user = make_user(email="kim@example.org")
    for name in ("home", "modifications:modification-list", "news:post-list", "news:event-list"):
        assert client.get(reverse(name)).status_code == 200, name
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("dashboard")).status_code == 200
