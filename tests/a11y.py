"""axe-core in Chromium: the WCAG 2.1 A/AA rules run on the page a test has open, and a
message that names each violation and the elements it was found on.

axe is vendored (tests/vendor/axe-core/, see its README): the machines that run the suite
are offline, and a pinned engine gives the same verdict on every run.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

# Runs in the page: axe restricted to the given tags, reduced to what a failure message needs.
_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.map(String),
      html: node.html,
      summary: node.failureSummary,
    })),
  }));
}
"""


def axe_violations(page: Any, *, tags: tuple[str, ...] = WCAG_AA) -> list[dict[str, Any]]:
    """The violations axe-core finds on `page` (a Playwright page) for the rules tagged `tags`:
    each with `id`, `impact`, `help`, `helpUrl` and `nodes` (`target` selectors, `html`)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script> (add_script_tag):
        # our Content-Security-Policy (script-src 'self') refuses inline scripts.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, list(tags))
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation and one per element, for an assertion's message."""
    lines = [f"{len(violations)} axe violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(node['target'])}: {node['html'][:160]}")
    return "\n".join(lines)


def _luminance(css_colour: str) -> float:
    """WCAG 2 relative luminance of a computed `rgb(…)`/`rgba(…)` colour (alpha ignored)."""
    found = re.match(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)", css_colour)
    if not found:
        raise ValueError(f"not a computed rgb() colour: {css_colour!r}")
    linear = []
    for channel in found.groups():
        value = float(channel) / 255
        linear.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two computed CSS colours such as "rgb(0, 74, 122)"."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
