"""A person at the keyboard in Chromium, for the browser suites that walk a flow with no mouse
(tests/ui/test_keyboard_flows.py, tests/ui/test_second_factor_browser.py)."""

from __future__ import annotations

import re

MAX_TABS = 60

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
