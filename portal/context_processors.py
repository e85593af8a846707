from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dateformat import DateFormat
from django.utils.text import capfirst
from django.utils.translation import pgettext

from .accounts.gate import pending_page
from .call_center import call_center_link


def brand(request: HttpRequest) -> dict[str, Any]:
    """Brand, today's date, the Call Center line and the languages on every page."""
    today = timezone.localdate()
    return {
        "brand": settings.PORTAL_BRAND,
        "today": today,
        "today_label": today_label(today, translation.get_language()),
        # A tel: link a phone dials; plain-text emails get the number alone (notifications).
        "call_center": call_center_link(),
        "privacy_responsible": settings.PRIVACY_RESPONSIBLE_NAME,  # the short privacy notices
        "languages": settings.LANGUAGES,  # the header's switcher, each by its own name
        # Called by the template only when used: the page a signed-in user must see first.
        "account_pending": lambda: pending_page(request),
        # Whether the signed-in user's pages link to the second factor's page.
        "second_factor_offered": lambda: second_factor_offered(request),
    }


class _HeaderDateFormat(DateFormat):
    """The header's day and month names capitalised, as the manual shows them ("Sábado 21
    Noviembre de 2009"), where every other Spanish date writes them in lowercase."""

    def l(self) -> str:  # noqa: E743 - Django's name for the day's name
        return capfirst(super().l())

    def F(self) -> str:
        return capfirst(super().F())


@functools.lru_cache(maxsize=16)
def today_label(day: date, language: str | None) -> str:
    """The header's date ("Martes 1 de Diciembre de 2026", "Tuesday, December 1, 2026"),
    formatted once a day per language rather than by the template's `date` filter on every
    page (about 30 µs each time)."""
    # The word order differs between languages, so the format itself is translated (the same
    # msgid as the fallback in templates/base.html).
    return capfirst(
        _HeaderDateFormat(day).format(pgettext("header date format", r"l j \d\e F \d\e Y"))
    )


def second_factor_offered(request: HttpRequest) -> bool:
    from .accounts import mfa

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return mfa.offered(user)
