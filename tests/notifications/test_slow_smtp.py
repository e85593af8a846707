"""A slow mail server: a claimed row is leased for longer than the longest attempt, so beat's
re-send never starts a second copy of an email still being sent, and an attempt is cut at
OUTBOX_ATTEMPT_SECONDS however the server dribbles its replies."""

import time
from collections import Counter

import pytest

from notifications import services
from notifications.models import OutboxEmail
from tests.helpers import broker_queue_length, trigger_resend, wait_until

# Each step held close to the 1 s socket timeout: an attempt lasts about 2 s, longer than
# the first backoff (0.5 to 1 s with base 1 s), which used to be the row's lease.
SLOW = {"EMAIL_TIMEOUT": "1", "OUTBOX_RETRY_BASE_SECONDS": "1", "OUTBOX_LEASE_MARGIN_SECONDS": "1"}
HOLD = 0.8


@pytest.mark.worker
def test_beat_resending_during_a_slow_conversation_sends_every_email_once(start_worker, smtp_sink):
    smtp_sink.rcpt_delay = smtp_sink.delay = HOLD
    start_worker(**SLOW)
    start_worker(**SLOW)  # a second worker is free to run beat's re-send meanwhile
    rows = [
        services.queue_email(f"persona{n}@ejemplo.test", "solicitud_recibida", {"full_name": "ANA"})
        for n in range(3)
    ]  # autocommit: each queued at once
    started = time.monotonic()
    deadline = started + 60
    while time.monotonic() < deadline:
        if not OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exists():
            break
        trigger_resend()  # what beat does every minute, here five times a second
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    wait_until(lambda: broker_queue_length() == 0, what="the re-send tasks to drain")
    time.sleep(2 * HOLD + 0.5)  # a second copy started by the last re-send would be here now

    received = Counter(m["X-Alta-Outbox-Id"] for m in smtp_sink.messages)
    assert received == {str(row.pk): 1 for row in rows}, f"copies per row after {elapsed:.1f} s"
    assert set(OutboxEmail.objects.values_list("status", "attempts")) == {
        (OutboxEmail.Status.SENT, 1)
    }


@pytest.mark.django_db
def test_an_attempt_longer_than_its_cap_is_cut_and_retried_later(smtp, settings):
    settings.EMAIL_TIMEOUT = 1
    settings.OUTBOX_ATTEMPT_SECONDS = 1.2
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    smtp.rcpt_delay = smtp.delay = HOLD  # every step in time, the whole conversation not
    row = services.queue_email("ana@ejemplo.test", "solicitud_recibida", {"full_name": "ANA"})
    started = time.monotonic()
    assert services.deliver_email(row.pk) == "pending"
    assert time.monotonic() - started < 1.2 + HOLD  # cut at the cap, not at the last reply
    row.refresh_from_db()
    assert row.last_error.startswith("AttemptCut") and smtp.messages == []
    wait_until(lambda: smtp.attempts == 1, timeout=5, what="the server to see the cut")
    assert smtp.messages == []  # the server never accepted it: the retry is the only copy
