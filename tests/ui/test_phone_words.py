"""Issue 24, part "words", in Chromium at 360 and 1280 px, in Spanish and English: the Call
Center as a tel: link a phone dials (item 6), dates through each language's formats, the
header keeping the manual's capitalised form (item 7), and "Solicitud enviada" listing the
steps the agent took, the channels chosen included (item 8)."""

from __future__ import annotations

import re
from datetime import date
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from tests.a11y import axe_violations, format_violations
from tests.helpers import AGENT_WIZARD_URL, VIEWPORTS, open_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LOCALES = pytest.mark.parametrize("locale", ["es-MX", "en-US"])
DIALABLE = re.compile(r"tel:\+?[0-9]+")


def _open(open_page, width: int, locale: str, path: str):
    page = open_at(open_page, width, locale=locale)
    page.goto(path)
    return page


@pytest.mark.parametrize("path", [AGENT_WIZARD_URL, "/privacidad/"])
@LOCALES
@VIEWPORTS
def test_the_call_center_is_a_link_a_phone_dials(open_page, width, locale, path):
    page = _open(open_page, width, locale, path)
    links = page.locator('a[href^="tel:"]')
    expect(links.first).to_be_visible()
    for href in links.evaluate_all("(all) => all.map((a) => a.getAttribute('href'))"):
        assert DIALABLE.fullmatch(href), href  # digits and a leading "+" only
    assert links.first.get_attribute("href") == f"tel:{django_settings.CALL_CENTER_TEL}"
    expect(links.first).to_have_text(django_settings.CALL_CENTER_PHONE)
    assert "01800" not in page.content() and "MetLife (6385433)" not in page.content()
    assert not axe_violations(page), format_violations(axe_violations(page))


@pytest.mark.parametrize(
    ("locale", "shown"), [("es-MX", "5 de enero de 2027"), ("en-US", "January 5, 2027")]
)
@VIEWPORTS
def test_a_date_reads_as_the_language_writes_it_and_the_header_keeps_its_form(
    open_page, settings, width, locale, shown
):
    settings.PRIVACY_NOTICE_DATE = date(2027, 1, 5)
    page = _open(open_page, width, locale, "/privacidad/")
    version = page.locator("#version")
    expect(version).to_contain_text(shown)
    assert "Enero" not in version.inner_text() and "de January" not in version.inner_text()
    header = page.locator("header .date").inner_text()
    if locale == "es-MX":  # the manual's "Sábado 21 Noviembre de 2009": names capitalised
        assert re.fullmatch(r"[A-ZÁÉ][a-zéá]+ \d{1,2} de [A-Z][a-z]+ de \d{4}", header), header
    else:
        assert re.fullmatch(r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}", header), header


@LOCALES
@VIEWPORTS
def test_request_sent_lists_the_steps_taken_with_the_channels_chosen(
    open_page, live_server, make_agent, make_request, width, locale
):
    agent = make_agent(canales=("Individual Privado", "Empresarial"))
    access_request = make_request(agent=agent)
    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session["agent_request_sent"] = access_request.pk
    session.save()
    page = open_page(locale=locale, viewport={"width": width, "height": 800})
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key,
          "url": live_server.url}]
    )  # fmt: skip
    page.goto("/agentes/solicitud/enviada/")
    steps = page.locator("ol.steps li")
    expect(steps).to_have_count(5)
    third = steps.nth(2)
    assert third.text_content().split(maxsplit=1)[1].strip() == (
        "Datos Empresarial / Individual Privado"
        if locale == "es-MX"
        else "Empresarial / Individual Privado details"
    ), third.text_content()
    assert "Individual Privado" in third.text_content() and "3." in third.text_content()
    expect(steps.nth(4)).to_have_attribute("aria-current", "step")
    assert [steps.nth(n).get_attribute("class").split()[-1] for n in range(5)] == [
        "done", "done", "done", "done", "current",
    ]  # fmt: skip
    assert not axe_violations(page), format_violations(axe_violations(page))
