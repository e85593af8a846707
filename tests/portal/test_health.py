"""Liveness and readiness: `/salud/vivo/` touches nothing; `/salud/` is 503 only when the
database is down, and "degraded" (still 200) with Redis down, mail trouble or a stopped beat."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import heartbeat
from notifications.models import OutboxEmail
from tests.services import free_port

ADDRESS = "ana.secreta@ejemplo.test"


def make_row(status=OutboxEmail.Status.PENDING, *, age=timedelta(0), **fields) -> OutboxEmail:
    row = OutboxEmail.objects.create(to=ADDRESS, template="solicitud_recibida", status=status)
    OutboxEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - age, **fields)
    return row


@pytest.fixture
def redis_down(settings):
    """The cache pointed at a port where nothing listens: a real connection refused."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/1",
        },
    }


def test_liveness_answers_without_database_or_redis(client, redis_down):
    # No django_db mark: pytest-django fails any database query this view would make.
    response = client.get("/salud/vivo/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_is_ok_with_database_redis_and_a_fresh_beat_and_pings_no_worker(client):
    # No Celery worker runs here: the old readiness pinged the workers on every call and
    # answered 503 now; beat's heartbeat replaces that ping.
    heartbeat.record_beat_heartbeat()
    response = client.get("/salud/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert body["outbox"] == {"failed": 0, "overdue": 0, "oldest_pending_seconds": 0}
    assert body["beat"]["stale"] is False


@pytest.mark.django_db
def test_readiness_is_degraded_not_503_when_redis_is_down_and_names_no_internals(
    client, redis_down
):
    # Every pod sees the same Redis: a 503 would take them all out of service at once.
    response = client.get("/salud/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "redis": "error"}
    assert b"Connection" not in response.content and b"6379" not in response.content


@pytest.mark.django_db
def test_failed_rows_make_readiness_degraded_but_200_with_counts_and_no_addresses(client):
    heartbeat.record_beat_heartbeat()
    make_row(OutboxEmail.Status.FAILED, attempts=36, last_error=f"SMTPRecipientsRefused {ADDRESS}")
    make_row(OutboxEmail.Status.FAILED)
    make_row(OutboxEmail.Status.SENT)
    response = client.get("/salud/")
    assert response.status_code == 200  # a load balancer keeps web in while mail is down
    body = response.json()
    assert body["status"] == "degraded"
    assert body["outbox"]["failed"] == 2
    assert ADDRESS.encode() not in response.content and b"SMTP" not in response.content


@pytest.mark.django_db
def test_a_row_never_tried_for_ten_minutes_is_overdue(client):
    heartbeat.record_beat_heartbeat()
    make_row(age=timedelta(minutes=9))  # lost task, but within the grace: not yet
    assert client.get("/salud/").json()["status"] == "ok"
    make_row(age=timedelta(minutes=11))
    body = client.get("/salud/").json()
    assert body["status"] == "degraded"
    assert body["outbox"]["overdue"] == 1
    assert 11 * 60 - 5 <= body["outbox"]["oldest_pending_seconds"] <= 11 * 60 + 60


@pytest.mark.django_db
def test_a_row_waiting_for_its_next_attempt_is_not_overdue_however_old(client):
    heartbeat.record_beat_heartbeat()
    now = timezone.now()
    make_row(age=timedelta(hours=5), attempts=12, next_attempt_at=now + timedelta(minutes=40))
    body = client.get("/salud/").json()
    assert body["status"] == "ok", body
    assert body["outbox"]["overdue"] == 0
    assert body["outbox"]["oldest_pending_seconds"] >= 5 * 3600 - 5
    # Its retry time passed long ago and nothing tried it: beat or the worker is not working.
    make_row(age=timedelta(hours=5), attempts=12, next_attempt_at=now - timedelta(minutes=15))
    assert client.get("/salud/").json()["outbox"]["overdue"] == 1


@pytest.mark.django_db
def test_beat_is_stale_after_three_missed_periods_and_fresh_once_it_runs(client):
    period = heartbeat.beat_period_seconds()
    assert period == 60  # production's period, unless OUTBOX_RESEND_SECONDS says otherwise
    # Nothing recorded yet (beat never ran since the cache was emptied): stale.
    body = client.get("/salud/").json()
    assert (body["status"], body["beat"]["stale"], body["beat"]["age_seconds"]) == (
        "degraded", True, None,
    )  # fmt: skip
    # The heartbeat lives in the shared Redis cache: set it as a beat 2.9 periods ago would.
    from django.core.cache import cache

    cache.set(heartbeat.BEAT_HEARTBEAT_KEY, time.time() - 2.9 * period, timeout=None)
    assert client.get("/salud/").json()["beat"]["stale"] is False
    cache.set(heartbeat.BEAT_HEARTBEAT_KEY, time.time() - 3.1 * period, timeout=None)
    response = client.get("/salud/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["beat"]["stale"] is True
    heartbeat.record_beat_heartbeat()
    assert client.get("/salud/").json()["status"] == "ok"


@pytest.mark.django_db
def test_home_offers_clientes_and_agentes(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Clientes" in response.text and "Agentes" in response.text
