"""Retention of the outbox (portal.retention, settings.RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime

from django.db.models.functions import Coalesce

from .models import FAILED_SPELLINGS, SENT_SPELLINGS, OutboxEmail


def purge_outbox_emails(*, cutoff: datetime, dry_run: bool) -> int:
    """Sent rows older than the cutoff lose their recipient and context (names, links); the
    row stays, for the sent count. Failed rows are deleted: their codes and links expired
    long ago, and a blank recipient must not be sent again (`requeue_failed_emails`)."""
    sent = OutboxEmail.objects.filter(status__in=SENT_SPELLINGS, sent_at__lt=cutoff)
    sent = sent.exclude(to="", context={})
    # A failed row's last attempt was scheduled at `next_attempt_at` (none: it failed at once).
    failed = OutboxEmail.objects.annotate(
        failed_at=Coalesce("next_attempt_at", "created_at")
    ).filter(status__in=FAILED_SPELLINGS, failed_at__lt=cutoff)
    if dry_run:
        return sent.count() + failed.count()
    wiped = sent.update(to="", context={}, last_error="")
    _total, per_model = failed.delete()
    return wiped + per_model.get(OutboxEmail._meta.label, 0)


PURGERS = {"outbox_emails": purge_outbox_emails}
