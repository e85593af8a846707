"""Read-only figures about the outbox, for readiness, metrics and the re-queue command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import FAILED_SPELLINGS, PENDING_SPELLINGS, SENT_SPELLINGS, OutboxEmail

# A pending row whose time to be tried is older than this was missed: the queue, the
# worker or beat is not doing its job. Normal delivery takes seconds, a retry waits for
# its `next_attempt_at`, so only a stuck row gets this far behind.
OVERDUE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class OutboxFigures:
    pending: int
    failed: int
    overdue: int
    oldest_pending_seconds: float


def outbox_figures(*, now: datetime | None = None) -> OutboxFigures:
    """Pending, failed and overdue rows and the age of the oldest pending one, in one query
    over the unsent rows only (sent rows grow without bound and are not needed here)."""
    now = now or timezone.now()
    pending = Q(status__in=PENDING_SPELLINGS)
    figures = (
        OutboxEmail.objects.filter(status__in=[*PENDING_SPELLINGS, *FAILED_SPELLINGS])
        .annotate(due_at=Coalesce("next_attempt_at", "created_at"))
        .aggregate(
            pending=Count("pk", filter=pending),
            # An address refused for good is the person's to correct, not an outage.
            failed=Count("pk", filter=Q(status__in=FAILED_SPELLINGS, refused_code__isnull=True)),
            overdue=Count("pk", filter=pending & Q(due_at__lt=now - OVERDUE_AFTER)),
            oldest=Min("created_at", filter=pending),
        )
    )
    oldest: datetime | None = figures["oldest"]
    return OutboxFigures(
        pending=figures["pending"],
        failed=figures["failed"],
        overdue=figures["overdue"],
        oldest_pending_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


def sent_total() -> int:
    """How many emails were sent, for the metrics counter."""
    return OutboxEmail.objects.filter(status__in=SENT_SPELLINGS).count()


def failed_emails() -> QuerySet[OutboxEmail]:
    """Rows given up on, oldest first: what `requeue_failed_emails` sends again (not those
    whose address was refused for good: sent again, they would be refused again)."""
    rows = OutboxEmail.objects.filter(status__in=FAILED_SPELLINGS, refused_code=None)
    return rows.order_by("created_at")
