from django.conf import settings
from django.utils import timezone


def brand(request):
    return {
        "brand": settings.PORTAL_BRAND,
        "today": timezone.localdate(),
        "call_center": settings.CALL_CENTER_PHONE,
    }
