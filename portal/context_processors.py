from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .middleware import pending_page


def brand(request: HttpRequest) -> dict[str, Any]:
    """Brand, today's date and the Call Center line on every page."""
    return {
        "brand": settings.PORTAL_BRAND,
        "today": timezone.localdate(),
        "call_center": settings.CALL_CENTER_PHONE,
        # Called by the template only when used: the page a signed-in user must see first.
        "account_pending": lambda: pending_page(getattr(request, "user", None)),
    }
