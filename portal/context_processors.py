from django.conf import settings
from django.utils import timezone

from .middleware import pending_page


def brand(request):
    return {
        "brand": settings.PORTAL_BRAND,
        "today": timezone.localdate(),
        "call_center": settings.CALL_CENTER_PHONE,
        # Called by the template only when used: the page a signed-in user must see first.
        "account_pending": lambda: pending_page(getattr(request, "user", None)),
    }
