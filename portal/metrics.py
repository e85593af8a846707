"""`/metricas/`: outbox figures in the Prometheus text format, for alerts on mail trouble."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from notifications import heartbeat, selectors


class OutboxCollector(Collector):
    """Reads the figures when scraped: nothing is counted in a process, which would differ
    between gunicorn workers and be lost on restart."""

    def collect(self) -> Iterator[Metric]:
        figures = selectors.outbox_figures()
        yield GaugeMetricFamily(
            "alta_outbox_pending", "Outbox emails waiting to be sent", value=figures.pending
        )
        yield GaugeMetricFamily(
            "alta_outbox_failed", "Outbox emails given up on (re-queue them)", value=figures.failed
        )
        yield GaugeMetricFamily(
            "alta_outbox_overdue",
            "Pending outbox emails past their attempt time by more than the grace",
            value=figures.overdue,
        )
        yield GaugeMetricFamily(
            "alta_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox email",
            value=figures.oldest_pending_seconds,
        )
        yield CounterMetricFamily(
            "alta_outbox_sent", "Outbox emails sent", value=selectors.sent_total()
        )
        age = heartbeat.beat_heartbeat_age()
        if age is not None:  # absent rather than a made-up number: alert on absent() too
            yield GaugeMetricFamily(
                "alta_beat_heartbeat_age_seconds",
                "Seconds since beat last queued the outbox",
                value=age,
            )


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The scrape: 404 unless METRICS_TOKEN is set and sent as a bearer token, so the page
    is not even known to exist to anyone else."""
    if not _authorized(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    return HttpResponse(generate_latest(registry), content_type="text/plain; version=0.0.4")
