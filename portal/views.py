"""Site-wide pages: the portal chooser, health, the captcha's refresh, image and audio, and
the login lockout."""

from __future__ import annotations

import logging
import threading
import time
from ipaddress import IPv6Address, ip_address, ip_network
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from notifications import heartbeat, selectors

from . import icons, metrics, ratelimit, redis_health, texts
from .accounts import configs
from .accounts import services as account_services
from .call_center import call_center_link
from .context_processors import today_label
from .logging import request_id

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """`/`: choose Clientes or Agentes."""
    return render(request, "portal/home.html")


class _ProbeRolledBack(Exception):
    """Undoes the readiness write probe."""


def database_writable(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database takes a write: a table made and rolled back, so nothing stays.
    An embedded SQLite on a read-only or full var/ still answers reads, so SELECT 1 is not
    enough there."""
    try:
        with transaction.atomic(using=using), connections[using].cursor() as cursor:
            cursor.execute("CREATE TABLE alta_write_probe (id INTEGER)")
            cursor.execute("INSERT INTO alta_write_probe (id) VALUES (1)")
            raise _ProbeRolledBack
    except _ProbeRolledBack:
        return True
    except Exception as exc:  # a health check reports, never raises; details go to the log
        log.warning("Readiness: the database refuses writes (%s: %s)", type(exc).__name__, exc)
        return False


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # PostgreSQL takes writes unless it is a replica, which DATABASE_URL never names.
    if connection.vendor == "sqlite" and not database_writable():
        return "read_only"
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "no configurado (modo embebido)"
    return redis_health.check_cache()


@never_cache
def liveness(request: HttpRequest) -> JsonResponse:
    """`/salud/vivo/`: the process answers; touches no database and no broker, so a restart
    is never ordered because a dependency is down."""
    return JsonResponse({"status": "ok"})


def _readiness() -> tuple[dict[str, Any], int]:
    """The readiness answer's body and HTTP status (below)."""
    checks: dict[str, str] = {}
    try:
        checks["database"] = _check_database()
    except Exception:  # a health check reports, never raises; details go to the log only
        log.warning("Readiness check database failed", exc_info=True)
        checks["database"] = "error"
    if checks["database"] != "ok":
        return {"status": "error", "checks": checks}, 503
    checks["redis"] = _check_redis()
    figures = selectors.outbox_figures()
    body: dict[str, Any] = {
        "checks": checks,
        # English keys whatever the outbox stores ("fallido", "pendiente"): probes and
        # dashboards read these names, so they stay when the stored values change.
        "outbox": {
            "failed": figures.failed,
            "overdue": figures.overdue,
            "oldest_pending_seconds": round(figures.oldest_pending_seconds),
        },
    }
    degraded = checks["redis"] in {redis_health.TIMEOUT, redis_health.ERROR}
    degraded = degraded or figures.failed > 0 or figures.overdue > 0
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # the embedded mode runs no beat
        age = heartbeat.beat_heartbeat_age()
        stale = heartbeat.beat_is_stale(age)
        body["beat"] = {"stale": stale, "age_seconds": None if age is None else round(age)}
        degraded = degraded or stale
    return {"status": "degraded" if degraded else "ok", **body}, 200


# Who reads the readiness details: the probes and monitors of our own network (as
# portal.ratelimit.client_ip sees the address), or whoever holds METRICS_TOKEN. Listed rather
# than ipaddress's is_private, which also counts documentation and Teredo (2001::/32)
# addresses, the latter reachable from anywhere.
_PRIVATE_NETWORKS = tuple(
    ip_network(network)
    for network in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
        "127.0.0.0/8", "::1/128",  # loopback
        "169.254.0.0/16", "fe80::/10",  # link-local
        "fc00::/7",  # IPv6 unique local
    )
)  # fmt: skip


def from_private_network(request: HttpRequest) -> bool:
    """Whether the request's client address is private, loopback or link-local."""
    try:
        address = ip_address(ratelimit.client_ip(request))
    except ValueError:  # "unknown": no address at all
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1, as a dual-stack socket reports it
    return any(address in network for network in _PRIVATE_NETWORKS)


class _RecentReadiness:
    """The status word and HTTP status of a readiness check at most `seconds` old, made in
    this process: any number of public calls costs one check per process per period, and no
    counter to write either (a rate limit would write one per call)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._answer: tuple[float, str, int] | None = None

    def get(self) -> tuple[str, int]:
        with self._lock:  # threads that arrive meanwhile wait for this check, not run theirs
            if self._answer is None or time.monotonic() - self._answer[0] >= self.seconds:
                body, status = _readiness()
                self._answer = (time.monotonic(), body["status"], status)
            return self._answer[1], self._answer[2]

    def forget(self) -> None:
        with self._lock:
            self._answer = None


PUBLIC_READINESS = _RecentReadiness(seconds=5.0)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """`/salud/`: readiness. 503 only when this pod cannot serve: its database does not
    answer (or, embedded, takes no write). "degraded" (still 200) when Redis does not answer
    (limits count in the database, mail waits for beat: every pod is in the same state, and
    pulling them all out would be an outage), with failed or overdue outbox rows, or a stale
    beat. The checks and counts (no addresses, versions or error texts) only for a bearer of
    METRICS_TOKEN or a private address (the probes, checked afresh on every call); anyone
    else gets the status word alone, with the same HTTP status, from PUBLIC_READINESS."""
    if metrics.bearer_authorized(request) or from_private_network(request):
        body, status = _readiness()
        return JsonResponse(body, status=status)
    word, status = PUBLIC_READINESS.get()
    return JsonResponse({"status": word}, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: our page, rendered from settings alone. Django's default context
    processors would read the session and the user, from the database that may be the very
    thing down; the request id lets support find the error's log lines."""
    context = {
        "brand": settings.PORTAL_BRAND,
        "call_center": call_center_link(),
        "today": timezone.localdate(),
        "today_label": today_label(timezone.localdate(), translation.get_language()),
        "request_id": request_id.get(),
    }
    return HttpResponseServerError(render_to_string("500.html", context))


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
    message = texts.ACCOUNT_LOCKED % {"minutes": account_services.lockout_minutes()}
    context = {"message": message, "password_reset_url": reset_url}
    return render(request, "portal/locked.html", context, status=200)


def captcha_refresh(request: HttpRequest) -> HttpResponse:
    """simple-captcha's refresh, limited per IP (RATE_LIMITS["captcha_refresh"])."""
    from captcha.views import captcha_refresh as refresh

    if not ratelimit.consume("captcha_refresh", ip=ratelimit.client_ip(request)):
        return JsonResponse({"error": "demasiadas solicitudes"}, status=429)
    response: HttpResponse = refresh(request)  # simple-captcha ships no types
    return response


def captcha_image(request: HttpRequest, key: str | None, scale: int = 1) -> HttpResponseBase:
    """simple-captcha's image of a challenge (drawn anew on each request), limited per IP
    (RATE_LIMITS["captcha_image"]). `key` None: a spelling of the path our routes do not
    name, counted all the same and not found."""
    from captcha.views import captcha_image as image

    if not ratelimit.consume("captcha_image", ip=ratelimit.client_ip(request)):
        refused = _("Pediste la imagen demasiadas veces. Inténtalo más tarde.")
        return HttpResponse(refused, status=429, content_type="text/plain; charset=utf-8")
    if key is None:
        raise Http404
    response: HttpResponseBase = image(request, key, scale=scale)  # a PNG, or a 410 or 404
    return response


def captcha_audio(request: HttpRequest, key: str | None) -> HttpResponseBase:
    """simple-captcha's spoken challenge (a WAV file, never the answer as text), limited per
    IP (RATE_LIMITS["captcha_audio"]); not found when CAPTCHA_FLITE_PATH is unset. `key`
    None: a spelling of the path our routes do not name, counted all the same and not found."""
    from captcha.views import captcha_audio as audio

    if not settings.CAPTCHA_FLITE_PATH:
        raise Http404
    if not ratelimit.consume("captcha_audio", ip=ratelimit.client_ip(request)):
        refused = _("Pediste el audio demasiadas veces. Inténtalo más tarde.")
        return HttpResponse(refused, status=429, content_type="text/plain; charset=utf-8")
    if key is None:
        raise Http404
    response: HttpResponseBase = audio(request, key)  # a ranged file response, or a 410
    return response


# --- Favicon, app icons and the web app manifest (portal.icons) -----------------------------

# Drawn from PORTAL_BRAND, which changes only with a restart: a day in caches is safe.
ICON_MAX_AGE = 24 * 60 * 60


def _icon_response(content: bytes | str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={ICON_MAX_AGE}"
    return response


def favicon_svg(request: HttpRequest) -> HttpResponse:
    """`/favicon.svg`: the logotype's shield with the brand's initial."""
    svg = render_to_string(
        "portal/includes/logo_mark.svg", {"initial": icons.initial(settings.PORTAL_BRAND)}
    )
    return _icon_response(svg, "image/svg+xml")


def favicon_ico(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico`, which browsers and crawlers ask for whatever the page links."""
    return _icon_response(icons.ico(settings.PORTAL_BRAND), "image/x-icon")


def app_icon(request: HttpRequest, size: int) -> HttpResponse:
    """A home-screen icon: `/apple-touch-icon.png` (180 px, also asked for by iOS unlinked)
    and the manifest's `/icon-192.png` and `/icon-512.png`."""
    return _icon_response(icons.png(settings.PORTAL_BRAND, size, tile=True), "image/png")


def web_manifest(request: HttpRequest) -> HttpResponse:
    """`/manifest.webmanifest`: the name and icons of the portal added to a home screen, in the
    language of the request."""
    document = icons.manifest(
        name=settings.PORTAL_BRAND,
        description=_("Portal de clientes y agentes de %(brand)s.")
        % {"brand": settings.PORTAL_BRAND},
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    return _icon_response(document, "application/manifest+json")
