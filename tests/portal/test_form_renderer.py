"""`<input>` widgets written in Python (portal.form_renderer) give the very markup of
Django's templates, whatever the type, value and attributes."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from portal.form_renderer import FormRenderer


class Everything(forms.Form):
    text = forms.CharField(max_length=30, help_text="Ayuda")
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"hidden": False}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.IntegerField(min_value=1, max_value=9)
    decimal = forms.DecimalField(localize=True)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    when = forms.DateTimeField()
    time = forms.TimeField()
    url = forms.URLField(assume_scheme="https")
    check = forms.BooleanField(required=False)
    file = forms.FileField(required=False)
    lazy = forms.CharField(widget=forms.TextInput(attrs={"placeholder": _("Nombre")}))
    safe = forms.CharField(widget=forms.TextInput(attrs={"data-x": mark_safe("<b>&amp;</b>")}))
    # Not an input: still rendered by its template.
    choice = forms.ChoiceField(choices=[("a", "A & B")])


VALUES = [
    {},
    {
        "text": 'O\'Brien "&" <script>',
        "optional": "",
        "email": "a@b.test",
        "number": "7",
        "decimal": "1234.5",
        "password": "s3cr3t<",
        "hidden": "x&y",
        "date": "2024-01-31",
        "when": "2024-01-31 10:00",
        "time": "10:00",
        "url": "https://x.test/?a=1&b=2",
        "check": "on",
        "lazy": "ÁÉÍ",
        "safe": "v",
        "choice": "a",
    },
]


@pytest.mark.parametrize("data", VALUES)
@pytest.mark.parametrize("language", ["es-mx", "en"])
def test_inputs_render_as_djangos_templates(data, language):
    from django.utils import translation

    initial = {"date": datetime.date(2024, 2, 29), "number": 3, "check": True}
    with translation.override(language):
        for bound in (True, False):
            ours = Everything(data if bound else None, initial=initial, renderer=FormRenderer())
            django = Everything(
                data if bound else None, initial=initial, renderer=DjangoTemplates()
            )
            for name in Everything.base_fields:
                assert str(ours[name]) == str(django[name]), name
            assert ours.as_div() == django.as_div()


def test_the_settings_use_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
