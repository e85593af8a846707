"""Site-wide request handling: the access log line and request id, the page a signed-in
user must see first, and NUL bytes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from . import metrics, notice, ratelimit
from .accounts import config_for, mfa, services
from .logging import incoming_or_new_request_id, request_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

access_log = logging.getLogger("portal.access")

# URL arguments that are secrets (set-password and account-blocking links): the access line
# shows the page, not the key to it.
_SECRET_URL_ARGUMENTS = ("token",)


def loggable_path(request: HttpRequest) -> str:
    """The path without its query string (which may carry a token) and with the secret
    URL arguments of the page masked."""
    path = request.path
    match = request.resolver_match
    for name, value in match.kwargs.items() if match is not None else ():
        if name in _SECRET_URL_ARGUMENTS and isinstance(value, str) and value:
            path = path.replace(value, "[oculto]")
    return path


class AccessLogMiddleware:
    """First in MIDDLEWARE: one line per request (what gunicorn's access log would say, plus
    the request id, minus the query string), the request id in the response's X-Request-ID,
    and the request counted for /metricas/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_or_new_request_id(request.headers.get("X-Request-ID"))
        context = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = rid
            metrics.observe_request(request.method or "", response.status_code, seconds)
            path = loggable_path(request)
            access_log.info(
                "%s %s %s %.0f ms",
                request.method, path, response.status_code, seconds * 1000,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "client_ip": ratelimit.client_ip(request),
                },
            )  # fmt: skip
            return response
        finally:
            request_id.reset(context)


def pending_page(request: HttpRequest) -> str | None:
    """The URL name of the page a signed-in user must visit before any other of its portal:
    the second factor enrolled in this account (or, where required, its enrolment) → its
    page; a temporary or too old password → "Cambio de contraseña"; contact data not yet
    confirmed (where the portal asks) → the confirmation page; a privacy notice newer than
    the one accepted → "Aviso de privacidad actualizado"."""
    user: User | AnonymousUser | None = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    config = config_for(user)
    if config is None:
        return None
    second_factor = mfa.stage(request)
    if second_factor is mfa.Stage.VERIFY:
        return config.url_name("mfa_verify")
    if services.password_needs_change(user):
        return config.url_name("password_change")
    if config.first_entry_checks and user.contact_confirmed_at is None:
        return config.url_name("confirm_contact")
    if second_factor is mfa.Stage.ENROL:
        return config.url_name("mfa_setup")
    if notice.must_read(request):
        return config.url_name("privacy_notice")
    return None


# The second-factor pages a session that has not passed it may open (with logout).
_SECOND_FACTOR_PAGES = {
    mfa.Stage.VERIFY: {"mfa_verify", "mfa_recovery", "passkey_verify_begin",
                       "passkey_verify_complete"},
    mfa.Stage.ENROL: {"mfa_setup", "mfa_app", "mfa_recovery_codes", "passkey_register_begin",
                      "passkey_register_complete"},
}  # fmt: skip


class AccountGateMiddleware:
    """Keep a signed-in user on `pending_page` within their portal's URL namespace; other
    pages (the other portal, the home page) are not touched. Staff in admin are kept on the
    second-factor pages (namespace "backoffice") the same way until the session passed it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> HttpResponse | None:
        user = getattr(request, "user", None)
        match = request.resolver_match
        if user is None or match is None or not user.is_authenticated:
            return None
        if "admin" in match.namespaces or "backoffice" in match.namespaces:
            return _staff_gate(request, match.namespaces, match.url_name or "")
        config = config_for(user)
        if config is None or config.namespace not in match.namespaces:
            return None
        target = pending_page(request)
        here = match.view_name
        if target is None or here in (target, config.url_name("logout")):
            return None
        stage = mfa.stage(request)
        if (
            stage is not mfa.Stage.DONE
            and (match.url_name or "") in _SECOND_FACTOR_PAGES.get(stage, set())
            and target.endswith(":mfa_verify" if stage is mfa.Stage.VERIFY else ":mfa_setup")
        ):
            return None
        if target == config.url_name("password_change"):
            return redirect(target)
        if here == config.url_name("email_confirm"):  # the code sent to a new email
            return None
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


def _staff_gate(request: HttpRequest, namespaces: list[str], url_name: str) -> HttpResponse | None:
    """Staff: /admin/ only once this session passed the second factor (or enrolled one where
    STAFF_MFA requires it); admin's own login and logout are always open."""
    if mfa.account_kind(request.user) != "staff":  # type: ignore[arg-type]
        return None
    stage = mfa.stage(request)
    if stage is mfa.Stage.DONE or url_name in ("login", "logout") and "admin" in namespaces:
        return None
    if "backoffice" in namespaces and url_name in _SECOND_FACTOR_PAGES[stage] | {"logout"}:
        return None
    target = "backoffice:mfa_verify" if stage is mfa.Stage.VERIFY else "backoffice:mfa_setup"
    url = reverse(target)
    if request.method == "GET" and "admin" in namespaces:
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class RejectNulMiddleware:
    """A NUL character in the path or query string gets a 400: PostgreSQL refuses NUL in
    text, and Django admin passes filter and search values to the database unchecked; our
    forms already refuse NUL with a message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest("Solicitud inválida.")
        return self.get_response(request)
