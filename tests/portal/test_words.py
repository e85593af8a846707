"""Issue 24, part "words": the Call Center's number (CALL_CENTER_PHONE as read, CALL_CENTER_TEL
as dialled, checked), dates through each language's formats, the back office in English, the
request queue's "Correo distinto del SAA" in words, and emails without untranslated names or
unexplained jargon."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.core.checks import Error
from django.utils import translation
from django.utils.formats import date_format

from notifications.models import OutboxEmail
from notifications.services import render_email
from portal.checks import check_call_center_tel

ENGLISH = "en-US,en;q=0.9"
CHANGELIST = "/admin/agents/accessrequest/"


def _email(template: str, language: str, **context) -> tuple[str, str]:
    """The text and HTML parts of an outbox email as it is sent."""
    row = OutboxEmail(to="x@ejemplo.test", template=template, language=language, context=context)
    message = render_email(row)
    return message.body, message.alternatives[0][0]


# --- Item 6: the Call Center ----------------------------------------------------------------


@pytest.mark.parametrize("tel", ["01800-00MetLife", "+52 800 638 5433", "800-638-5433", ""])
def test_a_call_center_tel_a_phone_cannot_dial_stops_the_checks(settings, tel):
    settings.CALL_CENTER_TEL = tel
    problems = check_call_center_tel()
    assert [(type(p), p.id) for p in problems] == [(Error, "alta.E001")]


@pytest.mark.parametrize("tel", ["+528006385433", "8006385433"])
def test_a_dialable_call_center_tel_passes(settings, tel):
    settings.CALL_CENTER_TEL = tel
    assert check_call_center_tel() == []


def test_the_default_number_has_no_01_prefix_and_dials_its_digits(settings):
    assert "01800" not in settings.CALL_CENTER_PHONE
    assert settings.CALL_CENTER_TEL == "+528006385433"
    assert "800 638 5433" in settings.CALL_CENTER_PHONE  # what is read is what is dialled


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es-mx", "en"])
def test_an_email_shows_the_number_as_a_tel_link_in_html_and_as_text_in_text(settings, language):
    text, html = _email("segundo_factor", language, change="removed", changed_at="x")
    link = f'<a href="tel:{settings.CALL_CENTER_TEL}" class="call-center">'
    assert f"{link}{settings.CALL_CENTER_PHONE}</a>" in html
    assert settings.CALL_CENTER_PHONE in text and "tel:" not in text and "<a" not in text


@pytest.mark.django_db
def test_pages_show_the_number_as_a_tel_link_and_form_errors_as_text(client, settings):
    for path in ["/agentes/contacto/", "/privacidad/", "/seguridad/"]:
        page = client.get(path, follow=True).text
        assert f'href="tel:{settings.CALL_CENTER_TEL}"' in page, path
        assert "01800" not in page, path


# --- Item 7: dates, names and jargon in each language ---------------------------------------


def test_dates_follow_each_languages_formats():
    day, moment = date(2027, 1, 5), datetime(2027, 1, 5, 14, 3)
    with translation.override("es-mx"):
        assert date_format(day, "DATE_FORMAT") == "5 de enero de 2027"
        assert date_format(moment, "DATETIME_FORMAT") == "5 de enero de 2027, 14:03"
        assert date_format(day, "SHORT_DATE_FORMAT") == "05/01/2027"
        assert date_format(day, "l") == "martes"
    with translation.override("en"):
        assert date_format(day, "DATE_FORMAT") == "January 5, 2027"
        assert date_format(moment, "DATETIME_FORMAT") == "January 5, 2027, 2:03 p.m."


@pytest.mark.django_db
def test_the_header_keeps_the_manuals_capitalised_date():
    from portal.context_processors import today_label

    with translation.override("es-mx"):
        assert today_label(date(2009, 11, 21), "es-mx") == "Sábado 21 de Noviembre de 2009"


@pytest.mark.django_db
@pytest.mark.parametrize("template", ["restablecer_sin_cuenta", "correo_cambiado"])
def test_an_english_email_names_the_portal_in_english(template):
    context = {"portal": "Clientes", "changed_at": "January 5, 2027", "new_email_masked": "m***"}
    text, html = _email(template, "en", **context)
    for part in (text, html):
        assert "Clients portal" in part and "Clientes" not in part
    text, html = _email(template, "es-mx", **context)
    assert "portal de Clientes" in text and "portal de Clientes" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "explanation"),
    [
        ("es-mx", "«PORTAL FV AGENTES» es el nombre interno del Portal de Agentes de MetLife"),
        ("en", "“PORTAL FV AGENTES” is our internal name for the MetLife Agent Portal"),
    ],
)
@pytest.mark.parametrize(
    "template", ["usuario_generado", "contrasena_generada", "enlace_contrasena_agente"]
)
def test_agents_emails_explain_the_saa_names_they_keep(template, language, explanation):
    context = {"role": "AGENTE", "username": "SPXA1234", "hours": 72, "link": "https://x.test/"}
    text, html = _email(template, language, password="Ab3$efgh", **context)
    for part in (text, html.replace("&quot;", '"')):
        assert "PORTAL FV AGENTES" in part and "FFVV=AGENTE" in part  # the SAA's words, kept
        assert explanation in part


@pytest.fixture
def admin_client_(client, make_reviewer):
    client.force_login(make_reviewer("jefa", is_superuser=True))
    return client


@pytest.mark.django_db
def test_the_english_admin_names_its_sections_and_filters_in_english(admin_client_):
    index = admin_client_.get("/admin/", HTTP_ACCEPT_LANGUAGE=ENGLISH).text
    assert ">Agents<" in index and ">Clients<" in index
    assert ">Agentes<" not in index and ">Clientes<" not in index
    queue = admin_client_.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE=ENGLISH).text
    assert "overdue (more than 3 business days)" in queue and "vencidas" not in queue
    spanish = admin_client_.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="es-MX").text
    assert "vencidas (más de 3 días hábiles)" in spanish


# --- Item 8: "Correo distinto del SAA" in words ---------------------------------------------


@pytest.mark.django_db
def test_the_queue_says_whether_the_email_differs_from_the_saa_in_words(
    admin_client_, make_request
):
    same = make_request()
    other = make_request(email="otro@ejemplo.test", email_differs_from_saa=True)
    cells = re.findall(
        r'<td class="field-email_differs">(.*?)</td>', admin_client_.get(CHANGELIST).text
    )
    assert sorted(cells) == ["No", "Sí"]  # no icon: a red ⊗ for "No" reads as an error
    for access_request, word in ((same, "No"), (other, "Sí")):
        page = admin_client_.get(f"{CHANGELIST}{access_request.pk}/change/").text
        assert re.search(rf"<div class=\"readonly\">{word}</div>", page), word
        assert "icon-no.svg" not in page and "icon-yes.svg" not in page
    english = admin_client_.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE=ENGLISH).text
    assert sorted(re.findall(r'<td class="field-email_differs">(.*?)</td>', english)) == [
        "No", "Yes",
    ]  # fmt: skip
