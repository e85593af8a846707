"""Back office's CSV exports: the access requests sent, or the decisions taken, over a range
of local dates (both days included), for reports the portal does not draw.

An export carries agents' names and addresses, so each one is recorded before a row leaves:
one `RecordAccess` row (action "exportación") naming the model and, as its key, the range
and the number of rows ("2026-01-01/2026-01-31 (1234)", an ISO 8601 interval), and one log
line with the same facts and the staff user's id, never a value from the rows.

The rows are read through a database cursor and written one line at a time
(portal.csv_export), so memory does not grow with the range: channels are joined in SQL,
and the rest comes as value tuples, not model instances.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import Aggregate, CharField, Count, Max, Model, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.business_days import business_days_between
from portal.csv_export import Cell
from portal.dashboard import DateRange
from portal.models import RecordAccess
from portal.record_access import record_access_log

from .models import AccessRequest, Decision

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from portal.models import User

log = logging.getLogger(__name__)

# Read from the database this many rows at a time.
CHUNK_SIZE = 2000
# Local date and time as ISO writes them: every spreadsheet reads it as a date and time,
# whatever the language of the computer opening it.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

REQUEST_HEADER: list[StrOrPromise] = [
    _("folio"), _("enviada"), _("clave de agente"), _("nombre"), _("correo"),
    _("correo distinto del SAA"), _("canales"), _("rol"), _("estatus"), _("decidida"),
    _("decidida por"), _("motivo de rechazo"), _("días hábiles de espera"),
]  # fmt: skip
DECISION_HEADER: list[StrOrPromise] = [
    _("folio"), _("decisión"), _("motivo"), _("decidida por"), _("fecha"),
    _("correo confirmado"),
]  # fmt: skip


class Kind:
    """What an export holds: requests by the day they were sent, decisions by the day they
    were taken."""

    REQUESTS = "solicitudes"
    DECISIONS = "decisiones"
    choices: list[tuple[str, StrOrPromise]] = [
        (REQUESTS, _("Solicitudes")),
        (DECISIONS, _("Decisiones")),
    ]


@dataclass
class Export:
    """A CSV about to be streamed: its header, its rows (read as they are written) and
    how many there are."""

    kind: str
    dates: DateRange
    header: list[str]
    rows: Iterator[list[Cell]]
    count: int

    @property
    def filename(self) -> str:
        return f"{self.kind}_{self.dates.start.isoformat()}_{self.dates.end.isoformat()}.csv"


class _GroupConcat(Aggregate):
    """SQLite's string aggregate, for the embedded mode (PostgreSQL has STRING_AGG)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ', ')"
    output_field = CharField()


def _joined_names(field: str) -> Aggregate:
    """`field`'s values joined by ", " (in name order on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return StringAgg(field, delimiter=", ", order_by=field)
    return _GroupConcat(field)


def export_csv(*, kind: str, dates: DateRange, by: User) -> Export:
    """The requests or decisions of `dates` as CSV rows, recorded as exported by `by` (one
    RecordAccess row and one log line) before any row is read."""
    model: type[Model] = AccessRequest if kind == Kind.REQUESTS else Decision
    in_range = _in_range(kind, dates)
    totals = in_range.aggregate(count=Count("pk"), last=Max("pk"))
    count: int = totals["count"]
    # Rows filed while the file streams are left out, so the file holds the rows counted.
    in_range = in_range.filter(pk__lte=totals["last"] or 0)
    record_access_log(
        viewer=by, model=model, object_pk=f"{dates} ({count})", action=RecordAccess.Action.EXPORT
    )
    log.info(
        "CSV export of %s %s: %s rows by user %s",
        kind, dates, count, by.pk,
        extra={"export": kind, "range": str(dates), "rows": count, "user_id": by.pk},
    )  # fmt: skip
    if kind == Kind.REQUESTS:
        header, rows = REQUEST_HEADER, _request_rows(in_range)
    else:
        header, rows = DECISION_HEADER, _decision_rows(in_range)
    return Export(kind=kind, dates=dates, header=[str(h) for h in header], rows=rows, count=count)


def _in_range(kind: str, dates: DateRange) -> QuerySet[Any]:
    if kind == Kind.REQUESTS:
        return AccessRequest.objects.filter(created_at__gte=dates.since, created_at__lt=dates.until)
    return Decision.objects.filter(decided_at__gte=dates.since, decided_at__lt=dates.until)


def _local(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).strftime(DATETIME_FORMAT) if moment else None


def _yes_no(value: bool) -> str:
    return gettext("Sí") if value else gettext("No")


def _request_rows(requests: QuerySet[AccessRequest]) -> Iterator[list[Cell]]:
    # The labels in the language of the request that asked for the file: the rows are
    # written after the view returned, when another language may be active.
    statuses = {str(value): str(label) for value, label in AccessRequest.Status.choices}
    yes, no = _yes_no(True), _yes_no(False)
    today = timezone.localdate()
    channels = (
        AccessRequest.channels.through.objects.filter(accessrequest_id=OuterRef("pk"))
        .values("accessrequest_id")
        .annotate(names=_joined_names("channel__name"))
        # django-stubs resolves values() against the through model's fields only.
        .values("names")  # type: ignore[misc]
    )
    values = (
        requests.order_by("created_at", "pk")
        .annotate(channel_names=Subquery(channels))
        .values_list(
            "pk",
            "created_at",
            "agent__clave_agente",
            "agent__nombre",
            "agent__apellido_paterno",
            "agent__apellido_materno",
            "email",
            "email_differs_from_saa",
            "channel_names",
            "role__name",
            "status",
            "decided_at",
            "decided_by__username",
            "rejection_reason",
        )  # fmt: skip
    )
    return _requests_as_rows(
        values.iterator(chunk_size=CHUNK_SIZE), statuses=statuses, yes=yes, no=no, today=today
    )


def _requests_as_rows(
    values: Iterator[tuple[Any, ...]],
    *,
    statuses: dict[str, str],
    yes: str,
    no: str,
    today: date,
) -> Iterator[list[Cell]]:
    waits: dict[tuple[date, date], int] = {}  # the same few (sent, decided) days, many times
    for (
        pk, created, clave, nombre, paterno, materno, email, differs, channel_names, role,
        status, decided, decided_by, reason,
    ) in values:  # fmt: skip
        # Business days waited, as the queue counts them: until the decision, or until today.
        days = (
            timezone.localdate(created),
            timezone.localdate(decided) if decided else today,
        )
        if days not in waits:
            waits[days] = business_days_between(start=days[0], end=days[1])
        yield [
            pk, _local(created), clave, " ".join(p for p in (nombre, paterno, materno) if p),
            email, yes if differs else no, channel_names or "", role,
            statuses.get(status, status), _local(decided), decided_by, reason, waits[days],
        ]  # fmt: skip


def _decision_rows(decisions: QuerySet[Decision]) -> Iterator[list[Cell]]:
    kinds = {str(value): str(label) for value, label in Decision.Kind.choices}
    yes, no = _yes_no(True), _yes_no(False)
    values = decisions.order_by("decided_at", "pk").values_list(
        "request_id", "decision", "reason", "decided_by__username", "decided_at",
        "email_override_confirmed",
    )  # fmt: skip
    return (
        [request, kinds.get(decision, decision), reason, by, _local(at), yes if confirmed else no]
        for request, decision, reason, by, at, confirmed in values.iterator(chunk_size=CHUNK_SIZE)
    )
