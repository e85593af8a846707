"""The dashboard's charts: each drawn on the server by pygal from a section's figures, and
shown with a data table of the same numbers.

A section is what one app adds: a function that computes its figures for a date range (its
queries, run once for the page), the charts drawn from them, and optionally the headline
figures read from the same figures (the cards at the top of the page) and links for the
range (its exports, for those allowed). Feature apps register theirs from their
AppConfig.ready() (agents.dashboard), so the shared package names none of them; the outbox
and the wizards' funnels are the shared package's own and come last.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from textwrap import shorten
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from django.http import HttpRequest
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from notifications.models import OutboxEmail

from . import dashboard
from .dashboard import DateRange, FunnelFigures
from .funnel import FINISHED, FUNNELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
    from pygal.style import Style

# pygal's chart classes by name: pygal is imported only to draw (a tenth of a second at
# import), not in every process whose apps register a section.
Kind = Literal["Line", "StackedBar", "Bar", "HorizontalBar"]

# A chart's drawing size (the SVG scales to its card: half the page at 1280 px, the whole
# width on a phone); the page's <img> says it too, so nothing moves as the images load.
WIDTH, HEIGHT = 640, 400
# More labels than this and they slant, and only some of them are written: a week's dates
# fit side by side in half a page, 30 overlap.
LABELLED_DAYS = 7
# Beside horizontal bars, a label (a rejection reason is a sentence) is cut to this many
# characters at a word, or it leaves the bars no room; the table writes it whole.
SIDE_LABEL = 30


@functools.cache
def _style() -> Style:
    """pygal's look: readable on admin's light and dark themes alike (its own white
    background)."""
    from pygal.style import Style

    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#333333",
        foreground_strong="#1a1a1a",
        foreground_subtle="#767676",
        font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        label_font_size=14,
        major_label_font_size=14,
        legend_font_size=15,
        colors=("#0b5cad", "#c0392b", "#e69f00", "#2e8540", "#6f42c1", "#5a5a5a", "#17a2b8"),
    )


@dataclass
class Chart:
    """One chart and its table: rows `labels`, a column per series, the same numbers."""

    slug: str
    title: StrOrPromise
    kind: Kind
    label_header: StrOrPromise
    labels: list[str]
    series: list[tuple[StrOrPromise, list[int]]]
    summary: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        columns = [values for _name, values in self.series]
        return [(label, [values[i] for values in columns]) for i, label in enumerate(self.labels)]

    @property
    def top(self) -> int:
        """The largest value the value axis must reach (stacked bars: a day's sum)."""
        if self.kind == "StackedBar":
            return max((sum(values) for _label, values in self.rows), default=0)
        return max((max(values, default=0) for _name, values in self.series), default=0)

    def svg(self) -> str:
        """The chart as a standalone SVG: no script (pygal writes its configuration in one
        even without `js`), no comment (pygal's carry its site's address), no style
        attribute (a policy with a nonce cannot allow those)."""
        import pygal

        many = len(self.labels) > LABELLED_DAYS
        config: dict[str, Any] = {
            "js": [],
            "style": _style(),
            "width": WIDTH,
            "height": HEIGHT,
            "legend_at_bottom": True,
            "legend_at_bottom_columns": 2,
            "x_label_rotation": 45 if many or self.kind == "Bar" else 0,
            "show_minor_x_labels": not many,
            "x_labels_major_count": 6 if many else None,
            "truncate_label": -1,
            "truncate_legend": -1,
            # Counts: whole numbers only on the value axis, 0 to 1 when there is nothing.
            "y_labels": whole_ticks(self.top),
            "value_formatter": lambda value: number_format(value, force_grouping=True),
        }
        chart = getattr(pygal, self.kind)(**{**config, **self.options})
        side = self.kind == "HorizontalBar"
        chart.x_labels = [
            shorten(s, SIDE_LABEL, placeholder="…") if side else s for s in self.labels
        ]
        for name, values in self.series:
            chart.add(str(name), values)
        drawn: str = chart.render(is_unicode=True)
        drawn = re.sub(r"<!--.*?-->|<script\b.*?</script>", "", drawn, flags=re.DOTALL)
        return drawn.replace(' style="opacity: 0"', ' opacity="0"')


def whole_ticks(top: int, most: int = 6) -> list[int]:
    """0 to at least `top` in steps of 1, 2 or 5 times a power of ten, at most `most` steps:
    a count's axis never shows 0.1."""
    if top <= 0:
        return [0, 1]
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if math.ceil(top / step) <= most:
                return list(range(0, math.ceil(top / step) * step + 1, step))
        power *= 10


def day_label(day: date) -> str:
    """A day as the charts' labels and tables write it."""
    return date_format(day, "SHORT_DATE_FORMAT")


@dataclass(frozen=True)
class Headline:
    """A figure for the cards at the top of the page: `value` (None: nothing to measure),
    written as `text`, named in plain words by `label`, with an optional `note`."""

    slug: str
    label: StrOrPromise
    value: float | None
    text: str
    note: str = ""


def count_headline(slug: str, label: StrOrPromise, value: int, note: str = "") -> Headline:
    """A headline that is a count."""
    return Headline(slug, label, value, number_format(value, force_grouping=True), note)


@dataclass(frozen=True)
class Link:
    """A link shown next to the range form, for the range shown (an export, say)."""

    text: StrOrPromise
    url: str


@dataclass(frozen=True)
class Drawn:
    """What a section shows for a range: its headline figures and its charts."""

    headline: list[Headline]
    charts: list[Chart]


F = TypeVar("F")


@dataclass(frozen=True)
class Section(Generic[F]):
    """Charts drawn from the same figures: `figures(period)` runs the queries once for the
    page; each of `charts` (by slug, in page order) draws one chart and its table; `headline`
    reads the page's top figures from the same figures; `links(request, period)` gives the
    links this user may follow for the range (the app decides who may)."""

    figures: Callable[[DateRange], F]
    charts: Mapping[str, Callable[[F], Chart]]
    headline: Callable[[F], list[Headline]] | None = None
    links: Callable[[HttpRequest, DateRange], list[Link]] | None = None

    def draw(self, period: DateRange) -> Drawn:
        figures = self.figures(period)
        charts = [build(figures) for build in self.charts.values()]
        return Drawn(self.headline(figures) if self.headline else [], charts)

    def draw_one(self, slug: str, period: DateRange) -> Chart:
        return self.charts[slug](self.figures(period))


# Filled by the feature apps' AppConfig.ready(), in INSTALLED_APPS order: the page's order.
REGISTERED: list[Section[Any]] = []


def register(section: Section[Any]) -> None:
    """Add a feature app's section to the dashboard, after those registered before it (once,
    however many times its app's ready() runs)."""
    if section not in REGISTERED:
        REGISTERED.append(section)


def outbox_chart(rows: list[tuple[date, dict[OutboxEmail.Status, int]]]) -> Chart:
    names = {
        OutboxEmail.Status.SENT: _("Enviados"),
        OutboxEmail.Status.PENDING: _("Pendientes"),
        OutboxEmail.Status.FAILED: _("Fallidos"),
    }
    return Chart(
        "correos", _("Correos por día de creación, según su estado"), "StackedBar", _("Día"),
        [day_label(day) for day, _c in rows],
        [(name, [counts[status] for _d, counts in rows]) for status, name in names.items()],
    )  # fmt: skip


def outbox_headline(rows: list[tuple[date, dict[OutboxEmail.Status, int]]]) -> list[Headline]:
    failed = sum(counts[OutboxEmail.Status.FAILED] for _day, counts in rows)
    return [count_headline("correos-fallidos", _("Correos fallidos en el periodo"), failed)]


def funnel_chart(wizard: str) -> Callable[[dict[str, FunnelFigures]], Chart]:
    def build(funnels: dict[str, FunnelFigures]) -> Chart:
        figures, declared = funnels[wizard], FUNNELS[wizard]
        titles = declared.titles
        names = [_("Terminaron") if s == FINISHED else titles.get(s, s) for s in figures.steps]
        totals = ", ".join(f"{name}: {n}" for name, n in zip(names, figures.totals, strict=True))
        return Chart(
            f"embudo-{wizard}", declared.title, "Line", _("Día"),
            [day_label(day) for day, _c in figures.days],
            [(name, [counts[i] for _d, counts in figures.days]) for i, name in enumerate(names)],
            summary=_("Visitantes que pasaron cada paso en el periodo: %(totals)s.")
            % {"totals": totals},
            options={"show_dots": len(figures.days) <= 31},
        )  # fmt: skip

    return build


def sections() -> list[Section[Any]]:
    """Every section in page order: the feature apps', then the outbox, then each wizard's
    funnel (wizards register theirs as their views are defined, so read here, not before)."""
    return [
        *REGISTERED,
        Section(dashboard.outbox, {"correos": outbox_chart}, outbox_headline),
        Section(dashboard.funnels, {f"embudo-{w}": funnel_chart(w) for w in FUNNELS}),
    ]
