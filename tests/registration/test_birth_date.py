"""The client's birth date is typed as dd/mm/aaaa whatever the browser's language (issue 12,
item 5): what a person types is read as the hint says, a date that cannot be read gets the
form's own message, and such a typo costs no identification attempt."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal import ratelimit
from registration.forms import (
    MSG_BIRTH_DATE_FORMAT,
    MSG_BIRTH_DATE_NONEXISTENT,
    MSG_BIRTH_DATE_RANGE,
    MSG_NO_MATCH,
    IdentifyForm,
)

BORN = date(1992, 7, 15)
RANGE = str(MSG_BIRTH_DATE_RANGE % {"oldest": 1900})


def read(typed: str) -> tuple[date | None, list[str]]:
    """The birth date the identify form reads from `typed`, and the field's messages. The
    other fields are left empty, so the form stops before identifying anyone."""
    form = IdentifyForm(data={"fecha_nacimiento": typed})
    form.is_valid()
    return form.cleaned_data.get("fecha_nacimiento"), form.errors.get("fecha_nacimiento", [])


@pytest.mark.parametrize(
    "typed",
    ["15/07/1992", "15071992", "15-07-1992", "15.07.1992", "15 07 1992", " 15/07/1992 ",
     "15 / 07 / 1992",
     # A four-digit year first is only ever aaaa-mm-dd: read so, never day and month swapped.
     "1992-07-15", "1992/7/15"],
)  # fmt: skip
def test_dates_written_as_people_write_them_are_read_day_first(typed):
    assert read(typed) == (BORN, [])


def test_one_digit_day_and_month_are_read():
    assert read("5/7/1992") == (date(1992, 7, 5), [])
    assert read("05071992") == (date(1992, 7, 5), [])


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("15/07/92", MSG_BIRTH_DATE_FORMAT),  # which century?
        ("19920715", MSG_BIRTH_DATE_FORMAT),  # eight digits are ddmmaaaa: 19/92 is no date
        ("20010115", MSG_BIRTH_DATE_FORMAT),  # read as ddmmaaaa it is 20/01/0115
        ("1507199", MSG_BIRTH_DATE_FORMAT),
        ("15/07/1992x", MSG_BIRTH_DATE_FORMAT),
        ("julio 15, 1992", MSG_BIRTH_DATE_FORMAT),
        ("15//07/1992", MSG_BIRTH_DATE_FORMAT),
        ("١٥/٠٧/١٩٩٢", MSG_BIRTH_DATE_FORMAT),  # digits, but not the ones the hint shows
        ("1" + " " * 50_000 + "x", MSG_BIRTH_DATE_FORMAT),  # answered at once, not matched
        ("31/02/1992", MSG_BIRTH_DATE_NONEXISTENT),
        ("29/02/1991", MSG_BIRTH_DATE_NONEXISTENT),
        ("15/13/1992", MSG_BIRTH_DATE_NONEXISTENT),
        ("00/07/1992", MSG_BIRTH_DATE_NONEXISTENT),
        ("1992-15-07", MSG_BIRTH_DATE_NONEXISTENT),  # year first, then day: no month 15
        ("31/12/1899", RANGE),
        ("15/07/2999", RANGE),
    ],
)
def test_dates_that_cannot_be_read_get_the_fields_message(typed, message):
    assert read(typed) == (None, [str(message)])


def test_a_birth_date_in_the_future_is_refused_and_today_accepted():
    today = timezone.localdate()
    assert read(today.strftime("%d/%m/%Y")) == (today, [])
    assert read((today + timedelta(days=1)).strftime("%d/%m/%Y")) == (None, [RANGE])


@pytest.mark.django_db
def test_the_field_is_a_text_input_with_the_hint_it_follows(wizard):
    page = wizard.start().text
    assert 'type="date"' not in page
    field = page[page.index('name="identify-fecha_nacimiento"') :].split(">")[0]
    for attribute in ['inputmode="numeric"', 'autocomplete="bday"', 'maxlength="10"']:
        assert attribute in field
    assert '<input type="text" name="identify-fecha_nacimiento"' in page
    assert ">dd/mm/aaaa<" in page


# --- in the wizard -------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["31/02/1985", "1985-03", "12/03/85", "15/07/2999"])
def test_malformed_date_is_shown_again_with_its_message_and_costs_no_attempt(
    wizard, make_person, typed
):
    person = make_person()
    numero = person.policies.first().numero_poliza
    # More than the policy's limit of failed identifications, all with the date mistyped.
    for _ in range(ratelimit.rule("identify_client", "policy").limit + 1):
        page = wizard.identify(person, fecha_nacimiento=typed).text
        assert "Paso 1 de 4" in page and "Se detectaron los siguientes errores:" in page
        assert str(MSG_NO_MATCH) not in page
        assert f'value="{typed}"' in page  # as typed
    assert ratelimit.count("identify_client", ip="127.0.0.1", policy=numero) == 0
    assert "Paso 2 de 4" in wizard.identify(person, fecha_nacimiento="12/03/1985").text


@pytest.mark.django_db
def test_a_wrong_but_valid_date_is_a_failed_attempt(wizard, make_person):
    """The other side of the test above: a readable date reaches the identity match."""
    person = make_person()
    numero = person.policies.first().numero_poliza
    assert str(MSG_NO_MATCH) in wizard.identify(person, fecha_nacimiento="13/03/1985").text
    assert ratelimit.count("identify_client", ip="127.0.0.1", policy=numero) == 1


@pytest.mark.django_db
def test_back_to_the_step_shows_the_date_as_dd_mm_aaaa(wizard, make_person):
    person = make_person()
    assert "Paso 2 de 4" in wizard.identify(person, fecha_nacimiento="12031985").text
    page = wizard.post("products", {}, wizard_goto_step="identify").text  # Regresar
    assert "Paso 1 de 4" in page
    assert 'value="12/03/1985"' in page
    assert 'value="12031985"' not in page and "1985-03-12" not in page
    assert 'value="12/03/1985"' in wizard.open("identify").text  # and a plain GET of it


# --- Chromium in English: the field does not follow the browser's language -----------------
@pytest.fixture
def english_page(open_page, live_server):
    """A page in a Chromium whose language is American English (month first in its native
    date inputs, the case of the issue), showing the portal in Spanish as after choosing
    "Español" (the language cookie): the portal's English is tested in test_english.py."""
    from django.conf import settings

    page = open_page(locale="en-US")
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": "es-mx", "url": live_server.url}
    page.context.add_cookies([cookie])
    return page


def fill_identify_step(page, person, typed_date: str) -> None:
    page.goto("/clientes/ingresar/")
    page.get_by_role("link", name="Aún no estoy registrado").click()
    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    page.get_by_label("Número de póliza").fill(person.policies.first().numero_poliza)
    page.get_by_label("Nombre").fill("María")
    page.get_by_label("Apellido paterno").fill("Rodríguez")
    page.get_by_label("Fecha de nacimiento").press_sequentially(typed_date)
    page.get_by_role("button", name="SIGUIENTE").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("typed", ["15071992", "15/07/1992"])
def test_english_browser_typing_the_date_reaches_the_products_of_that_person(
    english_page, make_person, typed
):
    page = english_page
    assert page.evaluate("navigator.language") == "en-US"
    person = make_person(fecha_nacimiento=BORN)
    fill_identify_step(page, person, typed)
    # Identified: a date read any other way (07/15, or 1992-12-07 as the native input made
    # of 15071992) is a mismatch and would keep the person on step 1.
    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    expect(page.get_by_role("cell", name=person.policies.first().numero_poliza)).to_be_visible()

    page.get_by_role("button", name="Regresar").click()
    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    expect(page.get_by_label("Fecha de nacimiento")).to_have_value("15/07/1992")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_english_browser_mistyped_date_gets_the_message_and_keeps_the_text(
    english_page, make_person
):
    page = english_page
    person = make_person(fecha_nacimiento=BORN)
    fill_identify_step(page, person, "31/02/1992")
    expect(page.get_by_text("Se detectaron los siguientes errores:")).to_be_visible()
    expect(page.get_by_text(str(MSG_BIRTH_DATE_NONEXISTENT)).first).to_be_visible()
    expect(page.get_by_label("Fecha de nacimiento")).to_have_value("31/02/1992")
    numero = person.policies.first().numero_poliza
    assert ratelimit.count("identify_client", ip="127.0.0.1", policy=numero) == 0

    page.get_by_label("Fecha de nacimiento").fill("15/07/1992")
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
