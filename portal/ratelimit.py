"""Attempt counters shared by every process (Redis, or the database cache when embedded).

Keys are hashed so that no RFC, email or IP sits in the cache in clear.
"""

import hashlib

from django.core.cache import cache


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:40]
    return f"rl:{scope}:{digest}"


def count(scope: str, ident: str) -> int:
    return int(cache.get(_key(scope, ident)) or 0)


def is_limited(scope: str, ident: str, limit: int) -> bool:
    return count(scope, ident) >= limit


def hit(scope: str, ident: str, period: int) -> int:
    """Count one attempt in a window of `period` seconds; returns the new count."""
    key = _key(scope, ident)
    if cache.add(key, 1, period):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, period)
        return 1


def reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
