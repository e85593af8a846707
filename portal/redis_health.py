"""Whether Redis answers, remembered in each process for a while (a circuit breaker).

Every Redis client has a short socket timeout (settings REDIS_TIMEOUT); once a call to a
server fails, this process leaves that server alone for REDIS_RETRY_SECONDS, so a hung Redis
costs one timeout per process per period instead of one per cache call or email queued.
Meanwhile the shared cache is the database's (the "fallback" alias) and emails wait in the
outbox for beat. One WARNING line when a server stops answering, one INFO line when it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import BaseCache, caches
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")

# What an unreachable, hung or restarting server raises (redis-py, kombu, the socket itself).
UNAVAILABLE = (RedisError, OperationalError, OSError)

OK = "ok"
TIMEOUT = "timeout"
ERROR = "error"


class Breaker:
    """The state of one Redis server as this process last saw it."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.reason = ""  # "" while it answers; TIMEOUT or ERROR since it failed
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        """False while the server failed less than REDIS_RETRY_SECONDS ago: do not try it."""
        return time.monotonic() >= self._retry_at

    def trip(self, exc: BaseException) -> None:
        """Note a failed call: the server is left alone until the period ends."""
        with self._lock:
            first = not self.reason
            self.reason = TIMEOUT if _is_timeout(exc) else ERROR
            self._retry_at = time.monotonic() + settings.REDIS_RETRY_SECONDS
        if first:  # the whole outage is one line per process, not one per request
            log.warning(
                "Redis at %s unavailable (%s: %s); limits count in the database and emails "
                "wait for beat; next try in %s s",
                self.address, self.reason, type(exc).__name__, settings.REDIS_RETRY_SECONDS,
            )  # fmt: skip

    def close(self) -> None:
        """Note a call that worked."""
        if self.reason:
            with self._lock:
                self.reason, self._retry_at = "", 0.0
            log.info("Redis at %s answers again", self.address)


def _is_timeout(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:  # kombu wraps redis-py's error in its own
        if isinstance(seen, RedisTimeoutError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_breakers: dict[str, Breaker] = {}


def breaker_for(url: str) -> Breaker | None:
    """The breaker of the Redis server `url` names (one per host and port, whatever the
    database number); None when `url` is not a Redis server."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        return None
    address = f"{parts.hostname}:{parts.port or 6379}"
    return _breakers.setdefault(address, Breaker(address))


def cache_breaker() -> Breaker | None:
    """The breaker of the cache's Redis; None in the embedded mode (a database cache)."""
    default = settings.CACHES["default"]
    if not str(default["BACKEND"]).endswith("RedisCache"):
        return None
    return breaker_for(str(default["LOCATION"]))


def broker_breaker() -> Breaker | None:
    """The breaker of Celery's broker; None when it is not Redis (the embedded memory://)."""
    return breaker_for(settings.CELERY_BROKER_URL)


def reset() -> None:
    """Forget every server's state (tests, after they stop and start Redis)."""
    _breakers.clear()


_UNANSWERED = object()


def with_redis_cache(operation: Callable[[BaseCache], T], otherwise: Any = None) -> T | Any:
    """`operation` on the cache's Redis; `otherwise` when the cache is not Redis (the embedded
    mode) or Redis does not answer now (the breaker is open, or this call trips it)."""
    breaker = cache_breaker()
    if breaker is None or not breaker.available():
        return otherwise
    try:
        result = operation(caches["default"])
    except UNAVAILABLE as exc:
        breaker.trip(exc)
        return otherwise
    breaker.close()
    return result


def with_shared_cache(operation: Callable[[BaseCache], T]) -> T:
    """`operation` on the shared cache: Redis, or the database's cache while Redis does not
    answer. Every cache user goes through here, so reads and writes use the same store."""
    if cache_breaker() is None:
        return operation(caches["default"])
    result = with_redis_cache(operation, otherwise=_UNANSWERED)
    if result is _UNANSWERED:
        return operation(caches["fallback"])
    return cast(T, result)


def check_cache() -> str:
    """The cache's Redis right now: OK, TIMEOUT or ERROR; while the breaker is open, the
    reason it opened, without trying (a readiness probe must answer quickly)."""
    breaker = cache_breaker()
    if breaker is None:
        return OK
    if not breaker.available():
        return breaker.reason or ERROR
    cache = caches["default"]
    try:
        cache.set("salud", "ok", 5)
        answered = cache.get("salud")
    except UNAVAILABLE as exc:
        breaker.trip(exc)
        return breaker.reason
    if answered != "ok":
        return ERROR
    breaker.close()
    return OK
