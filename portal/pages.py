"""The pages every portal links to from its footer: "Política de Privacidad" and "Política
de Seguridad". Plain pages: the numbers they state are read from the settings and limits
that enforce them, so the text cannot drift from what the portal does."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal import codes, ratelimit
from portal.accounts.services import lockout_minutes


def privacy(request: HttpRequest) -> HttpResponse:
    """ "Política de Privacidad", the full privacy notice with the LFPDPPP's elements: who is
    responsible, what the portal keeps and for what, with whom it is shared, the ARCO rights,
    the cookies, a version and a date. The text is the insurer's, in its template."""
    from portal.accounts.views import SetPasswordView

    context = {
        "responsible_name": settings.PRIVACY_RESPONSIBLE_NAME,
        "responsible_address": settings.PRIVACY_RESPONSIBLE_ADDRESS,
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "notice_version": settings.PRIVACY_NOTICE_VERSION,
        "notice_date": settings.PRIVACY_NOTICE_DATE,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "language_cookie": settings.LANGUAGE_COOKIE_NAME,
        "link_cookie": SetPasswordView.token_cookie,
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
    return render(request, "portal/privacy.html", context)


def security(request: HttpRequest) -> HttpResponse:
    """ "Política de Seguridad": what we never ask for, how links and codes expire, how to
    report."""
    context = {
        "link_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "code_minutes": int(codes.CODE_LIFETIME.total_seconds() // 60),
        "code_tries": codes.TRIES_PER_CODE.limit,
        # Agents get a temporary password unless their first one is chosen through a link.
        "temporary_hours": (
            None if settings.AGENT_CREDENTIALS == "link" else settings.TEMPORARY_PASSWORD_HOURS
        ),
        "lockout_minutes": lockout_minutes(),
        "login_tries": ratelimit.rule("login", "username").limit,
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
    return render(request, "portal/security.html", context)
