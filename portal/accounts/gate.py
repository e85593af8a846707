"""The account gate: the page a signed-in user must see before any other of their portal.

In this order: the second factor this session has not shown yet; "Cambio de contraseña" for a
temporary password or, where the portal forces it (`AccountConfig.forced_password_change`),
one past its maximum age; the contact data not yet confirmed, where the portal asks
(`AccountConfig.contact_confirmation`); the second factor's enrolment where it is required;
a privacy notice newer than the one accepted. Staff are held the same way in admin until
their session passed the second factor. `redirect_for` is what AccountGateMiddleware asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from portal import notice

from . import config_for, mfa, services

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User

# The second-factor pages a session that has not passed it may open (with logout).
SECOND_FACTOR_PAGES = {
    mfa.Stage.VERIFY: {
        "mfa_verify", "mfa_recovery", "passkey_verify_begin", "passkey_verify_complete",
    },
    mfa.Stage.ENROL: {
        "mfa_setup", "mfa_app", "mfa_recovery_codes", "passkey_register_begin",
        "passkey_register_complete",
    },
}  # fmt: skip


def pending_page(request: HttpRequest) -> str | None:
    """The URL name of the page the signed-in user must visit first (None: none)."""
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
    if config.contact_confirmation and user.contact_confirmed_at is None:
        return config.url_name("confirm_contact")
    if second_factor is mfa.Stage.ENROL:
        return config.url_name("mfa_setup")
    if notice.must_read(request):
        return config.url_name("privacy_notice")
    return None


def redirect_for(request: HttpRequest) -> HttpResponse | None:
    """Where the gate sends this request instead of its page, or None to let it through."""
    user = getattr(request, "user", None)
    match = request.resolver_match
    if user is None or match is None or not user.is_authenticated:
        return None
    if "admin" in match.namespaces or "backoffice" in match.namespaces:
        return _staff_redirect(request, match.namespaces, match.url_name or "")
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
        and (match.url_name or "") in SECOND_FACTOR_PAGES.get(stage, set())
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


def _staff_redirect(
    request: HttpRequest, namespaces: list[str], url_name: str
) -> HttpResponse | None:
    """Staff: /admin/ only once this session passed the second factor (or enrolled one where
    STAFF_MFA requires it); admin's own login and logout are always open."""
    if mfa.account_kind(request.user) != "staff":  # type: ignore[arg-type]
        return None
    stage = mfa.stage(request)
    if stage is mfa.Stage.DONE or url_name in ("login", "logout") and "admin" in namespaces:
        return None
    if "backoffice" in namespaces and url_name in SECOND_FACTOR_PAGES[stage] | {"logout"}:
        return None
    target = "backoffice:mfa_verify" if stage is mfa.Stage.VERIFY else "backoffice:mfa_setup"
    url = reverse(target)
    if request.method == "GET" and "admin" in namespaces:
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)
