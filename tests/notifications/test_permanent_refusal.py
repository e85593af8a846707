"""A mail server's permanent refusal (5xx to RCPT or DATA) is not an outage: the row fails at
once without the address in the outbox or the logs, the address is marked undeliverable
where it belongs (the agent's request, the client's code), and the people who can act see it:
the reviewer in the queue, the client on the code step. A 4xx keeps the retry schedule."""

import logging
import smtplib

import pytest
from django.utils import timezone

from agents.models import AccessRequest
from notifications import selectors, services
from notifications.models import OutboxEmail
from portal.models import OneTimeCode
from tests.helpers import ClientWizard

ADDRESS = "nadie@ejemplo.test"
# What real servers answer: the text quotes the address, which must not reach our records.
USER_UNKNOWN = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown"
QUEUE = "/admin/agents/accessrequest/"


def queue_request_email(request: AccessRequest) -> OutboxEmail:
    """The email filing a request queues (agents.services.identification)."""
    context = {"full_name": request.agent.full_name, "request_id": request.pk}
    return services.queue_email(request.email, "solicitud_recibida", context)


def logged(caplog) -> str:
    """Every line the portal logged, with its extra fields (not the sink's own "mail.log")."""
    ours = [r for r in caplog.records if r.name != "mail.log"]
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)


@pytest.mark.django_db
def test_a_550_to_rcpt_fails_the_row_at_once_and_marks_the_request_for_the_reviewer(
    smtp, make_request, make_reviewer, client, caplog, django_capture_on_commit_callbacks
):
    smtp.refuse_rcpt = {ADDRESS: USER_UNKNOWN}
    request = make_request(email=ADDRESS)
    row = queue_request_email(request)
    with (
        caplog.at_level(logging.INFO, logger="notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.deliver_email(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.FAILED, 1)
    assert row.last_error == "SMTPRecipientsRefused: 550" and row.refused_code == 550
    assert ADDRESS not in logged(caplog) and "nadie" not in logged(caplog)
    refusals = [r for r in caplog.records if "refused for good" in r.getMessage()]
    assert len(refusals) == 1 and f"Outbox email {row.pk}" in refusals[0].getMessage()
    request.refresh_from_db()
    assert request.email_undeliverable_at is not None
    assert services.deliver_email(row.pk) == "failed" and smtp.attempts == 0  # never retried
    # Not an outage: readiness counts no failed email, and a re-queue after one skips it.
    assert client.get("/salud/").json()["outbox"]["failed"] == 0
    assert not selectors.failed_emails().exists()

    client.force_login(make_reviewer())
    queue = client.get(QUEUE)
    assert queue.status_code == 200
    assert "Correo no entregable" in queue.text
    page = client.get(f"{QUEUE}{request.pk}/change/")
    assert "el servidor de correo rechazó la dirección de la solicitud" in page.text


@pytest.mark.django_db
def test_a_451_to_rcpt_keeps_the_row_pending_with_a_next_attempt(
    smtp, make_request, client, make_reviewer, django_capture_on_commit_callbacks
):
    smtp.refuse_rcpt = {ADDRESS: f"451 4.7.1 <{ADDRESS}>: greylisted, try again later"}
    request = make_request(email=ADDRESS)
    row = queue_request_email(request)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and row.next_attempt_at > timezone.now()
    assert row.last_error == "SMTPRecipientsRefused: 451"  # the code, not the address
    request.refresh_from_db()
    assert request.email_undeliverable_at is None
    client.force_login(make_reviewer())
    assert "Correo no entregable" not in client.get(QUEUE).text


@pytest.mark.django_db
def test_a_5xx_to_data_fails_at_once_and_a_4xx_to_data_is_retried(smtp):
    smtp.refuse = True
    smtp.refuse_reply = "554 5.7.1 Message rejected"
    row = services.queue_email(ADDRESS, "solicitud_recibida", {"full_name": "ANA"})
    assert services.deliver_email(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.last_error, row.refused_code, row.attempts) == ("SMTPDataError: 554", 554, 1)
    smtp.refuse_reply = "452 4.3.1 Insufficient system storage"
    row = services.queue_email(ADDRESS, "solicitud_recibida", {"full_name": "ANA"})
    assert services.deliver_email(row.pk) == "pending"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPSenderRefused(553, b"sender not allowed", "no-reply@alta.test"), True),
        (smtplib.SMTPSenderRefused(451, b"try later", "no-reply@alta.test"), False),
        (smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no")}), True),
        (smtplib.SMTPRecipientsRefused({ADDRESS: (450, b"busy")}), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),  # our setup: retry
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "refused"), False),
    ],
)
def test_only_a_5xx_to_mail_rcpt_or_data_is_permanent(error, permanent):
    assert services.is_permanent_refusal(error) is permanent
    assert ADDRESS not in services.describe_error(error)


@pytest.mark.django_db(transaction=True)
def test_a_refused_code_asks_the_client_to_correct_the_address_and_keeps_their_data(
    smtp, make_person
):
    from django.test import Client

    person = make_person(emails=["maria@ejemplo.test"])
    smtp.refuse_rcpt = {ADDRESS: USER_UNKNOWN}
    wizard = ClientWizard(Client())
    wizard.start()
    wizard.identify(person)
    wizard.choose_email(new=ADDRESS)  # autocommit, eager tasks: refused before the page
    assert OneTimeCode.objects.get(email=ADDRESS).undeliverable_at is not None
    page = wizard.open("code")
    assert "No pudimos entregar el código a <strong>nadie@ejemplo.test</strong>" in page.text
    assert "Enviamos a" not in page.text

    products = wizard.back("code", "products")  # "Corregir correo electrónico"
    assert products.redirect_chain[-1][0].endswith("/products/")
    assert ADDRESS in products.text  # what they typed is kept, to correct it
    page = wizard.choose_email(new="maria.nueva@ejemplo.test")
    assert "Enviamos a <strong>maria.nueva@ejemplo.test</strong>" in page.text
    assert "No pudimos entregar" not in page.text
    assert [m["To"] for m in smtp.messages] == ["maria.nueva@ejemplo.test"]
