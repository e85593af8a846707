"""'Mis datos' in Chromium at 360 px: axe finds nothing, the page does not scroll sideways,
and a request is filed from it (issue 21)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y import axe_violations, format_violations
from tests.helpers import AGENT_PASSWORD, sign_in_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_reads_my_data_and_files_an_opposition_on_a_phone(open_page, make_agent_user):
    user = make_agent_user(password=AGENT_PASSWORD)
    page = open_page(viewport={"width": 360, "height": 740})
    sign_in_in_browser(page, "agents", user.username)
    page.goto("/agentes/usuario/")
    page.get_by_role("link", name="Mis datos").click()
    expect(page.get_by_role("heading", name="Mis datos", exact=True)).to_be_visible()
    expect(page.get_by_text(user.agent.rfc)).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("Oposición").check()
    page.get_by_label("Detalle de tu solicitud").fill("No quiero recibir publicidad.")
    page.get_by_role("button", name="Enviar solicitud").click()
    expect(page.get_by_text("Recibimos tu solicitud ARCO-")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
