"""Issue 12, "keyboard-only completion of both flows": in Chromium, with no mouse, an agent
requests access and a client registers from their login pages to the last screen, pressing
only Tab, Shift+Tab, Space and Enter and typing. Each move reads the focused element's role
and accessible name, as a screen reader says them, to know where it is; every element that
takes the focus on the way shows a focus indicator."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import birth_date_as_typed, captcha_answer_in_browser, last_code
from tests.ui.keyboard import Keyboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERRORS_HEADING = "Se detectaron los siguientes errores:"


def test_an_agent_requests_access_with_the_keyboard_alone(page, make_agent):
    from agents.models import AccessRequest, Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent()
    keys = Keyboard(page)
    page.goto("/agentes/ingresar/")
    keys.activate("link", "Solicítalo aquí.")

    expect(page.get_by_text("Paso 1 de 5")).to_be_visible()
    keys.type_into("Clave de agente", agent.clave_agente)
    keys.type_into("Clave Promotoría", agent.promotoria.clave)
    keys.type_into("RFC", agent.rfc)
    keys.activate("button", "Continuar")

    # Step 2: the only channel comes ticked; untick it, fail, and mend it from the summary.
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    keys.tab_to("checkbox", "Individual Privado")
    page.keyboard.press("Space")
    keys.activate("button", "Continuar")
    expect(page.locator(":focus")).to_contain_text(ERRORS_HEADING)  # the error summary
    keys.focused()  # which shows its focus too
    keys.tab_to("link", re.compile("^Canales de Venta Disponibles: "))
    page.keyboard.press("Enter")
    assert keys.focused() == ("checkbox", "Individual Privado")
    page.keyboard.press("Space")
    expect(page.get_by_label("Individual Privado")).to_be_checked()
    keys.activate("button", "Continuar")

    # Step 3: the role, chosen by typing its name in the closed list.
    expect(page.get_by_text("Paso 3 de 5")).to_be_visible()
    keys.tab_to("combobox", "Rol Deseado")
    page.keyboard.type("AGENTE")
    expect(page.get_by_label("Rol Deseado")).to_have_value(str(Role.objects.get(code="AGENTE").pk))
    keys.activate("button", "Continuar")

    # Step 4: the email twice and the captcha.
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()
    keys.type_into("Correo electrónico", "xsoto@ejemplo.test")
    keys.type_into("Confirmar correo electrónico", "xsoto@ejemplo.test")
    keys.type_into("Código de verificación", captcha_answer_in_browser(page))
    keys.activate("button", "Continuar")

    expect(page.get_by_role("heading", level=1)).to_have_text("Solicitud enviada")
    assert AccessRequest.objects.get().email == "xsoto@ejemplo.test"
    keys.assert_every_focus_was_visible()


def test_a_client_registers_with_the_keyboard_alone(page, make_person):
    from portal.models import User

    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    keys = Keyboard(page)
    page.goto("/clientes/ingresar/")
    keys.activate("link", re.compile("^Aún no estoy registrado"))

    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    keys.type_into("Número de póliza", person.policies.first().numero_poliza)
    keys.type_into("Nombre", person.nombre)
    keys.type_into("Apellido paterno", person.apellido_paterno)
    keys.type_into("Fecha de nacimiento", birth_date_as_typed(person.fecha_nacimiento))
    keys.activate("button", "SIGUIENTE")

    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    keys.tab_to("radio", "ma***@ej***.test")  # the address on file, masked
    page.keyboard.press("Space")
    expect(page.get_by_label("ma***@ej***.test")).to_be_checked()
    keys.activate("button", "SIGUIENTE", key="Space")  # a button takes Space as well as Enter

    expect(page.get_by_text("Paso 3 de 4")).to_be_visible()
    keys.type_into("Código de confirmación (token)", last_code("maria.rodriguez@ejemplo.test"))
    keys.activate("button", "SIGUIENTE")

    expect(page.get_by_role("heading", level=1)).to_have_text("Tu registro fue creado")
    assert User.objects.filter(email="maria.rodriguez@ejemplo.test").exists()
    keys.assert_every_focus_was_visible()
