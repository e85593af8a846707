"""What an operator sees: our Spanish 404 and 500 pages (the 500 without the database), one
JSON line per request in UTC with a request id and no query string, one line per email
attempt, and request, latency and lockout counts on /metricas/."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import threading

import pytest
from django.db import OperationalError
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import OutboxEmail
from notifications.services import deliver_email
from portal.logging import JsonFormatter, RequestIdFilter
from tests.helpers import ROOT, fresh_env
from tests.services import free_port

TOKEN = "token-de-metricas-de-prueba"
ADDRESS = "ana.secreta@ejemplo.test"


@pytest.fixture
def log_lines(settings):
    """The JSON lines the production handler writes (formatter and filter of LOGGING)."""
    assert settings.LOGGING["formatters"]["json"] == {"()": "portal.logging.JsonFormatter"}
    assert settings.LOGGING["handlers"]["console"]["filters"][0] == "request_id"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    root.removeHandler(handler)
    root.setLevel(level)


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "portal.access"]


# --- Error pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missing_page_is_our_spanish_404(client, settings):
    assert not settings.DEBUG
    response = client.get("/no-existe/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Página no encontrada" in html
    assert settings.PORTAL_BRAND in html  # the portal's header, from base.html
    assert 'href="/"' in html


def test_an_error_with_the_database_down_is_our_spanish_500(monkeypatch, log_lines, settings):
    # No django_db mark: pytest-django fails every query, as a database that is down would
    # (the session is read before the view); so the 500 page itself must make none.
    def database_down(*args, **kwargs):
        raise OperationalError("connection to server failed")

    monkeypatch.setattr("portal.views.render", database_down)
    visitor = Client(raise_request_exception=False)
    visitor.cookies["sessionid"] = "a" * 32  # a signed-in visitor: reading it needs the database
    response = visitor.get("/?token=s3creto-del-enlace")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Servicio no disponible por el momento" in html
    assert "Server Error" not in html
    assert settings.PORTAL_BRAND in html
    # The id shown to the visitor finds the error's lines in the log.
    request_id = response["X-Request-ID"]
    assert f"Folio del error: {request_id}" in html
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert errors, log_lines()
    assert all(line["request_id"] == request_id for line in errors)
    assert all("Traceback" in line["exc_info"] for line in errors)
    assert "s3creto" not in json.dumps(log_lines())  # Django's error record holds the request


# --- Access log ------------------------------------------------------------------------------


def test_each_request_writes_one_json_line_in_utc_with_its_id_and_without_query_string(
    client, log_lines
):
    response = client.get(
        "/salud/vivo/?token=s3creto-del-enlace", HTTP_X_REQUEST_ID="0f1e2d3c-aaaa-bbbb"
    )
    assert response["X-Request-ID"] == "0f1e2d3c-aaaa-bbbb"  # the proxy's id, kept
    [line] = access_lines(log_lines())
    assert line["method"] == "GET"
    assert line["path"] == "/salud/vivo/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["client_ip"] == "127.0.0.1"
    assert line["request_id"] == "0f1e2d3c-aaaa-bbbb"
    assert line["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"]), line["time"]
    assert "s3creto" not in json.dumps(log_lines())


@pytest.mark.parametrize(
    "given", ["x" * 10, "0" * 65, "abc\ndef", '" "admin":"1'], ids=["not-hex", "long", "nl", "q"]
)
def test_an_incoming_request_id_that_is_not_a_short_id_is_replaced(client, log_lines, given):
    response = client.get("/salud/vivo/", HTTP_X_REQUEST_ID=given)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    [line] = access_lines(log_lines())
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_the_key_in_a_link_path_is_masked_in_the_access_line(client, log_lines):
    response = client.get("/clientes/cuenta/bloquear/clave-del-enlace-123/")
    assert response.status_code == 400
    [line] = access_lines(log_lines())
    assert line["path"] == "/clientes/cuenta/bloquear/[oculto]/"
    assert "clave-del-enlace-123" not in json.dumps(log_lines())


def test_a_celery_worker_logs_json_in_utc_through_our_logging(tmp_path):
    """Celery's own lines too: it must not replace the root logger's handler with its own
    plain, local-time one (CELERY_WORKER_HIJACK_ROOT_LOGGER)."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "-l", "INFO"],
        cwd=ROOT,
        env=fresh_env(tmp_path, LOG_FORMAT="json"),  # memory broker: no Redis needed
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Timer(60, worker.kill)  # a worker that never gets ready ends the read
    stop.start()
    try:
        assert worker.stderr is not None
        ready = next(line for line in worker.stderr if "ready." in line)
    finally:
        stop.cancel()
        worker.terminate()
        worker.wait(timeout=30)
    line = json.loads(ready)
    assert line["logger"] == "celery.apps.worker"
    assert line["time"].endswith("Z")


# --- Email attempts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_email_attempt_is_one_info_line_naming_the_row_not_the_person(settings, log_lines):
    sent = OutboxEmail.objects.create(to=ADDRESS, template="solicitud_recibida", context={})
    assert deliver_email(sent.pk) == "sent"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # refused
    refused = OutboxEmail.objects.create(to=ADDRESS, template="solicitud_recibida", context={})
    assert deliver_email(refused.pk) == "pending"

    attempts = [line for line in log_lines() if "outbox_id" in line and line["level"] == "INFO"]
    assert [(a["outbox_id"], a["template"], a["attempt"], a["outcome"]) for a in attempts] == [
        (sent.pk, "solicitud_recibida", 1, "sent"),
        (refused.pk, "solicitud_recibida", 1, "pending"),
    ]
    assert ADDRESS not in json.dumps(log_lines())


# --- Metrics ---------------------------------------------------------------------------------


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metricas/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.mark.django_db
def test_metrics_count_requests_by_status_class_their_latency_and_lockouts(
    client, settings, make_agent_user
):
    settings.METRICS_TOKEN = TOKEN
    before = scrape(client)
    for _n in range(3):
        client.get("/salud/vivo/")
    client.get("/no-existe/")
    client.generic("BREW", "/no-existe/")
    user = make_agent_user()
    for _n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/agentes/ingresar/", {"username": user.username, "password": "mala-123"})
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    # The first scrape counts too (it is a request): 2xx grew by 3 + that one.
    assert grew("alta_http_requests_total", method="GET", status_class="2xx") == 4
    assert grew("alta_http_requests_total", method="GET", status_class="4xx") == 1
    assert grew("alta_http_requests_total", method="other", status_class="4xx") == 1
    assert grew("alta_http_request_duration_seconds_count", method="GET") == 5
    assert grew("alta_login_lockouts_total") == 1
    assert ("alta_outbox_pending", ()) in after  # the outbox gauges are still there
    # Nothing but ours: no interpreter internals for whoever holds the token.
    assert not [name for name, _labels in after if name.startswith(("python_", "process_"))]
