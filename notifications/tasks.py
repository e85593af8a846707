from __future__ import annotations

from typing import TYPE_CHECKING

from celery import shared_task
from django.core import management

from . import services

if TYPE_CHECKING:
    from celery import Task


@shared_task(bind=True, max_retries=50, acks_late=True, reject_on_worker_lost=True)
def deliver(self: Task, outbox_id: int) -> str:
    """Deliver one outbox row; idempotent by its id. Retries with backoff on errors."""
    from .models import OutboxEmail

    try:
        return services.deliver_email(outbox_id)
    except Exception as exc:
        email = OutboxEmail.objects.filter(pk=outbox_id).first()
        if email is None or email.status != OutboxEmail.Status.PENDING:
            return email.status if email else "missing"
        if self.request.is_eager:  # embedded mode: no worker to retry on; the row stays pending
            return email.status
        countdown = services.backoff(email.attempts).total_seconds()
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def send_pending() -> int:
    """Beat: queue again every row still pending (broker was down, a worker died)."""
    ids = services.pending_ids()
    for pk in ids:
        deliver.delay(pk)
    return len(ids)


@shared_task
def clear_sessions() -> None:
    """Beat, daily: delete expired sessions, where formtools keeps the wizards' data (typed
    personal data) until the session is cleared."""
    management.call_command("clearsessions")
