"""Redis cache that keeps the portal working when Redis is down.

The cache only holds what can be lost (rate-limit counters, small lookups): when Redis does not
answer, reads miss and writes are dropped, with a warning in the log, instead of failing the
request. Sign-in therefore keeps working during a Redis outage (rate limits are then not counted).
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _tolerant(fallback):
    """Run the cache operation; if Redis fails, log it and return `fallback(*args)` instead."""

    def wrap(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                logger.warning("Cache unavailable during %s (%s): continuing without it", method.__name__, exc)
                return fallback(*args, **kwargs)

        return guarded

    return wrap


def _cache_down(*args, **kwargs):
    raise ValueError("cache unavailable")  # what incr raises for a missing key: callers handle it


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis object (with its table of ~170 response callbacks)
    for every cache call, which costs more than the round trip on a cached page. A redis.Redis
    object is safe to share (its pool hands out the connections): build one per pool and keep it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    get = _tolerant(lambda key, default=None, *a, **k: default)(RedisCache.get)
    get_many = _tolerant(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _tolerant(lambda *a, **k: False)(RedisCache.has_key)
    set = _tolerant(lambda *a, **k: None)(RedisCache.set)
    set_many = _tolerant(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _tolerant(lambda *a, **k: True)(RedisCache.add)  # "got it": a lock never blocks for ever
    incr = _tolerant(_cache_down)(RedisCache.incr)
    delete = _tolerant(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _tolerant(lambda *a, **k: None)(RedisCache.delete_many)
    touch = _tolerant(lambda *a, **k: False)(RedisCache.touch)
