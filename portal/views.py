"""Site-wide pages: the portal chooser, health, the captcha refresh and the login lockout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from . import ratelimit, texts
from .accounts import configs


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
    """AXES_LOCKOUT_CALLABLE: a locked login (a portal's or /admin/'s) gets one page saying the
    access is locked and when to retry, built from nothing the person typed, so it is the
    same for an existing account and an unknown username. Other pages that check a password
    ("Contraseña actual") show the lock in their own form."""
    match = request.resolver_match
    is_login = match is not None and match.url_name == "login"
    if not is_login and original_response is not None and original_response.status_code == 200:
        return original_response
    namespace = match.namespace if match is not None else ""
    portal = next((c for c in configs().values() if c.namespace == namespace), None)
    reset_url = reverse(portal.url_name("password_reset")) if portal else None  # not /admin/
    message = texts.ACCOUNT_LOCKED % {"minutes": lockout_minutes()}
    context = {"message": message, "password_reset_url": reset_url}
    return render(request, "portal/locked.html", context, status=200)


def lockout_minutes() -> int:
    """How long a lock lasts: each failure, even while locked, starts the cool-off again."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


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
