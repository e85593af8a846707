"""The form renderer (settings.FORM_RENDERER): Django's, with its `<input>` written in Python.

Every text, email, date, password and hidden field of a page goes through Django's
`input.html` and `attrs.html`; rendered by the template engine they were about a third of a
wizard step's rendering (issue 11). The same markup written here takes a few microseconds;
every other widget (select, radio, checkbox list, textarea) still uses its template.

Its bound fields (`DescribedBoundField`) tie every hint and error to its input for screen
readers, and tell the error summary which input each of its links goes to.
"""

from __future__ import annotations

from typing import Any

from django.forms import RadioSelect, Widget
from django.forms.boundfield import BoundField
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


class DescribedBoundField(BoundField):
    """Django's bound field, with `aria-describedby` ("<id>_helptext <id>_error", the ids
    templates/portal/includes/field.html gives the hint and the error list) on every input
    that field.html labels by itself.

    Django leaves the description to a `<fieldset>` for every widget with `use_fieldset`;
    field.html draws one only for radio and checkbox groups (`is_group`), so without this
    the captcha's image-and-answer MultiWidget would keep its hint and its error unread.
    """

    @property
    def is_group(self) -> bool:
        """Radio buttons or checkboxes: a `<fieldset>` whose legend names them and which
        carries the description (`aria_describedby`) for all of them."""
        return isinstance(self.field.widget, RadioSelect)

    @property
    def input_id(self) -> str:
        """Where the error summary's link for this field goes: its input, a group's first
        option; "" for a hidden field or one without ids (the entry is then plain text)."""
        if self.is_hidden or not self.auto_id:
            return ""
        if self.is_group:
            options = self.subwidgets
            return str(options[0].id_for_label) if options else ""
        return str(self.id_for_label)

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        # The same test as Django's own (which skips `use_fieldset` widgets), reversed.
        if self.use_fieldset and not self.is_group and not attrs.get("aria-describedby"):
            if described := self.aria_describedby:
                attrs["aria-describedby"] = described
        return attrs


class FormRenderer(DjangoTemplates):
    """Django's default renderer, `<input>` widgets excepted (see the module's docstring),
    whose forms use `DescribedBoundField`."""

    bound_field_class = DescribedBoundField

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name in INPUT_TEMPLATES and "widget" in context:
            return render_input(context["widget"])
        return super().render(template_name, context, request)
