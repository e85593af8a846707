"""Attempt counters shared by every process (Redis, or the database cache when embedded).

Keys are hashed so that no RFC, email or IP sits in the cache in clear. When Redis is
down the counters fail open with a warning: a broker outage delays mail and must not stop
people from registering (issue 5); the limits that guard secrets (code attempts, login
lockout) live in the database and still hold.
"""

import hashlib
import logging

from django.core.cache import cache

log = logging.getLogger(__name__)


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(f"{scope}:{ident}".encode()).hexdigest()[:40]
    return f"rl:{scope}:{digest}"


def count(scope: str, ident: str) -> int:
    try:
        return int(cache.get(_key(scope, ident)) or 0)
    except Exception:  # noqa: BLE001 - the cache server is down: fail open, loudly
        log.warning("rate-limit cache unavailable; %s not counted", scope)
        return 0


def is_limited(scope: str, ident: str, limit: int) -> bool:
    return count(scope, ident) >= limit


def hit(scope: str, ident: str, period: int) -> int:
    """Count one attempt in a window of `period` seconds; returns the new count."""
    key = _key(scope, ident)
    try:
        if cache.add(key, 1, period):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, period)
            return 1
    except Exception:  # noqa: BLE001 - the cache server is down: fail open, loudly
        log.warning("rate-limit cache unavailable; %s not counted", scope)
        return 0


def reset(scope: str, ident: str) -> None:
    try:
        cache.delete(_key(scope, ident))
    except Exception:  # noqa: BLE001 - nothing to reset when the cache is down
        log.warning("rate-limit cache unavailable; %s not reset", scope)


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
