"""Beat's tasks for the reviewers' emails: each only calls agents.alerts, which decides."""

from __future__ import annotations

from celery import shared_task

from . import alerts

# Celery ships no types: `shared_task` carries `# type: ignore[untyped-decorator]`.


# acks_late + reject_on_worker_lost: a task whose worker died runs again; the day's
# ReviewDigest row (written with the emails) keeps that from sending a second digest.
@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def send_review_digest() -> int:
    """Beat, daily at REVIEW_DIGEST_HOUR: the reviewers' digest; returns the emails queued."""
    return alerts.send_digest()


@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def alert_overdue_requests() -> int:
    """Beat, every 15 minutes: the overdue alerts; returns the requests alerted."""
    return alerts.alert_overdue()
