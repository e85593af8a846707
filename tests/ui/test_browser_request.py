"""One agent walks the whole access request in Chromium, by the labels a person reads."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from agents.models import AccessRequest
from tests.helpers import captcha_answer_in_browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_requests_access_from_the_login_page(page, make_agent):
    from agents.models import Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent(nombre="XIMENA", apellido_paterno="SOTO", apellido_materno="PARDO",
                       canales=["Individual Privado", "Grupo Privado"],
                       email="ximena@ejemplo.test")  # fmt: skip
    page.goto("/")
    page.get_by_role("link", name="Agentes").click()
    page.get_by_role("link", name="Solicítalo aquí.").click()

    # 3.3 Identificar Agente: a wrong RFC first.
    assert page.get_by_text("Paso 1 de 5").is_visible()
    page.get_by_label("Clave de agente").fill(agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill(agent.promotoria.clave)
    page.get_by_label("RFC").fill("XAXX010101000")
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_text("Se detectaron los siguientes errores:").is_visible()
    assert page.get_by_label("Clave de agente").input_value() == agent.clave_agente
    page.get_by_label("RFC").fill(agent.rfc.lower())
    page.get_by_role("button", name="Continuar").click()

    # 3.4 Datos generales y Canales Disponibles.
    assert page.get_by_text("Paso 2 de 5").is_visible()
    # The SAA data opens on a wide screen by a deferred script: wait for it.
    expect(page.get_by_role("cell", name=agent.rfc)).to_be_visible()
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_text("Se debe seleccionar al menos un canal.").first.is_visible()
    page.get_by_label("Individual Privado").check()
    page.get_by_role("button", name="Continuar").click()

    # 3.5 Datos Individual Privado: Regresar, then forward again.
    assert page.get_by_text("Paso 3 de 5").is_visible()
    page.get_by_role("button", name="Regresar").click()
    assert page.get_by_label("Individual Privado").is_checked()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar").click()

    # 3.6 Envío de solicitud: a wrong captcha first.
    assert page.get_by_text("Paso 4 de 5").is_visible()
    page.get_by_label(re.compile(r"^Correo electrónico")).fill("ximena@ejemplo.test")
    page.get_by_label("Confirmar correo electrónico").fill("ximena@ejemplo.test")
    page.get_by_label("Código de verificación").fill("nope")
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_text("El código introducido no coincide con el mostrado.").first.is_visible()
    page.get_by_label("Código de verificación").fill(captcha_answer_in_browser(page))
    page.get_by_role("button", name="Continuar").click()

    # Solicitud enviada.
    assert page.get_by_role("heading", name="Solicitud enviada").is_visible()
    assert page.get_by_text("Paso 5 de 5").is_visible()
    request = AccessRequest.objects.get()
    assert request.email == "ximena@ejemplo.test" and request.role.code == "AGENTE"
    assert [c.name for c in request.channels.all()] == ["Individual Privado"]
    assert len(mail.outbox) == 1 and "XIMENA SOTO PARDO" in mail.outbox[0].body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_wizard_is_usable_on_a_360px_phone(open_page, make_agent):
    page = open_page(viewport={"width": 360, "height": 740})
    agent = make_agent(email="un.correo.bastante.largo.para.un.telefono@ejemplo.test")

    def assert_fits(step: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{step} scrolls sideways ({width}px)"
        assert page.get_by_role("button", name="Continuar").is_visible()

    page.goto("/agentes/solicitud/")
    assert_fits("Identificar Agente")
    page.get_by_label("Clave de agente").fill(agent.clave_agente)
    page.get_by_label("Clave Promotoría").fill(agent.promotoria.clave)
    page.get_by_label("RFC").fill(agent.rfc)
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_text("Paso 2 de 5").is_visible()
    assert_fits("Datos generales")
