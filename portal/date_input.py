"""The browser's date picker as a form widget, shared by the back office's date ranges."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms


class IsoDateInput(forms.DateInput):
    """`<input type="date">`, whose value is ISO (aaaa-mm-dd) in every language. A value that
    is no date (typed into the address bar: "ayer", "2026-02-30") is rendered empty, as the
    browser would show it anyway: HTML allows no other value there; the error still says why."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                valid = date.fromisoformat(value).isoformat() == value
            except ValueError:
                valid = False
            return value if valid else None
        formatted: str | None = super().format_value(value)
        return formatted
