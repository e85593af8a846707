"""The access requests' charts on the back-office dashboard (portal.dashboard_charts): the
queue over time, decisions per day, time to decision against the SLA and rejection reasons;
the headline figures (pending and overdue now, decided in the range, the share within the
SLA) and the link to the CSV export for those who may export. Registered from
AgentsConfig.ready(), so the shared package names no agents' model.

Four queries, each an aggregate: the requests pending and overdue now (the queue's index on
status and created_at), those pending at the end of the range, those filed per day, and those
decided in the range grouped by (filed, decided) local dates with their statuses and standard
reasons counted alongside. The headline figures reuse the charts' numbers.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q
from django.db.models.functions import Trim
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.business_days import is_business_day
from portal.dashboard import DateRange, local_date
from portal.dashboard_charts import Chart, Headline, Link, Section, count_headline, day_label

from .models import AccessRequest
from .services.business_days import overdue_cutoff
from .services.review import STANDARD_REJECTION_REASONS

OTHER_REASON = "Otro"
Status = AccessRequest.Status


class RequestFigures:
    """The requests' figures for a range; each query runs when a chart first needs it (a
    chart's own URL runs only its own), and once for the page."""

    def __init__(self, period: DateRange) -> None:
        self.period = period
        self._in_range = {"decided_at__gte": period.since, "decided_at__lt": period.until}

    @cached_property
    def _decided(self) -> list[dict[str, Any]]:
        """Requests decided in the range per (filed, decided) local dates: how many, approved,
        rejected, and rejected with each standard reason (`reason0`…, trimmed)."""
        rejected = Q(status=Status.REJECTED)
        reasons = {
            f"reason{n}": Count("id", filter=rejected & Q(reason=text))
            for n, text in enumerate(STANDARD_REJECTION_REASONS)
        }
        rows = (
            AccessRequest.objects.filter(**self._in_range)
            .annotate(
                filed=local_date("created_at"),
                decided=local_date("decided_at"),
                reason=Trim("rejection_reason"),
            )
            .values("filed", "decided")
            .annotate(
                n=Count("id"),
                approved=Count("id", filter=Q(status=Status.APPROVED)),
                rejected=Count("id", filter=rejected),
                **reasons,
            )
            .order_by()
        )
        return list(rows)

    def queue_size(self) -> list[tuple[date, int]]:
        """Requests pending at the end of each day: those pending at the end of the range
        (filed before its end, undecided then), then back a day at a time (a day's filed
        requests were not pending the evening before, its decided ones were). Counted from
        the end, the rows read are the recent ones (indexes on decided_at and created_at),
        not the whole history before the range."""
        until = self.period.until
        pending = AccessRequest.objects.filter(
            Q(decided_at__isnull=True) | Q(decided_at__gte=until), created_at__lt=until
        ).count()
        filed_rows = (
            AccessRequest.objects.filter(created_at__gte=self.period.since, created_at__lt=until)
            .annotate(day=local_date("created_at"))
            .values("day")
            .annotate(n=Count("id"))
            .order_by()
        )
        filed = {row["day"]: row["n"] for row in filed_rows}
        decided: dict[date, int] = {}
        for row in self._decided:
            decided[row["decided"]] = decided.get(row["decided"], 0) + row["n"]
        series = []
        for day in reversed(self.period.days):
            series.append((day, pending))
            pending -= filed.get(day, 0) - decided.get(day, 0)
        return series[::-1]

    def decisions(self) -> list[tuple[date, int, int]]:
        """(day, approved, rejected) for each day of the range, by the decision's local date."""
        found: dict[date, tuple[int, int]] = {}
        for row in self._decided:
            approved, rejected = found.get(row["decided"], (0, 0))
            found[row["decided"]] = (approved + row["approved"], rejected + row["rejected"])
        return [(day, *found.get(day, (0, 0))) for day in self.period.days]

    @cached_property
    def waiting_now(self) -> dict[str, int]:
        """Requests pending now, and those of them past the review deadline: one count over
        the queue's index (status, created_at), whatever the range."""
        counts: dict[str, int] = AccessRequest.objects.filter(status=Status.PENDING).aggregate(
            pending=Count("id"), overdue=Count("id", filter=Q(created_at__lt=overdue_cutoff()))
        )
        return counts

    @cached_property
    def time_to_decision(self) -> list[int]:
        """Requests decided in the range by business days (Mexican holidays) from filing to
        decision: index n, after n business days; the last, after more than the SLA."""
        sla = settings.REVIEW_SLA_BUSINESS_DAYS
        buckets = [0] * (sla + 2)
        if not self._decided:
            return buckets
        # Business days up to each date since the earliest filing: an age is a subtraction.
        first = min(row["filed"] for row in self._decided)
        span = (self.period.end - first).days + 1
        days = [first + timedelta(n) for n in range(span)]
        counted = dict(zip(days, accumulate(int(is_business_day(d)) for d in days), strict=True))
        for row in self._decided:
            age = counted[row["decided"]] - counted[row["filed"]]
            buckets[min(age, sla + 1)] += row["n"]
        return buckets

    def rejection_reasons(self) -> list[tuple[str, int]]:
        """Requests rejected in the range per standard reason, any other text as "Otro"."""
        standard = [
            sum(row[f"reason{n}"] for row in self._decided)
            for n in range(len(STANDARD_REJECTION_REASONS))
        ]
        other = sum(row["rejected"] for row in self._decided) - sum(standard)
        return [*zip(STANDARD_REJECTION_REASONS, standard, strict=True), (OTHER_REASON, other)]


def share_within_sla(buckets: list[int]) -> float | None:
    """The percentage of `buckets` (RequestFigures.time_to_decision) decided within the SLA
    (None for none decided)."""
    total = sum(buckets)
    return sum(buckets[:-1]) * 100 / total if total else None


def within_sla(buckets: list[int]) -> str:
    """`share_within_sla` written with one decimal ("" for none decided)."""
    share = share_within_sla(buckets)
    return "" if share is None else number_format(share, decimal_pos=1)


def queue_chart(figures: RequestFigures) -> Chart:
    series = figures.queue_size()
    return Chart(
        "cola", _("Solicitudes pendientes al final de cada día"), "Line", _("Día"),
        [day_label(day) for day, _n in series], [(_("Pendientes"), [n for _day, n in series])],
        options={"show_dots": len(series) <= 31, "fill": True},
    )  # fmt: skip


def decisions_chart(figures: RequestFigures) -> Chart:
    rows = figures.decisions()
    return Chart(
        "decisiones", _("Decisiones por día"), "StackedBar", _("Día"),
        [day_label(day) for day, *_n in rows],
        [(_("Aprobadas"), [a for _d, a, _r in rows]), (_("Rechazadas"), [r for _d, _a, r in rows])],
    )  # fmt: skip


def sla_chart(figures: RequestFigures) -> Chart:
    buckets = figures.time_to_decision
    sla = len(buckets) - 2
    labels = [
        ngettext("%(n)s día hábil", "%(n)s días hábiles", n) % {"n": n} for n in range(sla + 1)
    ]
    labels.append(_("Más de %(n)s días hábiles") % {"n": sla})
    total = sum(buckets)
    summary = (
        _("%(share)s %% de %(total)s solicitudes decididas en %(n)s días hábiles o menos.")
        % {
            "share": within_sla(buckets),
            "total": number_format(total, force_grouping=True),
            "n": sla,
        }
        if total
        else _("Ninguna solicitud decidida en el periodo.")
    )
    return Chart(
        "plazo", _("Tiempo hasta la decisión (plazo: %(n)s días hábiles)") % {"n": sla},
        "Bar", _("Días hábiles hasta la decisión"), labels,
        [(_("Solicitudes decididas"), buckets)], summary=summary,
        options={"show_legend": False},
    )  # fmt: skip


def reasons_chart(figures: RequestFigures) -> Chart:
    rows = figures.rejection_reasons()
    return Chart(
        "motivos", _("Motivos de rechazo"), "HorizontalBar", _("Motivo"),
        [_("Otro") if reason == OTHER_REASON else reason for reason, _n in rows],
        [(_("Rechazos"), [n for _r, n in rows])],
        options={"show_legend": False},
    )  # fmt: skip


def headline(figures: RequestFigures) -> list[Headline]:
    """Pending and overdue now; approved, rejected and the share within the SLA in the range
    (the decisions and time-to-decision charts' own numbers)."""
    waiting, sla = figures.waiting_now, settings.REVIEW_SLA_BUSINESS_DAYS
    decisions = figures.decisions()
    approved, rejected = sum(a for _d, a, _r in decisions), sum(r for _d, _a, r in decisions)
    buckets = figures.time_to_decision
    total = sum(buckets)
    share = (
        Headline(
            "en-plazo", _("Decididas en plazo"), share_within_sla(buckets),
            f"{within_sla(buckets)}\N{NO-BREAK SPACE}%",
            ngettext(
                "De %(total)s decidida en el periodo, en %(n)s días hábiles o menos.",
                "De %(total)s decididas en el periodo, en %(n)s días hábiles o menos.", total,
            ) % {"total": number_format(total, force_grouping=True), "n": sla},
        )
        if total
        else Headline("en-plazo", _("Decididas en plazo"), None, "—",
                      _("Ninguna solicitud decidida en el periodo."))
    )  # fmt: skip
    return [
        count_headline("pendientes", _("Pendientes ahora"), waiting["pending"]),
        count_headline(
            "vencidas", _("Vencidas ahora"), waiting["overdue"],
            _("Pendientes hace más de %(n)s días hábiles.") % {"n": sla},
        ),
        count_headline("aprobadas", _("Aprobadas en el periodo"), approved),
        count_headline("rechazadas", _("Rechazadas en el periodo"), rejected),
        share,
    ]  # fmt: skip


def export_links(request: HttpRequest, period: DateRange) -> list[Link]:
    """The CSV export of the range, for those the export page lets in (AccessRequestAdmin
    decides who may export what: its page offers the kinds this user may)."""
    from .admin import AccessRequestAdmin  # admin registers its models: not while apps load

    model_admin = admin.site.get_model_admin(AccessRequest)
    if not (isinstance(model_admin, AccessRequestAdmin) and model_admin.export_kinds(request)):
        return []
    query = QueryDict(mutable=True)
    query.update({"desde": period.start.isoformat(), "hasta": period.end.isoformat()})
    url = f"{reverse('admin:agents_accessrequest_export')}?{query.urlencode()}"
    return [Link(_("Exportar CSV"), url)]


SECTION = Section(
    RequestFigures,
    {
        "cola": queue_chart,
        "decisiones": decisions_chart,
        "plazo": sla_chart,
        "motivos": reasons_chart,
    },
    headline,
    export_links,
)
