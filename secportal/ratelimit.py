"""A small fixed-window rate limit on the shared cache, for public forms that send email."""

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    # Behind the proxy, REMOTE_ADDR is the proxy; the proxy must set X-Forwarded-For's last hop.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[-1].strip() if forwarded else request.META.get("REMOTE_ADDR", "")


def allow(*, action: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one attempt of `action` by `key`; False once more than `limit` fall in the window."""
    cache_key = f"ratelimit:{action}:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period_seconds)
        count = 1
    return count <= limit
