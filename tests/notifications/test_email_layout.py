"""Emails readable in a mail client (issue 12): every template renders in Spanish and in
English, the HTML is a layout mail clients keep (inline styles, no <style>, <script> nor
remote files), the main link is a button in the HTML and a bare address in the text, and the
HTML fits a phone's 360 px without scrolling sideways."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tests.helpers import ROOT

TEMPLATES = sorted(
    path.stem for path in (ROOT / "templates" / "emails").glob("*.html") if path.stem != "base"
    if not path.stem.startswith("_")
)  # fmt: skip
LINK = "https://alta.example/clientes/contrasena/MQ/abc-123def/?a=1&b=2"
LOGIN = "https://alta.example/agentes/ingresar/"
# Every name any email template uses, with values a person could have.
CONTEXT = {
    "brand": "MetLife",
    "call_center": settings.CALL_CENTER_PHONE,
    "full_name": "Ana María O'Brien Pérez",
    "link": LINK,
    "login_url": LOGIN,
    "hours": 72,
    "days": 30,
    "minutes": 10,
    "code": "482913",
    "key": "K7Q2-9ZXM",
    "expires": date(2026, 12, 31),
    "username": "AOBRIEN01",
    "password": "Tq7#kP2&xw",
    "role": "Agente",
    "when": "1 de diciembre de 2026 a las 10:00",
    "changed_at": "1 de diciembre de 2026 a las 10:00",
    "change": "app_added",  # segundo_factor: which change of the second factor
    # arco_recibida, arco_resuelta: an ARCO request and its answer
    "folio": "ARCO-000001",
    "kind": "Cancelación",
    "due_on": "5 de enero de 2027",
    "outcome": "procedente",
    "cancelled": True,
    "requested_at": "1 de diciembre de 2026 a las 10:00",
    "new_email": "otra@ejemplo.test",
    "new_email_masked": "o***@ejemplo.test",
    "masked_email": "a***@ejemplo.test",
    "request_id": 1234,
    "portal": "Clientes",
    "reason": "La clave de agente no corresponde.\nRevisa tus datos.",
}
# The emails whose main link is a button: template -> the context name of that link.
MAIN_LINK = {
    "enlace_contrasena_agente": "link",
    "restablecer_contrasena": "link",
    "invitacion_registro": "link",
    "cliente_correo_nuevo": "link",
    "cliente_registro": "link",
    "usuario_generado": "login_url",
    "contrasena_generada": "login_url",
}
THANKS = {
    "es-mx": "Gracias por usar nuestros servicios.",
    "en": "Thank you for using our services.",
}
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
# A remote file the client would fetch: src=, <link href>, url(...) or @import.
REMOTE = re.compile(r"""\bsrc\s*=|<link\b|url\(|@import""", re.IGNORECASE)


def render(template: str, language: str) -> tuple[str, str, str]:
    with translation.override(language):
        return (
            render_to_string(f"emails/{template}_subject.txt", CONTEXT),
            render_to_string(f"emails/{template}.txt", CONTEXT),
            render_to_string(f"emails/{template}.html", CONTEXT),
        )


def test_the_list_of_templates_is_complete():
    assert len(TEMPLATES) >= 13, TEMPLATES
    assert set(MAIN_LINK) <= set(TEMPLATES)


@pytest.mark.parametrize("language", ["es-mx", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_email_renders_without_leftover_template_syntax(template, language):
    subject, text, html = render(template, language)
    for part in (subject, text, html):
        assert part.strip()
        assert not LEFTOVER.search(part), LEFTOVER.search(part)
    assert f'<html lang="{language}">' in html
    assert THANKS[language] in html and THANKS[language] in text


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_html_uses_only_inline_styles_and_no_remote_files(template):
    _subject, _text, html = render(template, "es-mx")
    assert "<style" not in html.lower()
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert not REMOTE.search(html), REMOTE.search(html)
    # The layout: a 600 px column with the brand's logotype in text.
    assert "max-width: 600px" in html
    assert ">M</td>" in html and ">MetLife</td>" in html
    assert 'style="' in html


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_text_version_is_plain_text(template):
    _subject, text, _html = render(template, "es-mx")
    assert not re.search(r"<[a-zA-Z/][^>]*>", text), "HTML in the plain-text part"
    assert "&#x27;" not in text and "&amp;" not in text, "HTML escapes in the plain-text part"
    assert "\n\n\n\n" not in text
    assert text.rstrip().endswith("Este es un correo generado por el sistema.")


@pytest.mark.parametrize(("template", "name"), MAIN_LINK.items())
def test_the_main_link_is_a_button_in_html_and_a_bare_address_in_text(template, name):
    _subject, text, html = render(template, "es-mx")
    url = CONTEXT[name]
    escaped = url.replace("&", "&amp;")
    button = re.search(rf'<a href="{re.escape(escaped)}" style="display: inline-block;[^"]*"', html)
    assert button, "no button for the main link"
    assert "background-color: #0061a0" in button.group(0)
    # In the text, the address as it is, whole, with space or a line break around it.
    assert re.search(rf"(^|\s){re.escape(url)}(\s|$)", text, re.MULTILINE), text


def test_an_email_fits_a_phone_without_scrolling_sideways(browser):
    _subject, _text, html = render("enlace_contrasena_agente", "es-mx")
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, locale="es-MX")
        try:
            page = context.new_page()
            page.set_content(html)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{scroll} px wide at {width} px"
            button = page.get_by_role("link", name="Define tu contraseña")
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
            column = page.locator("table table").first.bounding_box()
            assert column and column["width"] <= 600
        finally:
            context.close()
