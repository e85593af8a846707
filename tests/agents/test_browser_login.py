"""From an approved account to "Bienvenido", in Chromium, as the agent reads the pages (001 §4)."""

import re

import pytest
from django.core import mail
from django.db import transaction

NEW = "Girasol-Azul-2024"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_temporary_password_to_welcome(page, make_agent):
    from agents.models import Role
    from agents.services import issue_agent_account

    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent(nombre="ZELINDABETH", apellido_paterno="RUIZ", apellido_materno="")
    with transaction.atomic():
        issue_agent_account(agent, email="zruiz@ejemplo.test", role=role)
    bodies = " ".join(message.body for message in mail.outbox)
    username = re.search(r"Se generó el siguiente usuario:\s*(\S+)", bodies)[1]
    temporary = re.search(r"Se generó la siguiente contraseña: (\S+)", bodies)[1]

    page.goto("/agentes/ingresar/")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Clave").fill(temporary)
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
    page.get_by_label("Clave").fill(NEW)
    page.get_by_role("button", name="Ingresar").click()
    assert page.get_by_text("deberás actualizar tu correo electrónico y teléfono").is_visible()
    assert page.get_by_label("Correo electrónico").input_value() == "zruiz@ejemplo.test"
    page.get_by_label("Teléfono de contacto").fill("55 1234 5678")
    page.get_by_role("button", name="Continuar").click()

    assert page.get_by_role("heading", name="Bienvenido ZELINDABETH RUIZ").is_visible()
    for link in ["Administra tu Usuario", "Ayuda", "Contacto", "Inicio", "Herramientas"]:
        assert page.get_by_role("link", name=link, exact=True).is_visible()
    assert page.get_by_label("Numero de Agente").is_visible()
