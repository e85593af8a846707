"""Issue 24, part "history", in Chromium at 360 and 1280 px: "Cancelar" is a quiet link away
from the forward button that asks first and keeps everything until its button is pressed
(item 1); a refused POST (wrong code, wrong captcha, wrong login) answers 303 to a GET that
shows its errors, so Back then Forward shows the page and a reload sends nothing again
(item 4).

After the redirect the GET shows the errors once: the slot that holds them is removed as it
is shown, so a reload shows the clean page again (what was typed, and anything a step
already stored, stays)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agents.models import Role
from portal import codes, ratelimit
from portal.models import OneTimeCode
from tests.a11y import axe_violations, format_violations
from tests.helpers import (
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    VIEWPORTS,
    ClientWizard,
    RequestWizard,
    birth_date_as_typed,
    identify_agent_in_browser,
    open_at,
)

ERRORS = "Se detectaron los siguientes errores:"
AGENT_CANCEL = "/agentes/solicitud/cancelar/"
CLIENT_CANCEL = "/clientes/registro/cancelar/"


def assert_cancel_is_away_from_the_forward_button(page, forward: str) -> None:
    """Cancelar is a link under the buttons, not beside or just above the forward one."""
    cancel = page.get_by_role("link", name="Cancelar", exact=True).bounding_box()
    button = page.get_by_role("button", name=forward, exact=True).bounding_box()
    assert cancel["y"] >= button["y"] + button["height"] + 8, (cancel, button)
    assert cancel["height"] >= 24  # still a tap target


def registration_at_code_step(page, person) -> None:
    """In Chromium, the client registration up to its code step, the code sent."""
    page.goto(CLIENT_WIZARD_URL)
    page.get_by_label("Número de póliza").fill(person.policies.first().numero_poliza)
    page.get_by_label(re.compile("^Nombre")).fill(person.nombre)
    page.get_by_label("Apellido paterno").fill(person.apellido_paterno)
    page.get_by_label("Fecha de nacimiento").fill(birth_date_as_typed(person.fecha_nacimiento))
    page.get_by_role("button", name="SIGUIENTE", exact=True).click()
    page.get_by_text("Paso 2 de 4").wait_for()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="SIGUIENTE", exact=True).click()
    expect(page.get_by_label("Código de confirmación (token)")).to_be_visible()


def back_and_forward_show_the_page(page, heading: str) -> None:
    """Back, then Forward: both entries are GETs, so the page shows (no ERR_CACHE_MISS, no
    "Confirm Form Resubmission"); Playwright raises on a navigation error."""
    page.go_back()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


# --- 1. Cancelar ----------------------------------------------------------------------------
@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cancelar_asks_keeps_the_request_and_only_its_button_forgets_it(
    open_page, make_agent, width
):
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    page = open_at(open_page, width)
    agent = make_agent(canales=["Individual Privado", "Grupo Privado"])
    identify_agent_in_browser(page, agent)
    page.get_by_label("Grupo Privado").check()
    page.get_by_role("button", name="Continuar", exact=True).click()
    page.get_by_text("Paso 3 de 5").wait_for()
    assert_cancel_is_away_from_the_forward_button(page, "Continuar")

    page.get_by_role("link", name="Cancelar", exact=True).click()
    expect(page.get_by_role("heading", name="¿Cancelar la solicitud?")).to_be_visible()
    assert (violations := axe_violations(page)) == [], format_violations(violations)

    page.get_by_role("link", name="No, volver a la solicitud").click()
    page.get_by_text("Paso 3 de 5").wait_for()  # the step the agent was on
    page.get_by_role("button", name="Regresar").click()
    page.get_by_text("Paso 2 de 5").wait_for()
    expect(page.get_by_label("Grupo Privado")).to_be_checked()  # the data is all there

    page.get_by_role("link", name="Cancelar", exact=True).click()
    page.get_by_role("button", name="Sí, cancelar la solicitud").click()
    expect(page).to_have_url(re.compile(r"/agentes/ingresar/$"))  # the login, as the manual says
    page.goto(AGENT_WIZARD_URL)
    page.get_by_text("Paso 1 de 5").wait_for()
    expect(page.get_by_label("Clave de agente")).to_have_value("")


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cancelar_on_the_code_step_by_mistake_costs_no_new_code_nor_wait(
    open_page, make_person, width
):
    page = open_at(open_page, width)
    registration_at_code_step(page, make_person())
    assert_cancel_is_away_from_the_forward_button(page, "SIGUIENTE")
    sent = OneTimeCode.objects.count()

    page.get_by_role("link", name="Cancelar", exact=True).click()
    expect(page.get_by_role("heading", name="¿Cancelar el registro?")).to_be_visible()
    assert (violations := axe_violations(page)) == [], format_violations(violations)
    page.get_by_role("link", name="No, volver al registro").click()
    expect(page.get_by_label("Código de confirmación (token)")).to_be_visible()
    assert OneTimeCode.objects.count() == sent  # the code sent still stands, no new one

    page.get_by_role("link", name="Cancelar", exact=True).click()
    page.get_by_role("button", name="Sí, cancelar el registro").click()
    expect(page).to_have_url(re.compile(r"/clientes/ingresar/$"))
    page.goto(CLIENT_WIZARD_URL + "code/")
    page.get_by_text("Paso 1 de 4").wait_for()  # the registration was forgotten


def test_a_get_of_the_cancel_urls_forgets_nothing(client, make_agent, make_person):
    """A prefetch, a crawler or a mis-tap GETs them: only the confirmation's POST forgets."""
    agents, clients = RequestWizard(client), ClientWizard(client)
    agents.identify(make_agent())
    clients.identify(make_person())
    before = dict(client.session.items())
    for url in (AGENT_CANCEL, CLIENT_CANCEL, AGENT_CANCEL):
        assert client.get(url).status_code == 200
    assert dict(client.session.items()) == before
    assert "Paso 2 de 5" in agents.open("channels").text
    assert "Paso 2 de 4" in clients.open("products").text


@pytest.mark.django_db
def test_the_way_back_from_the_cancel_page_stays_in_the_wizard(client):
    """Its "No, volver" returns to a step of that wizard only, never to another site."""

    def way_back(target: str) -> str:
        page = client.get(AGENT_CANCEL, {"volver": target}).text
        return re.search(r'<a class="button" href="([^"]*)">No, volver', page).group(1)

    for target in ("https://otro.test/", "//otro.test/agentes/solicitud/", "/admin/"):
        assert way_back(target) == "/agentes/solicitud/"  # the wizard's entry instead
    assert way_back("/agentes/solicitud/role/") == "/agentes/solicitud/role/"


# --- 4. Post/Redirect/Get after an error ----------------------------------------------------
@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_wrong_code_then_back_forward_and_reload_send_nothing_again(
    open_page, make_person, width
):
    page = open_at(open_page, width)
    registration_at_code_step(page, make_person())
    row = OneTimeCode.objects.get()
    OneTimeCode.objects.filter(pk=row.pk).update(code_hash=codes._hash(row.pk, "111111"))
    page.get_by_label("Código de confirmación (token)").fill("000000")
    page.get_by_role("button", name="SIGUIENTE", exact=True).click()
    expect(page.get_by_role("heading", name=ERRORS)).to_be_visible()
    expect(page.locator("#errores")).to_be_focused()  # as before: the summary, autofocused
    expect(page.get_by_label("Código de confirmación (token)")).to_have_value("")  # a secret
    assert OneTimeCode.objects.get().attempts == 1

    back_and_forward_show_the_page(page, "Código de confirmación")
    page.reload()
    expect(page.get_by_label("Código de confirmación (token)")).to_be_visible()
    assert OneTimeCode.objects.get().attempts == 1  # nothing was checked again
    assert OneTimeCode.objects.count() == 1  # nor sent


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_wrong_captcha_then_back_forward_and_reload_count_nothing_again(
    open_page, make_agent, width
):
    from captcha.models import CaptchaStore

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    page = open_at(open_page, width)
    identify_agent_in_browser(page, make_agent())
    page.get_by_role("button", name="Continuar", exact=True).click()
    page.get_by_text("Paso 3 de 5").wait_for()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar", exact=True).click()
    page.get_by_text("Paso 4 de 5").wait_for()
    page.get_by_label(re.compile(r"^Confirmar correo")).fill("otro@ejemplo.test")
    page.get_by_label(re.compile(r"^Código de verificación")).fill("ZZZZZZ")
    page.get_by_role("button", name="Continuar", exact=True).click()
    expect(
        page.get_by_text("El código introducido no coincide con el mostrado.").first
    ).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Confirmar correo"))).to_have_value("otro@ejemplo.test")
    expect(page.get_by_label(re.compile(r"^Código de verificación"))).to_have_value("")
    wrong = ratelimit.count("captcha", ip="127.0.0.1")
    challenges = CaptchaStore.objects.count()
    assert wrong == 1

    back_and_forward_show_the_page(page, "Envío de solicitud")
    page.reload()
    page.get_by_text("Paso 4 de 5").wait_for()
    assert ratelimit.count("captcha", ip="127.0.0.1") == wrong  # no answer sent again
    assert CaptchaStore.objects.count() == challenges  # the same challenge, none made


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_wrong_login_then_back_forward_and_reload_count_nothing_again(
    open_page, make_agent_user, width
):
    from axes.models import AccessAttempt

    user = make_agent_user()
    page = open_at(open_page, width)
    page.goto("/agentes/ingresar/")
    page.get_by_label("Usuario").fill(user.username)
    page.locator("input[name='password']").fill("equivocada-123")
    page.get_by_role("button", name="Ingresar", exact=True).click()
    expect(page.get_by_role("heading", name=ERRORS)).to_be_visible()
    expect(page.get_by_label("Usuario")).to_have_value(user.username)  # kept, as before
    expect(page.locator("input[name='password']")).to_have_value("")
    failures = [a.failures_since_start for a in AccessAttempt.objects.all()]
    assert failures and max(failures) == 1

    back_and_forward_show_the_page(page, "Ingresar")
    page.reload()
    expect(page.get_by_label("Usuario")).to_be_visible()
    assert [a.failures_since_start for a in AccessAttempt.objects.all()] == failures


@pytest.mark.django_db
def test_the_page_after_a_refused_login_keeps_no_secret_and_is_never_cached(
    client, make_agent_user
):
    user = make_agent_user()
    response = client.post(
        "/agentes/ingresar/",
        {"username": user.username, "password": "equivocada-123", "next": "/agentes/herramientas/"},
    )
    assert response.status_code == 303
    assert response["Location"] == "/agentes/ingresar/?next=%2Fagentes%2Fherramientas%2F"
    assert "equivocada-123" not in str(dict(client.session.items()))
    page = client.get(response["Location"])
    assert ERRORS in page.text and f'value="{user.username}"' in page.text
    assert 'name="next" value="/agentes/herramientas/"' in page.text
    assert "no-store" in page["Cache-Control"]
    assert ERRORS not in client.get("/agentes/ingresar/").text  # shown once
