"""The address every link in an email starts with (reset and set-password links, the portals'
login addresses, invitations)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest


def email_base_url(request: HttpRequest) -> str:
    """The portal's address with its slash ("https://alta.example.com/"): PORTAL_BASE_URL,
    never the request's Host header, which the sender writes (`Host: alta.example.com:4444`, an
    allowed host, would mail a reset link to a port of their choosing). Only the embedded mode
    (DEBUG), where it may be unset, links to the address it is browsed at."""
    if settings.PORTAL_BASE_URL:
        return f"{settings.PORTAL_BASE_URL}/"
    if settings.DEBUG:
        return request.build_absolute_uri("/")
    # Production refuses to start without it (portal.checks): a setting changed afterwards.
    raise ImproperlyConfigured("PORTAL_BASE_URL is not set: every link in an email needs it.")
