"""Sending again what the outbox gave up on: after an outage, from admin or a command."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import FAILED_SPELLINGS, SENT_SPELLINGS, OutboxEmail
from .services import enqueue_rows


def requeue_emails(*, ids: Iterable[int]) -> int:
    """Give the unsent rows among `ids` a full set of attempts again and queue them now;
    returns how many. Sent rows are left alone: they must not be sent twice."""
    with transaction.atomic():
        rows = OutboxEmail.objects.select_for_update().filter(pk__in=list(ids))
        # Both spellings: a row the previous release's worker sent during an upgrade is "sent".
        rows = rows.exclude(status__in=SENT_SPELLINGS)
        pks = list(rows.values_list("pk", flat=True))
        # Only a failed row gets fresh secrets (its sealed ones were wiped when it failed): a
        # pending row may have a copy on its way already, whose secret must keep working.
        rows.filter(status__in=FAILED_SPELLINGS).update(sealed_secrets="")
        # The last error stays until the next attempt replaces it: whoever re-queued after an
        # outage still sees why the row had failed, not a blank that looks like success.
        OutboxEmail.objects.filter(pk__in=pks).update(
            status=OutboxEmail.Status.PENDING, attempts=0, next_attempt_at=None, refused_code=None
        )
        # Queued once committed; with the broker down they are due now, for beat's `send_pending`.
        transaction.on_commit(lambda: enqueue_rows(pks))
    return len(pks)
