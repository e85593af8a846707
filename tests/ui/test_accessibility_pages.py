"""Issue 12, "axe-core 0 violations (WCAG 2.1 A/AA) on every page and error state": in
Chromium, at 360 px and 1280 px, axe finds nothing on every page a person can reach, each in
its normal state and, where it has a form, after a failed submit. One test per group of
pages walks them as a person does (one browser context each) and names, on failure, every
page and width with its violations. Admin pages are checked whole, Django's chrome included:
nothing is excluded from axe's run."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from tests.a11y import axe_violations, format_violations
from tests.helpers import (
    AGENT_PASSWORD,
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    KEY_WIZARD_URL,
    birth_date_as_typed,
    captcha_answer_in_browser,
    identify_agent_in_browser,
    last_code,
    sign_in_in_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 1280)
ERRORS_HEADING = "Se detectaron los siguientes errores:"
REVIEWER_PASSWORD = "clave-revisora-2026"
QUEUE = "/admin/agents/accessrequest/"


class AxeWalk:
    """The pages a test opens at one width, each checked by axe where it stands;
    `assert_clean` fails naming each page, the width and the violations."""

    def __init__(self, page, width: int):
        self.page = page
        self.width = width
        self.failures: list[str] = []
        page.set_viewport_size({"width": width, "height": 800})

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        violations = axe_violations(self.page)
        if violations:
            self.failures.append(f"{name} at {self.width} px: {format_violations(violations)}")

    def assert_clean(self) -> None:
        assert self.failures == [], "\n\n".join(self.failures)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def walk(page, request):
    """Every test of this file runs once on a 360 px phone and once on a 1280 px screen."""
    return AxeWalk(page, request.param)


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def expect_errors(page) -> None:
    expect(page.get_by_role("heading", name=ERRORS_HEADING)).to_be_visible()


def reset_link(user, portal: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/{portal}/contrasena/{uid}/{default_token_generator.make_token(user)}/"


# --- Public pages ---------------------------------------------------------------------------


def test_public_pages_have_no_axe_violations(page, walk, make_agent_user, settings):
    user = make_agent_user()
    page.goto("/")
    walk.check("home chooser")
    for url, name in [
        ("/privacidad/", "privacy"),
        ("/seguridad/", "security"),
        ("/agentes/ayuda/", "agent help"),
        ("/agentes/contacto/", "agent contact"),
        ("/no-existe/", "404"),
    ]:
        page.goto(url)
        walk.check(name)

    page.goto("/agentes/ingresar/")
    walk.check("agent login")
    sign_in_in_browser(page, "agents", user.username, "equivocada-123")
    expect_errors(page)
    walk.check("agent login, failed")

    page.goto("/agentes/contrasena/olvide/")
    walk.check("agent forgot password")
    press(page, "Enviar")
    expect_errors(page)
    walk.check("agent forgot password, empty")
    page.get_by_label("Usuario o correo electrónico").fill(user.username)
    press(page, "Enviar")
    expect(page.get_by_role("heading", name="Revisa tu correo electrónico")).to_be_visible()
    walk.check("agent forgot password, sent")

    page.goto(reset_link(user, "agentes"))
    expect(page.get_by_role("heading", name="Crea tu nueva contraseña")).to_be_visible()
    walk.check("reset link, new password")
    page.get_by_label(re.compile("^Nueva contraseña")).fill("Roble-verde-2027?")
    page.get_by_label("Confirmar nueva contraseña").fill("Roble-verde-2027!")
    press(page, "ACEPTAR")
    expect_errors(page)
    walk.check("reset link, mismatched")
    page.goto("/agentes/contrasena/MQ/no-vale-ya/")
    expect(page.get_by_role("heading", name="Este vínculo ya no es válido")).to_be_visible()
    walk.check("reset link, dead")

    page.goto("/clientes/ingresar/")
    walk.check("client login")
    sign_in_in_browser(page, "clients", "nadie@ejemplo.test", "equivocada-123")
    expect_errors(page)
    walk.check("client login, failed")
    page.goto("/clientes/contrasena/olvide/")
    walk.check("client forgot password")
    press(page, "Enviar")
    expect_errors(page)
    walk.check("client forgot password, empty")

    settings.AXES_FAILURE_LIMIT = 1  # the first wrong password locks
    sign_in_in_browser(page, "agents", user.username, "equivocada-123")
    expect(page.get_by_role("heading", name="Acceso bloqueado temporalmente")).to_be_visible()
    walk.check("lockout")
    walk.assert_clean()


# --- The agent's request -------------------------------------------------------------------


def test_agent_request_wizard_has_no_axe_violations(page, walk, make_agent):
    from agents.models import Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent()
    page.goto(AGENT_WIZARD_URL)
    walk.check("identify")
    press(page, "Continuar")
    expect_errors(page)
    walk.check("identify, empty")
    page.get_by_label("Clave de agente").fill(agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill("999")
    page.get_by_label("RFC").fill(agent.rfc)
    press(page, "Continuar")
    expect_errors(page)
    walk.check("identify, wrong")

    identify_agent_in_browser(page, agent)
    walk.check("channels")
    page.get_by_label("Individual Privado").uncheck()
    press(page, "Continuar")
    expect_errors(page)
    walk.check("channels, none chosen")
    page.get_by_label("Individual Privado").check()
    press(page, "Continuar")
    expect(page.get_by_label("Rol Deseado")).to_be_visible()
    walk.check("role")
    press(page, "Continuar")
    expect_errors(page)
    walk.check("role, none chosen")
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    press(page, "Continuar")
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()
    walk.check("submit")
    press(page, "Continuar")
    expect_errors(page)
    walk.check("submit, empty")
    page.get_by_label(re.compile("^Correo electrónico")).fill("xsoto@ejemplo.test")
    page.get_by_label("Confirmar correo electrónico").fill("otro@ejemplo.test")
    page.get_by_label("Código de verificación").fill("ZZZZ")
    press(page, "Continuar")
    expect_errors(page)
    walk.check("submit, wrong captcha and emails")
    page.get_by_label("Confirmar correo electrónico").fill("xsoto@ejemplo.test")
    page.get_by_label("Código de verificación").fill(captcha_answer_in_browser(page))
    press(page, "Continuar")
    expect(page.get_by_role("heading", name="Solicitud enviada")).to_be_visible()
    walk.check("request sent")
    walk.assert_clean()


# --- The client's registration and portal ---------------------------------------------------


def test_client_registration_and_portal_have_no_axe_violations(page, walk, make_person):
    from portal.models import User
    from registration import services

    person = make_person(emails=["maria.rodriguez@ejemplo.test", "mrl@trabajo.test"])
    policy = person.policies.first().numero_poliza
    page.goto(CLIENT_WIZARD_URL)
    walk.check("identify")
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("identify, empty")
    page.get_by_label("Número de póliza").fill(policy)
    page.get_by_label(re.compile("^Nombre")).fill("OTRA")
    page.get_by_label("Apellido paterno").fill(person.apellido_paterno)
    page.get_by_label("Fecha de nacimiento").fill(birth_date_as_typed(person.fecha_nacimiento))
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("identify, no match")
    page.get_by_label(re.compile("^Nombre")).fill(person.nombre)
    press(page, "SIGUIENTE")
    expect(page.get_by_role("heading", name="Tus productos")).to_be_visible()
    walk.check("products")
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("products, none chosen")
    page.get_by_label("o ingresa uno nuevo").fill("maria@nuevo.test")
    page.get_by_label("Repite el nuevo correo").fill("maria@otro.test")
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("products, emails differ")
    page.get_by_label("o ingresa uno nuevo").fill("")
    page.get_by_label("Repite el nuevo correo").fill("")
    page.get_by_label("ma***@ej***.test").check()  # addresses on file are shown masked
    press(page, "SIGUIENTE")
    expect(page.get_by_label("Código de confirmación (token)")).to_be_visible()
    walk.check("code")
    page.get_by_label("Código de confirmación (token)").fill("000000")
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("code, wrong")
    page.get_by_label("Código de confirmación (token)").fill(
        last_code("maria.rodriguez@ejemplo.test")
    )
    press(page, "SIGUIENTE")
    expect(page.get_by_role("heading", name="Tu registro fue creado")).to_be_visible()
    walk.check("registered")

    page.goto(KEY_WIZARD_URL)
    walk.check("key path, identify")
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("key path, empty")
    page.get_by_label("Clave de registro").fill("AAAA-BBBB-CCCC")
    page.get_by_label("Número de póliza").fill(policy)
    press(page, "SIGUIENTE")
    expect_errors(page)
    walk.check("key path, wrong key")

    user = User.objects.get(email="maria.rodriguez@ejemplo.test")
    user.set_password(AGENT_PASSWORD)
    user.save()
    sign_in_in_browser(page, "clients", user.email)
    expect(page.get_by_role("heading", name="Mis productos")).to_be_visible()
    walk.check("Mis productos")
    page.goto("/clientes/contrasena/cambiar/")
    walk.check("client password change")
    press(page, "Aceptar")
    expect_errors(page)
    walk.check("client password change, empty")
    page.goto("/clientes/correo/cambiar/")
    walk.check("client email change")
    press(page, "Enviar código")
    expect_errors(page)
    walk.check("client email change, empty")

    person.refresh_from_db()
    token = services.make_block_token(person, user)
    page.goto(f"/clientes/cuenta/bloquear/{token}/")
    walk.check("block account")
    press(page, "Bloquear la cuenta")
    expect(page.get_by_text("quedó bloqueada")).to_be_visible()
    walk.check("block account, blocked")
    page.goto("/clientes/cuenta/bloquear/no-vale/")
    walk.check("block account, dead link")
    walk.assert_clean()


# --- The signed-in agent --------------------------------------------------------------------


def test_signed_in_agent_pages_have_no_axe_violations(page, walk, make_agent, make_agent_user):
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from agents.models import Announcement

    user = make_agent_user()
    sign_in_in_browser(page, "agents", user.username)
    expect(page.get_by_role("heading", name=re.compile("^Bienvenido"))).to_be_visible()
    walk.check("home")
    page.get_by_label("Numero de Agente").fill("0000")
    press(page, "Buscar")
    walk.check("home, search without result")
    colleague = make_agent()  # of the same promotoría
    page.get_by_label("Numero de Agente").fill(colleague.clave_agente)
    press(page, "Buscar")
    expect(page.get_by_role("table", name="Resultado de la búsqueda")).to_be_visible()
    walk.check("home, search with result")
    # The password-reset alert (days before the password's maximum age) and an announcement.
    changed = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 3)
    type(user).objects.filter(pk=user.pk).update(password_changed_at=changed)
    Announcement.objects.create(title="Nuevo tabulador", body="Consulta el tabulador 2027.")
    page.goto("/agentes/inicio/")
    expect(page.get_by_text("Reset de Contraseña", exact=True)).to_be_visible()
    walk.check("home, alert and announcement")
    page.goto("/agentes/herramientas/")
    walk.check("tools")
    page.goto("/agentes/usuario/")
    walk.check("manage")
    page.goto("/agentes/contrasena/cambiar/")
    walk.check("password change")
    press(page, "Aceptar")
    expect_errors(page)
    walk.check("password change, empty")
    page.goto("/agentes/telefono/cambiar/")
    walk.check("phone")
    page.get_by_label("Teléfono de contacto").fill("12")
    press(page, "Guardar")
    expect_errors(page)
    walk.check("phone, invalid")
    page.goto("/agentes/correo/cambiar/")
    walk.check("email change")
    press(page, "Enviar código")
    expect_errors(page)
    walk.check("email change, empty")
    page.get_by_label(re.compile(r"^Nuevo correo electrónico")).fill("nuevo@ejemplo.test")
    page.get_by_label("Confirmar nuevo correo electrónico").fill("nuevo@ejemplo.test")
    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    press(page, "Enviar código")
    expect(page.get_by_role("heading", name="Confirma tu correo electrónico")).to_be_visible()
    walk.check("email code")
    page.get_by_label("Código de confirmación").fill("000000")
    press(page, "Confirmar")
    expect_errors(page)
    walk.check("email code, wrong")
    page.goto("/agentes/usuario/")
    expect(page.get_by_text("Pendiente de confirmar")).to_be_visible()
    walk.check("manage, email pending")
    walk.assert_clean()


def test_first_entry_pages_have_no_axe_violations(page, walk, make_agent_user):
    user = make_agent_user(password_expired=True, contact_confirmed=False)
    sign_in_in_browser(page, "agents", user.username)
    expect(page.get_by_role("heading", name="Cambio de contraseña")).to_be_visible()
    walk.check("temporary password change")
    page.get_by_label("Contraseña actual").fill(AGENT_PASSWORD)
    page.get_by_label(re.compile("^Nueva contraseña")).fill("Roble-verde-2027?")
    page.get_by_label("Confirmar nueva contraseña").fill("Roble-verde-2027?")
    press(page, "Aceptar")
    expect(page.get_by_text("Contraseña cambiada exitosamente")).to_be_visible()
    walk.check("password changed")
    sign_in_in_browser(page, "agents", user.username, "Roble-verde-2027?")
    expect(page.get_by_role("heading", name="Actualiza tus datos de contacto")).to_be_visible()
    walk.check("confirm contact")
    page.get_by_label("Teléfono de contacto").fill("12")
    press(page, "Continuar")
    expect_errors(page)
    walk.check("confirm contact, invalid")
    walk.assert_clean()


# --- The back-office pages we own -----------------------------------------------------------


def test_review_pages_have_no_axe_violations(page, walk, make_agent, make_request, make_reviewer):
    reviewer = make_reviewer("revisora")
    reviewer.set_password(REVIEWER_PASSWORD)
    reviewer.save()
    plain = make_request()
    other = make_request(make_agent(email="ximena.soto@agentes.test"), email="otro@dominio.test")

    page.goto("/admin/")
    walk.check("admin login")
    page.get_by_label("Nombre de usuario").fill("revisora")
    page.get_by_label("Contraseña").fill("equivocada")
    press(page, "Identificarse")
    expect(page.locator(".errornote")).to_be_visible()
    walk.check("admin login, failed")
    page.get_by_label("Contraseña").fill(REVIEWER_PASSWORD)
    press(page, "Identificarse")
    page.goto(QUEUE)
    expect(page.locator("#changelist-filter")).to_be_visible()
    walk.check("queue")
    page.goto(f"{QUEUE}?estatus=todas&vencida=no&q=SOTO")
    walk.check("queue, filtered and searched")

    page.goto(f"{QUEUE}{plain.pk}/change/")
    walk.check("request page")
    page.get_by_role("link", name="Rechazar").click()
    walk.check("reject")
    press(page, "Rechazar")
    expect(page.locator(".errornote")).to_be_visible()
    walk.check("reject, no reason")

    page.goto(f"{QUEUE}{other.pk}/change/")
    press(page, "Aprobar")
    expect(page.get_by_text("El correo escrito en la solicitud es distinto")).to_be_visible()
    walk.check("approve other email")
    press(page, "Aprobar")
    expect(page.locator(".errornote")).to_be_visible()
    walk.check("approve other email, unconfirmed")
    page.get_by_label(re.compile("^Confirmo que verifiqué")).check()
    press(page, "Aprobar")
    expect(page.get_by_text("Solicitud aprobada; usuario generado:")).to_be_visible()
    walk.check("request page, decided")
    walk.assert_clean()
