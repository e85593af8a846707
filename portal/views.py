from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


def home(request):
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
def health(request):
    """`/salud/`: database, Redis and Celery; 200 when all answer, 503 otherwise."""
    checks, healthy = {}, True
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
