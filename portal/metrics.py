"""`/metricas/` in the Prometheus text format: requests and their latency, login lockouts,
the outbox figures and whether Redis answers, for alerts on errors, slowness, attacks, mail
trouble and a Redis outage.

Requests and lockouts are counted in each process. Under gunicorn with several workers a
scrape reaches one worker, so set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at each
start, shared by the workers): prometheus_client then keeps the counts in files there and the
scrape adds up every worker's. The outbox figures and Redis are read when scraped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from notifications import heartbeat, selectors

from . import redis_health

# In multiprocess mode prometheus_client writes to the folder from the first metric made: a
# process that starts before gunicorn has made it (manage.py, a worker given web's
# environment) must not fail on import.
if _MULTIPROC_DIR := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

# Not in prometheus_client's global registry: each scrape builds its own (below), so the
# library's process and platform collectors (interpreter internals) are not published.
HTTP_REQUESTS = Counter(
    "alta_http_requests",
    "Requests answered, by method and status class",
    ["method", "status_class"],
    registry=None,
)
HTTP_LATENCY = Histogram(
    "alta_http_request_duration_seconds",
    "Time to answer a request, in the application",
    ["method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
LOGIN_LOCKOUTS = Counter(
    "alta_login_lockouts", "Logins locked by django-axes (too many failures)", registry=None
)
PROCESS_METRICS = (HTTP_REQUESTS, HTTP_LATENCY, LOGIN_LOCKOUTS)

# A method a client made up becomes "other": one label value per distinct word would let
# anyone grow the scrape without bound.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(method: str, status: int, seconds: float) -> None:
    """Count one answered request (called by portal.middleware.AccessLogMiddleware)."""
    method = method if method in _METHODS else "other"
    HTTP_REQUESTS.labels(method=method, status_class=f"{status // 100}xx").inc()
    HTTP_LATENCY.labels(method=method).observe(seconds)


@receiver(user_locked_out)
def count_lockout(sender: Any, **kwargs: Any) -> None:
    LOGIN_LOCKOUTS.inc()


class OutboxCollector(Collector):
    """Reads the figures when scraped: nothing is counted in a process, which would differ
    between gunicorn workers and be lost on restart."""

    def collect(self) -> Iterator[Metric]:
        # The metric names keep their English words (pending, failed, sent) whatever the
        # outbox stores ("pendiente", "fallido", "enviado", or the previous release's English
        # during an upgrade; the selectors count both): dashboards and alerts query them.
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


class RedisCollector(Collector):
    """Whether this process reaches the cache's Redis (absent in the embedded mode)."""

    def collect(self) -> Iterator[Metric]:
        if redis_health.cache_breaker() is None:
            return
        up = redis_health.check_cache() == redis_health.OK
        yield GaugeMetricFamily(
            "alta_redis_up",
            "1 when Redis answers; 0 while limits count in the database and mail waits",
            value=int(up),
        )


def bearer_authorized(request: HttpRequest) -> bool:
    """Whether the request carries `Authorization: Bearer <METRICS_TOKEN>` (never when the
    token is unset), compared in constant time: for /metricas/ and /salud/'s details."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The scrape: 404 unless METRICS_TOKEN is set and sent as a bearer token, so the page
    is not even known to exist to anyone else."""
    if not bearer_authorized(request):
        raise Http404
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    registry.register(RedisCollector())
    if _MULTIPROC_DIR:
        # Every worker's counts, this one's too (prometheus_client leaves its __init__ untyped).
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    return HttpResponse(generate_latest(registry), content_type="text/plain; version=0.0.4")
