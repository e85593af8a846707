"""Issue 24, part "fields", in Chromium at 360 and 1280 px: the keyboard each field opens
(item 3), the agent's step 2 with the channel choice first and its SAA data behind "Ver datos
generales" on a phone (item 2), tables as cards on a phone with nothing broken mid-word and
the admin's request page inside 360 px (item 5), password rules that show ✓ and ✗ and a
"Mostrar contraseña" toggle (item 8)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from tests.helpers import (
    CLIENT_PASSWORD,
    CLIENT_WIZARD_URL,
    KEY_WIZARD_URL,
    SIDEWAYS,
    VIEWPORTS,
    RequestWizard,
    identify_agent_in_browser,
    open_at,
    sign_in_in_browser,
)

LONG_EMAIL = "xavier.sempere.parra@correoelectronicodeejemplo.test"

# What a field offers a phone: its type, inputmode and autocomplete attributes.
ATTRS = "(el) => [el.type, el.getAttribute('inputmode'), el.getAttribute('autocomplete')]"
# The words of an element's text that are drawn on more than one line (cut mid-word); a line
# may end after a hyphen, and an email address after its "@" or a dot, so those end a word.
BROKEN_WORDS = """(el) => {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/[^\\s@.\\-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""
# The elements that reach past the viewport's right edge (for a failure's message).
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > innerWidth + 0.5)
  .map((el) => el.tagName + "." + el.className + " " + Math.round(el.getBoundingClientRect().right))
  .slice(0, 15)"""
# The lines an element's text is drawn on.
LINES = """(el) => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].filter((r) => r.width > 0)
    .map((r) => Math.round(r.top))).size; }"""


class DuplicateAttributes(HTMLParser):
    """The tags of a page that carry one attribute twice (a browser keeps the first)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.found.append(self.get_starttag_text() or tag)


def duplicated_attributes(html: str) -> list[str]:
    parser = DuplicateAttributes()
    parser.feed(html)
    return parser.found


def field_attrs(page, label) -> list:
    return page.get_by_label(label).evaluate(ATTRS)


# --- Item 3: phone keyboards --------------------------------------------------------------


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_field_opens_the_keyboard_it_needs_and_no_tag_repeats_an_attribute(
    open_page, width, make_agent_user
):
    page = open_at(open_page, width)
    raw = {}

    raw["client login"] = page.goto("/clientes/ingresar/").text()
    assert field_attrs(page, "Correo electrónico") == ["email", None, "email"]
    assert field_attrs(page, re.compile("^Contraseña")) == ["password", None, "current-password"]

    raw["agent login"] = page.goto("/agentes/ingresar/").text()
    assert field_attrs(page, "Usuario") == ["text", None, "username"]
    assert field_attrs(page, re.compile("^Contraseña")) == ["password", None, "current-password"]

    raw["agent request"] = page.goto("/agentes/solicitud/").text()
    assert field_attrs(page, "Clave de agente") == ["text", "numeric", "off"]
    assert field_attrs(page, "Clave Promotoría") == ["text", "numeric", "off"]

    raw["client registration"] = page.goto(CLIENT_WIZARD_URL).text()
    assert field_attrs(page, "Número de póliza") == ["text", "numeric", "off"]
    assert field_attrs(page, "Nombre") == ["text", None, "given-name"]
    assert field_attrs(page, "Apellido paterno") == ["text", None, "family-name"]
    assert field_attrs(page, "Fecha de nacimiento") == ["text", "numeric", "bday"]

    raw["registration by key"] = page.goto(KEY_WIZARD_URL).text()
    assert field_attrs(page, "Número de póliza") == ["text", "numeric", "off"]

    raw["client password reset"] = page.goto("/clientes/contrasena/olvide/").text()
    assert field_attrs(page, "Correo electrónico") == ["email", None, "email"]

    # The agent's first entry: the phone with its keypad and autofill.
    user = make_agent_user(contact_confirmed=False)
    sign_in_in_browser(page, "agents", user.username)
    page.get_by_label("Teléfono de contacto").wait_for()
    assert field_attrs(page, "Teléfono de contacto") == ["tel", None, "tel"]
    assert field_attrs(page, re.compile("^Correo electrónico")) == ["email", None, "email"]
    raw["contact data"] = page.request.get(page.url).text()

    for name, html in raw.items():
        assert duplicated_attributes(html) == [], name


@pytest.mark.django_db
def test_the_agent_request_emails_and_the_search_ask_for_their_keyboards(client, make_agent):
    wizard = RequestWizard(client)
    wizard.start()
    html = wizard.walk_to_submit(make_agent()).text
    for name in ("submit-email", "submit-email_confirmation"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert tag and 'type="email"' in tag[0] and 'autocomplete="email"' in tag[0], name
    assert duplicated_attributes(html) == []


# --- Item 2: the agent's step 2 ------------------------------------------------------------


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_step_2_puts_the_channel_choice_first_and_the_saa_data_behind_its_summary(
    open_page, width, make_agent
):
    page = open_at(open_page, width)
    agent = make_agent(canales=["Individual Privado", "Grupo Privado"], email=LONG_EMAIL)
    identify_agent_in_browser(page, agent)
    choice = page.get_by_label("Grupo Privado")
    summary = page.get_by_text("Ver datos generales")
    rfc = page.get_by_role("cell", name=agent.rfc)
    expect(page.get_by_text("Importante")).to_be_visible()
    assert choice.bounding_box()["y"] < summary.bounding_box()["y"]
    assert page.evaluate(SIDEWAYS) == 0
    if width == 360:
        # Closed on a phone: "Continuar" within two screens, the data a tap away.
        expect(rfc).to_be_hidden()
        continuar = page.locator("button.continue")
        assert continuar.bounding_box()["y"] + page.evaluate("scrollY") < 2 * 740
        summary.click()
    expect(rfc).to_be_visible()
    for cell in page.locator("details.agent-data :is(th, td)").all():
        assert cell.evaluate(BROKEN_WORDS) == [], (cell.inner_text(), cell.evaluate(BROKEN_WORDS))
    choice.check()
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_text("Paso 3 de 5")).to_be_visible()


# --- Item 5: tables ----------------------------------------------------------------------


def assert_policy_table_reads_whole(page, width: int, policies) -> None:
    """No sideways scroll; each policy number on one line; no word cut; at 360 px each row
    is a card with its column names as labels, at 1280 px the table is a table."""
    assert page.evaluate(SIDEWAYS) == 0
    table = page.locator("table.cards")
    for policy in policies:
        number = table.get_by_text(policy.numero_poliza, exact=True)
        expect(number).to_be_visible()
        assert number.evaluate(LINES) == 1, policy.numero_poliza
    for cell in table.locator("td").all():
        assert cell.evaluate(BROKEN_WORDS) == [], cell.inner_text()
    row_display = table.locator("tbody tr").first.evaluate("(el) => getComputedStyle(el).display")
    label = table.locator("td").first.evaluate("(el) => getComputedStyle(el, '::before').content")
    if width == 360:
        assert row_display == "block" and label == '"Número de póliza"'
        expect(table.locator("thead")).not_to_be_in_viewport()
    else:
        assert row_display == "table-row" and label in ("none", "normal")
        expect(table.locator("thead")).to_be_visible()
        for header in table.locator("th").all():
            assert header.evaluate(LINES) == 1, header.inner_text()


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_products_step_lists_policies_whole_and_its_email_choice_fits(
    open_page, width, make_person
):
    page = open_at(open_page, width)
    person = make_person(
        emails=["maria.rodriguez.lopez@correo-electronico-de-ejemplo.test", "maria.rl@correo.test"],
        products=["Vida Individual", "Gastos Médicos Mayores"],
    )
    policies = list(person.policies.all())
    page.goto(CLIENT_WIZARD_URL)
    page.get_by_label("Número de póliza").fill(policies[0].numero_poliza)
    page.get_by_label("Nombre").fill(person.nombre)
    page.get_by_label("Apellido paterno").fill(person.apellido_paterno)
    page.get_by_label("Fecha de nacimiento").fill(person.fecha_nacimiento.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="SIGUIENTE").click()
    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    assert_policy_table_reads_whole(page, width, policies)
    card = page.locator("section.card").first.bounding_box()
    for box in [page.locator("fieldset.email-choice").bounding_box()] + [
        option.bounding_box() for option in page.locator("fieldset.email-choice label").all()
    ]:
        assert box["x"] + box["width"] <= card["x"] + card["width"], (box, card)


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_mis_productos_lists_policies_whole(open_page, width, make_person):
    from portal.models import User

    page = open_at(open_page, width)
    person = make_person(
        emails=["maria.rodriguez@ejemplo.test"],
        products=["Vida Individual", "Gastos Médicos Mayores", "Accidentes Personales"],
    )
    person.user = User.objects.create_user(
        "maria.rodriguez@ejemplo.test", email="maria.rodriguez@ejemplo.test",
        password=CLIENT_PASSWORD, kind=User.Kind.CLIENT,
    )  # fmt: skip
    person.save(update_fields=["user"])
    sign_in_in_browser(page, "clients", "maria.rodriguez@ejemplo.test", CLIENT_PASSWORD)
    expect(page.get_by_role("heading", name="Mis productos")).to_be_visible()
    assert_policy_table_reads_whole(page, width, list(person.policies.all()))


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_page_of_an_approved_request_fits_the_screen(
    open_page, width, make_agent, make_request, make_reviewer
):
    from agents import services

    reviewer = make_reviewer("revisora")
    reviewer.set_password("clave-revisora-2026")
    reviewer.save()
    agent = make_agent(email="xavier.sempere.parra@correo-de-ejemplo.test")
    request = make_request(agent)
    services.approve_request(request.pk, reviewer)
    page = open_at(open_page, width)
    page.goto(f"/admin/agents/accessrequest/{request.pk}/change/")
    page.get_by_label("Nombre de usuario").fill("revisora")
    page.get_by_label("Contraseña").fill("clave-revisora-2026")
    page.get_by_role("button", name="Identificarse").click()
    expect(page.get_by_role("heading", name="Decisiones registradas")).to_be_visible()
    wide = page.evaluate(WIDEST)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    for cell in page.locator(".alta-saa td, .alta-audit td").all():
        assert cell.evaluate(BROKEN_WORDS) == [], cell.inner_text()


# --- Item 8: password rules and "Mostrar contraseña" ----------------------------------------

MARK = "(el) => getComputedStyle(el, '::before').content"


def reset_link(user, portal: str) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/{portal}/contrasena/{uid}/{default_token_generator.make_token(user)}/"


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typing_a_password_turns_each_rule_from_cross_to_tick_and_it_can_be_shown(
    open_page, width, make_portal_user
):
    user = make_portal_user("clients", password=CLIENT_PASSWORD)
    page = open_at(open_page, width)
    page.goto(reset_link(user, "clientes"))
    password = page.get_by_label(re.compile("^Nueva contraseña"))
    confirmation = page.get_by_label("Confirmar nueva contraseña")
    length = page.locator("#password-rules li[data-rule=length]")
    match = page.locator("#password-rules li[data-rule=match]")
    assert length.evaluate(MARK) == '"○ "'

    password.press_sequentially("Cedro")
    assert length.evaluate(MARK) == '"✗ "'
    expect(length).to_contain_text("pendiente")
    password.press_sequentially("-azul-Nuevo-2027")
    assert length.evaluate(MARK) == '"✓ "'
    expect(length).to_contain_text("cumplido")
    confirmation.press_sequentially("Cedro-azul")
    assert match.evaluate(MARK) == '"✗ "'
    confirmation.press_sequentially("-Nuevo-2027")
    assert match.evaluate(MARK) == '"✓ "'
    for rule in page.locator("#password-rules li[data-rule]").all():
        assert rule.evaluate(MARK) == '"✓ "', rule.inner_text()

    # One toggle per field, named the same in both states, its state in aria-pressed.
    toggles = page.get_by_role("button", name="Mostrar contraseña")
    expect(toggles).to_have_count(2)
    first = toggles.first
    expect(first).to_have_attribute("aria-pressed", "false")
    first.click()
    assert password.evaluate("(el) => el.type") == "text"
    expect(first).to_have_attribute("aria-pressed", "true")
    assert password.bounding_box()["y"] == first.bounding_box()["y"] or width == 360
    first.focus()
    page.keyboard.press("Space")
    assert password.evaluate("(el) => el.type") == "password"
    expect(first).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    assert password.evaluate("(el) => el.type") == "text"
    assert page.evaluate(SIDEWAYS) == 0

    # Enter in a field still sends the form (the toggles are type=button).
    confirmation.press("Enter")
    expect(page.get_by_role("heading", name="¡Éxito!")).to_be_visible()


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_both_logins_offer_the_toggle_and_without_javascript_there_is_none(open_page, width):
    page = open_at(open_page, width)
    for url, label in (("/agentes/ingresar/", "Contraseña"), ("/clientes/ingresar/", "Contraseña")):
        page.goto(url)
        field = page.get_by_label(re.compile(f"^{label}"))
        field.fill("secreta-123")
        page.get_by_role("button", name="Mostrar contraseña").click()
        assert field.evaluate("(el) => el.type") == "text"
        assert field.input_value() == "secreta-123"
        assert page.evaluate(SIDEWAYS) == 0

    quiet = open_page(viewport={"width": width, "height": 800}, java_script_enabled=False)
    quiet.goto("/clientes/ingresar/")
    expect(quiet.get_by_label(re.compile("^Contraseña"))).to_have_attribute("type", "password")
    expect(quiet.get_by_role("button", name="Mostrar contraseña")).to_have_count(0)


@VIEWPORTS
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_current_password_of_the_email_change_can_be_shown_too(open_page, width, make_person):
    from portal.models import User

    page = open_at(open_page, width)
    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    person.user = User.objects.create_user(
        "maria.rodriguez@ejemplo.test", email="maria.rodriguez@ejemplo.test",
        password=CLIENT_PASSWORD, kind=User.Kind.CLIENT,
    )  # fmt: skip
    person.save(update_fields=["user"])
    sign_in_in_browser(page, "clients", "maria.rodriguez@ejemplo.test", CLIENT_PASSWORD)
    page.goto("/clientes/correo/cambiar/")
    # By its id: once shown, the field is no longer input[type=password].
    field = page.locator(f"#{page.locator('input[type=password]').get_attribute('id')}")
    field.fill("secreta-123")
    toggle = page.get_by_role("button", name="Mostrar contraseña")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert field.evaluate("(el) => el.type") == "text"
    assert page.evaluate(SIDEWAYS) == 0
