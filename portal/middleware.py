"""Keep a signed-in user on the one page they must visit first (001 §4).

`settings.ACCOUNT_GATES` says, per user kind, which URL namespace is guarded and where to
send the user: a temporary or too old password → "Cambio de contraseña"; contact data not
yet confirmed → the confirmation page. Pages outside the namespace are not touched.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from . import services


def pending_page(user) -> str | None:
    """The URL name of the page `user` must visit before any other, if there is one."""
    if user is None or not user.is_authenticated:
        return None
    gate = settings.ACCOUNT_GATES.get(getattr(user, "kind", ""))
    if not gate:
        return None
    if services.password_needs_change(user):
        return gate["password_change"]
    if gate.get("confirm_contact") and user.contact_confirmed_at is None:
        return gate["confirm_contact"]
    return None


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        gate = settings.ACCOUNT_GATES.get(getattr(user, "kind", ""))
        match = request.resolver_match
        if not gate or match is None or gate["namespace"] not in match.namespaces:
            return None
        name = match.view_name
        target = pending_page(user)
        if target is None or name == target or name in gate.get("exempt", ()):
            return None
        if target == gate["password_change"]:
            return redirect(target)
        if name in gate.get("confirm_contact_also", ()):
            return None
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class RejectNulMiddleware:
    """A NUL character in the path or query string gets a 400. PostgreSQL refuses NUL in
    text, and Django admin passes filter and search values to the database unchecked (a 500
    found by tests/portal/test_fuzz.py); our forms already refuse NUL with a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest("Solicitud inválida.")
        return self.get_response(request)
