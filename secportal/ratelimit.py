"""A small fixed-window rate limit on the shared cache, for public forms that send email."""

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as allauth sees it (TRUSTED_PROXY_COUNT proxies in front), through its
    public adapter, so that sign-in and the portal's own forms count the same address."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (ImproperlyConfigured, PermissionDenied):  # fewer X-Forwarded-For hops than proxies
        return request.META.get("REMOTE_ADDR", "")


def allow(*, action: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one attempt of `action` by `key`; False once more than `limit` fall in the window."""
    cache_key = f"ratelimit:{action}:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is unavailable
        cache.set(cache_key, 1, timeout=period_seconds)
        count = 1
    return count <= limit
