"""Issue 12, "A look that belongs to an insurer" (the portal's pages): in Chromium, the
logotype is a link home named by PORTAL_BRAND and fits any brand on a 360 px phone; the
wizard uses two columns (form, help) on a 1280 px screen; the step indicator shows done,
current and upcoming steps apart; a checked box looks checked; "Salir" lives in the header,
never over a card; and no page scrolls sideways at 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    AGENT_WIZARD_URL,
    CLIENT_WIZARD_URL,
    SIDEWAYS,
    identify_agent_in_browser,
    sign_in_in_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_BRAND = "Aseguradora Nacional de Vida, Gastos Médicos y Ahorro para el Retiro"

# The box of the first element a selector matches, as {x, y, width, height}.
BOX = "(selector) => { const r = document.querySelector(selector).getBoundingClientRect();" \
    " return {x: r.x, y: r.y, width: r.width, height: r.height}; }"  # fmt: skip


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def assert_salir_in_header_clear_of_cards(page, name: str) -> None:
    salir = page.get_by_role("button", name=name, exact=True)
    expect(salir).to_be_visible()
    assert salir.evaluate("(button) => button.closest('header') !== null")
    box = salir.bounding_box()
    cards = page.locator("main .card")
    assert cards.count() > 0
    for index in range(cards.count()):
        assert not overlaps(box, cards.nth(index).bounding_box()), (name, index)


def test_logotype_links_home_with_the_brand_as_its_name(page, settings):
    page.goto("/clientes/ingresar/")
    logo = page.get_by_role("banner").get_by_role("link", name=settings.PORTAL_BRAND, exact=True)
    expect(logo).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Clientes")
    logo.click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_long_brand_fits_the_header_of_a_360_px_phone(page, settings):
    settings.PORTAL_BRAND = LONG_BRAND
    page.set_viewport_size({"width": 360, "height": 800})
    for url in ("/", "/agentes/ingresar/", AGENT_WIZARD_URL):
        page.goto(url)
        logo = page.get_by_role("banner").get_by_role("link", name=LONG_BRAND, exact=True)
        expect(logo).to_be_visible()
        assert page.evaluate(SIDEWAYS) == 0, url
        box = logo.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (url, box)


def test_wizard_shows_the_form_and_its_help_side_by_side_at_1280_px(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    for url in (AGENT_WIZARD_URL, CLIENT_WIZARD_URL):
        page.goto(url)
        form = page.evaluate(BOX, "main form")
        aside = page.get_by_role("complementary").bounding_box()
        assert aside["x"] >= form["x"] + form["width"], (url, form, aside)
        assert aside["y"] < form["y"] + form["height"]  # beside it, not under it
        expect(page.get_by_role("complementary")).to_contain_text("Call Center")
        assert page.evaluate(BOX, "main")["width"] > 900


def test_wizard_stacks_the_help_under_the_form_at_360_px(page):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(AGENT_WIZARD_URL)
    form = page.evaluate(BOX, "main form")
    aside = page.get_by_role("complementary").bounding_box()
    assert aside["y"] >= form["y"] + form["height"]


def test_step_indicator_shows_done_current_and_upcoming_apart(page, make_agent):
    identify_agent_in_browser(page, make_agent())
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    steps = page.get_by_role("list", name="Pasos").get_by_role("listitem")
    current = page.locator('.steps [aria-current="step"]')
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Datos generales y Canales Disponibles")
    expect(steps.nth(1)).to_have_attribute("aria-current", "step")

    def look(index: int) -> tuple[str, str, str]:
        return tuple(
            steps.nth(index).evaluate(
                """(item) => { const marker = getComputedStyle(item, '::before');
                  return [marker.backgroundColor, marker.borderColor, marker.color]; }"""
            )
        )

    done, now, upcoming = look(0), look(1), look(2)
    assert len({done, now, upcoming}) == 3, (done, now, upcoming)
    # The done step shows a check mark instead of its number.
    check = steps.nth(0).evaluate("(item) => getComputedStyle(item, '::before').content")
    assert "✓" in check


@pytest.mark.parametrize("width", [360, 1280])
def test_step_indicator_fits_a_narrow_screen(page, make_agent, width):
    page.set_viewport_size({"width": width, "height": 800})
    identify_agent_in_browser(page, make_agent())
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    assert page.evaluate(SIDEWAYS) == 0
    markers = page.get_by_role("list", name="Pasos").get_by_role("listitem")
    expect(markers).to_have_count(5)
    tops = {round(markers.nth(index).bounding_box()["y"]) for index in range(5)}
    assert len(tops) == 1, tops  # one row of markers


def test_a_checked_box_looks_different_from_an_unchecked_one(page, make_agent):
    identify_agent_in_browser(page, make_agent())
    box = page.get_by_label("Individual Privado")
    row = page.locator("label.checkbox", has=box)

    def look() -> tuple[list[str], list[str], bytes]:
        page.mouse.move(0, 0)  # no hover style on the row
        control = box.evaluate(
            "(input) => { const s = getComputedStyle(input); return [s.backgroundColor,"
            " s.borderColor, getComputedStyle(input, '::before').transform]; }"
        )
        label = row.evaluate(
            "(label) => { const s = getComputedStyle(label); return [s.backgroundColor,"
            " s.borderColor]; }"
        )
        return control, label, box.screenshot()

    box.check()
    checked = look()
    box.uncheck()
    unchecked = look()
    assert checked[0] != unchecked[0]  # the control itself
    assert checked[1] != unchecked[1]  # and its row
    assert checked[2] != unchecked[2]  # and in pixels
    assert box.bounding_box()["width"] >= 24 and box.bounding_box()["height"] >= 24
    box.focus()
    page.keyboard.press("Space")  # the keyboard still checks it
    expect(box).to_be_checked()


@pytest.mark.parametrize("width", [360, 1280])
def test_salir_sits_in_the_header_never_over_a_card(page, make_agent_user, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in_in_browser(page, "agents", make_agent_user().username)
    expect(page.get_by_role("heading", name=re.compile("^Bienvenido"))).to_be_visible()
    assert_salir_in_header_clear_of_cards(page, "Salir")


@pytest.mark.parametrize("width", [360, 1280])
def test_salir_on_the_required_password_change_sits_in_the_header(page, make_agent_user, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in_in_browser(page, "agents", make_agent_user(password_expired=True).username)
    expect(page.get_by_role("heading", name="Cambio de contraseña")).to_be_visible()
    assert_salir_in_header_clear_of_cards(page, "Salir")


def test_no_page_scrolls_sideways_at_360_px(page, make_agent, make_agent_user):
    page.set_viewport_size({"width": 360, "height": 800})
    wide = []
    pages = ["/", "/agentes/ingresar/", "/clientes/ingresar/", "/privacidad/", "/seguridad/"]
    for url in pages + [AGENT_WIZARD_URL, CLIENT_WIZARD_URL]:
        page.goto(url)
        if page.evaluate(SIDEWAYS):
            wide.append(url)
    page.goto(AGENT_WIZARD_URL)
    page.get_by_role("button", name="Continuar", exact=True).click()
    expect(
        page.get_by_role("heading", name="Se detectaron los siguientes errores:")
    ).to_be_visible()
    if page.evaluate(SIDEWAYS):
        wide.append("wizard with errors")
    identify_agent_in_browser(page, make_agent())
    if page.evaluate(SIDEWAYS):
        wide.append("channels")
    sign_in_in_browser(page, "agents", make_agent_user().username)
    expect(page.get_by_role("heading", name=re.compile("^Bienvenido"))).to_be_visible()
    for url in ("/agentes/inicio/", "/agentes/herramientas/", "/agentes/ayuda/"):
        page.goto(url)
        if page.evaluate(SIDEWAYS):
            wide.append(url)
    assert wide == []
