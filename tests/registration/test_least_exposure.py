"""Least exposure on the client's email step (issue 21): whoever typed a printed policy's data
sees the addresses on file masked, chooses one by position, and sees it in full only once the
emailed code proved it is theirs; with CLIENT_WITHOUT_EMAIL_ON_FILE=invitation a person with
no address on file is sent to the Call Center for an invitation and nothing is created."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core import mail
from django.test import Client

from portal.models import OneTimeCode, User
from registration import services
from registration.forms import MSG_ASK_FOR_INVITATION
from registration.models import Person
from tests.helpers import ClientWizard, fresh_env, last_code, manage

ON_FILE = ["maria.rl@correo.test", "maria.rodriguez@ejemplo.test"]
MASKED = ["ma***@co***.test", "ma***@ej***.test"]


def assert_no_address_on_file(html: str) -> None:
    """Neither address, nor its name before the @, nor its URL-encoded form, anywhere in the
    page: text, attributes, links and scripts alike."""
    for address in ON_FILE:
        for piece in (address, address.split("@")[0], quote(address), quote(address, safe="")):
            assert piece not in html, piece


@pytest.mark.parametrize("language", ["es", "en"])
def test_email_and_code_steps_never_show_an_address_on_file_in_full(
    language, make_person, django_capture_on_commit_callbacks
):
    person = make_person(emails=ON_FILE)
    wizard = ClientWizard(Client(HTTP_ACCEPT_LANGUAGE=language))
    products = wizard.identify(person)
    assert f'<html lang="{"en" if language == "en" else "es-mx"}"' in products.text
    assert_no_address_on_file(products.text)
    for masked in MASKED:
        assert masked in products.text
    # The radios carry positions, never the address.
    assert re.findall(r'name="products-email_choice" value="([^"]*)"', products.text) == ["0", "1"]

    with django_capture_on_commit_callbacks(execute=True):
        code_step = wizard.choose_email(email=ON_FILE[1])
    assert mail.outbox[-1].to == [ON_FILE[1]]  # the code goes to the chosen address
    assert MASKED[1] in code_step.text
    pages = [code_step, wizard.open("code"), wizard.back("code", "products")]
    with django_capture_on_commit_callbacks(execute=True):
        pages.append(wizard.choose_email(email=ON_FILE[1]))
        pages.append(wizard.resend())
    for page in pages:
        assert_no_address_on_file(page.text)
        assert_no_address_on_file(" ".join(url for url, _ in page.redirect_chain))

    # Proved: the confirmation may name it.
    with django_capture_on_commit_callbacks(execute=True):
        done = wizard.enter_code(last_code(ON_FILE[1]))
    assert done.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    assert ON_FILE[1] in done.text
    assert Person.objects.get(pk=person.pk).user.username == ON_FILE[1]


def test_a_typed_address_is_shown_as_typed(wizard, make_person, django_capture_on_commit_callbacks):
    # Not on file: the person wrote it, and seeing it whole is how a typo is caught.
    wizard.identify(make_person(emails=ON_FILE))
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(new="nueva.direccion@ejemplo.test")
    assert "Enviamos a <strong>nueva.direccion@ejemplo.test</strong>" in response.text
    assert_no_address_on_file(response.text)


def test_a_position_outside_the_list_is_refused(wizard, make_person):
    wizard.identify(make_person(emails=ON_FILE))
    for posted in ["2", "-1", ON_FILE[0]]:
        response = wizard.post("products", {"email_choice": posted})
        assert "Se detectaron los siguientes errores:" in response.text
        assert "Paso 2 de 4" in response.text
    assert not OneTimeCode.objects.exists()


def test_addresses_that_mask_alike_are_numbered():
    assert services.masked_emails(["ana.lopez@gmail.com", "ana.perez@gmail.com", "b@x.mx"]) == [
        "an***@gm***.com (1)",
        "an***@gm***.com (2)",
        "b***@x***.mx",
    ]


# --- CLIENT_WITHOUT_EMAIL_ON_FILE ---------------------------------------------------------------
def test_allow_lets_a_person_with_no_address_on_file_type_one(
    wizard, make_person, settings, django_capture_on_commit_callbacks
):
    settings.CLIENT_WITHOUT_EMAIL_ON_FILE = "allow"
    person = make_person(emails=[])
    response = wizard.identify(person)
    assert (
        "No tenemos un correo electrónico registrado para ti: ingresa uno nuevo." in response.text
    )
    assert 'name="products-new_email"' in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(new="propia@ejemplo.test")
    assert "Paso 3 de 4" in response.text
    with django_capture_on_commit_callbacks(execute=True):
        wizard.enter_code(last_code("propia@ejemplo.test"))
    assert Person.objects.get(pk=person.pk).user.username == "propia@ejemplo.test"


def test_invitation_sends_a_person_with_no_address_on_file_to_the_call_center(
    wizard, make_person, settings, django_capture_on_commit_callbacks
):
    settings.CLIENT_WITHOUT_EMAIL_ON_FILE = "invitation"
    settings.CALL_CENTER_PHONE = "55-1234-5678"
    person = make_person(emails=[])
    response = wizard.identify(person)
    told = str(MSG_ASK_FOR_INVITATION) % {"phone": "55-1234-5678"}
    assert told in response.text
    assert 'href="/clientes/registro/clave/"' in response.text  # "Recibí un correo…"
    assert 'name="products-new_email"' not in response.text
    # Posting an address anyway (an old form, a crafted POST) creates nothing.
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.choose_email(new="intruso@ejemplo.test")
    assert "Paso 2 de 4" in response.text and told in response.text
    assert not OneTimeCode.objects.exists() and mail.outbox == []
    assert Person.objects.get(pk=person.pk).user is None
    assert not User.objects.filter(email="intruso@ejemplo.test").exists()


def test_invitation_is_enforced_when_the_account_is_created(make_person, settings):
    # A wizard started before the setting changed reaches `done` with a typed address.
    person = make_person(emails=[])
    settings.CLIENT_WITHOUT_EMAIL_ON_FILE = "invitation"
    with pytest.raises(services.NewEmailNotAllowed):
        services.register_client(person.pk, "tarde@ejemplo.test", base_url="https://x.test/")
    assert not User.objects.exists()


def test_invitation_leaves_people_with_addresses_on_file_as_they_were(
    wizard, make_person, settings
):
    settings.CLIENT_WITHOUT_EMAIL_ON_FILE = "invitation"
    response = wizard.identify(make_person(emails=ON_FILE))
    assert MASKED[0] in response.text and 'name="products-new_email"' in response.text


def test_another_value_of_the_setting_stops_the_start(tmp_path):
    result = manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)",
        env=fresh_env(tmp_path, CLIENT_WITHOUT_EMAIL_ON_FILE="invitacion"),
    )  # fmt: skip
    assert result.returncode != 0
    assert "CLIENT_WITHOUT_EMAIL_ON_FILE must be one of allow, invitation" in result.stderr
