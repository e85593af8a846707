"""The second factor in Chromium (issue 20): an agent enrols an authenticator app and signs
in again with the keyboard alone at 360 px; staff enrol at their first /admin/ login; axe
finds nothing on any of the pages. Codes come from pyotp, as a phone's app would show."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.a11y import axe_violations, format_violations
from tests.helpers import AGENT_PASSWORD
from tests.ui.keyboard import Keyboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def _no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}\n{format_violations(violations)}"


def _key_on_page(page) -> str:
    return page.locator("code.secret-key").inner_text().replace(" ", "")


def test_agent_enrols_an_app_and_signs_in_with_it_by_keyboard_at_360_px(
    open_page, settings, make_agent_user
):
    settings.AGENT_MFA = "required"
    agent = make_agent_user(password=AGENT_PASSWORD)
    page = open_page(viewport=PHONE)
    keys = Keyboard(page)
    page.goto("/agentes/ingresar/")
    keys.type_into("Usuario", agent.username)
    keys.type_into("Contraseña", AGENT_PASSWORD)
    keys.activate("button", "Ingresar")

    expect(page.get_by_role("heading", name="Activa tu segundo factor")).to_be_visible()
    expect(page.get_by_role("button", name="Ahora no")).to_have_count(0)  # required
    _no_axe_violations(page)
    keys.activate("link", "Usar una app de autenticación")

    expect(page.get_by_role("img", name="Código QR para tu app de autenticación")).to_be_visible()
    _no_axe_violations(page)
    totp = pyotp.TOTP(_key_on_page(page))
    keys.type_into("Código de 6 dígitos de tu app de autenticación", totp.now())
    keys.activate("button", "Activar")

    expect(page.get_by_text("Listo: tu segundo factor quedó activado.")).to_be_visible()
    _no_axe_violations(page)
    keys.activate("button", "Ver mis códigos de recuperación")
    expect(page.locator("ol.codes li")).to_have_count(10)
    expect(page.get_by_role("link", name="Descargar")).to_be_visible()
    _no_axe_violations(page)
    keys.activate("link", "Ya los guardé")
    # No horizontal scrolling on a phone on the way.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A new session: password, then the app's code (of the next time step: a code is used once).
    page.context.clear_cookies()
    page.goto("/agentes/ingresar/")
    keys.type_into("Usuario", agent.username)
    keys.type_into("Contraseña", AGENT_PASSWORD)
    keys.activate("button", "Ingresar")
    expect(page.get_by_role("heading", name="Confirma que eres tú")).to_be_visible()
    _no_axe_violations(page)
    keys.type_into("Código de 6 dígitos de tu app de autenticación", totp.at(time.time() + 30))
    keys.activate("button", "Verificar")
    expect(page).to_have_url(re.compile("/agentes/inicio/$"))
    keys.assert_every_focus_was_visible()


def test_staff_enrol_at_the_first_admin_login_and_admin_opens_after(
    open_page, settings, make_reviewer
):
    settings.STAFF_MFA = "required"
    reviewer = make_reviewer()
    reviewer.set_password("clave-revisora-2026")
    reviewer.save()
    page = open_page(viewport={"width": 1280, "height": 800})
    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill("revisora")
    page.get_by_label("Contraseña").fill("clave-revisora-2026")
    page.get_by_role("button", name="Identificarse").click()

    expect(page.get_by_role("heading", name="Activa tu segundo factor")).to_be_visible()
    _no_axe_violations(page)
    page.get_by_role("link", name="Usar una app de autenticación").click()
    _no_axe_violations(page)
    totp = pyotp.TOTP(_key_on_page(page))
    page.get_by_label("Código de 6 dígitos de tu app de autenticación").fill(totp.now())
    page.get_by_role("button", name="Activar", exact=True).click()
    page.get_by_role("button", name="Ver mis códigos de recuperación").click()
    expect(page.locator("ol.codes li")).to_have_count(10)
    _no_axe_violations(page)
    page.get_by_role("link", name="Ya los guardé").click()
    page.goto("/admin/")
    expect(page.get_by_role("link", name="Segundo factor")).to_be_visible()
    page.get_by_role("link", name="Segundo factor").click()
    expect(page.get_by_role("table", name="Tus factores")).to_contain_text("App de autenticación")
    _no_axe_violations(page)
