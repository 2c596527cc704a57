"""Django's Redis cache, made to fail fast: the portal keeps working when Redis is down or hangs.

The cache only holds what can be lost (rate-limit counters, MFA sign-in state, small lookups).
When Redis does not answer within its socket timeout, the call misses (reads) or is dropped
(writes) with a warning in the log, and the process stops asking for `BREAKER_SECONDS`: a hung
Redis then costs one timeout per process per period, not one per cache call. Only Django's public
cache API is overridden.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 30.0


class _Breaker:
    def __init__(self) -> None:
        self.open_until = 0.0
        self.lock = threading.Lock()

    def closed(self) -> bool:
        return time.monotonic() >= self.open_until

    def trip(self, what: str, exc: Exception) -> None:
        with self.lock:
            self.open_until = time.monotonic() + BREAKER_SECONDS
        logger.warning("Cache unavailable during %s (%s): not asking it for %.0f s", what, exc, BREAKER_SECONDS)


def _cache_down(*args, **kwargs):
    raise ValueError("cache unavailable")  # what incr raises for a missing key: callers handle it


def _guarded(name: str, fallback):
    method = getattr(RedisCache, name)

    def guarded(self, *args, **kwargs):
        if not self.breaker.closed():
            return fallback(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            self.breaker.trip(name, exc)
            return fallback(*args, **kwargs)

    guarded.__name__ = name
    return guarded


# One breaker per Redis location for the whole process (Django makes a cache object per thread).
_breakers: dict[str, _Breaker] = {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self.breaker = _breakers.setdefault(str(server), _Breaker())

    get = _guarded("get", lambda key, default=None, *a, **k: default)
    get_many = _guarded("get_many", lambda *a, **k: {})
    has_key = _guarded("has_key", lambda *a, **k: False)
    set = _guarded("set", lambda *a, **k: None)
    set_many = _guarded("set_many", lambda data, *a, **k: list(data))
    add = _guarded("add", lambda *a, **k: True)  # "got it": a lock never blocks for ever
    incr = _guarded("incr", _cache_down)
    delete = _guarded("delete", lambda *a, **k: False)
    delete_many = _guarded("delete_many", lambda *a, **k: None)
    touch = _guarded("touch", lambda *a, **k: False)
    clear = _guarded("clear", lambda *a, **k: False)
