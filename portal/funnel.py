"""The wizards' funnel: how many visitors passed each step of a wizard, and finished it, per
day. Counts only (wizard, step, day, count): no session key, address, account or anything
typed, so the table holds nothing personal and needs no retention rule.

Where the count goes: one upsert (INSERT … ON CONFLICT DO UPDATE count = count + 1) in the
database, in its own short transaction, when a step's POST succeeds. The alternative, Redis
HINCRBY flushed into the table by beat, spares the database a write per POST but loses what
was not flushed yet in a Redis failover or restart (the cache has no persistence), shows
today's figures late, and needs a flush that neither loses nor doubles a batch. The hot row
(one per wizard, step and day) is locked only for the statement, not for the request (no
ATOMIC_REQUESTS): a fraction of a millisecond per POST, far below the rate at which people
finish steps (the wizards' POSTs do dozens of queries each). A failed count is logged and
dropped: counting never breaks the wizard.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import FunnelCount

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)

FINISHED = "fin"  # the step name of "completed the wizard" (a step is never named so)


@dataclass(frozen=True)
class Funnel:
    """A wizard's steps in order, with their titles, and the funnel's title, as the dashboard
    shows them."""

    wizard: str
    title: StrOrPromise
    steps: tuple[str, ...]
    titles: Mapping[str, StrOrPromise]


# Filled by the wizard views as their classes are defined (portal.wizards.PortalWizardMixin),
# so the shared package names no feature app's wizard.
FUNNELS: dict[str, Funnel] = {}


def register(
    *,
    wizard: str,
    title: StrOrPromise,
    steps: Sequence[str],
    titles: Mapping[str, StrOrPromise],
) -> None:
    """Declare a wizard's funnel; a second wizard of the same app with the same steps (the
    client registration with a key) counts in the first one's."""
    FUNNELS.setdefault(wizard, Funnel(wizard, title, tuple(steps), titles))


def _upsert_sql() -> str:
    table = connection.ops.quote_name(FunnelCount._meta.db_table)
    # The table's name from the model; the values go as parameters.
    return (
        f"INSERT INTO {table} (wizard, step, day, count) VALUES (%s, %s, %s, 1) "  # noqa: S608  # nosec B608
        f"ON CONFLICT (wizard, day, step) DO UPDATE SET count = {table}.count + 1"
    )


def count(*, wizard: str, step: str) -> None:
    """One more visitor passed `step` of `wizard` today (local date); never raises."""
    params: list[Any] = [wizard, step, timezone.localdate()]
    # A savepoint inside a transaction, so a failure here leaves it usable; the wizards' POSTs
    # (no ATOMIC_REQUESTS) run the statement alone, committed by itself.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with guard, connection.cursor() as cursor:
            cursor.execute(_upsert_sql(), params)
    except DatabaseError:
        log.warning("funnel count of %s/%s dropped", wizard, step, exc_info=True)
