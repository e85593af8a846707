"""Nothing lost under faults: real Redis, SMTP sink, Celery worker and PostgreSQL are
stopped, refused or killed while the agent flow runs (DESIGN, "Rules that hold everywhere").

Every wait polls until a deadline and then asserts; "exactly once" is checked only when the
row is sent and the broker's queue is empty, so nothing still in flight can add a copy.
"""

import re
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from tests.helpers import (
    ROOT,
    RequestWizard,
    RowHeld,
    broker_queue_length,
    trigger_resend,
    wait_until,
)

# A retry is due within about a second, and a dead worker's row within 6 s (its lease).
FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "1",
    "OUTBOX_ATTEMPT_SECONDS": "5",
    "OUTBOX_LEASE_MARGIN_SECONDS": "1",
}


def submit_through_the_wizard(client, agent):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    wizard = RequestWizard(client)
    page = wizard.walk_to_submit(agent)
    response = wizard.send(page, email=agent.email)
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302), (
        "the user did not see success"
    )
    assert "Solicitud enviada" in response.text
    return AccessRequest.objects.get(agent=agent)


def settled(row: OutboxEmail) -> bool:
    """The row is sent and no task is left in the broker that could send it again."""
    row.refresh_from_db()
    return row.status == OutboxEmail.Status.SENT and broker_queue_length() == 0


def plain_text(message) -> str:
    """The text/plain part of a message as the sink received it."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def resend_when_due(row: OutboxEmail) -> None:
    """Wait for the row's own retry time, then do once what beat does every minute."""
    row.refresh_from_db()
    wait_until(
        lambda: row.next_attempt_at is None or row.next_attempt_at <= timezone.now(),
        timeout=30,
        what="the row's next attempt to come due",
    )
    trigger_resend()


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task is
def test_cache_and_broker_use_separate_redis_databases():
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    from portal.celery import app

    before = broker.llen("celery")
    app.send_task("notifications.tasks.send_pending")  # no worker runs: it stays queued
    try:
        assert broker.llen("celery") == before + 1
        cache.set("rate-limit-counter", 1)
        cache.clear()  # FLUSHDB, as the suite does before every test
        assert cache.get("rate-limit-counter") is None
        assert broker.llen("celery") == before + 1, "clearing the cache emptied the queue"
    finally:
        broker.lpop("celery")  # the newest message: ours (Redis transport LPUSHes)


def test_settings_refuse_a_cache_on_the_brokers_redis_database():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_CACHE_DB": "0", "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "share one Redis database" in result.stderr


@pytest.mark.worker
def test_redis_down_at_submit_saves_the_request_and_mails_once_redis_is_back(
    client, make_agent, start_worker, smtp_sink, services
):
    start_worker(**FAST)
    agent = make_agent()
    services.redis.stop()
    try:
        submit_through_the_wizard(client, agent)
        row = OutboxEmail.objects.get()
        assert row.status == OutboxEmail.Status.PENDING
        assert smtp_sink.messages == []
    finally:
        services.redis.start()
    trigger_resend()  # beat's next run: the task the web could not publish is queued now
    wait_until(lambda: settled(row), timeout=90, what="the email after Redis came back")
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["To"] == agent.email


@pytest.mark.worker
def test_worker_keeps_reconnecting_while_redis_is_down_then_delivers(
    make_agent, start_worker, smtp_sink, services, tmp_path
):
    from notifications.services import queue_email

    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None  # Celery's default: 100
    log = tmp_path / "worker.log"
    worker = start_worker(log=log)
    first = queue_email("ana@ejemplo.test", "solicitud_recibida", {"full_name": "ANA PEREZ"})
    wait_until(lambda: settled(first), what="the worker to consume")
    services.redis.stop()
    try:
        # kombu waits 2, 4, 6 … s between tries: five failed tries take about 30 s, more
        # than a worker limited to a few retries would survive.
        wait_until(
            lambda: log.read_text().count("Cannot connect to redis") >= 5,
            timeout=90,
            what="five failed reconnect attempts",
        )
        assert worker.poll() is None, "the worker gave up on the broker"
    finally:
        services.redis.start()
    second = queue_email("bea@ejemplo.test", "solicitud_recibida", {"full_name": "BEA RUIZ"})
    wait_until(lambda: settled(second), timeout=90, what="delivery after Redis came back")
    assert worker.poll() is None
    assert [m["To"] for m in smtp_sink.messages] == ["ana@ejemplo.test", "bea@ejemplo.test"]


@pytest.mark.worker
def test_smtp_refusing_for_a_while_delivers_once_after_it_recovers(
    client, make_agent, start_worker, smtp_sink
):
    # Beat at a scaled period is the re-send path under test here.
    start_worker(beat=True, OUTBOX_RESEND_SECONDS="1", **FAST)
    smtp_sink.refuse = True
    submit_through_the_wizard(client, make_agent())
    wait_until(lambda: smtp_sink.attempts >= 2, what="two refused attempts")
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts >= 1
    assert "451" in row.last_error
    smtp_sink.refuse = False
    wait_until(lambda: settled(row), what="delivery after SMTP recovered")
    assert len(smtp_sink.messages) == 1
    assert row.last_error == ""


@pytest.mark.worker
def test_worker_killed_before_the_server_accepts_delivers_exactly_once(
    client, make_agent, start_worker, smtp_sink
):
    smtp_sink.delay = 4.0
    first = start_worker(**FAST)
    submit_through_the_wizard(client, make_agent())
    wait_until(lambda: smtp_sink.attempts >= 1, what="the worker to start sending")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert smtp_sink.messages == []
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.PENDING
    assert row.attempts == 1, "the attempt was not recorded before the SMTP conversation"
    smtp_sink.delay = 0
    start_worker(**FAST)
    resend_when_due(row)  # the dead worker's task is not redelivered: beat's re-send is
    wait_until(lambda: settled(row), what="delivery by the second worker")
    assert len(smtp_sink.messages) == 1
    assert row.attempts == 2


@pytest.mark.worker
def test_worker_killed_after_the_server_accepted_sends_one_message_id_and_one_valid_code(
    start_worker, smtp_sink, make_person
):
    """The duplicate window: the server said 250, the worker died before recording it
    (its write waits on the row, held by the test)."""
    from portal import codes

    person = make_person(emails=["maria@ejemplo.test"])
    subject = f"person:{person.pk}"
    smtp_sink.delay = 1.0  # accepted 1 s after its data: time to hold the row
    first = start_worker(**FAST)
    codes.send_code(
        "registration", subject, "maria@ejemplo.test", "codigo", {"full_name": "MARÍA"},
        session_key="s", ip="127.0.0.1",
    )  # fmt: skip
    wait_until(lambda: OutboxEmail.objects.filter(attempts=1).exists(), what="the row claimed")
    held = RowHeld(OutboxEmail.objects.get().pk)
    wait_until(lambda: smtp_sink.messages, what="the server to accept")
    wait_until(lambda: held.waiters() == 1, what="the worker writing the row as sent")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    held.let_go()
    smtp_sink.delay = 0.0
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1
    start_worker(**FAST)
    resend_when_due(row)
    wait_until(lambda: settled(row), what="the second copy")
    assert len(smtp_sink.messages) == 2  # at-least-once: the copy the server had, and ours
    first_copy, second_copy = smtp_sink.messages
    assert first_copy["Message-ID"] and first_copy["Message-ID"] == second_copy["Message-ID"]
    first_text, second_text = plain_text(first_copy), plain_text(second_copy)
    assert first_text == second_text, "the two copies carry different codes"
    code = re.search(r"\b(\d{6})\b", first_text).group(1)
    assert codes.check_code("registration", subject, "maria@ejemplo.test", code) == codes.Check.OK
    assert row.sealed_secrets == "", "the sealed code outlived the sent row"


@pytest.mark.django_db(transaction=True)
def test_postgres_restart_then_the_next_request_works(client, make_agent, services):
    if services.postgres is None:
        pytest.skip("PostgreSQL is not ours to restart (ALTA_TEST_DATABASE_URL)")
    agent = make_agent()
    assert client.get("/salud/").json()["checks"]["database"] == "ok"
    connection.close()
    services.postgres.stop()
    down = client.get("/salud/")
    assert down.status_code == 503 and down.json()["checks"]["database"].startswith("error")
    connection.close()
    services.postgres.start()
    connection.close()
    submit_through_the_wizard(client, agent)
    assert OutboxEmail.objects.count() == 1
