"""An access request typed with an email other than the agent's SAA email (issue 10, path 1):
the SAA address hears of it at submission, the queue marks it, the bulk approval skips it and
approving it takes a confirmation on its own page, recorded in the audit."""

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from agents import services
from agents.models import AccessRequest, Decision, Role
from notifications.models import OutboxEmail
from portal.accounts.services import mask_email
from tests.helpers import click_approve_in_admin

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agents/accessrequest/"
ATTACKER = "atacante@dominio.com"
CONFIRM_LABEL = "Confirmo que verifiqué con el agente"


@pytest.fixture
def reviewer_client(client, make_reviewer):
    """A reviewer signed in through the admin's login page."""
    reviewer = make_reviewer()
    response = client.post("/admin/login/", {"username": reviewer.username, "password": "x"})
    assert response.status_code == 302
    return client


def file_request(agent, email):
    """What the wizard's last step does: the request and its emails, in one transaction."""
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    return services.submit_access_request(
        clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)), role=role, email=email,
    )  # fmt: skip


def bulk_approve(client, requests):
    data = {
        "action": "approve_selected",
        "index": "0",
        "_selected_action": [str(r.pk) for r in requests],
    }
    return client.post(CHANGELIST, data, follow=True)


def status_of(request) -> str:
    request.refresh_from_db()
    return request.status


# --- At submission --------------------------------------------------------------------------


def test_wizard_with_another_email_tells_the_saa_address(
    wizard, make_agent, django_capture_on_commit_callbacks, settings
):
    agent = make_agent(email="ximena.soto@agentes.test", nombre="XIMENA")
    page = wizard.walk_to_submit(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.send(page, email=ATTACKER)
    assert response.redirect_chain[-1] == ("/agentes/solicitud/enviada/", 302)

    request = AccessRequest.objects.get()
    assert request.email == ATTACKER and request.email_differs_from_saa
    rows = {row.to: row.template for row in OutboxEmail.objects.all()}
    assert rows == {ATTACKER: "solicitud_recibida", agent.email: "solicitud_otro_correo"}

    [notice] = [m for m in mail.outbox if m.to == [agent.email]]
    assert "se solicitó acceso" in notice.subject
    text = notice.body
    assert "at***@do***.com" in text and ATTACKER not in text  # masked, not handed out
    assert f"folio {request.pk}" in text
    assert timezone.localtime(request.created_at).strftime("%d/%m/%Y %H:%M") in text
    assert "Si no fuiste tú" in text
    assert f"Call Center {settings.CALL_CENTER_PHONE}" in text
    html, _ = notice.alternatives[0]
    assert "at***@do***.com" in html and ATTACKER not in html
    # The attacker's address gets the manual's "Solicitud recibida", nothing about the SAA.
    [received] = [m for m in mail.outbox if m.to == [ATTACKER]]
    assert agent.email not in received.body


def test_wizard_with_the_saa_email_in_another_case_changes_nothing(
    wizard, make_agent, django_capture_on_commit_callbacks
):
    agent = make_agent(email="ximena.soto@agentes.test")
    page = wizard.walk_to_submit(agent)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.send(page, email="Ximena.Soto@Agentes.test")
    request = AccessRequest.objects.get()
    assert not request.email_differs_from_saa
    assert list(OutboxEmail.objects.values_list("to", "template")) == [
        ("ximena.soto@agentes.test", "solicitud_recibida")
    ]
    assert len(mail.outbox) == 1


def test_the_saa_notice_is_written_with_the_request_and_rolled_back_with_it(make_agent):
    agent = make_agent()
    with pytest.raises(RuntimeError), transaction.atomic():
        file_request(agent, ATTACKER)
        assert OutboxEmail.objects.filter(to=agent.email).count() == 1
        raise RuntimeError("something failed after the request was written")
    assert not AccessRequest.objects.exists() and not OutboxEmail.objects.exists()


def test_an_agent_without_saa_email_is_marked_and_no_notice_is_attempted(make_agent):
    agent = make_agent(email="")
    request = file_request(agent, ATTACKER)
    assert request.email_differs_from_saa
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == [ATTACKER]


def test_the_email_is_masked_to_recognise_not_to_reuse():
    assert mask_email("atacante@dominio.com") == "at***@do***.com"
    assert mask_email("ab@x.mx") == "a***@x***.mx"
    assert mask_email("sin-arroba") == "***"


# --- The queue ------------------------------------------------------------------------------


def test_queue_shows_the_mark_as_a_column_and_a_filter(reviewer_client, make_agent):
    other = file_request(make_agent(apellido_paterno="OTRO"), ATTACKER)
    same_agent = make_agent(apellido_paterno="MISMO")
    same = file_request(same_agent, same_agent.email)

    listing = reviewer_client.get(CHANGELIST).text
    assert "Correo distinto del SAA" in listing  # column header and filter title
    assert "email_differs_from_saa__exact=1" in listing
    assert "OTRO" in listing and "MISMO" in listing

    marked = reviewer_client.get(CHANGELIST, {"email_differs_from_saa__exact": "1"}).text
    assert "OTRO" in marked and "MISMO" not in marked
    unmarked = reviewer_client.get(CHANGELIST, {"email_differs_from_saa__exact": "0"}).text
    assert "MISMO" in unmarked and "OTRO" not in unmarked
    assert other.email_differs_from_saa and not same.email_differs_from_saa


# --- Bulk approval ----------------------------------------------------------------------------


def test_bulk_approval_skips_requests_with_another_email_and_names_them(
    reviewer_client, make_agent, django_capture_on_commit_callbacks
):
    marked_agent = make_agent()
    plain_agent = make_agent()
    with django_capture_on_commit_callbacks(execute=True):  # "request received" sent
        marked = file_request(marked_agent, ATTACKER)
        plain = file_request(plain_agent, plain_agent.email)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk_approve(reviewer_client, [marked, plain])

    assert status_of(plain) == "aprobada"
    assert status_of(marked) == "pendiente"
    text = response.text
    assert "1 solicitud(es) aprobada(s)" in text
    assert "No se aprobaron 1 solicitud(es) porque su correo es distinto" in text
    assert f"folio {marked.pk} (clave {marked_agent.clave_agente})" in text
    marked_agent.refresh_from_db()
    assert marked_agent.user is None
    assert all(m.to != [ATTACKER] for m in mail.outbox)  # no credentials to the other email
    assert not Decision.objects.filter(request=marked).exists()


def test_an_saa_email_changed_after_submission_is_also_held_back(
    reviewer_client, make_agent, django_capture_on_commit_callbacks
):
    agent = make_agent(email="antes@agentes.test")
    request = file_request(agent, "antes@agentes.test")
    agent.email = "despues@agentes.test"  # a later SAA import
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        bulk_approve(reviewer_client, [request])
    assert status_of(request) == "pendiente"


# --- Approving one ----------------------------------------------------------------------------


def test_approving_one_takes_a_confirmation_page_recorded_in_the_decision(
    reviewer_client, make_agent, django_capture_on_commit_callbacks
):
    agent = make_agent(email="ximena.soto@agentes.test")
    request = file_request(agent, ATTACKER)
    approve_url = f"{CHANGELIST}{request.pk}/aprobar/"

    # The request page's "Aprobar" button lands on the confirmation page: nothing decided.
    page = reviewer_client.post(approve_url)
    assert page.status_code == 200
    assert "El correo escrito en la solicitud es distinto del registrado en el SAA" in page.text
    assert ATTACKER in page.text and agent.email in page.text
    assert CONFIRM_LABEL in page.text
    assert status_of(request) == "pendiente"

    # Submitted without ticking the box: refused, on the same page.
    refused = reviewer_client.post(approve_url, {"confirming": "1"})
    assert refused.status_code == 200
    assert "Marca la casilla para confirmar que verificaste el correo." in refused.text
    assert status_of(request) == "pendiente"
    assert not Decision.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = reviewer_client.post(approve_url, {"confirming": "1", "confirm": "on"}, follow=True)
    assert "Solicitud aprobada; usuario generado:" in done.text
    assert status_of(request) == "aprobada"
    decision = Decision.objects.get(request=request)
    assert decision.decision == "aprobada" and decision.email_override_confirmed
    assert decision.decided_by.username == "revisora"

    # The audit shows it: on the request page and in the decisions' list, with a filter.
    assert (
        "Correo distinto del SAA confirmado"
        in reviewer_client.get(f"{CHANGELIST}{request.pk}/change/").text
    )
    audit = reviewer_client.get(
        "/admin/agents/decision/", {"email_override_confirmed__exact": "1"}
    ).text
    assert f"Solicitud {request.pk}" in audit


def test_approving_one_with_the_saa_email_needs_no_confirmation(
    reviewer_client, make_agent, django_capture_on_commit_callbacks
):
    agent = make_agent()
    request = file_request(agent, agent.email)
    with django_capture_on_commit_callbacks(execute=True):
        done = reviewer_client.post(f"{CHANGELIST}{request.pk}/aprobar/", follow=True)
    assert "Solicitud aprobada; usuario generado:" in done.text
    assert not Decision.objects.get(request=request).email_override_confirmed


def test_the_service_refuses_an_unconfirmed_approval(make_agent, make_reviewer):
    request = file_request(make_agent(), ATTACKER)
    with pytest.raises(services.EmailNotConfirmed):
        services.approve_request(request.pk, make_reviewer())
    assert status_of(request) == "pendiente"
    user = services.approve_request(
        request.pk, make_reviewer("otra"), email_override_confirmed=True
    )
    assert user.email == ATTACKER
    assert Decision.objects.get(request=request).email_override_confirmed


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reviewer_confirms_the_other_email_in_chromium(page, make_agent, make_reviewer):
    reviewer = make_reviewer("revisora")
    reviewer.set_password("clave-revisora-2026")
    reviewer.save()
    agent = make_agent(email="ximena.soto@agentes.test")
    request = file_request(agent, ATTACKER)

    click_approve_in_admin(page, agent)

    # Its own page: both addresses, a box to tick, nothing approved yet.
    page.get_by_text("El correo escrito en la solicitud es distinto").wait_for()
    assert page.get_by_role("cell", name=ATTACKER).is_visible()
    assert page.get_by_role("cell", name=agent.email).is_visible()
    page.get_by_role("button", name="Aprobar").click()
    page.get_by_text("Marca la casilla para confirmar que verificaste el correo.").wait_for()
    assert status_of(request) == "pendiente"

    page.get_by_label(CONFIRM_LABEL).check()
    page.get_by_role("button", name="Aprobar").click()
    page.get_by_text("Solicitud aprobada; usuario generado:").wait_for()
    assert status_of(request) == "aprobada"
    assert Decision.objects.get(request=request).email_override_confirmed
