"""Account forms of both portals; labels and checks adapt to the portal's AccountConfig."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal import ratelimit, texts
from portal.models import User

from . import AccountConfig, services
from .password_rules import Rule, checklist, validate_password

phone_validator = RegexValidator(r"^\+?[0-9 ()-]{10,20}$", texts.PHONE_INVALID)


def normalized_phone(value: str) -> str:
    """Digits only (a leading + kept), so "55 1234-5678" and "5512345678" are one number and
    a date like "2024-02-30", which the shape allows, is refused for having 8 digits."""
    digits = re.sub(r"\D", "", value)
    if not 10 <= len(digits) <= 15:
        raise forms.ValidationError(texts.PHONE_INVALID, code="invalid")
    return ("+" if value.strip().startswith("+") else "") + digits


def check_current_password(request: HttpRequest, user: User, password: str) -> None:
    """Raise the field's error unless `password` is `user`'s and the account is not locked."""
    result = services.verify_current_password(request=request, user=user, password=password)
    if result is services.PasswordCheck.LOCKED:
        minutes = services.lockout_minutes()
        raise ValidationError(texts.ACCOUNT_LOCKED, code="locked", params={"minutes": minutes})
    if result is not services.PasswordCheck.OK:
        raise ValidationError(texts.WRONG_PASSWORD, code="password_incorrect")


class LoginForm(auth_forms.AuthenticationForm):
    """Usuario and Contraseña (agents) or Correo electrónico and Contraseña (clients). Only
    the portal's own accounts exist here: a back-office one (which signs in only at /admin/)
    or another portal's is an unknown name, its password never checked. A temporary password
    past its time is refused with its own message (the password was right). The name field
    has the focus on arrival, unless the page shows errors: then their summary has it."""

    def __init__(self, request: HttpRequest | None = None, *args: Any,
                 config: AccountConfig, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(request, *args, **kwargs)
        self.config = config
        invalid = (
            texts.INVALID_LOGIN_EMAIL if config.login_by_email else texts.INVALID_LOGIN_USERNAME
        )
        self.error_messages = {
            **self.error_messages,
            "invalid_login": invalid,
            "inactive": invalid,
            "temporary_expired": texts.TEMPORARY_PASSWORD_EXPIRED,
        }
        username, password = self.fields["username"], self.fields["password"]
        if config.login_by_email:
            username.label, password.label = _("Correo electrónico"), _("Contraseña")
            # The widget's own input type, not an attrs "type": the renderer writes the
            # input_type first, and an attrs one came out as a second type attribute.
            username.widget.input_type = "email"
            username.widget.attrs.update(autocomplete="email")
        else:
            username.label, password.label = _("Usuario"), _("Contraseña")

    def add_error(self, field: str | None, error: Any) -> None:
        # Every error comes through here: validation's, and those a refused POST kept and
        # portal.failed_post gives the form shown after the redirect (without validating).
        # The error summary (portal/includes/errors.html) then takes the focus: a page has
        # one autofocus, and it is the summary, read first by a screen reader.
        super().add_error(field, error)
        self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean_username(self) -> str:
        return self.config.normalize_username(self.cleaned_data.get("username") or "")

    def clean(self) -> dict[str, Any]:
        # Failures from one address whatever the account ("login_ip", far above the account's
        # limit: an office shares one IP) are counted here, on the portals' forms, not by
        # django-axes, which would then lock /admin/ for everyone behind that address.
        ip = ratelimit.client_ip(self.request) if self.request else ratelimit.NO_ADDRESS
        try:
            return ratelimit.limit_failures(
                "login_ip", self._authenticate, failure=ValidationError, ip=ip
            )
        except ratelimit.RateLimited:
            make_password(self.cleaned_data.get("password"))  # a wrong password's hashing time
            minutes = ratelimit.rule("login_ip", "ip").window // 60
            raise ValidationError(
                texts.ACCOUNT_LOCKED, code="locked", params={"minutes": minutes}
            ) from None

    def _authenticate(self) -> dict[str, Any]:
        # AuthenticationForm.clean, telling the backends which portal this is
        # (portal.backends.LockoutBackend refuses the accounts that sign in elsewhere).
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        self.user_cache = authenticate(
            self.request, username=username, password=password, user_kind=self.config.user_kind
        )
        if self.user_cache is None:
            if services.blocked_account_password(
                config=self.config, username=username, password=password
            ):
                raise ValidationError(
                    texts.ACCOUNT_BLOCKED, code="blocked",
                    params={"phone": settings.CALL_CENTER_PHONE},
                )  # fmt: skip
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if user.kind != self.config.user_kind:
            raise self.get_invalid_login_error()
        if services.temporary_password_expired(user):
            raise ValidationError(
                self.error_messages["temporary_expired"],
                code="temporary_expired",
                params={"phone": settings.CALL_CENTER_PHONE},
            )


class SetPasswordForm(forms.Form):
    """The password twice, checked by AUTH_PASSWORD_VALIDATORS: "Nueva contraseña" when it
    replaces one, plain "Contraseña" for a first password (a new client, an agent by link).
    The page lists `password_rules` before the fields; no field carries Django's help text."""

    changes_password = False  # whether the checklist adds "diferente a tu contraseña actual"

    new_password1 = forms.CharField(
        label=_("Nueva contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Confirmar nueva contraseña"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None and not user.has_usable_password():
            self.fields["new_password1"].label = _("Contraseña")
            self.fields["new_password2"].label = _("Confirma tu contraseña")

    def clean_new_password2(self) -> str:
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise ValidationError(texts.PASSWORDS_DIFFER, code="password_mismatch")
        return second or ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.validate_new_password()
        return data

    @property
    def password_rules(self) -> list[Rule]:
        return checklist(self.user, with_current=self.changes_password)

    def validate_new_password(self) -> None:
        password = self.cleaned_data.get("new_password2")
        if password:
            try:
                validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password1", error)

    def save(self, commit: bool = True) -> User:
        services.set_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class PasswordChangeForm(SetPasswordForm):
    """ "Cambio de contraseña": ID de Usuario, Contraseña actual, Nueva contraseña,
    Confirmar nueva contraseña."""

    username = forms.CharField(label=_("ID de Usuario"), disabled=True, required=False)
    old_password = forms.CharField(
        label=_("Contraseña actual"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["username", "old_password", "new_password1", "new_password2"]
    changes_password = True

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.fields["username"].initial = user.get_username()

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        check_current_password(self.request, self.user, old)
        return old

    def validate_new_password(self) -> None:
        old, new = self.cleaned_data.get("old_password"), self.cleaned_data.get("new_password1")
        if old and new and old == new:
            self.add_error("new_password1", texts.SAME_PASSWORD)
        else:
            super().validate_new_password()


class PasswordResetForm(forms.Form):
    """ "¿Olvidaste tu contraseña?": the address, or in a portal that signs in by username
    either one; past the IP's limit the form says so."""

    # Named `email` in both portals: what the clients type, and the parameter links and
    # scripts already post; agents may type their username in it.
    email = forms.EmailField(
        label=_("Correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(
        self, *args: Any, config: AccountConfig, client_ip: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client_ip = client_ip
        if not config.login_by_email:
            self.fields["email"] = forms.CharField(
                label=_("Usuario o correo electrónico"),
                max_length=254,
                widget=forms.TextInput(
                    attrs={"autocomplete": "username", "autocapitalize": "none"}
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not ratelimit.consume("reset_password", ip=self.client_ip):
            raise ValidationError(texts.TOO_MANY_ATTEMPTS, code="rate_limited")
        return data


class EmailTypedTwiceMixin(forms.Form):
    """`email` and `email_confirmation` must match (any case); `email` kept lower-case."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, confirmation = data.get("email"), data.get("email_confirmation")
        if email and confirmation and email.lower() != confirmation.lower():
            self.add_error("email_confirmation", texts.EMAILS_DIFFER)
        return data

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        return email.strip().lower()


class EmailChangeForm(EmailTypedTwiceMixin):
    """The new address twice, and the current password where the portal asks for it."""

    email = forms.EmailField(
        label=_("Nuevo correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirmation = forms.EmailField(
        label=_("Confirmar nuevo correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Contraseña actual"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        # In every portal: whoever holds a session must not move the account's mail (and with
        # it "¿Olvidaste tu contraseña?") to an address of theirs without the password.
        password: str = self.cleaned_data["password"]
        check_current_password(self.request, self.user, password)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email = data.get("email")
        if email and not self.has_error("email_confirmation"):
            if email == (self.user.email or "").lower():
                self.add_error("email", texts.EMAIL_UNCHANGED)
        # Whether another account uses the address is told by the service, under the
        # "email_taken" limit, only once the password was right (the view calls it).
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de confirmación"),
        max_length=12,
        help_text=_("Los 6 dígitos que enviamos a tu nuevo correo electrónico."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Teléfono de contacto"),
        max_length=20,
        validators=[phone_validator],
        widget=forms.TelInput(attrs={"autocomplete": "tel"}),
    )

    def clean_phone(self) -> str:
        return normalized_phone(self.cleaned_data["phone"])


class ContactForm(PhoneForm):
    """First entry: "deberás actualizar tu correo electrónico y teléfono de contacto". A new
    email asks for the current password, as on the email change page."""

    email = forms.EmailField(
        label=_("Correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Contraseña actual"),
        required=False,
        strip=False,
        help_text=_("Sólo si cambias tu correo electrónico."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["email", "phone", "password"]

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        return email.strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        email, password = data.get("email"), data.get("password") or ""
        if email and email != (self.user.email or "").lower():
            if not password:
                self.add_error("password", texts.CURRENT_PASSWORD_REQUIRED)
            else:
                try:
                    check_current_password(self.request, self.user, password)
                except ValidationError as error:
                    self.add_error("password", error)
        return data


# --- Second factor -----------------------------------------------------------------------------


class SecondFactorCodeForm(forms.Form):
    """The 6-digit code an authenticator app shows now."""

    code = forms.CharField(
        label=_("Código de 6 dígitos de tu app de autenticación"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de recuperación"),
        max_length=24,
        help_text=_("Uno de los diez códigos que guardaste al activar el segundo factor."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CurrentPasswordForm(forms.Form):
    """The current password, checked (and counted against the login lockout) on clean."""

    password = forms.CharField(
        label=_("Contraseña actual"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        self.user, self.request = user, request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        check_current_password(self.request, self.user, password)
        return password


class FactorRemoveForm(CurrentPasswordForm):
    """Removing a factor: the password and a current factor (an app's code or a recovery
    code), so a session left open is not enough to take the second factor away."""

    factor = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Código de tu app o un código de recuperación"),
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )
