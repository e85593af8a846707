"""The agent's request status (issue 23): the signed, expiring link in "Solicitud recibida",
its page for each state, step 1's "Ya hay una solicitud" with the dates and the button that
sends the link again (to the request's address only, rate-limited), and "Ya cuenta con
acceso" with a way in."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail, signing
from django.utils import timezone

from agents import services
from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from notifications.services import deliver_email
from portal import ratelimit
from tests.a11y import axe_violations, format_violations

pytestmark = pytest.mark.django_db

MX = ZoneInfo("America/Mexico_City")
# Friday; Monday 16 November 2026 is Revolution Day (a Mexican holiday), so three business
# days later is Thursday the 19th, not Wednesday the 18th.
SENT = datetime(2026, 11, 13, 10, 30, tzinfo=MX)
SENT_ES, EXPECTED_ES = "13 de noviembre de 2026", "19 de noviembre de 2026"
RESEND_URL = "/agentes/solicitud/estado/reenviar/"
RESENT_ANSWER = (
    "Si la solicitud sigue pendiente, enviamos el enlace al correo con el que se registró"
)
INVALID_TITLE = "El enlace no es válido o ya venció"


def frozen(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def file_request(make_agent):
    """A pending request filed at SENT: `file_request(email=…, **agent_fields)`."""

    def file(email: str = "", **agent_fields) -> AccessRequest:
        agent = make_agent(**agent_fields)
        role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
        with frozen(SENT):
            return AccessRequest.objects.create(agent=agent, role=role, email=email or agent.email)

    return file


def status_path(access_request: AccessRequest) -> str:
    return f"/agentes/solicitud/estado/{services.status_token(request_id=access_request.pk)}/"


def decide(access_request: AccessRequest, status: str, reason: str = "") -> None:
    access_request.status = status
    access_request.rejection_reason = reason
    access_request.decided_at = datetime(2026, 11, 18, 12, 0, tzinfo=MX)
    access_request.save()


def assert_reveals_nothing(response, access_request: AccessRequest) -> None:
    text = response.text
    assert response.status_code == 404 and INVALID_TITLE in text
    agent = access_request.agent
    for revealing in ("Folio", "pendiente", SENT_ES, EXPECTED_ES, agent.rfc, agent.nombre):
        assert revealing not in text
    assert access_request.email.split("@")[0] not in text


# --- The status page, per state -------------------------------------------------------------
def test_pending_request_shows_folio_dates_with_the_holiday_and_what_happens_next(
    client, file_request
):
    access_request = file_request(email="ximena.soto@ejemplo.test")
    with frozen(datetime(2026, 11, 17, 9, 0, tzinfo=MX)):
        response = client.get(status_path(access_request))
    text = response.text
    assert response.status_code == 200
    assert f"<td>{access_request.pk}</td>" in text
    assert SENT_ES in text and EXPECTED_ES in text  # Nov 16 (holiday) not counted
    assert "<strong>pendiente</strong>" in text
    assert "Recibirás un correo electrónico con la respuesta a más tardar el " + EXPECTED_ES in text
    assert "lleva más tiempo del previsto" not in text
    # Personal data: no RFC, key or address; the email only masked.
    agent = access_request.agent
    for private in (agent.rfc, agent.direccion, "ximena.soto@", f">{agent.clave_agente}<"):
        assert private not in text
    assert "Te escribiremos a xi***@ej***.test." in text


def test_the_status_page_is_not_cached_indexed_or_sent_as_a_referrer(client, file_request):
    response = client.get(status_path(file_request()))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.text


def test_pending_past_the_deadline_says_it_is_late_and_gives_the_call_center(
    client, file_request, settings
):
    access_request = file_request()
    # Thursday 19th is the last day within the deadline; Friday 20th is the fourth.
    with frozen(datetime(2026, 11, 19, 18, 0, tzinfo=MX)):
        on_time = client.get(status_path(access_request)).text
    with frozen(datetime(2026, 11, 20, 9, 0, tzinfo=MX)):
        late = client.get(status_path(access_request)).text
    assert "lleva más tiempo del previsto" not in on_time
    assert "lleva más tiempo del previsto" in late
    assert settings.CALL_CENTER_PHONE in late and f"folio {access_request.pk}" in late


def test_approved_request_links_to_the_login_and_the_password_reset(client, file_request):
    access_request = file_request()
    decide(access_request, AccessRequest.Status.APPROVED)
    text = client.get(status_path(access_request)).text
    assert "<strong>aprobada</strong>" in text and "18 de noviembre de 2026" in text
    assert "tu usuario y tu contraseña temporal" in text
    assert 'href="/agentes/ingresar/"' in text
    assert 'href="/agentes/contrasena/olvide/"' in text
    assert "Fecha esperada de respuesta" not in text


def test_approved_request_with_credentials_by_link_says_a_link_comes(
    client, file_request, settings
):
    settings.AGENT_CREDENTIALS = "link"
    access_request = file_request()
    decide(access_request, AccessRequest.Status.APPROVED)
    assert "un enlace para crear tu contraseña" in client.get(status_path(access_request)).text


def test_rejected_request_shows_the_reason_and_how_to_file_again(client, file_request, settings):
    access_request = file_request()
    decide(access_request, AccessRequest.Status.REJECTED, "El agente no está en vigor.")
    text = client.get(status_path(access_request)).text
    assert "<strong>rechazada</strong>" in text
    assert "<td>El agente no está en vigor.</td>" in text
    assert 'href="/agentes/solicitud/">enviar una nueva solicitud</a>' in text
    assert settings.CALL_CENTER_PHONE in text


def test_a_rejected_request_anonymised_by_retention_still_shows_its_state(client, file_request):
    from agents.retention import anonymise_rejected_requests

    access_request = file_request()
    decide(
        access_request, AccessRequest.Status.REJECTED, "No se cuenta con la suficiente información."
    )
    anonymise_rejected_requests(cutoff=timezone.now(), dry_run=False)
    access_request.refresh_from_db()
    assert access_request.email == ""
    response = client.get(status_path(access_request))
    assert response.status_code == 200 and "<strong>rechazada</strong>" in response.text


def test_the_status_page_in_english(client, file_request):
    access_request = file_request()
    client.cookies["django_language"] = "en"
    text = client.get(status_path(access_request), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Your request's status" in text and "pending" in text
    assert "November 13, 2026" in text and "November 19, 2026" in text


# --- Refused links ---------------------------------------------------------------------------
def test_a_token_with_one_character_changed_is_refused(client, file_request):
    access_request = file_request()
    token = services.status_token(request_id=access_request.pk)
    for position in (0, len(token) // 2, len(token) - 1):
        changed = "A" if token[position] != "A" else "B"
        tampered = token[:position] + changed + token[position + 1 :]
        response = client.get(f"/agentes/solicitud/estado/{tampered}/")
        assert_reveals_nothing(response, access_request)


def test_a_link_past_its_days_is_refused(client, file_request, settings):
    settings.REQUEST_STATUS_LINK_DAYS = 30
    access_request = file_request()
    with frozen(SENT):
        path = status_path(access_request)
    with frozen(SENT + timedelta(days=29, hours=23)):
        assert client.get(path).status_code == 200
    with frozen(SENT + timedelta(days=30, minutes=1)):
        assert_reveals_nothing(client.get(path), access_request)


def test_a_token_of_another_salt_or_for_no_request_is_refused(client, file_request):
    access_request = file_request()
    for token in (
        signing.dumps(access_request.pk),  # Django's default salt
        signing.dumps(access_request.pk, salt="portal.invitation"),
        signing.dumps(str(access_request.pk), salt="agents.request_status"),  # not an id
        services.status_token(request_id=access_request.pk + 1000),  # no such request
        "nada",
    ):
        assert_reveals_nothing(client.get(f"/agentes/solicitud/estado/{token}/"), access_request)


def test_the_refusal_says_what_to_do(client, settings):
    text = client.get("/agentes/solicitud/estado/nada/").text
    assert "Enviar de nuevo el enlace de estatus" in text
    assert 'href="/agentes/solicitud/"' in text and settings.CALL_CENTER_PHONE in text


# --- The "request received" email -------------------------------------------------------------
def submit(agent, base_url="http://testserver/", language="es-mx"):
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    return services.submit_access_request(
        clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)), role=role,
        email=agent.email, language=language, base_url=base_url,
    )  # fmt: skip


def status_link_in(body: str) -> str:
    return re.search(r"http://testserver(/agentes/solicitud/estado/[^/\s]+/)", body).group(1)


def test_request_received_email_links_to_its_status_and_the_outbox_keeps_no_token(
    client, make_agent
):
    access_request = submit(make_agent())
    row = OutboxEmail.objects.get(template="solicitud_recibida")
    assert deliver_email(row.pk) == "sent"
    message = mail.outbox[0]
    path = status_link_in(message.body)
    html, _mimetype = message.alternatives[0]
    assert f'href="http://testserver{path}"' in html
    assert "Ver el estatus de mi solicitud" in html and "El enlace vence en 30 días" in html
    response = client.get(path)
    assert response.status_code == 200 and f"<td>{access_request.pk}</td>" in response.text
    row.refresh_from_db()
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in json.dumps(row.context) and "estado" not in json.dumps(row.context)
    assert row.context == {
        "full_name": access_request.agent.full_name,
        "request_id": access_request.pk,
        "base_url": "http://testserver/",
    }
    assert token not in row.sealed_secrets  # sealed until sent, wiped after


def test_request_received_email_in_english_has_the_link(make_agent):
    submit(make_agent(), language="en")
    deliver_email(OutboxEmail.objects.get().pk)
    body = mail.outbox[0].body
    assert "Check your request's status" in body and status_link_in(body)


def test_a_row_the_previous_release_queued_is_sent_without_a_link(make_agent):
    access_request = submit(make_agent())
    OutboxEmail.objects.all().delete()
    # As the previous release wrote it: no base_url, no provider path.
    row = OutboxEmail.objects.create(
        to=access_request.email,
        template="solicitud_recibida",
        context={"full_name": "XIMENA SOTO PARDO", "request_id": access_request.pk},
    )
    assert deliver_email(row.pk) == "sent"
    body = mail.outbox[0].body
    assert "Estimado usuario(a) XIMENA SOTO PARDO" in body and "/estado/" not in body


def test_the_wizard_passes_the_portals_address_not_the_host_header(wizard, make_agent, settings):
    settings.PORTAL_BASE_URL = "https://alta.example.com"
    agent = make_agent()
    response = wizard.walk_to_submit(agent)
    wizard.send(response, email=agent.email)
    row = OutboxEmail.objects.get(template="solicitud_recibida")
    assert row.context["base_url"] == "https://alta.example.com/"


# --- Step 1: "Ya hay una solicitud" and the resend ---------------------------------------------
def identify_pending(wizard, file_request, **request_fields):
    access_request = file_request(**request_fields)
    return access_request, wizard.identify(access_request.agent)


def test_step_one_pending_message_shows_both_dates_and_the_resend_button(wizard, file_request):
    _request, response = identify_pending(wizard, file_request)
    text = response.text
    assert "Ya hay una solicitud para esta clave de agente" in text
    assert f"Enviada el {SENT_ES}; fecha esperada de respuesta: {EXPECTED_ES}." in text
    assert f'<form method="post" action="{RESEND_URL}"' in text
    assert ">Enviar de nuevo el enlace de estatus</button>" in text
    assert "Paso 1 de 5" in text


def test_the_resend_goes_to_the_requests_address_only(client, wizard, file_request):
    # Filed with an address other than the SAA's: the link goes to the request's.
    access_request, _response = identify_pending(
        wizard, file_request, email="filed.with@ejemplo.test"
    )
    other = file_request()  # another agent's pending request, named in the form: ignored
    response = client.post(
        RESEND_URL, {"request_id": other.pk, "email": "attacker@ejemplo.test"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/agentes/solicitud/"
    assert RESENT_ANSWER in response.text
    row = OutboxEmail.objects.get()
    assert row.to == "filed.with@ejemplo.test" and row.template == "enlace_estatus_solicitud"
    assert row.context == {"request_id": access_request.pk, "base_url": "http://testserver/"}
    assert deliver_email(row.pk) == "sent"
    path = status_link_in(mail.outbox[0].body)
    assert f"<td>{access_request.pk}</td>" in client.get(path).text


def test_over_the_requests_limit_the_same_answer_and_nothing_sent(client, wizard, file_request):
    identify_pending(wizard, file_request)
    limit = ratelimit.rule("request_status_link", "request").limit
    for _ in range(limit):
        assert RESENT_ANSWER in client.post(RESEND_URL, follow=True).text
    assert OutboxEmail.objects.count() == limit
    response = client.post(RESEND_URL, follow=True)
    assert RESENT_ANSWER in response.text
    assert OutboxEmail.objects.count() == limit


def test_over_the_addresss_limit_the_same_answer_and_nothing_sent(
    client, wizard, file_request, monkeypatch
):
    monkeypatch.setitem(
        ratelimit.RATE_LIMITS,
        "request_status_link",
        (ratelimit.Rule("request", 3, ratelimit.HOUR), ratelimit.Rule("ip", 1, ratelimit.HOUR)),
    )
    identify_pending(wizard, file_request)
    client.post(RESEND_URL)
    identify_pending(wizard, file_request)  # another agent's request, same address
    response = client.post(RESEND_URL, follow=True)
    assert RESENT_ANSWER in response.text and OutboxEmail.objects.count() == 1


def test_a_request_decided_meanwhile_gets_the_same_answer_and_nothing(client, wizard, file_request):
    access_request, _response = identify_pending(wizard, file_request)
    decide(access_request, AccessRequest.Status.APPROVED)
    response = client.post(RESEND_URL, follow=True)
    assert RESENT_ANSWER in response.text and not OutboxEmail.objects.exists()


def test_the_resend_without_identification_says_what_to_do_and_sends_nothing(client, file_request):
    file_request()
    for response in (client.post(RESEND_URL, follow=True), client.get(RESEND_URL, follow=True)):
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == "/agentes/solicitud/"
        assert "Para recibir de nuevo el enlace de estatus" in response.text
        assert RESENT_ANSWER not in response.text
    assert not OutboxEmail.objects.exists()


def test_a_get_of_the_resend_after_identification_sends_nothing(client, wizard, file_request):
    identify_pending(wizard, file_request)
    client.get(RESEND_URL)
    assert not OutboxEmail.objects.exists()


def test_cancelar_forgets_the_identified_request(client, wizard, file_request):
    identify_pending(wizard, file_request)
    client.post("/agentes/solicitud/cancelar/")  # "Sí, cancelar la solicitud"
    client.post(RESEND_URL)
    assert not OutboxEmail.objects.exists()


# --- Step 1: "Ya cuenta con acceso" -------------------------------------------------------------
def test_step_one_has_access_message_links_to_the_login_and_the_reset(
    wizard, make_agent, django_user_model
):
    agent = make_agent()
    agent.user = django_user_model.objects.create_user("SPXA1522", kind="agent")
    agent.save()
    text = wizard.identify(agent).text
    assert (
        "El agente ya cuenta con acceso a los portales disponibles. Favor de dirigirse a la "
        "sección" in text
    )
    assert '<a href="/agentes/ingresar/">Ingresar al portal de Agentes</a>' in text
    assert '<a href="/agentes/contrasena/olvide/">¿Olvidaste tu contraseña?</a>' in text


# --- In Chromium: axe and 360 px ----------------------------------------------------------------
def assert_accessible_at_360(page) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("locale", ["es-MX", "en-US"])
def test_status_page_in_each_state_passes_axe_at_360_px(open_page, file_request, locale):
    page = open_page(viewport={"width": 360, "height": 740}, locale=locale)
    pending, overdue, approved, rejected = (file_request() for _ in range(4))
    decide(approved, AccessRequest.Status.APPROVED)
    decide(rejected, AccessRequest.Status.REJECTED, services.STANDARD_REJECTION_REASONS[1])
    overdue.created_at = timezone.now() - timedelta(days=30)
    overdue.save()
    for access_request in (pending, overdue, approved, rejected):
        page.goto(status_path(access_request))
        assert page.locator("h1").count() == 1
        assert_accessible_at_360(page)
    page.goto("/agentes/solicitud/estado/nada/")
    assert_accessible_at_360(page)


def test_step_one_with_each_message_passes_axe(
    open_page, file_request, make_agent, django_user_model
):
    page = open_page(viewport={"width": 360, "height": 740})
    access_request = file_request()
    with_access = make_agent()
    with_access.user = django_user_model.objects.create_user("SPXA1522", kind="agent")
    with_access.save()
    for agent in (access_request.agent, with_access):
        page.goto("/agentes/solicitud/")
        page.get_by_label("Clave de agente").fill(agent.clave_agente)
        page.get_by_label("Clave Promotoría").fill(agent.promotoria.clave)
        page.get_by_label("RFC").fill(agent.rfc)
        page.get_by_role("button", name="Continuar").click()
        page.locator("#errores").wait_for()
        assert_accessible_at_360(page)
    # The pending one's button, as a person presses it.
    page.goto("/agentes/solicitud/")
    page.get_by_label("Clave de agente").fill(access_request.agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill(access_request.agent.promotoria.clave)
    page.get_by_label("RFC").fill(access_request.agent.rfc)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("button", name="Enviar de nuevo el enlace de estatus").click()
    page.get_by_text(RESENT_ANSWER).wait_for()
    assert_accessible_at_360(page)
    assert OutboxEmail.objects.filter(template="enlace_estatus_solicitud").count() == 1
