"""Redis hung (SIGSTOP) or stopped: requests answer within the timeout budget, readiness
says "degraded" instead of pulling the pod, and rate limits keep counting in the database.

Every test gives Redis back in a `finally` and forgets the breakers' state, so the tests
after it find Redis as usual.
"""

import sqlite3
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from agents.models import Role
from notifications import services as outbox
from notifications.models import OutboxEmail
from portal import ratelimit, redis_health
from tests.helpers import RequestWizard, post_login, run_together

TOKEN = "metricas-de-prueba"
# The budget a request may add while Redis is hung (issue 19): one timeout, then the breaker.
BUDGET = 2.0


@pytest.fixture
def hung_redis(services):
    """Redis stopped with SIGSTOP for the test: it accepts connections and answers nothing."""
    services.redis.pause()
    try:
        yield services.redis
    finally:
        services.redis.resume()
        redis_health.reset()


@pytest.fixture
def stopped_redis(services):
    """Redis shut down for the test: connections are refused."""
    services.redis.stop()
    try:
        yield services.redis
    finally:
        services.redis.start()
        redis_health.reset()


@pytest.fixture
def fallback_cache():
    """The database's cache, emptied after the test (it is no model table, so no flush)."""
    yield caches["fallback"]
    caches["fallback"].clear()


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def submit(client, agent):
    """The agent wizard up to its last step; returns the final POST as a callable."""
    wizard = RequestWizard(client)
    page = wizard.walk_to_submit(agent)
    return lambda: wizard.send(page, email=agent.email)


def purge_broker_queue() -> None:
    """Drop the tasks these tests published with no worker to take them."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")


@pytest.mark.worker  # tasks are published to the broker, not run in the request
@pytest.mark.django_db(transaction=True)  # the email is queued once the request commits
def test_hung_redis_the_request_succeeds_within_the_budget_and_its_email_waits_pending(
    client, make_agent, services, fallback_cache
):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    try:
        usual, usual_seconds = timed(submit(client, make_agent()))
        assert "Solicitud enviada" in usual.text
        agent = make_agent()
        final_step = submit(client, agent)
        services.redis.pause()
        try:
            response, seconds = timed(final_step)
            assert "Solicitud enviada" in response.text
            assert seconds < usual_seconds + BUDGET, f"{seconds:.2f} s with Redis hung"
            row = OutboxEmail.objects.order_by("pk").last()
            assert row.status == OutboxEmail.Status.PENDING and row.attempts == 0
            assert row.to == agent.email

            ready, ready_seconds = timed(lambda: client.get("/salud/"))
            assert ready.status_code == 200 and ready_seconds < BUDGET
            assert ready.json()["status"] == "degraded"
            assert ready.json()["checks"] == {"database": "ok", "redis": "timeout"}
            alive, alive_seconds = timed(lambda: client.get("/salud/vivo/"))
            assert alive.status_code == 200 and alive_seconds < 0.5
        finally:
            services.redis.resume()
            redis_health.reset()
    finally:
        purge_broker_queue()
    assert OutboxEmail.objects.count() == 2, "an email was lost"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_hung_broker_costs_one_timeout_per_process_then_none(hung_redis):
    row = OutboxEmail.objects.create(to="ana@ejemplo.test", template="solicitud_recibida")
    queued, first = timed(lambda: outbox.enqueue(row.pk))
    assert queued is False and first < 2 * settings.REDIS_TIMEOUT + 0.5, f"{first:.2f} s"
    queued, second = timed(lambda: outbox.enqueue(row.pk))
    assert queued is False and second < 0.05, f"{second:.2f} s: the breaker did not open"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING


@pytest.mark.django_db
def test_hung_cache_costs_one_timeout_then_counts_in_the_database(hung_redis, fallback_cache):
    _, first = timed(lambda: ratelimit.consume("code_mail", ip="10.0.0.1"))
    assert first < settings.REDIS_TIMEOUT * 2 + 0.5, f"{first:.2f} s"
    _, rest = timed(lambda: [ratelimit.consume("code_mail", ip="10.0.0.1") for _ in range(20)])
    assert rest < 0.5, f"{rest:.2f} s for 20 more: the breaker did not open"
    assert ratelimit.count("code_mail", ip="10.0.0.1") == 21
    assert not ratelimit.consume("code_mail", ip="10.0.0.1"), "past 20/hour, still allowed"


@pytest.mark.django_db
def test_stopped_redis_readiness_is_degraded_with_the_reason_and_metrics_say_down(client, services):
    with override_settings(METRICS_TOKEN=TOKEN):
        scrape = lambda: client.get("/metricas/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").text  # noqa: E731
        assert "alta_redis_up 1.0" in scrape()
        services.redis.stop()
        try:
            ready, seconds = timed(lambda: client.get("/salud/"))
            assert ready.status_code == 200 and seconds < BUDGET
            body = ready.json()
            assert body["status"] == "degraded"
            assert body["checks"] == {"database": "ok", "redis": "error"}
            assert "alta_redis_up 0.0" in scrape()
        finally:
            services.redis.start()
            redis_health.reset()
        assert "alta_redis_up 1.0" in scrape()
        assert client.get("/salud/").json()["checks"]["redis"] == "ok"


@pytest.mark.django_db
def test_stopped_redis_identification_limit_still_refuses_and_counts_in_redis_once_back(
    client, make_agent, services, fallback_cache
):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.start()
    key = ratelimit._cache_key("identify_agent", "agent", agent.clave_agente)
    services.redis.stop()
    try:
        for _ in range(10):
            wrong = wizard.identify(agent, rfc="SOPX690529MV4")
            assert "no coinciden" in wrong.text
        response = wizard.identify(agent)  # even the right data is refused now
        assert "Se excedió el número de intentos" in response.text
        assert fallback_cache.get(key) == 10, "the count is not kept in the database"
    finally:
        services.redis.start()
        redis_health.reset()
    caches["default"].clear()  # a Redis restarted empty (ours keeps nothing on disk)
    wrong = wizard.identify(make_agent(), rfc="SOPX690529MV4")
    assert "no coinciden" in wrong.text
    assert ratelimit.count("identify_agent", ip="127.0.0.1") == 1, "Redis counts again"


@pytest.mark.django_db(transaction=True)  # each thread commits on its own connection
def test_stopped_redis_concurrent_attempts_are_each_counted_in_the_database(
    stopped_redis, fallback_cache
):
    outcomes = run_together([lambda: ratelimit.consume("code_mail", ip="10.0.0.2")] * 12)
    assert outcomes == [True] * 12
    assert ratelimit.count("code_mail", ip="10.0.0.2") == 12, "concurrent attempts lost"


@pytest.mark.django_db
def test_stopped_redis_a_count_in_the_database_lasts_its_whole_window(
    stopped_redis, fallback_cache
):
    """The second attempt must not shorten the hour: Django's DatabaseCache.incr rewrites an
    entry with the cache's default timeout (300 s), and the limit would start again five
    minutes after the last attempt."""
    for _ in range(3):
        ratelimit.consume("code_mail", ip="10.0.0.3")
    key = ratelimit._cache_key("code_mail", "ip", "10.0.0.3")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT expires FROM alta_cache WHERE cache_key = %s",
            [fallback_cache.make_and_validate_key(key)],
        )
        (expires,) = cursor.fetchone()
    left = (expires - timezone.now()).total_seconds()
    assert ratelimit.HOUR - 60 < left <= ratelimit.HOUR, f"the count expires in {left:.0f} s"
    assert ratelimit.count("code_mail", ip="10.0.0.3") == 3


@pytest.mark.django_db
def test_stopped_redis_login_lockout_still_locks_the_account(client, make_agent_user, services):
    # django-axes keeps its failures in PostgreSQL (AxesDatabaseHandler), not the cache.
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    user = make_agent_user()
    services.redis.stop()
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/agentes/ingresar/", {"username": user.username, "password": "mala-1"})
        right = post_login(client, "agents", user.username, "Clave-Segura-2024")
        assert "bloqueado temporalmente" in right.text
        assert "_auth_user_id" not in client.session
    finally:
        services.redis.start()
        redis_health.reset()


@pytest.mark.django_db
def test_embedded_database_that_takes_no_write_is_not_ready_and_the_probe_leaves_nothing(
    tmp_path,
):
    """Readiness' write probe on real SQLite files: one writable, one opened read-only (as
    root a chmod would not stop the write; SQLite's own read-only mode does)."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from portal.views import database_writable

    path = tmp_path / "alta.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE kept (id INTEGER)").connection.close()
    for alias, name in (("writable", str(path)), ("read_only", f"file:{path}?mode=ro")):
        connections[alias] = DatabaseWrapper(
            {**connections["default"].settings_dict, "NAME": name, "OPTIONS": {}}, alias
        )
    try:
        assert database_writable("writable") is True
        assert database_writable("read_only") is False
    finally:
        for alias in ("writable", "read_only"):
            connections[alias].close()
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("kept",)], "the probe left something behind"
