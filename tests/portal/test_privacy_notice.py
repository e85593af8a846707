"""Issue 21, notice and consent: the short privacy notice beside every form that collects
personal data, the full notice with the LFPDPPP's elements, the version shown stored with each
access request, registration and invitation, and a new version read once by signed-in agents
and clients ("Aviso de privacidad actualizado")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import expect

from agents.models import AccessRequest, Role
from agents.services.identification import submit_access_request
from agents.services.review import approve_request
from portal import notice
from portal.models import NoticeAcceptance
from registration.models import RegistrationKey
from registration.services import register_client
from tests.a11y import axe_violations, format_violations
from tests.helpers import KEY_WIZARD_URL, ClientWizard, RequestWizard

ENGLISH = "en"
RESPONSIBLE = "Seguros Prueba del Norte, S.A. de C.V."
ADDRESS = "Calle Prueba 9, Colonia Centro, 64000, Monterrey, N.L., México"
CONTACT = "datos.personales@seguros-prueba.mx"
VERSION = "2031-2"


@pytest.fixture
def notice_settings(settings):
    settings.PRIVACY_RESPONSIBLE_NAME = RESPONSIBLE
    settings.PRIVACY_RESPONSIBLE_ADDRESS = ADDRESS
    settings.PRIVACY_CONTACT_EMAIL = CONTACT
    settings.PRIVACY_NOTICE_VERSION = VERSION
    settings.PRIVACY_NOTICE_DATE = date(2031, 3, 15)
    return settings


def _get(client, url, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(url, follow=True, **headers)


# --- The short notice at collection ------------------------------------------------------------

SHORT = {  # language: (what the short notice says, the link's text)
    "es": ("es responsable de tus datos personales", "Consulta el Aviso de Privacidad"),
    ENGLISH: ("is responsible for your personal data", "Read the Privacy Notice"),
}


def _assert_short_notice(html: str, language: str) -> None:
    said, link = SHORT[language]
    block = re.search(r'<p class="help privacy-notice"[^>]*>(.*?)</p>', html, re.S)
    assert block, "no short privacy notice on the page"
    text = block.group(1)
    assert RESPONSIBLE in text and said in text
    assert re.search(rf'<a href="/privacidad/">{re.escape(link)}</a>', text)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es", ENGLISH])
def test_the_client_identification_steps_show_the_short_notice(client, notice_settings, language):
    for url in ("/clientes/registro/", KEY_WIZARD_URL):
        _assert_short_notice(_get(client, url, language).text, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es", ENGLISH])
def test_the_agent_identification_step_shows_the_short_notice(client, notice_settings, language):
    _assert_short_notice(_get(client, "/agentes/solicitud/", language).text, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es", ENGLISH])
def test_the_agents_envio_de_solicitud_step_shows_the_short_notice(
    client, make_agent, notice_settings, language
):
    if language == ENGLISH:
        client.cookies["django_language"] = ENGLISH
    page = RequestWizard(client).walk_to_submit(make_agent())
    assert ("Paso 4 de 5" if language == "es" else "Step 4 of 5") in page.text
    _assert_short_notice(page.text, language)


# --- The full notice ---------------------------------------------------------------------------

# Each element the LFPDPPP asks of the notice, as the page's headings and words name it.
ELEMENTS = {
    "es": [
        "Quién es responsable de tus datos",
        "Qué datos personales tratamos",
        "No tratamos datos personales sensibles",
        "Finalidades necesarias",
        "Finalidades opcionales",
        "podrás negarte en cualquier momento",
        "Con quién compartimos tus datos",
        "No hacemos ninguna transferencia que necesite tu consentimiento",
        "Tus derechos ARCO y cómo revocar tu consentimiento",
        "20 días hábiles",
        "Cookies que usa el portal",
        "Cambios a este aviso",
        "Aviso de Privacidad integral, versión 2031-2, vigente desde el 15 de marzo de 2031.",
    ],
    ENGLISH: [
        "Who is responsible for your data",
        "What personal data we process",
        "We do not process sensitive personal data",
        "Required purposes",
        "Optional purposes",
        "you may refuse it at any time",
        "Whom we share your data with",
        "We make no transfer that needs your consent",
        "Your ARCO rights and how to revoke your consent",
        "20 business days",
        "Cookies the portal uses",
        "Changes to this notice",
        "Full Privacy Notice, version 2031-2, in force since March 15, 2031.",
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es", ENGLISH])
def test_the_full_notice_has_every_element_and_the_settings_values(
    client, notice_settings, language
):
    page = _get(client, "/privacidad/", language)
    assert page.status_code == 200
    html = page.text
    missing = [element for element in ELEMENTS[language] if element not in html]
    assert not missing, missing
    assert RESPONSIBLE in html and ADDRESS in html
    assert f'<a href="mailto:{CONTACT}">{CONTACT}</a>' in html
    assert notice_settings.CALL_CENTER_PHONE in html  # ARCO and revocation by phone
    for cookie in ("sessionid", "csrftoken", "django_language", "alta_enlace"):
        assert f"<code>{cookie}</code>" in html
    assert 'id="cambios"' in html


# --- The version stored with each record of consent ---------------------------------------------


@pytest.mark.django_db
def test_an_access_request_stores_the_notice_version_shown(make_agent, notice_settings):
    agent = make_agent()
    request = submit_access_request(
        clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)),
        role=Role.objects.get(code="AGENTE"), email=agent.email,
    )  # fmt: skip
    request.refresh_from_db()
    assert request.privacy_notice_version == VERSION


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_the_approved_agents_account_keeps_the_version_of_the_request(
    make_agent, make_reviewer, notice_settings
):
    agent = make_agent()
    request = AccessRequest.objects.create(
        agent=agent, role=Role.objects.get(code="AGENTE"), email=agent.email,
        privacy_notice_version="2030-1",
    )  # fmt: skip
    request.channels.set(agent.channels.all())
    user = approve_request(request.pk, make_reviewer())
    acceptance = NoticeAcceptance.objects.get(user=user)
    assert (acceptance.version, acceptance.source) == ("2030-1", "solicitud")
    assert acceptance.accepted_at == request.created_at
    assert not notice.has_accepted(user, VERSION)  # an older notice: asked at first sign-in


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_a_client_registration_stores_the_notice_version(make_person, notice_settings):
    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    user = register_client(person.pk, "maria.rodriguez@ejemplo.test", base_url="http://x.test")
    person.refresh_from_db()
    assert person.privacy_notice_version == VERSION
    acceptance = NoticeAcceptance.objects.get(user=user)
    assert (acceptance.version, acceptance.source) == (VERSION, "registro")


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_an_invitation_acceptance_stores_the_notice_version(make_person, notice_settings):
    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    invitation = RegistrationKey.objects.create(
        person=person, email="maria.rodriguez@ejemplo.test", key_hash="x" * 64
    )
    user = register_client(
        person.pk, "maria.rodriguez@ejemplo.test", base_url="http://x.test",
        invitation_id=invitation.pk,
    )  # fmt: skip
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert invitation.privacy_notice_version == VERSION
    acceptance = NoticeAcceptance.objects.get(user=user)
    assert (acceptance.version, acceptance.source) == (VERSION, "invitacion")


@pytest.mark.django_db
def test_a_client_registered_through_the_wizard_is_not_asked_again(
    client, make_person, notice_settings, django_capture_on_commit_callbacks
):
    """The notice beside the identification step is the one the registration records."""
    from tests.helpers import last_code

    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    wizard = ClientWizard(client)
    wizard.start()
    wizard.identify(person)
    with django_capture_on_commit_callbacks(execute=True):
        wizard.choose_email("maria.rodriguez@ejemplo.test")
    with django_capture_on_commit_callbacks(execute=True):
        wizard.enter_code(last_code("maria.rodriguez@ejemplo.test"))
    person.refresh_from_db()
    assert person.user is not None and person.privacy_notice_version == VERSION
    assert notice.has_accepted(person.user, VERSION)


# --- A new version, read once -------------------------------------------------------------------

PORTALS = {  # portal: (its home, the notice page)
    "agents": ("/agentes/inicio/", "/agentes/aviso-de-privacidad/"),
    "clients": ("/clientes/", "/clientes/aviso-de-privacidad/"),
}


@pytest.mark.django_db
@pytest.mark.privacy_notice
@pytest.mark.parametrize("portal", PORTALS)
def test_a_user_with_an_older_version_reads_the_new_one_once(
    client, make_portal_user, notice_settings, portal
):
    home, notice_page = PORTALS[portal]
    user = make_portal_user(portal, password="Clave-Segura-2024")
    notice.record_acceptance(user=user, source=notice.Source.REGISTRATION, version="2030-1")
    client.force_login(user)

    asked = client.get(home)
    assert asked.status_code == 302
    assert asked["Location"] == f"{notice_page}?next={home.replace('/', '%2F')}"
    page = client.get(asked["Location"])
    assert "Aviso de privacidad actualizado" in page.text
    assert 'href="/privacidad/#cambios"' in page.text and VERSION in page.text
    assert 'name="next" value="' + home + '"' in page.text

    accepted = client.post(notice_page, {"next": home})
    assert accepted.status_code == 302 and accepted["Location"] == home
    rows = NoticeAcceptance.objects.filter(user=user).order_by("pk")
    assert [(r.version, r.source) for r in rows] == [
        ("2030-1", "registro"), (VERSION, "actualizacion"),
    ]  # fmt: skip
    assert client.get(home).status_code == 200

    client.logout()
    client.force_login(user)  # a new session: accepted once is enough
    assert client.get(home).status_code == 200
    assert NoticeAcceptance.objects.filter(user=user).count() == 2


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_an_account_from_before_the_notice_is_asked_and_others_are_not_touched(
    client, make_portal_user, notice_settings
):
    """No acceptance at all (accounts at deploy): asked. Public pages stay open meanwhile."""
    user = make_portal_user("agents", password="Clave-Segura-2024")
    client.force_login(user)
    assert client.get("/agentes/inicio/")["Location"].startswith("/agentes/aviso-de-privacidad/")
    assert client.get("/privacidad/").status_code == 200  # the notice itself can be read
    assert client.post("/agentes/salir/").status_code == 302  # and one may leave instead


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_the_gate_reads_the_acceptance_from_the_session_not_the_database(
    client, make_portal_user, notice_settings
):
    user = make_portal_user("agents", password="Clave-Segura-2024")
    notice.record_acceptance(user=user, source=notice.Source.REGISTRATION)
    client.force_login(user)  # looked up here, once
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agentes/inicio/").status_code == 200
    assert not [q for q in queries if "portal_noticeacceptance" in q["sql"]]
    # A version published during the session is asked for at the next request.
    notice_settings.PRIVACY_NOTICE_VERSION = "2031-3"
    assert client.get("/agentes/inicio/")["Location"].startswith("/agentes/aviso-de-privacidad/")


@pytest.mark.django_db
@pytest.mark.privacy_notice
def test_the_notice_is_asked_after_the_password_change(client, make_agent_user, notice_settings):
    """The order of the gate: a temporary password first, then the notice."""
    user = make_agent_user(password_expired=True)
    client.force_login(user)
    assert client.get("/agentes/inicio/")["Location"] == reverse("agents:password_change")


# --- Accessibility ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.privacy_notice
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_the_notice_pages_have_no_axe_violations(page, make_portal_user, width):
    page.set_viewport_size({"width": width, "height": 800})
    failures = []
    page.goto("/privacidad/")
    if violations := axe_violations(page):
        failures.append(f"/privacidad/: {format_violations(violations)}")

    user = make_portal_user("clients", password="Clave-Segura-2024")
    page.goto("/clientes/ingresar/")
    page.get_by_label(re.compile("^Correo electrónico")).fill(user.username)
    page.get_by_label(re.compile("^Contraseña")).fill("Clave-Segura-2024")
    page.get_by_role("button", name="Ingresar", exact=True).click()
    expect(page.get_by_role("heading", name="Aviso de privacidad actualizado")).to_be_visible()
    if violations := axe_violations(page):
        failures.append(f"re-read page: {format_violations(violations)}")
    page.get_by_role("button", name="Acepto", exact=True).click()
    expect(page.get_by_role("heading", name="Aviso de privacidad actualizado")).to_have_count(0)
    assert NoticeAcceptance.objects.filter(user=user, source="actualizacion").exists()
    assert failures == [], "\n\n".join(failures)
