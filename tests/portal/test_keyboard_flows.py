"""Issue 12, "keyboard-only completion of both flows": in Chromium, with no mouse, an agent
requests access and a client registers from their login pages to the last screen, pressing
only Tab, Shift+Tab, Space and Enter and typing. Each move reads the focused element's role
and accessible name, as a screen reader says them, to know where it is; every element that
takes the focus on the way shows a focus indicator."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import birth_date_as_typed, captcha_answer_in_browser, last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 60
ERRORS_HEADING = "Se detectaron los siguientes errores:"

# The focused element, or None on the page itself; with whether it shows a focus indicator:
# :focus-visible and an outline or a box-shadow (a ring) in its computed style.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) {
    return null;
  }
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    html: element.outerHTML.slice(0, 160),
    indicator: element.matches(":focus-visible") && (outline || style.boxShadow !== "none"),
  };
}"""


class Keyboard:
    """A person at the keyboard: moves with Tab until the focused element has the role and
    accessible name wanted (its required mark aside), types, presses; keeps every element
    that took the focus without showing it."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.focused_count = 0
        self.unmarked: list[str] = []

    def focused(self) -> tuple[str, str] | None:
        """Role and accessible name of the focused element (None on the page itself), and
        whether it shows its focus: recorded in `unmarked` when it does not."""
        state = self.page.evaluate(FOCUSED)
        if state is None:
            return None
        self.focused_count += 1
        if not state["indicator"]:
            self.unmarked.append(state["html"])
        # Chromium's own accessibility tree, as a screen reader gets it.
        document = self.cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.cdp.send("DOM.querySelector", {"nodeId": document, "selector": ":focus"})
        tree = self.cdp.send(
            "Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False}
        )
        ax = next(n for n in tree["nodes"] if not n.get("ignored"))
        name = ax.get("name", {}).get("value", "")
        return ax["role"]["value"], re.sub(r"\s*\*$", "", name)  # the required mark aside

    def tab_to(self, role: str, name: str | re.Pattern[str]) -> None:
        """Tab (at most MAX_TABS times) until the focus is on `role` named `name` (a pattern
        searched, or the whole name)."""
        passed = []
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            here = self.focused()
            if here and here[0] == role and _names_match(here[1], name):
                return
            passed.append(here)
        raise AssertionError(f"{MAX_TABS} Tabs never reached {role} {name!r}; passed {passed}")

    def type_into(self, label: str, text: str) -> None:
        """Tab to the field labelled `label` and type `text` (Tab selects what it held)."""
        self.tab_to("textbox", label)
        self.page.keyboard.type(text)

    def activate(self, role: str, name: str | re.Pattern[str], key: str = "Enter") -> None:
        """Tab to a link or button and press it with `key`, waiting for the page it opens."""
        self.tab_to(role, name)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.focused()  # what has the focus on arrival (an error summary, a field) shows it

    def assert_every_focus_was_visible(self) -> None:
        assert self.focused_count > 10, self.focused_count
        assert self.unmarked == [], "focused without a visible indicator:\n" + "\n".join(
            self.unmarked
        )


def _names_match(name: str, wanted: str | re.Pattern[str]) -> bool:
    return bool(wanted.search(name)) if isinstance(wanted, re.Pattern) else name == wanted


def test_an_agent_requests_access_with_the_keyboard_alone(page, make_agent):
    from agents.models import AccessRequest, Role

    Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agent = make_agent()
    keys = Keyboard(page)
    page.goto("/agentes/ingresar/")
    keys.activate("link", "Solicítalo aquí.")

    expect(page.get_by_text("Paso 1 de 5")).to_be_visible()
    keys.type_into("Clave de agente", agent.clave_agente)
    keys.type_into("Clave Promotoría", agent.promotoria.clave)
    keys.type_into("RFC", agent.rfc)
    keys.activate("button", "Continuar")

    # Step 2: the only channel comes ticked; untick it, fail, and mend it from the summary.
    expect(page.get_by_text("Paso 2 de 5")).to_be_visible()
    keys.tab_to("checkbox", "Individual Privado")
    page.keyboard.press("Space")
    keys.activate("button", "Continuar")
    expect(page.locator(":focus")).to_contain_text(ERRORS_HEADING)  # the error summary
    keys.focused()  # which shows its focus too
    keys.tab_to("link", re.compile("^Canales de Venta Disponibles: "))
    page.keyboard.press("Enter")
    assert keys.focused() == ("checkbox", "Individual Privado")
    page.keyboard.press("Space")
    expect(page.get_by_label("Individual Privado")).to_be_checked()
    keys.activate("button", "Continuar")

    # Step 3: the role, chosen by typing its name in the closed list.
    expect(page.get_by_text("Paso 3 de 5")).to_be_visible()
    keys.tab_to("combobox", "Rol Deseado")
    page.keyboard.type("AGENTE")
    expect(page.get_by_label("Rol Deseado")).to_have_value(str(Role.objects.get(code="AGENTE").pk))
    keys.activate("button", "Continuar")

    # Step 4: the email twice and the captcha.
    expect(page.get_by_text("Paso 4 de 5")).to_be_visible()
    keys.type_into("Correo electrónico", "xsoto@ejemplo.test")
    keys.type_into("Confirmar correo electrónico", "xsoto@ejemplo.test")
    keys.type_into("Código de verificación", captcha_answer_in_browser(page))
    keys.activate("button", "Continuar")

    expect(page.get_by_role("heading", level=1)).to_have_text("Solicitud enviada")
    assert AccessRequest.objects.get().email == "xsoto@ejemplo.test"
    keys.assert_every_focus_was_visible()


def test_a_client_registers_with_the_keyboard_alone(page, make_person):
    from portal.models import User

    person = make_person(emails=["maria.rodriguez@ejemplo.test"])
    keys = Keyboard(page)
    page.goto("/clientes/ingresar/")
    keys.activate("link", re.compile("^Aún no estoy registrado"))

    expect(page.get_by_text("Paso 1 de 4")).to_be_visible()
    keys.type_into("Número de póliza", person.policies.first().numero_poliza)
    keys.type_into("Nombre", person.nombre)
    keys.type_into("Apellido paterno", person.apellido_paterno)
    keys.type_into("Fecha de nacimiento", birth_date_as_typed(person.fecha_nacimiento))
    keys.activate("button", "SIGUIENTE")

    expect(page.get_by_text("Paso 2 de 4")).to_be_visible()
    keys.tab_to("radio", "ma***@ej***.test")  # the address on file, masked
    page.keyboard.press("Space")
    expect(page.get_by_label("ma***@ej***.test")).to_be_checked()
    keys.activate("button", "SIGUIENTE", key="Space")  # a button takes Space as well as Enter

    expect(page.get_by_text("Paso 3 de 4")).to_be_visible()
    keys.type_into("Código de confirmación (token)", last_code("maria.rodriguez@ejemplo.test"))
    keys.activate("button", "SIGUIENTE")

    expect(page.get_by_role("heading", level=1)).to_have_text("Tu registro fue creado")
    assert User.objects.filter(email="maria.rodriguez@ejemplo.test").exists()
    keys.assert_every_focus_was_visible()
