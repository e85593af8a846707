"""The back-office dashboard in Chromium: axe finds nothing at 1280 and 360 px (tables closed
and open), the charts load as images styled by their own SVG without a Content-Security-Policy
violation, the page reads at a glance (headline cards, charts in two columns, short) and does
not scroll sideways on a phone, and each table opens from the keyboard."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from portal.models import FunnelCount, User
from tests.a11y import axe_violations, format_violations
from tests.portal import test_dashboard as numbers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "clave-tablero-2026"
# The page with the numbers test's requests, at 1280 px: before the cards, the two columns and
# the closed tables it was 5,900 px tall.
MOST_HEIGHT = 2600


def sign_in_to_admin(page) -> None:
    page.goto("/admin/")
    page.get_by_label("Nombre de usuario").fill("tablero")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Identificarse").click()


@pytest.mark.parametrize("width", [1280, 360])
def test_dashboard_is_accessible_and_its_charts_render_styled(open_page, make_request, width):
    user = User.objects.create_user("tablero", "tablero@back.test", PASSWORD, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    numbers.make_requests(make_request)
    FunnelCount.objects.create(wizard="agents", step="identify", day=numbers.START, count=3)
    page = open_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    sign_in_to_admin(page)
    page.get_by_role(
        "link", name="Ver el tablero: cola, decisiones, plazo, correos y embudos"
    ).click()
    expect(page.get_by_role("heading", name="Decisiones por día")).to_be_visible()
    page.get_by_label("Desde", exact=True).fill(numbers.START.isoformat())
    page.get_by_label("Hasta", exact=True).fill(numbers.END.isoformat())
    page.get_by_role("button", name="Mostrar").click()
    expect(page.get_by_text("Pendientes ahora", exact=True)).to_be_visible()
    images = page.locator(".alta-chart img")
    expect(images).to_have_count(7)
    for n in range(7):
        images.nth(n).scroll_into_view_if_needed()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=images.nth(n).element_handle()
        )
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=f"/tmp/dashboard-{width}.png", full_page=True)
    columns = {round(box["x"]) for box in (images.nth(n).bounding_box() for n in range(7))}
    if width == 1280:
        assert height < MOST_HEIGHT, height
        assert len(columns) == 2, columns
    else:
        assert len(columns) == 1, columns

    # A table: closed, its summary reached and opened from the keyboard, then read in full.
    summary = page.get_by_text("Ver los datos de «Decisiones por día»")
    table = page.get_by_role("table", name="Datos: Decisiones por día")
    expect(table).to_be_hidden()
    summary.focus()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader", name="Aprobadas")).to_be_visible()
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The SVG as a document of its own: its policy lets its <style> (by nonce) apply.
    page.goto(images.first.get_attribute("src"))
    font = page.evaluate("getComputedStyle(document.querySelector('.axis text')).fontFamily")
    assert "system-ui" in font
    assert not [p for p in problems if "Content Security Policy" in p], problems
