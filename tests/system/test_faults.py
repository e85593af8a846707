"""Nothing lost under faults: real Redis, SMTP sink, Celery worker and PostgreSQL are
stopped, refused or killed while the agent flow runs (DESIGN, "Rules that hold everywhere").
"""

import signal
import time

import pytest
from django.db import connection

from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from tests.helpers import RequestWizard

FAST = {"OUTBOX_RESEND_SECONDS": "1", "OUTBOX_RETRY_BASE_SECONDS": "1"}


def wait_until(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def submit_through_the_wizard(client, agent):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    wizard = RequestWizard(client)
    page = wizard.walk_to_submit(agent)
    response = wizard.send(page, email=agent.email)
    assert response.status_code == 302, "the user did not see success"
    assert "Solicitud enviada" in client.get(response.url).text
    return AccessRequest.objects.get(agent=agent)


@pytest.mark.worker
def test_redis_down_at_submit_saves_the_request_and_mails_once_redis_is_back(
    client, make_agent, start_worker, smtp_sink, services
):
    start_worker(beat=True, **FAST)
    agent = make_agent()
    services.redis.stop()
    try:
        submit_through_the_wizard(client, agent)
        assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING
        time.sleep(1)
        assert smtp_sink.messages == []
    finally:
        services.redis.start()
    wait_until(lambda: smtp_sink.messages, timeout=90, what="the email after Redis came back")
    time.sleep(3)  # the beat keeps running: nothing may be sent twice
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["To"] == agent.email
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT


@pytest.mark.worker
def test_smtp_refusing_for_a_while_delivers_once_after_it_recovers(
    client, make_agent, start_worker, smtp_sink
):
    start_worker(**FAST)
    smtp_sink.refuse = True
    submit_through_the_wizard(client, make_agent())
    wait_until(lambda: smtp_sink.attempts >= 2, what="two refused attempts")
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts >= 1
    assert "451" in row.last_error
    smtp_sink.refuse = False
    wait_until(lambda: smtp_sink.messages, what="delivery after SMTP recovered")
    time.sleep(2)
    assert len(smtp_sink.messages) == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.last_error == ""


@pytest.mark.worker
def test_worker_killed_mid_send_delivers_exactly_once(client, make_agent, start_worker, smtp_sink):
    smtp_sink.delay = 4.0
    first = start_worker(**FAST)
    submit_through_the_wizard(client, make_agent())
    wait_until(lambda: smtp_sink.attempts >= 1, what="the worker to start sending")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert smtp_sink.messages == []
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING
    smtp_sink.delay = 0
    start_worker(beat=True, **FAST)  # beat re-queues the row the dead worker held
    wait_until(lambda: smtp_sink.messages, what="delivery by the second worker")
    time.sleep(3)
    assert len(smtp_sink.messages) == 1
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1


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
