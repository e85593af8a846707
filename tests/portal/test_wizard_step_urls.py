"""Each wizard step has its own URL and every POST answers with a redirect (Post/Redirect/
Get): the browser's Back and Forward show earlier steps with what was typed, a reload never
posts again, and the entry URL still shows step 1 at once, writing no session."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from agents.models import AccessRequest, Role
from registration.models import Person
from tests.helpers import (
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    KEY_WIZARD_URL,
    ClientWizard,
    RequestWizard,
    birth_date_as_typed,
    identify_agent_in_browser,
    last_code,
)

SENT = "/agentes/solicitud/enviada/"
REGISTERED = "/clientes/registro/listo/"
AGENT_EXPIRED = "Tu sesión de solicitud expiró o cambió. Continúa desde este paso."
CLIENT_EXPIRED = "Tu sesión de registro expiró o cambió. Continúa desde este paso."


@pytest.fixture
def role(db):
    return Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})[0]


def identify_data(agent) -> dict[str, str]:
    return {
        "clave_agente": agent.clave_agente,
        "clave_promotoria": agent.promotoria.clave,
        "rfc": agent.rfc,
    }


def policy_data(person) -> dict[str, str]:
    return {
        "numero_poliza": person.policies.first().numero_poliza,
        "nombre": person.nombre,
        "apellido_paterno": person.apellido_paterno,
        "fecha_nacimiento": birth_date_as_typed(person.fecha_nacimiento),
    }


def submit_data(wizard: RequestWizard, page, email: str = "xsoto@ejemplo.test") -> dict:
    hashkey, answer = wizard.captcha_answer(page)
    return {
        "email": email,
        "email_confirmation": email,
        "captcha_0": hashkey,
        "captcha_1": answer,
    }


# --- the URLs ---------------------------------------------------------------------------------
def test_the_entry_urls_keep_their_names_and_each_step_has_its_own():
    assert reverse("agents:request") == AGENT_WIZARD_URL
    assert reverse("registration:register") == CLIENT_WIZARD_URL
    assert reverse("registration:register_key") == KEY_WIZARD_URL
    assert reverse("agents:request_step", kwargs={"step": "role"}) == "/agentes/solicitud/role/"
    assert (
        reverse("registration:register_step", kwargs={"step": "products"})
        == "/clientes/registro/products/"
    )
    assert (
        reverse("registration:register_key_step", kwargs={"step": "code"})
        == "/clientes/registro/clave/code/"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", [AGENT_WIZARD_URL, CLIENT_WIZARD_URL, KEY_WIZARD_URL])
def test_entry_url_shows_step_one_at_once_with_no_session(url):
    before = Session.objects.count()
    response = Client().get(url)
    assert response.status_code == 200  # no redirect: a click-through costs one request
    assert re.search(r"Paso 1 de \d", response.text)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == before
    # The page posts to step 1's own URL.
    assert f'action="{url}identify/"' in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("url", [AGENT_WIZARD_URL, CLIENT_WIZARD_URL, KEY_WIZARD_URL])
def test_step_one_url_also_shows_it_with_no_session(url):
    response = Client().get(f"{url}identify/")
    assert response.status_code == 200 and re.search(r"Paso 1 de \d", response.text)
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- agents: each valid POST redirects to the next step's URL --------------------------------
def test_every_valid_agent_step_post_redirects_to_the_next_steps_url(
    client, make_agent, role, django_capture_on_commit_callbacks
):
    agent = make_agent(email="xsoto@ejemplo.test")
    wizard = RequestWizard(client)
    assert wizard.start().status_code == 200

    response = wizard.post("identify", identify_data(agent), follow=False)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/channels/"
    assert "Paso 2 de 5" in client.get(response.url).text

    channels = {"channels": [str(c.pk) for c in agent.channels.all()]}
    response = wizard.post("channels", channels, follow=False)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/role/"
    assert "Paso 3 de 5" in client.get(response.url).text

    response = wizard.post("role", {"role": str(role.pk)}, follow=False)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/submit/"
    page = client.get(response.url)
    assert "Paso 4 de 5" in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.post("submit", submit_data(wizard, page), follow=False)
    assert response.status_code == 302 and response.url == SENT
    assert AccessRequest.objects.filter(agent=agent).count() == 1


def test_invalid_agent_post_shows_the_same_step_with_the_typed_data(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.start()
    response = wizard.post("identify", {**identify_data(agent), "rfc": "XAXX010101000"})
    # Post/Redirect/Get: 303 to the same step, whose GET shows the errors (issue 24).
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{AGENT_WIZARD_URL}identify/", 303)]
    assert "Paso 1 de 5" in response.text
    assert "Los datos ingresados no coinciden ó el agente no está en vigor." in response.text
    assert f'value="{agent.clave_agente}"' in response.text
    wizard.identify(agent)
    response = wizard.post("channels", {"channels": []})
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{AGENT_WIZARD_URL}channels/", 303)]
    assert "Se debe seleccionar al menos un canal." in response.text


def test_regresar_redirects_to_that_step_showing_its_stored_data(client, make_agent, role):
    agent = make_agent(canales=["Individual Privado", "Grupo Privado"])
    chosen = agent.channels.get(name="Grupo Privado")
    wizard = RequestWizard(client)
    wizard.identify(agent)
    wizard.post("channels", {"channels": [str(chosen.pk)]})
    wizard.choose_role()
    response = wizard.back("submit", "role", follow=False)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/role/"
    response = wizard.back("role", "channels", follow=False)
    assert response.status_code == 302 and response.url == "/agentes/solicitud/channels/"
    page = client.get(response.url)
    assert "Paso 2 de 5" in page.text
    assert re.search(rf'value="{chosen.pk}"[^>]*checked', page.text)


def test_earlier_step_urls_show_their_stored_data_and_forward_works(
    client, make_agent, role, django_capture_on_commit_callbacks
):
    agent = make_agent(email="xsoto@ejemplo.test")
    wizard = RequestWizard(client)
    wizard.walk_to_submit(agent)
    # Back, Back, Back: each page from its own URL, with what was typed or chosen.
    page = wizard.open("role", follow=False)
    assert page.status_code == 200 and "Paso 3 de 5" in page.text
    assert re.search(rf'value="{role.pk}"[^>]*selected', page.text)
    page = wizard.open("channels", follow=False)
    assert page.status_code == 200 and "Paso 2 de 5" in page.text
    for channel in agent.channels.all():
        assert re.search(rf'value="{channel.pk}"[^>]*checked', page.text)
    page = wizard.open("identify", follow=False)
    assert page.status_code == 200 and "Paso 1 de 5" in page.text
    assert f'value="{agent.rfc}"' in page.text
    assert client.get(AGENT_WIZARD_URL).text.count(f'value="{agent.clave_agente}"') == 1
    # A reload posts nothing and loses nothing.
    assert f'value="{agent.rfc}"' in wizard.open("identify", follow=False).text
    # Forward, Forward, Forward: up to the step not yet done, then it completes.
    assert "Paso 2 de 5" in wizard.open("channels", follow=False).text
    assert "Paso 3 de 5" in wizard.open("role", follow=False).text
    page = wizard.open("submit", follow=False)
    assert page.status_code == 200 and "Paso 4 de 5" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.post("submit", submit_data(wizard, page))
    assert response.redirect_chain == [(SENT, 302)]
    assert AccessRequest.objects.filter(agent=agent).count() == 1


def test_a_step_ahead_is_refused_on_get(client, make_agent):
    # A new visitor: no step past the first.
    for step in ("channels", "role", "submit"):
        response = Client().get(f"{AGENT_WIZARD_URL}{step}/")
        assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}identify/"
    # Identified: the channels, not the role nor the request.
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.identify(agent)
    for step in ("role", "submit"):
        response = wizard.open(step, follow=False)
        assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}channels/"
    page = wizard.open("submit")
    assert "Paso 2 de 5" in page.text and AGENT_EXPIRED in page.text
    assert not AccessRequest.objects.exists()


def test_unknown_step_names_and_the_done_url_redirect_to_the_right_step(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    for junk in ("bogus", "done", "sent"):
        response = client.get(f"{AGENT_WIZARD_URL}{junk}/")
        assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}identify/"
    wizard.identify(agent)
    for junk in ("bogus", "done"):
        response = client.get(f"{AGENT_WIZARD_URL}{junk}/")
        assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}channels/"
    assert not AccessRequest.objects.exists()


def test_the_done_url_never_completes_a_request(client, make_agent, role):
    """A GET sends nothing: not even with every step stored, the captcha just answered."""
    agent = make_agent(email="xsoto@ejemplo.test")
    wizard = RequestWizard(client)
    page = wizard.walk_to_submit(agent)
    data = submit_data(wizard, page)
    response = client.get(f"{AGENT_WIZARD_URL}done/")
    assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}submit/"
    assert not AccessRequest.objects.exists()
    assert wizard.post("submit", data).redirect_chain == [(SENT, 302)]


def test_a_tampered_step_post_redirects_to_the_right_step(client, make_agent):
    agent = make_agent()
    wizard = RequestWizard(client)
    wizard.identify(agent)
    response = wizard.post("submit", {"email": "x@ejemplo.test"}, follow=False)
    assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}channels/"
    response = wizard.back("channels", "submit", follow=False)  # "Regresar" forwards
    assert response.status_code == 302 and response.url == f"{AGENT_WIZARD_URL}channels/"
    assert not AccessRequest.objects.exists()


# --- clients ------------------------------------------------------------------------------
def test_every_valid_client_step_post_redirects_to_the_next_steps_url(
    client, make_person, django_capture_on_commit_callbacks
):
    person = make_person()
    email = "maria.rodriguez@ejemplo.test"
    wizard = ClientWizard(client)
    response = wizard.post("identify", policy_data(person), follow=False)
    assert response.status_code == 302 and response.url == "/clientes/registro/products/"
    assert "Paso 2 de 4" in client.get(response.url).text
    with django_capture_on_commit_callbacks(execute=True):  # the POST sends the code
        response = wizard.post("products", {"email_choice": "0"}, follow=False)  # by position
    assert response.status_code == 302 and response.url == "/clientes/registro/code/"
    code = last_code(email)
    with django_capture_on_commit_callbacks(execute=True):
        assert "Paso 3 de 4" in client.get(response.url).text  # showing it sends nothing
    assert last_code(email) == code
    assert "Paso 3 de 4" in client.get(response.url).text  # a reload sends no second code
    assert last_code(email) == code
    # "Reenviar código" answers with a redirect too (a reload must not send another).
    response = wizard.resend(follow=False)
    assert response.status_code == 302 and response.url == "/clientes/registro/code/"
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard.post("code", {"code": last_code(email)}, follow=False)
    assert response.status_code == 302 and response.url == REGISTERED
    assert Person.objects.get(pk=person.pk).user is not None


def test_client_back_shows_the_typed_policy_data_and_forward_the_products(client, make_person):
    person = make_person()
    wizard = ClientWizard(client)
    wizard.start()
    assert "Paso 2 de 4" in wizard.identify(person).text
    page = client.get(CLIENT_WIZARD_URL)  # Back lands where step 1 was shown
    assert page.status_code == 200 and "Paso 1 de 4" in page.text
    assert f'value="{person.policies.first().numero_poliza}"' in page.text
    assert f'value="{birth_date_as_typed(person.fecha_nacimiento)}"' in page.text
    page = wizard.open("products", follow=False)
    assert page.status_code == 200 and "Paso 2 de 4" in page.text


def test_client_step_ahead_is_refused_on_get(client, make_person):
    response = Client().get("/clientes/registro/code/")
    assert response.status_code == 302 and response.url == "/clientes/registro/identify/"
    wizard = ClientWizard(client)
    wizard.identify(person=make_person())
    response = wizard.open("code", follow=False)
    assert response.status_code == 302 and response.url == "/clientes/registro/products/"
    assert CLIENT_EXPIRED in wizard.open("code").text


def test_key_wizard_steps_have_their_own_urls(client, make_person):
    person = make_person()
    wizard = ClientWizard(client, KEY_WIZARD_URL)
    response = wizard.open("products", follow=False)
    assert response.status_code == 302 and response.url == f"{KEY_WIZARD_URL}identify/"
    response = wizard.identify_with_key("NO-EXISTE", person.policies.first().numero_poliza)
    assert response.status_code == 200
    assert response.redirect_chain == [(f"{KEY_WIZARD_URL}identify/", 303)]  # and shown there


# --- Chromium: the browser's own Back and Forward -------------------------------------------
def _goes_to(response, path: str) -> None:
    """A navigation that the server answered with the step's page: not Chromium's
    "Confirm Form Resubmission" (ERR_CACHE_MISS), which has no response."""
    assert response is not None, f"no page for {path}"
    assert response.status == 200 and response.url.endswith(path), response.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_goes_back_and_forward_in_chromium(page, make_agent, role):
    from captcha.models import CaptchaStore

    agent = make_agent(canales=["Individual Privado", "Grupo Privado"], email="xs@ejemplo.test")
    identify_agent_in_browser(page, agent)
    page.get_by_label("Grupo Privado").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 3 de 5").wait_for()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 4 de 5").wait_for()
    assert page.url.endswith("/agentes/solicitud/submit/")

    _goes_to(page.go_back(), "/agentes/solicitud/role/")
    assert page.get_by_text("Paso 3 de 5").is_visible()
    assert page.get_by_label("Rol Deseado").input_value() == str(role.pk)
    _goes_to(page.go_back(), "/agentes/solicitud/channels/")
    assert page.get_by_text("Paso 2 de 5").is_visible()
    assert page.get_by_label("Grupo Privado").is_checked()
    assert not page.get_by_label("Individual Privado").is_checked()
    _goes_to(page.go_forward(), "/agentes/solicitud/role/")
    assert page.get_by_label("Rol Deseado").input_value() == str(role.pk)

    page.get_by_role("button", name="Continuar").click()
    page.get_by_text("Paso 4 de 5").wait_for()
    page.get_by_label(re.compile(r"^Correo electrónico")).fill("xs@ejemplo.test")
    page.get_by_label("Confirmar correo electrónico").fill("xs@ejemplo.test")
    hashkey = page.locator("input[name='submit-captcha_0']").input_value()
    answer = CaptchaStore.objects.get(hashkey=hashkey).response
    page.get_by_label("Código de verificación").fill(answer)
    page.get_by_role("button", name="Continuar").click()
    page.get_by_role("heading", name="Solicitud enviada").wait_for()
    assert page.url.endswith(SENT)
    request = AccessRequest.objects.get()
    assert request.agent == agent and request.role == role
    assert [c.name for c in request.channels.all()] == ["Grupo Privado"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_client_goes_back_and_forward_in_chromium(page, make_person):
    person = make_person()
    numero = person.policies.first().numero_poliza
    page.goto("/clientes/ingresar/")
    page.get_by_role("link", name="Aún no estoy registrado").click()
    page.get_by_text("Paso 1 de 4").wait_for()
    page.get_by_label("Número de póliza").fill(numero)
    page.get_by_label("Nombre").fill("maría")
    page.get_by_label("Apellido paterno").fill("rodríguez")
    page.get_by_label("Fecha de nacimiento").fill("12/03/1985")
    page.get_by_role("button", name="SIGUIENTE").click()
    page.get_by_text("Paso 2 de 4").wait_for()
    assert page.url.endswith("/clientes/registro/products/")

    _goes_to(page.go_back(), CLIENT_WIZARD_URL)
    assert page.get_by_text("Paso 1 de 4").is_visible()
    assert page.get_by_label("Número de póliza").input_value() == numero
    assert page.get_by_label("Nombre").input_value() == "maría"
    assert page.get_by_label("Apellido paterno").input_value() == "rodríguez"
    assert page.get_by_label("Fecha de nacimiento").input_value() == "12/03/1985"
    _goes_to(page.go_forward(), "/clientes/registro/products/")
    assert page.get_by_text("Paso 2 de 4").is_visible()
    assert page.get_by_role("cell", name=numero).is_visible()
