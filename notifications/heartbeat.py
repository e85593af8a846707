"""Beat's heartbeat: `send_pending` records when it last ran, so readiness can tell a
stopped beat (rows whose task was lost would never be queued again) from a quiet one."""

from __future__ import annotations

import time

from django.conf import settings

from portal.redis_health import with_shared_cache

# In the shared cache (Redis in the full mode, the database's while Redis does not answer):
# web and worker run on different machines.
BEAT_HEARTBEAT_KEY = "notifications:beat-heartbeat"
# Beat is stale after missing this many of its runs in a row: one late run is not an alarm.
STALE_AFTER_PERIODS = 3


def record_beat_heartbeat() -> None:
    """Note that beat's `send_pending` ran now (wall clock: web and worker compare it)."""
    with_shared_cache(lambda cache: cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None))


def beat_period_seconds() -> float:
    """How often beat runs `send_pending` (OUTBOX_RESEND_SECONDS)."""
    return float(settings.CELERY_BEAT_SCHEDULE["resend-pending-outbox"]["schedule"])


def beat_heartbeat_age() -> float | None:
    """Seconds since beat last ran `send_pending`; None when it has never been recorded."""
    value = with_shared_cache(lambda cache: cache.get(BEAT_HEARTBEAT_KEY))
    if value is None:
        return None
    return max(0.0, time.time() - float(value))


def beat_is_stale(age: float | None) -> bool:
    """True when beat has missed its last runs, or never ran since the cache was emptied."""
    return age is None or age > STALE_AFTER_PERIODS * beat_period_seconds()
