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


# --- Who reads the details (issue 20): the probes' network or the metrics token ------------

PUBLIC = "203.0.113.7"  # a documentation address: Python's is_private says yes, we say no
TOKEN = "t0k3n-" + "x" * 40


@pytest.fixture
def fresh_public_answer():
    """The public answer is kept per process for a few seconds: none left by another test."""
    from portal.views import PUBLIC_READINESS

    PUBLIC_READINESS.forget()
    yield PUBLIC_READINESS
    PUBLIC_READINESS.forget()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [PUBLIC, "8.8.8.8", "172.32.0.1", "100.64.0.1", "::ffff:8.8.8.8", "2001:4860::8888",
     "2001:0:4136:e378:8000:63bf:3fff:fdd2", "unknown"],
)  # fmt: skip
def test_a_public_caller_gets_only_the_status_word(client, fresh_public_answer, address):
    heartbeat.record_beat_heartbeat()
    make_row(OutboxEmail.Status.FAILED)
    response = client.get("/salud/", REMOTE_ADDR=address)
    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.5", "172.31.255.254", "192.168.1.1", "127.0.0.1", "169.254.1.1",
     "::1", "fe80::1", "fd12:3456::1", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_the_private_network_gets_the_checks_and_counts(client, fresh_public_answer, address):
    heartbeat.record_beat_heartbeat()
    make_row(OutboxEmail.Status.FAILED)
    body = client.get("/salud/", REMOTE_ADDR=address).json()
    assert body["status"] == "degraded" and body["outbox"]["failed"] == 1
    assert body["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_the_metrics_token_opens_the_details_to_any_address(client, settings, fresh_public_answer):
    settings.METRICS_TOKEN = TOKEN
    heartbeat.record_beat_heartbeat()
    bearer = client.get("/salud/", REMOTE_ADDR=PUBLIC, headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.json()["outbox"] == {"failed": 0, "overdue": 0, "oldest_pending_seconds": 0}
    for wrong in (f"Bearer {TOKEN}x", TOKEN, "Bearer ", f"bearer {TOKEN[:-1]}"):
        answer = client.get("/salud/", REMOTE_ADDR=PUBLIC, headers={"Authorization": wrong})
        assert answer.json() == {"status": "ok"}, wrong
    settings.METRICS_TOKEN = ""  # unset: no bearer opens it, not even an empty one
    empty = client.get("/salud/", REMOTE_ADDR=PUBLIC, headers={"Authorization": "Bearer "})
    assert empty.json() == {"status": "ok"}


@pytest.mark.django_db
def test_behind_the_proxy_the_client_address_decides_not_the_proxys(
    client, settings, fresh_public_answer
):
    settings.TRUSTED_PROXY_COUNT = 1
    heartbeat.record_beat_heartbeat()
    # Through the ingress (10.0.0.5): the visitor wrote a private address, the ingress
    # appended the real one.
    visitor = client.get(
        "/salud/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"10.0.0.1, {PUBLIC}"
    )
    assert visitor.json() == {"status": "ok"}
    # The kubelet's probe reaches the pod directly, from the node's private address.
    probe = client.get("/salud/", REMOTE_ADDR="10.0.0.9")
    assert "outbox" in probe.json()
    # Without a trusted proxy the header is the caller's own words.
    settings.TRUSTED_PROXY_COUNT = 0
    spoofed = client.get("/salud/", REMOTE_ADDR=PUBLIC, HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert spoofed.json() == {"status": "ok"}


@pytest.mark.django_db
def test_public_calls_cost_one_check_per_period_and_probes_are_checked_every_time(
    client, django_assert_num_queries, fresh_public_answer
):
    heartbeat.record_beat_heartbeat()
    assert client.get("/salud/", REMOTE_ADDR=PUBLIC).json() == {"status": "ok"}
    with django_assert_num_queries(0):
        for _ in range(50):
            assert client.get("/salud/", REMOTE_ADDR=PUBLIC).json() == {"status": "ok"}
    # A probe sees a change at once, however often it asks: no limit, no cache.
    make_row(OutboxEmail.Status.FAILED)
    for _ in range(30):
        probe = client.get("/salud/", REMOTE_ADDR="10.0.0.9")
        assert probe.status_code == 200 and probe.json()["status"] == "degraded"
    # The public answer catches up once its period is over.
    assert client.get("/salud/", REMOTE_ADDR=PUBLIC).json() == {"status": "ok"}
    fresh_public_answer.forget()  # as when the period ends
    assert client.get("/salud/", REMOTE_ADDR=PUBLIC).json() == {"status": "degraded"}


@pytest.mark.django_db
def test_a_public_caller_gets_the_same_503_without_the_checks(
    client, monkeypatch, fresh_public_answer
):
    from portal import views

    def refused():
        raise ConnectionError("could not connect to server at 10.0.0.20:5432")

    monkeypatch.setattr(views, "_check_database", refused)
    public = client.get("/salud/", REMOTE_ADDR=PUBLIC)
    assert public.status_code == 503 and public.json() == {"status": "error"}
    private = client.get("/salud/", REMOTE_ADDR="10.0.0.9")
    assert private.status_code == 503
    assert private.json() == {"status": "error", "checks": {"database": "error"}}
