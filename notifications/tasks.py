from __future__ import annotations

from celery import shared_task
from django.core import management

from portal import retention

from . import services
from .heartbeat import record_beat_heartbeat

# Celery ships no types: `shared_task` carries `# type: ignore[untyped-decorator]`.


# No Celery retry or countdown: the row's `next_attempt_at` is the one retry schedule and
# beat's `send_pending` the one thing that acts on it (a countdown drawn apart would start a
# second chain). acks_late + reject_on_worker_lost: a task whose worker died is redelivered;
# the row's lease (`next_attempt_at`) keeps it from being sent again before its time.
@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def deliver(outbox_id: int) -> str:
    """Make one attempt at an outbox row (if due); returns the outcome."""
    return services.deliver_email(outbox_id)


@shared_task  # type: ignore[untyped-decorator]
def send_pending() -> int:
    """Beat: queue every pending row whose next attempt is due (its first task was lost with
    the broker or a worker, or its earlier attempt failed). Each run is also beat's
    heartbeat, which readiness (/salud/) checks: a stopped beat means retries stop."""
    record_beat_heartbeat()
    ids = services.pending_ids()
    services.enqueue_rows(ids)
    return len(ids)


# Kept for the beat of a release still running during an upgrade; `purge_personal_data`
# deletes expired sessions now.
@shared_task  # type: ignore[untyped-decorator]
def clear_sessions() -> None:
    """Delete expired sessions, where formtools keeps the wizards' data (typed personal
    data) until the session is cleared."""
    management.call_command("clearsessions")


@shared_task  # type: ignore[untyped-decorator]
def purge_personal_data() -> dict[str, int]:
    """Beat, daily: delete or anonymise what is past settings.RETENTION_DAYS, expired
    sessions included; returns the rows per kind."""
    return retention.purge()
