"""The back-office dashboard's date range and the figures the shared package owns: the outbox
and the wizards' funnels (selectors: reads only). Feature apps add their own figures as
sections (portal.dashboard_charts.register), so this module names no feature app's model.

Every figure is an aggregate the database computes (Count grouped by TruncDate in
TIME_ZONE): a range of a year reads a few hundred grouped rows, never the rows themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from notifications.models import OutboxEmail

from .funnel import FINISHED, FUNNELS
from .models import FunnelCount

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a year, leap day included: the tables stay readable, the queries fast
OUTBOX_STATUSES = tuple(OutboxEmail.Status)


@dataclass(frozen=True)
class DateRange:
    """From `start` to `end`, both local dates included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, today: date | None = None) -> DateRange:
        end = today or timezone.localdate()
        return cls(end - timedelta(days=days - 1), end)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        """The first instant of `start`, local time."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after `end`, local time."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(1), time.min))

    def __str__(self) -> str:
        """The range as an ISO 8601 interval: "2026-01-01/2026-01-31"."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def local_date(field: str) -> TruncDate:
    """`field` (a datetime column) as its local date, computed by the database."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def outbox(period: DateRange) -> list[tuple[date, dict[OutboxEmail.Status, int]]]:
    """Emails queued each day of the range by their status now (sent, pending, failed),
    the previous release's spellings read as this one's."""
    rows = (
        OutboxEmail.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(day=local_date("created_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    found: defaultdict[date, Counter[OutboxEmail.Status]] = defaultdict(Counter)
    for row in rows:
        status = OutboxEmail.LEGACY_STATUSES.get(row["status"]) or OutboxEmail.Status(row["status"])
        found[row["day"]][status] += row["n"]
    return [(day, {s: found[day][s] for s in OUTBOX_STATUSES}) for day in period.days]


@dataclass(frozen=True)
class FunnelFigures:
    """A wizard's visitors per step (and finished) for each day of the range."""

    wizard: str
    steps: tuple[str, ...]  # the wizard's steps in order, then funnel.FINISHED
    days: list[tuple[date, list[int]]]  # per day, a count per step

    @property
    def totals(self) -> list[int]:
        return [sum(counts[i] for _day, counts in self.days) for i in range(len(self.steps))]


def funnels(period: DateRange) -> dict[str, FunnelFigures]:
    """Each registered wizard's funnel (portal.funnel) over the range, by wizard: one query."""
    rows = (
        FunnelCount.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("wizard", "step", "day")
        .annotate(n=Sum("count"))
        .order_by()
    )
    found = {
        (row["wizard"], row["step"], row["day"]): row["n"]
        for row in cast("Iterable[dict[str, Any]]", rows)
    }
    figures = {}
    for name, wizard in FUNNELS.items():
        steps = (*wizard.steps, FINISHED)
        days = [(day, [found.get((name, step, day), 0) for step in steps]) for day in period.days]
        figures[name] = FunnelFigures(name, steps, days)
    return figures
