"""A client registers in Chromium, each path from the login page to "Mis productos" (000)."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.accounts.services import mask_email
from registration import services
from tests.helpers import CLIENT_PASSWORD, last_code, last_link


def wait_for_mail(count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mail.outbox) >= count


def choose_email_and_confirm_code(page, email):
    """000 pasos 3–5, common to both paths."""
    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    expect(
        page.get_by_text(
            "Selecciona el correo electrónico con el cual quieres que identifiquemos todos tus "
            "productos"
        )
    ).to_be_visible()
    sent = len(mail.outbox)
    # Shown masked, as the notices mask it: the full address only after the code.
    page.get_by_label(mask_email(email)).check()
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 3 de 4")).to_be_visible()
    wait_for_mail(sent + 1)
    page.get_by_label("Código de confirmación (token)").fill("000000x")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Se detectaron los siguientes errores:")).to_be_visible()
    page.get_by_label("Código de confirmación (token)").fill(last_code(email))
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 4 de 4")).to_be_visible()
    expect(page.get_by_text("Tu registro fue creado")).to_be_visible()
    wait_for_mail(sent + 2)
    page.get_by_role("link", name="ACEPTAR").click()
    expect(page.get_by_role("heading", name="Ingresar al portal de clientes")).to_be_visible()


def set_password_and_sign_in(page, email, policies):
    """000 paso 6 from the link "aquí", then the client portal."""
    page.goto(last_link(email))
    expect(page.get_by_role("heading", name="Define tu contraseña")).to_be_visible()
    rule = page.locator("li[data-rule=length]")
    assert "ok" not in (rule.get_attribute("class") or "")
    page.get_by_label(re.compile(r"^Contraseña")).fill(CLIENT_PASSWORD)
    expect(rule).to_have_class(re.compile(r"\bok\b"))  # ticked live
    page.get_by_label("Confirma tu contraseña").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="ACEPTAR").click()
    expect(page.get_by_role("heading", name="¡Éxito!")).to_be_visible()
    page.get_by_role("link", name="ACEPTAR").click()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Mis productos")).to_be_visible()
    for policy in policies:
        expect(page.get_by_role("cell", name=policy.numero_poliza)).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_client_registers_with_policy_data(page, make_person):
    person = make_person(
        emails=["maria.rodriguez@ejemplo.test", "maria.rl@correo.test"],
        products=["Vida Individual", "Gastos Médicos Mayores"],
    )
    policies = list(person.policies.all())
    page.goto("/clientes/ingresar/")
    page.get_by_role("link", name="Aún no estoy registrado").click()

    # Paso 2: a wrong name first, then the right data typed loosely.
    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    page.get_by_text("¿Dónde encuentro mi número de póliza?").click()
    expect(page.get_by_text("carátula de tu póliza").first).to_be_visible()
    page.get_by_label("Número de póliza").fill(policies[0].numero_poliza)
    page.get_by_label("Nombre").fill("Mario")
    page.get_by_label("Apellido paterno").fill("rodriguez")
    page.get_by_label("Fecha de nacimiento").fill("12/03/1985")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("no coinciden con nuestros registros").first).to_be_visible()
    assert page.get_by_label("Apellido paterno").input_value() == "rodriguez"
    assert page.get_by_label("Fecha de nacimiento").input_value() == "12/03/1985"
    page.get_by_label("Nombre").fill(" maría ")
    page.get_by_label("Fecha de nacimiento").fill("12031985")
    page.get_by_role("button", name="SIGUIENTE").click()

    # Paso 3: every product listed.
    for policy in policies:
        expect(page.get_by_role("cell", name=policy.numero_poliza)).to_be_visible()
    choose_email_and_confirm_code(page, "maria.rl@correo.test")
    set_password_and_sign_in(page, "maria.rl@correo.test", policies)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_client_registers_with_the_invitation_key(page, make_person, live_server):
    person = make_person(emails=["jose.torres@ejemplo.test"], nombre="JOSÉ",
                         apellido_paterno="TORRES", apellido_materno="VEGA")  # fmt: skip
    policies = list(person.policies.all())
    services.invite(person, by=None, base_url=live_server.url + "/")
    wait_for_mail(1)
    invitation = mail.outbox[-1]
    key = re.search(r"clave de registro es: (\S+)", invitation.body).group(1)

    page.goto("/clientes/ingresar/")
    page.get_by_role("link", name="Recibí un correo para registrarme").click()
    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    page.get_by_label("Clave de registro").fill(key)
    page.get_by_label("Número de póliza").fill(policies[0].numero_poliza)
    page.get_by_role("button", name="SIGUIENTE").click()
    choose_email_and_confirm_code(page, "jose.torres@ejemplo.test")
    set_password_and_sign_in(page, "jose.torres@ejemplo.test", policies)
