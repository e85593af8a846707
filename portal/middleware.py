"""Site-wide request handling: the page a signed-in user must see first, and NUL bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from .accounts import config_for, services

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User


def pending_page(user: User | AnonymousUser | None) -> str | None:
    """The URL name of the page `user` must visit before any other of its portal: a
    temporary or too old password → "Cambio de contraseña"; contact data not yet confirmed
    (where the portal asks) → the confirmation page."""
    if user is None or not user.is_authenticated:
        return None
    config = config_for(user)
    if config is None:
        return None
    if services.password_needs_change(user):
        return config.url_name("password_change")
    if config.first_entry_checks and user.contact_confirmed_at is None:
        return config.url_name("confirm_contact")
    return None


class AccountGateMiddleware:
    """Keep a signed-in user on `pending_page` within their portal's URL namespace; other
    pages (the other portal, admin, the home page) are not touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> HttpResponse | None:
        user = getattr(request, "user", None)
        config = config_for(user)
        match = request.resolver_match
        if config is None or match is None or config.namespace not in match.namespaces:
            return None
        target = pending_page(user)
        here = match.view_name
        if target is None or here in (target, config.url_name("logout")):
            return None
        if target == config.url_name("password_change"):
            return redirect(target)
        if here == config.url_name("email_confirm"):  # the code sent to a new email
            return None
        url = reverse(target)
        if request.method == "GET":
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
