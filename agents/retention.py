"""Retention of the agents' records (portal.retention, settings.RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime

from .models import AccessRequest


def anonymise_rejected_requests(*, cutoff: datetime, dry_run: bool) -> int:
    """Requests rejected before the cutoff lose the email the agent typed and the reason.

    The row stays, and so does its `Decision`: the audit (who, when, what) is append-only
    (a PostgreSQL trigger refuses UPDATE), and the request's agent is the SAA's record, not
    data the agent gave us. An anonymised request has an empty email."""
    rows = AccessRequest.objects.filter(
        status=AccessRequest.Status.REJECTED, decided_at__lt=cutoff
    ).exclude(email="", rejection_reason="")
    if dry_run:
        return rows.count()
    return rows.update(email="", rejection_reason="")


PURGERS = {"rejected_access_requests": anonymise_rejected_requests}
