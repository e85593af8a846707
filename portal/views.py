"""Site-wide pages: the portal chooser, health, the captcha refresh and the login lockout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import ratelimit


def home(request: HttpRequest) -> HttpResponse:
    """`/`: choose Clientes or Agentes."""
    return render(request, "portal/home.html")


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "no configurado (modo embebido)"
    cache.set("salud", "ok", 5)
    if cache.get("salud") != "ok":
        raise RuntimeError("cache read back failed")
    return "ok"


def _check_celery() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager (modo embebido)"
    from portal.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no worker answered")
    return f"ok ({len(replies)} worker(s))"


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """`/salud/`: database, Redis and Celery; 200 when all answer, 503 otherwise."""
    checks: dict[str, str] = {}
    healthy = True
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("celery", _check_celery),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
            healthy = False
            checks[name] = f"error: {type(exc).__name__}"
    body = {"status": "ok" if healthy else "error", "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)


# --- Login lockout (django-axes) ------------------------------------------------------------


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a locked-out login sees the login page with the same message
    as a wrong password (the page says that failures lock the access for a while)."""
    if original_response is not None and original_response.status_code == 200:
        return original_response
    return render(request, "portal/locked.html", status=200)


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username axes counts failures for, cut to its column
    (255 characters) so that a 100 KB "username" gets the wrong-password page, not a 500."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return None if username is None else str(username).replace("\x00", "")[:255]


def captcha_refresh(request: HttpRequest) -> HttpResponse:
    """simple-captcha's refresh, limited per IP (RATE_LIMITS["captcha_refresh"])."""
    from captcha.views import captcha_refresh as refresh

    if not ratelimit.consume("captcha_refresh", ip=ratelimit.client_ip(request)):
        return JsonResponse({"error": "demasiadas solicitudes"}, status=429)
    return refresh(request)
