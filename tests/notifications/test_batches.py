"""Rows ready together go over one SMTP connection (settings.OUTBOX_BATCH_SIZE), each still
one attempt of its own: its Message-ID, its outcome, its retry; a batch that runs short of
time or loses its connection gives the rows it did not start back to beat."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications import services
from notifications.models import OutboxEmail
from tests.helpers import RowHeld, wait_until


def queue(n: int) -> OutboxEmail:
    return services.queue_email(f"{n}@ejemplo.test", "solicitud_recibida", {"full_name": "ANA"})


@pytest.mark.django_db
def test_rows_written_together_go_over_one_connection_per_batch_each_with_its_message_id(
    smtp, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_BATCH_SIZE = 3
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            rows = [queue(n) for n in range(5)]
    assert len(callbacks) == 1  # one callback for the transaction's rows, two tasks from it
    assert len(smtp.messages) == 5
    assert len(set(smtp.peers)) == 2  # rows 1-3 over one connection, 4-5 over another
    assert smtp.peers[0] == smtp.peers[1] == smtp.peers[2] != smtp.peers[3] == smtp.peers[4]
    by_row = {m["X-Alta-Outbox-Id"]: m["Message-ID"] for m in smtp.messages}
    assert by_row == {str(row.pk): row.message_id for row in rows}
    assert set(OutboxEmail.objects.values_list("status", "attempts")) == {
        (OutboxEmail.Status.SENT, 1)
    }


@pytest.mark.django_db
def test_one_row_alone_takes_the_rows_ready_after_it_then_the_oldest(smtp, settings):
    settings.OUTBOX_BATCH_SIZE = 3
    with transaction.atomic():  # written, not queued: as if their tasks were lost
        older, first, newer, newest = (queue(n) for n in range(4))
    assert services.deliver_email(first.pk) == "sent"
    sent = [int(m["X-Alta-Outbox-Id"]) for m in smtp.messages]
    assert sent == [first.pk, newer.pk, newest.pk]
    assert OutboxEmail.objects.get(pk=older.pk).status == OutboxEmail.Status.PENDING
    assert services.deliver_email(newer.pk) == "sent"  # its own task, late: nothing to do
    assert len(smtp.messages) == 3


@pytest.mark.django_db
def test_a_refused_address_fails_alone_and_the_batch_goes_on_over_the_same_connection(
    smtp, settings
):
    settings.OUTBOX_BATCH_SIZE = 5
    with transaction.atomic():
        rows = [queue(n) for n in range(3)]
    smtp.refuse_rcpt["1@ejemplo.test"] = "550 5.1.1 no such user"
    assert services.deliver_email(rows[0].pk) == "sent"
    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses == {
        rows[0].pk: OutboxEmail.Status.SENT,
        rows[1].pk: OutboxEmail.Status.FAILED,
        rows[2].pk: OutboxEmail.Status.SENT,
    }
    assert OutboxEmail.objects.get(pk=rows[1].pk).refused_code == 550
    assert len(smtp.messages) == 2 and len(set(smtp.peers)) == 1


@pytest.mark.django_db
def test_rows_a_slow_batch_does_not_start_are_given_back_to_beat_unattempted(smtp, settings):
    settings.OUTBOX_BATCH_SIZE = 5
    settings.OUTBOX_ATTEMPT_SECONDS = 1.0
    with transaction.atomic():
        rows = [queue(n) for n in range(3)]
    smtp.delay = 0.6  # the first message ends past half the window: no other is started
    started = time.monotonic()
    assert services.deliver_email(rows[0].pk) == "sent"
    assert time.monotonic() - started < 1.0
    assert [int(m["X-Alta-Outbox-Id"]) for m in smtp.messages] == [rows[0].pk]
    rest = OutboxEmail.objects.filter(pk__in=[rows[1].pk, rows[2].pk])
    assert set(rest.values_list("status", "attempts")) == {(OutboxEmail.Status.PENDING, 0)}
    assert all(row.next_attempt_at <= timezone.now() for row in rest)
    assert services.pending_ids() == [rows[1].pk, rows[2].pk]  # beat queues them next


@pytest.mark.django_db
def test_a_cut_conversation_fails_its_row_and_gives_the_others_back(smtp, settings):
    settings.OUTBOX_BATCH_SIZE = 5
    settings.OUTBOX_ATTEMPT_SECONDS = 0.5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    with transaction.atomic():
        rows = [queue(n) for n in range(3)]
    smtp.delay = 2.0  # longer than the window: cut
    assert services.deliver_email(rows[0].pk) == "pending"
    first = OutboxEmail.objects.get(pk=rows[0].pk)
    assert first.attempts == 1 and first.last_error.startswith("AttemptCut")
    assert first.next_attempt_at > timezone.now()
    rest = OutboxEmail.objects.filter(pk__in=[rows[1].pk, rows[2].pk])
    assert set(rest.values_list("status", "attempts")) == {(OutboxEmail.Status.PENDING, 0)}


@pytest.mark.django_db
def test_rows_of_a_rolled_back_savepoint_are_not_queued(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue_rows", lambda pks: queued.append(pks) or True)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            kept = queue(1)
            try:
                with transaction.atomic():
                    queue(2)
                    raise RuntimeError("the savepoint is rolled back")
            except RuntimeError:
                pass
            after = queue(3)
    assert queued == [[kept.pk, after.pk]]
    assert OutboxEmail.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_each_row_is_recorded_sent_at_its_250_so_a_death_mid_batch_resends_one_row(
    smtp, settings, monkeypatch
):
    settings.OUTBOX_BATCH_SIZE = 5
    monkeypatch.setattr(services, "enqueue_rows", lambda pks: True)  # sent by the thread below
    with transaction.atomic():
        rows = [queue(n) for n in range(3)]
    smtp.delay = 0.5
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            services.deliver_email(rows[0].pk)
        except BaseException as exc:  # its connection ended by the test: the worker died
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    wait_until(lambda: OutboxEmail.objects.filter(attempts=1).count() == 3, what="the claim")
    held = RowHeld(rows[1].pk)
    wait_until(lambda: held.waiters() == 1, what="the second row's 250 being recorded")
    assert OutboxEmail.objects.get(pk=rows[0].pk).status == OutboxEmail.Status.SENT
    held.let_go()  # ends the waiting session, as a worker's death would
    thread.join(10)
    assert errors, "the worker's session was not ended"
    statuses = list(OutboxEmail.objects.order_by("pk").values_list("status", "attempts"))
    pending = OutboxEmail.Status.PENDING
    assert statuses == [(OutboxEmail.Status.SENT, 1), (pending, 1), (pending, 1)]
    # The server has rows 1 and 2: only row 2 is sent again (same Message-ID), after its lease.
    assert [int(m["X-Alta-Outbox-Id"]) for m in smtp.messages] == [rows[0].pk, rows[1].pk]
