"""Passkeys (WebAuthn) as a second factor, on django-otp-webauthn: the JSON endpoints that
static/js/passkeys.js calls to enrol one (registration) and to show one after the password
(authentication). Never a login of their own (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN off).

Each view is mounted per portal, and for staff under /admin/, with that AccountConfig as
`config` (portal.accounts.urls); a session may enrol at stage ENROL or DONE and authenticate
at stage VERIFY only (portal.accounts.mfa). Failed assertions count in the "second_factor"
rate limit, with app and recovery codes.
"""

from __future__ import annotations

from logging import getLogger
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views import View
from django_otp_webauthn import exceptions
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)
from webauthn.helpers import decode_credential_public_key, decoded_public_key_to_cryptography
from webauthn.helpers.exceptions import WebAuthnException

from portal import texts

from . import AccountConfig, mfa
from .views import safe_next

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from portal.models import User

Stage = mfa.Stage
_NAME_LENGTH = 64  # django-otp's Device.name
# What py_webauthn raises on some malformed answers besides the errors the library rewrites
# into 4xx answers (a COSE key without its algorithm is a KeyError): a refusal, never a 500.
_MALFORMED = (WebAuthnException, KeyError, IndexError, TypeError, ValueError, AttributeError)


# --- Refusals (JSON: {"detail", "code"}, as the library answers its own) --------------------


class WrongAccount(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 403
    default_code = "wrong_account"  # another portal's user, or staff in a portal


class WrongStage(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 403
    default_code = "wrong_stage"  # e.g. enrolling before showing the factor already enrolled


class NoPasskey(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 403
    default_code = "no_passkey"


class AlreadyRegistered(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 409
    default_code = "already_registered"


class Locked(exceptions.OTPWebAuthnApiError):  # type: ignore[misc]
    status_code = 429
    default_code = "locked"


def locked() -> Locked:
    """Past the "second_factor" limit: the sentence the code forms show, for the page."""
    # The lazy plural picks its form from the dict: str() of it first would be "".
    return Locked(detail=str(texts.SECOND_FACTOR_LOCKED % {"minutes": mfa.limited_minutes()}))


# --- Services --------------------------------------------------------------------------------


def passkey_name(user: User) -> str:
    """ "Llave de acceso agregada el 5 de marzo de 2026" (numbered after a first one of the
    same day), so "Administra tu Usuario" tells them apart."""
    base = gettext("Llave de acceso agregada el %(date)s") % {
        "date": date_format(timezone.localdate(), "DATE_FORMAT")
    }
    taken = set(WebAuthnCredential.objects.filter(user=user).values_list("name", flat=True))
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} ({number})"
    return name[:_NAME_LENGTH]


class PasskeyHelper(WebAuthnHelper):  # type: ignore[misc]
    """The library's ceremonies, with our name on each new credential."""

    def create_credential(
        self, user: User, response: Any, *args: Any, **kwargs: Any
    ) -> WebAuthnCredential:
        # With "none" attestation nothing has used the public key yet: one that cannot be
        # loaded would be kept, and then fail at every sign-in.
        try:
            decoded_public_key_to_cryptography(
                decode_credential_public_key(response.credential_public_key)
            )
        except _MALFORMED as error:
            raise exceptions.UnprocessableEntity(code="unsupported_public_key") from error
        credential = super().create_credential(user, response, *args, **kwargs)
        credential.name = passkey_name(user)
        return credential


def widget_config(request: HttpRequest, *, account: AccountConfig, ceremony: str,
                  next_url: str = "") -> dict[str, str]:  # fmt: skip
    """What static/js/passkeys.js needs for `ceremony` ("register" or "verify") on a page of
    `account`'s portal: the two endpoints and the CSRF token (the cookie is HttpOnly)."""
    begin = reverse(account.url_name(f"passkey_{ceremony}_begin"))
    complete = reverse(account.url_name(f"passkey_{ceremony}_complete"))
    if next_url:
        complete += "?" + urlencode({"next": next_url})
    return {"begin_url": begin, "complete_url": complete, "csrf_token": get_token(request)}


# --- Views -----------------------------------------------------------------------------------


def _pywebauthn_logger() -> Any:
    name = app_settings.OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME
    return getLogger(name) if name else None


class PasskeyEndpoint:
    """Signed in as this portal's kind of user, at a stage this endpoint serves; checked
    before the library's own checks (django_otp_webauthn.views.BaseWebAuthnView.initial)."""

    config: AccountConfig = None  # type: ignore[assignment]  # given to as_view()
    stages: frozenset[Stage] = frozenset()
    request: HttpRequest

    def initial(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        if mfa.account_kind(request.user) != self.config.user_kind:
            raise WrongAccount()
        if mfa.stage(request) not in self.stages:
            raise WrongStage()
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def account_user(self) -> User:
        return cast("User", self.request.user)

    @property
    def body(self) -> Any:
        """The request's JSON, parsed by the library's dispatch (BaseWebAuthnView)."""
        return getattr(self.request, "data", {})

    def get_helper(self) -> PasskeyHelper:
        return PasskeyHelper(request=self.request)


class RegistrationEndpoint(PasskeyEndpoint):
    # Never at VERIFY: a factor already enrolled must be shown before another is added. The
    # library refuses too, for an enrolled session that django-otp does not count verified.
    stages = frozenset({Stage.ENROL, Stage.DONE})

    def check_can_register(self) -> None:
        user = self.account_user
        # Where this kind of account is not offered a factor (and has none), as mfa_setup.
        if not mfa.offered(user):
            raise WrongStage()


class RegisterBeginView(RegistrationEndpoint, BeginCredentialRegistrationView):  # type: ignore[misc]
    """The options for navigator.credentials.create(); the challenge stays in the session."""


class RegisterCompleteView(RegistrationEndpoint, CompleteCredentialRegistrationView):  # type: ignore[misc]
    """The new credential checked and kept under the user's name; the session counts as
    verified; the answer names the page to go next (the recovery codes at a first factor)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        user = self.account_user
        state = self.get_state()  # popped and saved first: a challenge is never used twice
        try:
            with rewrite_exceptions(logger=_pywebauthn_logger()), transaction.atomic():
                credential = self.get_helper().register_complete(
                    user=user, state=state, data=self.body
                )
        except IntegrityError:
            # The same credential id again (a client may send any id with "none" attestation).
            raise AlreadyRegistered() from None
        except _MALFORMED as error:
            raise exceptions.UnprocessableEntity(code="invalid_registration_response") from error
        next_page = mfa.factor_enrolled(request, user, credential, change="passkey_added")
        messages.success(request, texts.SECOND_FACTOR_ADDED)
        return JsonResponse({"redirect_url": next_page})


class AuthenticationEndpoint(PasskeyEndpoint):
    # A second factor only: after the password, before anything else of the portal.
    stages = frozenset({Stage.VERIFY})

    def check_can_authenticate(self) -> None:
        super().check_can_authenticate()  # type: ignore[misc]
        if not mfa.has_passkey(self.account_user):
            raise NoPasskey()


class VerifyBeginView(AuthenticationEndpoint, BeginCredentialAuthenticationView):  # type: ignore[misc]
    """The options for navigator.credentials.get(), listing the user's passkeys."""


class VerifyCompleteView(AuthenticationEndpoint, CompleteCredentialAuthenticationView):  # type: ignore[misc]
    """The assertion checked against the user's own passkeys: the session passes the second
    factor; a failure counts in the "second_factor" limit, and past it the answer is 429."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        user = self.account_user
        state = self.get_state()  # popped and saved first: a challenge is never used twice
        if mfa.second_factor_locked(request, user):
            raise locked()
        try:
            credential = self._checked(user, state, self.body)
        except exceptions.OTPWebAuthnApiError:
            if mfa.failed_attempt(request, user) is mfa.Check.LOCKED:
                raise locked() from None
            raise
        mfa.mark_verified(request, credential)
        next_url = safe_next(request) or resolve_url(self.config.home_url_name)
        return JsonResponse({"redirect_url": next_url})

    def _checked(self, user: User, state: dict[str, Any], data: Any) -> WebAuthnCredential:
        """The user's confirmed credential that signed this challenge, or an API error."""
        try:
            with rewrite_exceptions(logger=_pywebauthn_logger()):
                credential = self.get_helper().authenticate_complete(
                    user=cast("AbstractBaseUser", user), state=state, data=data
                )
        except _MALFORMED as error:
            raise exceptions.UnprocessableEntity(code="invalid_authentication_response") from error
        self.check_device_usable(credential)  # confirmed, and its user active
        return cast(WebAuthnCredential, credential)


# URL name → (route under the portal's account URLs, view), mounted by portal.accounts.urls
# in every portal and for staff, each with its AccountConfig.
PASSKEY_PAGES: dict[str, tuple[str, type[View]]] = {
    "passkey_register_begin": ("segundo-factor/llave/registro/inicio/", RegisterBeginView),
    "passkey_register_complete": ("segundo-factor/llave/registro/fin/", RegisterCompleteView),
    "passkey_verify_begin": ("segundo-factor/llave/verificacion/inicio/", VerifyBeginView),
    "passkey_verify_complete": ("segundo-factor/llave/verificacion/fin/", VerifyCompleteView),
}
