"""The outbox over a real SMTP server: idempotent, retried with backoff, failed after N."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import OutboxEmail
from tests.helpers import run_together


def queue(to="ana@ejemplo.test") -> OutboxEmail:
    return services.queue_email(to, "solicitud_recibida", {"full_name": "ANA PEREZ"})


@pytest.mark.django_db
def test_a_sent_row_is_never_sent_again(smtp):
    row = queue()
    assert services.deliver_email(row.pk) == "sent"
    assert services.deliver_email(row.pk) == "sent"
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["X-Alta-Outbox-Id"] == str(row.pk)


@pytest.mark.django_db
def test_refused_mail_stays_pending_with_backoff_then_fails_after_max_attempts(smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp.refuse = True
    row = queue()
    for attempt in (1, 2, 3):
        before = timezone.now()
        assert services.deliver_email(row.pk) == ("pending" if attempt < 3 else "failed")
        row.refresh_from_db()
        assert row.attempts == attempt and "451" in row.last_error
        assert row.next_attempt_at > before  # not due again before its backoff
        assert services.deliver_email(row.pk) in ("not_due", "failed")
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # its time
    assert row.status == OutboxEmail.Status.FAILED
    assert "451" in row.last_error and row.next_attempt_at > timezone.now()
    assert smtp.messages == []


@pytest.mark.django_db
def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    for attempts, ceiling in ((1, 30), (2, 60), (3, 120), (20, 3600)):
        delays = {services.backoff(attempts).total_seconds() for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: workers that failed together do not retry together


@pytest.mark.django_db
def test_beat_picks_only_pending_rows_that_are_due():
    due, waiting, sent = queue(), queue(), queue()
    OutboxEmail.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    OutboxEmail.objects.filter(pk=sent.pk).update(status=OutboxEmail.Status.SENT)
    assert services.pending_ids() == [due.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_picking_one_row_send_it_once(smtp):
    smtp.delay = 1.0
    row = queue()
    results = run_together([lambda: services.deliver_email(row.pk)] * 2)
    # The second finds the row locked, or its attempt taken (not due): it sends nothing.
    assert "sent" in results and set(results) <= {"locked", "not_due", "sent"}
    assert len(smtp.messages) == 1 and smtp.attempts == 1
    row.refresh_from_db()
    assert row.attempts == 1
