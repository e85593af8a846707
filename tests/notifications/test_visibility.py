"""Failed is visible and recoverable: the metrics scrape, the admin's "Reenviar" and the
protection of pending rows, and `requeue_failed_emails` after an outage."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import OutboxEmail
from tests.helpers import wait_until

CHANGELIST = "/admin/notifications/outboxemail/"
TOKEN = "token-de-metricas-de-prueba"


def make_row(status=OutboxEmail.Status.PENDING, *, age=timedelta(0), **fields) -> OutboxEmail:
    row = OutboxEmail.objects.create(
        to="ana@ejemplo.test",
        template="solicitud_recibida",
        context={"full_name": "ANA PEREZ"},
        status=status,
    )
    OutboxEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - age, **fields)
    row.refresh_from_db()
    return row


def failed_row(**fields) -> OutboxEmail:
    values = {
        "attempts": 36,
        "last_error": "SMTPServerDisconnected: Connection unexpectedly closed",
        "next_attempt_at": timezone.now() - timedelta(hours=1),
        **fields,
    }
    return make_row(OutboxEmail.Status.FAILED, **values)


# --- /metricas/ ---------------------------------------------------------------------------


def scrape(client, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get("/metricas/", **headers)


@pytest.mark.django_db
def test_metrics_give_pending_failed_oldest_age_and_sent_to_the_bearer_of_the_token(
    client, settings
):
    settings.METRICS_TOKEN = TOKEN
    make_row(age=timedelta(minutes=30))
    make_row()
    failed_row()
    make_row(OutboxEmail.Status.SENT)
    response = scrape(client, TOKEN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }
    assert samples["alta_outbox_pending"] == 2
    assert samples["alta_outbox_failed"] == 1
    assert samples["alta_outbox_sent_total"] == 1
    assert samples["alta_outbox_overdue"] == 1
    assert 30 * 60 - 5 <= samples["alta_outbox_oldest_pending_age_seconds"] <= 31 * 60
    assert b"ana@ejemplo.test" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "otro-token", TOKEN.upper()])
def test_metrics_are_a_404_without_the_right_token(client, settings, token):
    settings.METRICS_TOKEN = TOKEN
    assert scrape(client, token).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", TOKEN])
def test_metrics_are_a_404_when_no_token_is_configured(client, settings, token):
    settings.METRICS_TOKEN = ""
    assert scrape(client, token).status_code == 404


# --- admin --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_list_shows_status_attempts_next_attempt_and_last_error(admin_client):
    row = make_row(
        attempts=3, last_error="SMTPServerDisconnected: x", sealed_secrets="gAAAA-sellado"
    )
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    for column in ("status_label", "attempts", "next_attempt_at", "last_error"):
        assert f"column-{column}" in response.text and f"field-{column}" in response.text
    assert "SMTPServerDisconnected" in response.text
    # A row's page shows it all but the sealed secrets, ciphertext of no use to a reader.
    page = admin_client.get(f"{CHANGELIST}{row.pk}/change/")
    assert page.status_code == 200 and "SMTPServerDisconnected" in page.text
    assert "gAAAA-sellado" not in page.text


@pytest.mark.django_db
def test_reenviar_gives_a_failed_row_all_its_attempts_fresh_secrets_and_sends_it(
    admin_client, django_capture_on_commit_callbacks
):
    row = failed_row(sealed_secrets="gAAAA-restos-de-un-envio-anterior")
    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(
            CHANGELIST, {"action": "requeue", "_selected_action": [row.pk]}, follow=True
        )
    assert "1 correo en cola de nuevo" in response.text
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxEmail.Status.PENDING, 0, None)
    assert row.sealed_secrets == ""  # the provider makes new secrets for the new attempts
    # Kept until the next attempt replaces it, so the reason stays in sight.
    assert row.last_error.startswith("SMTPServerDisconnected")
    assert mail.outbox == []  # queued once the action's transaction committed, not before
    for callback in queued:
        callback()  # Celery eager here: the `deliver` task runs now
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1
    assert [m.to for m in mail.outbox] == [["ana@ejemplo.test"]]


@pytest.mark.django_db
def test_reenviar_keeps_a_pending_rows_secrets_and_never_touches_a_sent_row(
    admin_client, django_capture_on_commit_callbacks
):
    # A pending row may have a copy on its way: the secret in that copy must stay valid.
    waiting = make_row(
        attempts=5,
        sealed_secrets="gAAAA-sellado",
        next_attempt_at=timezone.now() + timedelta(minutes=20),
    )
    sent = make_row(OutboxEmail.Status.SENT, attempts=1, sent_at=timezone.now())
    with django_capture_on_commit_callbacks():
        response = admin_client.post(
            CHANGELIST,
            {"action": "requeue", "_selected_action": [waiting.pk, sent.pk]},
            follow=True,
        )
    assert "1 correo en cola de nuevo" in response.text
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert (waiting.attempts, waiting.next_attempt_at) == (0, None)
    assert waiting.sealed_secrets == "gAAAA-sellado"
    assert (sent.status, sent.attempts) == (OutboxEmail.Status.SENT, 1)


@pytest.mark.django_db
def test_a_pending_row_cannot_be_deleted_one_by_one_or_in_bulk(admin_client):
    pending = make_row()
    failed = failed_row()
    assert admin_client.get(f"{CHANGELIST}{pending.pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"{CHANGELIST}{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    # `delete_selected` with a pending row among the selection refuses the whole deletion.
    bulk = {"action": "delete_selected", "_selected_action": [pending.pk, failed.pk], "post": "yes"}
    assert admin_client.post(CHANGELIST, bulk).status_code == 403
    assert OutboxEmail.objects.count() == 2
    # Rows that are done with may still be deleted.
    only_failed = {"action": "delete_selected", "_selected_action": [failed.pk], "post": "yes"}
    admin_client.post(CHANGELIST, only_failed)
    assert list(OutboxEmail.objects.values_list("pk", flat=True)) == [pending.pk]


# --- manage.py requeue_failed_emails --------------------------------------------------------


@pytest.mark.django_db
def test_requeue_failed_emails_dry_run_counts_and_changes_nothing(capsys):
    failed_row()
    failed_row()
    make_row()
    call_command("requeue_failed_emails", "--dry-run")
    assert "2 correos fallidos; ninguno puesto en cola" in capsys.readouterr().out
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED, attempts=36).count() == 2


@pytest.mark.worker
def test_after_an_outage_requeue_failed_emails_has_a_real_worker_send_them(
    start_worker, smtp_sink, capsys
):
    start_worker()  # no beat: the command's own tasks must carry the emails
    rows = [failed_row(), failed_row()]
    untouched = make_row(OutboxEmail.Status.SENT, attempts=1, sent_at=timezone.now())
    call_command("requeue_failed_emails")
    assert "2 correos fallidos en cola de nuevo." in capsys.readouterr().out
    wait_until(
        lambda: OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 3,
        what="both re-queued rows sent by the worker",
    )
    assert sorted(m["Message-ID"] for m in smtp_sink.messages) == sorted(r.message_id for r in rows)
    for row in rows:
        row.refresh_from_db()
        assert (row.attempts, row.last_error, row.sealed_secrets) == (1, "", "")
    untouched.refresh_from_db()
    assert untouched.attempts == 1


@pytest.mark.worker
def test_a_real_beat_records_its_heartbeat_and_readiness_stops_calling_it_stale(
    client, start_worker
):
    from django.core.cache import cache

    from notifications.heartbeat import BEAT_HEARTBEAT_KEY

    cache.delete(BEAT_HEARTBEAT_KEY)
    assert client.get("/salud/").json()["beat"]["stale"] is True
    start_worker(beat=True, OUTBOX_RESEND_SECONDS="1")
    wait_until(lambda: cache.get(BEAT_HEARTBEAT_KEY), what="beat's send_pending to run")
    answer = client.get("/salud/").json()
    assert answer["beat"]["stale"] is False
