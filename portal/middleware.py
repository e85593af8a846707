"""Site-wide request handling: the access log line and request id, the account gate (the
page a signed-in user must see first: portal.accounts.gate), and NUL bytes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from . import metrics, ratelimit
from .accounts import gate
from .logging import incoming_or_new_request_id, request_id

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


class AccountGateMiddleware:
    """Keep a signed-in user on the page they must see first (portal.accounts.gate): within
    their portal's URL namespace, and for staff in admin; other pages are not touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> HttpResponse | None:
        return gate.redirect_for(request)


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
            return HttpResponseBadRequest(
                "Solicitud inválida.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
