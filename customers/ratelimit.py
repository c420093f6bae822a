"""Counting attempts per client address in the cache, for forms that guess at secrets."""

from django.core.cache import cache

from .audit import client_ip


def too_many(request, scope: str, limit: int, window_seconds: int) -> bool:
    """Count this attempt; True once the address has made more than `limit` in the window."""
    key = f"ratelimit:{scope}:{client_ip(request)}"
    cache.add(key, 0, window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)
        count = 1
    return count > limit
