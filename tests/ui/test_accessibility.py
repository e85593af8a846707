"""Issue 12, items 3 and 4, in Chromium: axe-core finds no WCAG 2.1 A/AA violation on the
wizards' first steps (on a 360 px phone and a 1280 px screen, with errors), the agent login
and the forgotten-password page; errors and hints are read with their fields; the error
summary names each field, links to it and gets the focus; Tab follows the buttons' visual
order while Enter still presses Continuar; a skip link, a visible focus ring and 24 px
targets."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.a11y import axe_violations, contrast_ratio, format_violations
from tests.helpers import AGENT_WIZARD_URL, CLIENT_WIZARD_URL, identify_agent_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERRORS_HEADING = "Se detectaron los siguientes errores:"
REQUIRED = "Este campo es obligatorio."
# Each wizard's entry URL, its forward button and the labels of its first step's fields.
WIZARDS = {
    "agente": (AGENT_WIZARD_URL, "Continuar", ["Clave de agente", "Clave Promotoría", "RFC"]),
    "cliente": (
        CLIENT_WIZARD_URL,
        "SIGUIENTE",
        ["Número de póliza", "Nombre", "Apellido paterno", "Fecha de nacimiento"],
    ),
}
AGENT_LOGIN_URL = "/agentes/ingresar/"
AGENT_FORGOT_PASSWORD_URL = "/agentes/contrasena/olvide/"

# Every aria-describedby id that names no element of the page, with the element that has it.
MISSING_DESCRIPTIONS = """() => [...document.querySelectorAll("[aria-describedby]")].flatMap(
  (element) => element.getAttribute("aria-describedby").split(/\\s+/)
    .filter((id) => id && !document.getElementById(id))
    .map((id) => `${element.outerHTML.slice(0, 120)} -> #${id}`))"""

# What a person can press in <main>, as [text, width, height]; the unseen default button
# (aria-hidden, out of the Tab order) is no target.
TARGETS = """() => [...document.querySelectorAll(
    "main a, main button, main input[type=checkbox], main input[type=radio], main summary")]
  .filter((element) => element.getClientRects().length && !element.closest("[aria-hidden=true]"))
  .map((element) => {
    const box = element.getBoundingClientRect();
    return [element.textContent.trim() || element.outerHTML.slice(0, 80), box.width, box.height];
  })"""


def submit_step_one_empty(page, wizard: str) -> None:
    """The wizard's first step, sent with every field empty: the page with its errors."""
    url, button, _ = WIZARDS[wizard]
    page.goto(url)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()


def walk_agent_to_submit_step(page, make_agent) -> None:
    """In Chromium, the agent request up to step 4 (Envío de solicitud)."""
    from agents.models import Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    identify_agent_in_browser(page, make_agent())
    page.get_by_label("Individual Privado").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Rol Deseado").select_option(label="AGENTE")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()


def assert_no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def assert_descriptions_exist(page) -> None:
    missing = page.evaluate(MISSING_DESCRIPTIONS)
    assert missing == [], "\n".join(missing)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("wizard", WIZARDS)
def test_wizard_first_step_with_errors_has_no_axe_violations(page, wizard, width):
    page.set_viewport_size({"width": width, "height": 800})
    submit_step_one_empty(page, wizard)
    assert_no_axe_violations(page)


@pytest.mark.parametrize(
    ("url", "button"), [(AGENT_LOGIN_URL, "Ingresar"), (AGENT_FORGOT_PASSWORD_URL, "Enviar")]
)
def test_agent_login_and_forgot_password_have_no_axe_violations(page, url, button):
    page.goto(url)
    assert_no_axe_violations(page)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("wizard", WIZARDS)
def test_error_summary_names_each_field_and_its_links_move_focus_to_it(page, wizard):
    _, _, labels = WIZARDS[wizard]
    submit_step_one_empty(page, wizard)
    entries = page.locator("#errores li").all_inner_texts()
    assert [entry.split(": ", 1)[0] for entry in entries] == labels
    assert REQUIRED not in entries  # no entry without its field's name
    for label in labels:
        page.get_by_role("link", name=re.compile(rf"^{re.escape(label)}: ")).click()
        expect(page.get_by_label(label)).to_be_focused()


@pytest.mark.parametrize("where", ["agente", "cliente", "login"])
def test_focus_is_on_the_error_summary_after_a_failed_submit(page, where):
    if where == "login":  # whose "Usuario" field has autofocus of its own
        page.goto(AGENT_LOGIN_URL)
        page.get_by_role("button", name="Ingresar").click()
    else:
        submit_step_one_empty(page, where)
    focused = page.locator(":focus")
    expect(focused).to_contain_text(ERRORS_HEADING)
    expect(focused).to_contain_text(f"Usuario: {REQUIRED}" if where == "login" else REQUIRED)
    # From the summary, Tab goes on to its first link.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text(re.compile(rf"^\w.*: {re.escape(REQUIRED)}$"))


def test_hints_and_errors_are_read_with_their_fields(page, make_agent):
    # Client step 1: a hint and an error on one input.
    submit_step_one_empty(page, "cliente")
    assert_descriptions_exist(page)
    expect(page.get_by_label("Número de póliza")).to_have_accessible_description(
        re.compile(rf"^Lo encuentras en la carátula de tu póliza.* {re.escape(REQUIRED)}$")
    )
    # Agent login and forgotten password, with their errors.
    page.goto(AGENT_LOGIN_URL)
    page.get_by_role("button", name="Ingresar").click()
    assert_descriptions_exist(page)
    expect(page.get_by_label("Usuario")).to_have_accessible_description(REQUIRED)
    page.goto(AGENT_FORGOT_PASSWORD_URL)
    page.get_by_role("button", name="Enviar").click()
    assert_descriptions_exist(page)
    expect(page.get_by_label("Correo electrónico")).to_have_accessible_description(REQUIRED)
    # Agent step 2: the channels' checkboxes are one group that carries its error.
    identify_agent_in_browser(page, make_agent())
    page.get_by_label("Individual Privado").uncheck()  # an only channel comes ticked
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()
    assert_descriptions_exist(page)
    expect(
        page.get_by_role("group", name=re.compile("^Canales de Venta Disponibles"))
    ).to_have_accessible_description("Se debe seleccionar al menos un canal.")
    page.get_by_role("link", name=re.compile("^Canales de Venta Disponibles: ")).click()
    expect(page.get_by_label("Individual Privado")).to_be_focused()


def test_captcha_answer_is_read_with_its_hint_and_error(page, make_agent):
    walk_agent_to_submit_step(page, make_agent)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()
    assert_descriptions_exist(page)
    expect(page.get_by_label("Código de verificación")).to_have_accessible_description(
        re.compile(
            r"^Escribe los caracteres .*El código introducido no coincide con el mostrado\.$"
        )
    )


def test_wizard_buttons_tab_in_the_order_they_show(page, make_agent):
    identify_agent_in_browser(page, make_agent())
    cancel = page.get_by_role("link", name="Cancelar")
    back = page.get_by_role("button", name="Regresar")
    forward = page.get_by_role("button", name="Continuar")
    lefts = [button.bounding_box()["x"] for button in (back, forward)]
    assert lefts == sorted(lefts)  # Regresar | Continuar, then Cancelar under them (issue 24)
    assert cancel.bounding_box()["y"] > forward.bounding_box()["y"]
    back.focus()  # the first of them (what precedes it on this step is part B's to order)
    for expected in (forward, cancel):
        page.keyboard.press("Tab")
        expect(expected).to_be_focused()


def test_enter_in_a_field_presses_continuar_not_regresar(page, make_agent):
    walk_agent_to_submit_step(page, make_agent)
    page.get_by_label(re.compile(r"^Correo electrónico")).fill("ximena@ejemplo.test")
    page.get_by_label(re.compile(r"^Correo electrónico")).press("Enter")
    # Continuar: the step again with its errors (the confirmation and the captcha are
    # missing); Regresar would have shown step 3.
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^Correo electrónico"))).to_have_value(
        "ximena@ejemplo.test"
    )


def test_enter_in_the_email_code_presses_confirmar_not_cancelar(page, make_agent_user):
    user = make_agent_user(password="Clave-Segura-2024")
    page.goto(AGENT_LOGIN_URL)
    page.get_by_label("Usuario").fill(user.username)
    page.get_by_label(re.compile(r"^Contraseña")).fill("Clave-Segura-2024")
    page.get_by_role("button", name="Ingresar").click()
    page.goto("/agentes/correo/cambiar/")
    page.get_by_label(re.compile(r"^Nuevo correo electrónico")).fill("nuevo@ejemplo.test")
    page.get_by_label("Confirmar nuevo correo electrónico").fill("nuevo@ejemplo.test")
    page.get_by_label("Contraseña actual").fill("Clave-Segura-2024")
    page.get_by_role("button", name="Enviar código").click()
    expect(page.get_by_role("heading", name="Confirma tu correo electrónico")).to_be_visible()
    page.get_by_label("Código de confirmación").fill("12")
    page.get_by_label("Código de confirmación").press("Enter")
    # Confirmar: the code is refused on the same page; Cancelar would have dropped the change.
    expect(page.get_by_text(ERRORS_HEADING)).to_be_visible()
    expect(page.get_by_role("heading", name="Confirma tu correo electrónico")).to_be_visible()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page):
    page.goto(AGENT_WIZARD_URL)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Saltar al contenido")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")  # on into the page, past the header
    expect(page.get_by_label("Clave de agente")).to_be_focused()


def test_focused_button_shows_a_ring_that_contrasts_with_the_button_and_the_page(page):
    page.goto(AGENT_WIZARD_URL)
    page.get_by_role("link", name="Consulta el Aviso de Privacidad").focus()
    page.keyboard.press("Tab")  # from the step's last link to Continuar, by the keyboard
    button = page.get_by_role("button", name="Continuar")
    expect(button).to_be_focused()
    style = button.evaluate(
        """(element) => {
          const own = getComputedStyle(element);
          return {outline: own.outlineStyle, width: parseFloat(own.outlineWidth),
                  offset: parseFloat(own.outlineOffset), ring: own.outlineColor,
                  shadow: own.boxShadow, background: own.backgroundColor,
                  page: getComputedStyle(document.body).backgroundColor};
        }"""
    )
    assert style["outline"] == "solid" and style["width"] >= 2 and style["offset"] > 0, style
    assert contrast_ratio(style["ring"], style["page"]) >= 3, style
    # The inner ring (box-shadow) against the button's own colour.
    inner = re.match(r"(rgba?\([^)]*\))", style["shadow"])
    assert inner, style
    assert contrast_ratio(inner.group(1), style["background"]) >= 3, style
    assert contrast_ratio(style["ring"], inner.group(1)) >= 3, style


@pytest.mark.parametrize("width", [360, 1280])
def test_buttons_links_and_checkboxes_are_at_least_24_px(page, make_agent, width):
    page.set_viewport_size({"width": width, "height": 800})
    seen = []
    for wizard in WIZARDS:
        submit_step_one_empty(page, wizard)
        seen += page.evaluate(TARGETS)
    page.goto(AGENT_LOGIN_URL)
    seen += page.evaluate(TARGETS)
    identify_agent_in_browser(page, make_agent())
    seen += page.evaluate(TARGETS)
    kinds = " ".join(str(text) for text, _, _ in seen)
    assert "Regresar" in kinds and "Clave de agente: " in kinds and 'type="checkbox"' in kinds
    small = [(text, width, height) for text, width, height in seen if width < 24 or height < 24]
    assert small == []
