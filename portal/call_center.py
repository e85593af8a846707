"""The Call Center's number as HTML shows it: a tel: link a phone dials (pages, HTML emails).
Plain text (text emails, form errors) shows CALL_CENTER_PHONE as it is."""

from __future__ import annotations

import functools

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


def call_center_link() -> SafeString:
    """`<a href="tel:CALL_CENTER_TEL">CALL_CENTER_PHONE</a>`, from
    templates/portal/includes/call_center.html."""
    return _link(settings.CALL_CENTER_PHONE, settings.CALL_CENTER_TEL)


@functools.lru_cache(maxsize=4)
def _link(phone: str, tel: str) -> SafeString:
    # Rendered once per number, not on every page; stripped, as it sits before a "." in
    # sentences.
    link = render_to_string("portal/includes/call_center.html", {"phone": phone, "tel": tel})
    # Our template, which escapes both values.
    return mark_safe(link.strip())  # noqa: S308  # nosec B308, B703
