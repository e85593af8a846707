"""The form renderer (settings.FORM_RENDERER): Django's, with its `<input>` written in Python.

Every text, email, date, password and hidden field of a page goes through Django's
`input.html` and `attrs.html`; rendered by the template engine they were about a third of a
wizard step's rendering (issue 11). The same markup written here takes a few microseconds;
every other widget (select, radio, checkbox list, textarea) still uses its template.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

# Django's widget templates whose whole content is `{% include "…/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "text", "email", "url", "number", "password", "hidden", "date", "datetime",
        "time", "search", "tel", "color", "checkbox", "file",
    )
)  # fmt: skip


def _format(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` as Django's template renders it, escaped."""
    if isinstance(value, SafeData):
        return conditional_escape(value)
    try:
        text = str(value)  # what "%s" % value gives, tuples included (the filter's own case)
    except (ValueError, TypeError):
        text = ""
    return escape(text)


def render_input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html with attrs.html, character for character."""
    parts = [
        f'<input type="{conditional_escape(widget["type"])}"',
        f' name="{conditional_escape(widget["name"])}"',
    ]
    if widget["value"] is not None:
        parts.append(f' value="{_format(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        name = conditional_escape(name)
        parts.append(f" {name}" if value is True else f' {name}="{_format(value)}"')
    parts.append(">")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    """Django's default renderer, `<input>` widgets excepted (see the module's docstring)."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name in INPUT_TEMPLATES and "widget" in context:
            return render_input(context["widget"])
        return super().render(template_name, context, request)
