"""The back-office dashboard in admin (/admin/tablero/): the registered sections' headline
figures as cards, then their charts (portal.dashboard_charts), drawn on the server by pygal,
each followed by its data table (closed, one click away).

Each chart is an SVG image at its own URL (`admin:dashboard_chart`), shown with `<img>`:
pygal styles its SVG with an inline `<style>`, which the site's Content-Security-Policy
(style-src 'self') refuses in a page. The SVG response carries a policy of its own that
allows that one `<style>` by its nonce and nothing else (no script, no other source).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import dashboard, dashboard_charts
from .dashboard import DateRange
from .date_input import IsoDateInput

PERMISSION = "portal.view_dashboard"


# --- the date range -----------------------------------------------------------------------
class RangeForm(forms.Form):
    """Desde / Hasta (both included): by default the last 30 days, at most a year."""

    desde = forms.DateField(
        label=gettext_lazy("Desde"),
        required=False,
        widget=IsoDateInput,
    )
    hasta = forms.DateField(
        label=gettext_lazy("Hasta"),
        required=False,
        widget=IsoDateInput,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        end = data.get("hasta") or timezone.localdate()
        start = data.get("desde") or end - timedelta(days=dashboard.DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("La fecha «Desde» debe ser anterior a «Hasta»."))
        if (end - start).days + 1 > dashboard.MAX_DAYS:
            raise forms.ValidationError(
                _("El periodo puede abarcar a lo más %(days)s días.") % {"days": dashboard.MAX_DAYS}
            )
        data["period"] = DateRange(start, end)
        return data


def read_range(params: QueryDict) -> tuple[DateRange, RangeForm]:
    """The range asked for, or the last 30 days when the input is wrong (the form says why)."""
    form = RangeForm(params if params else None)
    if form.is_bound and form.is_valid():
        period: DateRange = form.cleaned_data["period"]
        return period, form
    return DateRange.last_days(), form


# --- the views -----------------------------------------------------------------------------
def _require_permission(request: HttpRequest) -> None:
    # admin_view already let only active staff past the second factor in.
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


@never_cache
def dashboard_page(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The dashboard: the range form and the links for it, the headline figures, then each
    chart and its table."""
    _require_permission(request)
    period, form = read_range(request.GET)
    query = QueryDict(mutable=True)
    query.update({"desde": period.start.isoformat(), "hasta": period.end.isoformat()})
    sections = dashboard_charts.sections()
    drawn = [section.draw(period) for section in sections]
    context = {
        **site.each_context(request),
        "title": _("Tablero"),
        "form": form,
        "period": period,
        "headline": [figure for each in drawn for figure in each.headline],
        "charts": [chart for each in drawn for chart in each.charts],
        "links": [link for s in sections if s.links for link in s.links(request, period)],
        "chart_size": (dashboard_charts.WIDTH, dashboard_charts.HEIGHT),
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)


@never_cache
def dashboard_chart(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart as image/svg+xml, its inline style allowed by a nonce."""
    _require_permission(request)
    section = next((s for s in dashboard_charts.sections() if chart in s.charts), None)
    if section is None:
        raise Http404
    period, _form = read_range(request.GET)
    nonce = secrets.token_urlsafe(16)
    svg = section.draw_one(chart, period).svg().replace("<style", f'<style nonce="{nonce}"', 1)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
