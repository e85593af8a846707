"""From an approved account to "Bienvenido", in Chromium, as the agent reads the pages (001 §4)."""

import re

import pytest
from django.core import mail

from tests.helpers import click_approve_in_admin

NEW = "Girasol-Azul-2024"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_approval_in_admin_to_welcome(page, make_agent, make_request, make_reviewer):
    reviewer = make_reviewer("revisora")
    reviewer.set_password("clave-revisora-2026")
    reviewer.save()
    agent = make_agent(
        nombre="ZELINDABETH", apellido_paterno="RUIZ", apellido_materno="",
        email="zruiz@ejemplo.test",
    )  # fmt: skip
    make_request(agent=agent, email="zruiz@ejemplo.test")

    # The reviewer approves in Django admin.
    click_approve_in_admin(page, agent)
    page.get_by_text("Solicitud aprobada; usuario generado:").wait_for()
    page.context.clear_cookies()  # the agent's own browser from here on

    # Two separate emails: the username, then the temporary password.
    def wait_for_mail(count: int) -> None:
        for _ in range(100):
            if len(mail.outbox) >= count:
                return
            page.wait_for_timeout(100)

    wait_for_mail(2)
    username = re.search(r"Se generó el siguiente usuario:\s*(\S+)", mail.outbox[0].body)[1]
    temporary = re.search(r"Se generó la siguiente contraseña: (\S+)", mail.outbox[1].body)[1]
    assert temporary not in mail.outbox[0].body and username.isupper()

    page.goto("/agentes/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label(re.compile(r"^Contraseña")).fill(temporary)
    page.get_by_role("button", name="Ingresar").click()

    # Only "Cambio de contraseña" is reachable.
    assert page.get_by_role("heading", name="Cambio de contraseña").is_visible()
    assert page.get_by_label("ID de Usuario").input_value() == username
    page.goto("/agentes/inicio/")
    assert page.get_by_role("heading", name="Cambio de contraseña").is_visible()
    page.get_by_label("Contraseña actual").fill(temporary)
    page.get_by_label(re.compile(r"^Nueva contraseña")).fill(NEW)
    page.get_by_label("Confirmar nueva contraseña").fill(NEW)
    page.get_by_role("button", name="Aceptar").click()
    assert page.get_by_text(
        "Contraseña cambiada exitosamente. Es necesario reingresar al portal"
    ).is_visible()

    # Log in again with the new password; first the contact data.
    page.get_by_role("link", name="Ingresar").click()
    page.get_by_label("Usuario").fill(username)
    page.get_by_label(re.compile(r"^Contraseña")).fill(NEW)
    page.get_by_role("button", name="Ingresar").click()
    assert page.get_by_text("deberás actualizar tu correo electrónico y teléfono").is_visible()
    assert page.get_by_label("Correo electrónico").input_value() == "zruiz@ejemplo.test"
    page.get_by_label("Teléfono de contacto").fill("55 1234 5678")
    page.get_by_role("button", name="Continuar").click()
    # The second factor is offered (AGENT_MFA's default, optional): not now.
    page.get_by_role("button", name="Ahora no").click()

    assert page.get_by_role("heading", name="Bienvenido ZELINDABETH RUIZ").is_visible()
    for link in ["Administra tu Usuario", "Ayuda", "Contacto", "Inicio", "Herramientas"]:
        assert page.get_by_role("link", name=link, exact=True).is_visible()
    assert page.get_by_label("Numero de Agente").is_visible()
