"""The outbox's windows with a real Celery worker, Redis, PostgreSQL and an SMTP sink: a
worker SIGKILLed after the server accepted a message (the duplicate window), and a server
that keeps refusing (one retry schedule, then a loud give-up).

Waits poll until a deadline and then assert; beat's re-send runs when the test triggers it
(tests/helpers.trigger_resend), plus stray `deliver` tasks where a test wants them.
"""

import signal
import time

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import OutboxEmail
from tests.helpers import (
    PASSWORD_LINE,
    USERNAME_LINE,
    RowHeld,
    broker_queue_length,
    trigger_resend,
    wait_until,
)

pytestmark = pytest.mark.worker


def plain_text(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def settled(row: OutboxEmail) -> bool:
    """The row is done and no task is left in the broker that could act on it again."""
    row.refresh_from_db()
    return row.status != OutboxEmail.Status.PENDING and broker_queue_length() == 0


def test_worker_killed_after_the_server_accepted_the_password_resends_the_same_password(
    make_request, make_reviewer, start_worker, smtp_sink
):
    from agents import services as agent_services

    smtp_sink.delay = 1.0  # each message accepted 1 s after its data: time to hold the row
    # A lease of 7 s (attempt cap 6 s + 1 s): still in the future when the worker dies.
    lease = {"OUTBOX_ATTEMPT_SECONDS": "6", "OUTBOX_LEASE_MARGIN_SECONDS": "1"}
    first = start_worker(OUTBOX_RETRY_BASE_SECONDS="4", **lease)
    request = make_request(email="xavier.ventana@ejemplo.test")
    user = agent_services.approve_request(request.pk, make_reviewer())  # autocommit: queued
    passwords = OutboxEmail.objects.filter(template="contrasena_generada")
    wait_until(lambda: passwords.filter(attempts=1).exists(), what="the password claimed")
    held = RowHeld(passwords.get().pk)
    wait_until(
        lambda: any(PASSWORD_LINE.search(plain_text(m)) for m in smtp_sink.messages),
        what="the password accepted",
    )
    wait_until(lambda: held.waiters() == 1, what="the worker writing the row as sent")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    held.let_go()
    smtp_sink.delay = 0.0

    row = OutboxEmail.objects.get(template="contrasena_generada")
    # Recorded before the SMTP conversation: the attempt, its lease and the sealed password.
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1
    assert row.next_attempt_at > timezone.now()
    password = PASSWORD_LINE.search(plain_text(smtp_sink.messages[-1])).group(1)
    assert row.sealed_secrets and password not in row.sealed_secrets

    start_worker(OUTBOX_RETRY_BASE_SECONDS="4", **lease)
    wait_until(lambda: timezone.now() >= row.next_attempt_at, timeout=10, what="the row due")
    trigger_resend()  # what beat does every minute
    wait_until(lambda: settled(row), what="the second copy")

    copies = [m for m in smtp_sink.messages if PASSWORD_LINE.search(plain_text(m))]
    assert len(copies) == 2  # at-least-once: the copy the server had, and the resend
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == row.message_id
    assert [PASSWORD_LINE.search(plain_text(m)).group(1) for m in copies] == [password] * 2
    assert row.attempts == 2 and row.sealed_secrets == ""
    usernames = [m for m in smtp_sink.messages if USERNAME_LINE.search(plain_text(m))]
    assert len(usernames) == 1  # the other email was never in the window
    username = USERNAME_LINE.search(plain_text(usernames[0])).group(1)
    assert username == user.username
    login = Client().post("/agentes/ingresar/", {"username": username, "password": password})
    assert login.status_code == 302, "the password in both copies does not log in"


def test_smtp_refusing_follows_the_rows_schedule_only_then_fails_loudly(
    start_worker, smtp_sink, tmp_path
):
    from notifications.services import queue_email
    from notifications.tasks import deliver, send_pending
    from portal.models import OneTimeCode

    log = tmp_path / "worker.log"
    start_worker(log=log, OUTBOX_RETRY_BASE_SECONDS="1", OUTBOX_MAX_ATTEMPTS="5")
    smtp_sink.refuse = True
    # The code row the worker's provider (portal.codes, registered for "codigo") fills in.
    code = OneTimeCode.objects.create(
        purpose="registro", subject="person:1", email="ana@ejemplo.test"
    )
    row = queue_email("ana@ejemplo.test", "codigo", {"full_name": "ANA", "code_id": code.pk})
    # attempts -> the next_attempt_at stored after them: the last seen (a claim's lease is
    # replaced by the failure's backoff)
    schedule: dict[int, float] = {}
    sealed_seen = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.attempts:
            schedule[row.attempts] = row.next_attempt_at.timestamp()
        sealed_seen = sealed_seen or bool(row.sealed_secrets)
        if row.status == OutboxEmail.Status.FAILED:
            break
        # Stray tasks all the time (a redelivered task, a second chain, beat): only the
        # row's stored time may let one through.
        deliver.delay(row.pk)
        send_pending.delay()
        time.sleep(0.1)
    assert row.status == OutboxEmail.Status.FAILED, f"still {row.status} after 90 s"
    wait_until(lambda: settled(row), what="the stray tasks to drain")

    times = smtp_sink.attempt_times
    assert len(times) == 5 and sorted(schedule) == [1, 2, 3, 4, 5]
    for attempt in (1, 2, 3, 4):  # each attempt no sooner than the time the previous stored
        assert times[attempt] >= schedule[attempt], (attempt, times, schedule)
    assert "451" in row.last_error
    assert sealed_seen and row.sealed_secrets == ""
    errors = wait_until(
        lambda: [line for line in log.read_text().splitlines() if "failed for good" in line],
        timeout=10,
        what="the ERROR line in the worker's log",
    )
    assert len(errors) == 1 and "ERROR" in errors[0] and f"Outbox email {row.pk}" in errors[0]
