"""The outbox stores its statuses in Spanish ("pendiente", "enviado", "fallido"); during an
upgrade the previous release's pods keep writing their English ("pending", "sent", "failed"),
and this release sends, counts, shows, re-queues and purges those rows like its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import selectors, services
from notifications.models import OutboxEmail
from notifications.recovery import requeue_emails
from notifications.retention import purge_outbox_emails
from tests.helpers import run_together

CHANGELIST = "/admin/notifications/outboxemail/"


def as_previous_release(status: str = "pending", **fields) -> OutboxEmail:
    """A row as the previous release's code writes it: its English spelling of the status."""
    return OutboxEmail.objects.create(
        to="ana@ejemplo.test",
        template="solicitud_recibida",
        context={"full_name": "ANA PEREZ"},
        status=status,
        **fields,
    )


@pytest.mark.django_db
def test_a_row_an_old_pod_wrote_as_pending_is_sent_once_by_this_release(smtp):
    row = as_previous_release()
    assert services.pending_ids() == [row.pk]  # beat queues it
    assert services.deliver_email(row.pk) == "sent"
    assert services.deliver_email(row.pk) == "sent"  # again (a redelivered task): not sent
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"] == row.message_id
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 1)
    assert services.pending_ids() == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_an_old_pods_row_send_it_once(smtp):
    smtp.delay = 1.0
    row = as_previous_release()
    results = run_together([lambda: services.deliver_email(row.pk)] * 2)
    assert "sent" in results and set(results) <= {"locked", "not_due", "sent"}
    assert len(smtp.messages) == 1 and smtp.attempts == 1


@pytest.mark.django_db
def test_an_old_pods_row_that_keeps_failing_is_retried_then_failed_in_spanish(smtp, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp.refuse = True
    row = as_previous_release()
    assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and "451" in row.last_error  # its spelling kept meanwhile
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert services.deliver_email(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED and smtp.messages == []


@pytest.mark.django_db
def test_rows_an_old_pod_wrote_or_finished_are_never_sent_again(smtp):
    for status in ("sent", "failed"):
        row = as_previous_release(status)
        assert services.deliver_email(row.pk) == status
    assert services.pending_ids() == [] and smtp.attempts == 0


@pytest.mark.django_db
def test_figures_and_metrics_count_both_spellings_under_their_english_names(client, settings):
    settings.METRICS_TOKEN = "token-de-metricas-de-prueba"
    an_hour_ago = timezone.now() - timedelta(hours=1)
    as_previous_release("pending", next_attempt_at=an_hour_ago)
    as_previous_release(OutboxEmail.Status.PENDING)
    as_previous_release("failed")
    as_previous_release(OutboxEmail.Status.FAILED)
    as_previous_release("sent")
    as_previous_release(OutboxEmail.Status.SENT)
    figures = selectors.outbox_figures()
    assert (figures.pending, figures.failed, figures.overdue) == (2, 2, 1)
    assert selectors.sent_total() == 2
    assert selectors.failed_emails().count() == 2
    assert client.get("/salud/").json()["outbox"]["failed"] == 2
    scrape = client.get("/metricas/", HTTP_AUTHORIZATION="Bearer token-de-metricas-de-prueba")
    text = scrape.content.decode()
    assert "alta_outbox_pending 2.0" in text and "alta_outbox_sent_total 2.0" in text
    assert "alta_outbox_failed 2.0" in text


@pytest.mark.django_db
def test_reenviar_leaves_an_old_pods_sent_row_alone_and_requeues_its_failed_one(
    django_capture_on_commit_callbacks,
):
    sent = as_previous_release("sent", attempts=1, sent_at=timezone.now())
    failed = as_previous_release("failed", attempts=36, sealed_secrets="gAAAA-restos")
    with django_capture_on_commit_callbacks():
        assert requeue_emails(ids=[sent.pk, failed.pk]) == 1
    sent.refresh_from_db()
    failed.refresh_from_db()
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert (failed.status, failed.attempts, failed.sealed_secrets) == (
        OutboxEmail.Status.PENDING,
        0,
        "",
    )


@pytest.mark.django_db
def test_retention_purges_an_old_pods_sent_and_failed_rows():
    long_ago = timezone.now() - timedelta(days=400)
    sent = as_previous_release("sent", sent_at=long_ago)
    failed = as_previous_release("failed", next_attempt_at=long_ago)
    pending = as_previous_release("pending", next_attempt_at=long_ago)
    assert purge_outbox_emails(cutoff=timezone.now(), dry_run=False) == 2
    sent.refresh_from_db()
    assert (sent.to, sent.context) == ("", {})
    assert not OutboxEmail.objects.filter(pk=failed.pk).exists()
    assert OutboxEmail.objects.filter(pk=pending.pk).exists()


@pytest.mark.django_db
def test_admin_shows_filters_and_protects_old_pods_rows_like_its_own(admin_client):
    old = as_previous_release("pending")
    new = as_previous_release(OutboxEmail.Status.PENDING)
    done = as_previous_release("sent")
    # The label, not Django's "-" for a value outside the field's choices.
    page = admin_client.get(f"{CHANGELIST}{old.pk}/change/")
    assert page.status_code == 200
    assert '<div class="readonly">pendiente</div>' in page.text
    listed = admin_client.get(CHANGELIST, {"status": OutboxEmail.Status.PENDING})
    assert set(listed.context["cl"].result_list) == {old, new}
    listed = admin_client.get(CHANGELIST, {"status": OutboxEmail.Status.SENT})
    assert list(listed.context["cl"].result_list) == [done]
    assert '<td class="field-status_label">enviado</td>' in listed.text
    # Pending in either spelling: an email someone waits for, not to be deleted.
    assert admin_client.post(f"{CHANGELIST}{old.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxEmail.objects.filter(pk=old.pk).exists()
