"""Account forms shared by the agent and client portals (login, passwords, email, phone)."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from . import ratelimit, services

MSG_LOGIN = _(
    "Usuario o clave incorrectos. Después de varios intentos fallidos el acceso se bloquea "
    "por un tiempo; si olvidaste tu contraseña, recupérala con «¿Olvidaste tu contraseña?»."
)
MSG_TEMPORARY_EXPIRED = _(
    "Tu contraseña temporal ya venció. Solicita una nueva con «¿Olvidaste tu contraseña?» o "
    "comunícate al Call Center %(phone)s."
)
MSG_SAME_PASSWORD = _("La nueva contraseña debe ser diferente a la contraseña actual.")
MSG_PASSWORDS_DIFFER = _("La nueva contraseña y su confirmación no coinciden.")
MSG_WRONG_PASSWORD = _("La contraseña actual es incorrecta.")
MSG_EMAILS_DIFFER = _("El correo electrónico y su confirmación no coinciden.")
MSG_TOO_MANY = _("Se excedió el número de intentos. Espera unos minutos e inténtalo de nuevo.")

phone_validator = RegexValidator(
    r"^\+?[0-9 ()-]{10,20}$",
    _("Escribe un teléfono de 10 dígitos (puedes incluir lada, espacios o guiones)."),
)


def password_rules() -> list[str]:
    """The rules of AUTH_PASSWORD_VALIDATORS, in Spanish, shown before typing."""
    return list(password_validation.password_validators_help_texts())


class LoginForm(auth_forms.AuthenticationForm):
    """Usuario, Clave (001 §4). Only users of `user_kind` may enter; a temporary password
    past its time is refused with its own message (the password was right)."""

    error_messages = {
        "invalid_login": MSG_LOGIN,
        "inactive": MSG_LOGIN,
        "temporary_expired": MSG_TEMPORARY_EXPIRED,
    }
    user_kind = ""
    uppercase_username = False

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Usuario")
        self.fields["password"].label = _("Clave")

    def clean_username(self):
        username = (self.cleaned_data.get("username") or "").strip()
        return username.upper() if self.uppercase_username else username

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if self.user_kind and user.kind != self.user_kind:
            raise self.get_invalid_login_error()
        if services.temporary_password_expired(user):
            raise ValidationError(
                self.error_messages["temporary_expired"],
                code="temporary_expired",
                params={"phone": settings.CALL_CENTER_PHONE},
            )


class AgentLoginForm(LoginForm):
    user_kind = "agent"
    uppercase_username = True  # generated usernames are upper case: SPXA1522


class NewPasswordMixin(forms.Form):
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

    def clean_new_password2(self):
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise ValidationError(MSG_PASSWORDS_DIFFER, code="password_mismatch")
        return second

    def _validate_new(self):
        password = self.cleaned_data.get("new_password2")
        if password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password1", error)


class PasswordChangeForm(NewPasswordMixin):
    """001 §4 "Cambio de contraseña": ID de Usuario, Contraseña actual, Nueva contraseña,
    Confirmar nueva contraseña."""

    username = forms.CharField(label=_("ID de Usuario"), disabled=True, required=False)
    old_password = forms.CharField(
        label=_("Contraseña actual"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["username", "old_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["username"].initial = user.get_username()

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise ValidationError(MSG_WRONG_PASSWORD, code="password_incorrect")
        return old

    def clean(self):
        data = super().clean()
        old, new = data.get("old_password"), data.get("new_password1")
        if old and new and old == new:
            self.add_error("new_password1", MSG_SAME_PASSWORD)
        else:
            self._validate_new()
        return data

    def save(self):
        services.set_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class SetPasswordForm(NewPasswordMixin):
    """A new password from a reset link."""

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        self._validate_new()
        return data

    def save(self, commit=True):
        services.set_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class PasswordResetForm(auth_forms.PasswordResetForm):
    """ "¿Olvidaste tu contraseña?": one answer whether or not the address has an account.

    Per IP, too many requests show an error; per address, extra requests are silently not
    sent (no mail bombing, and nothing tells whether the address exists).
    """

    LIMIT_PER_IP = 20
    LIMIT_PER_EMAIL = 3
    WINDOW = 60 * 60
    portal_name = "Agentes"  # stored in the outbox context: a plain string

    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)

    def __init__(self, *args, client_ip: str = "", user_kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.client_ip = client_ip
        self.user_kind = user_kind

    def clean(self):
        data = super().clean()
        if ratelimit.hit("reset-ip", self.client_ip, self.WINDOW) > self.LIMIT_PER_IP:
            raise ValidationError(MSG_TOO_MANY, code="rate_limited")
        return data

    def get_users(self, email):
        users = super().get_users(email)
        return (u for u in users if not self.user_kind or u.kind == self.user_kind)

    def save(self, *, base_url: str, confirm_url_name: str, **kwargs):
        email = self.cleaned_data["email"].strip().lower()
        if ratelimit.hit("reset-email", email, self.WINDOW) > self.LIMIT_PER_EMAIL:
            return
        users = list(self.get_users(email))
        for user in users:
            services.queue_password_reset(
                user, base_url=base_url, confirm_url_name=confirm_url_name
            )
        if not users:
            services.queue_unknown_account_notice(email, portal=self.portal_name)


class EmailTypedTwiceMixin:
    """`email` and `email_confirmation` must match (any case); `email` kept lower-case."""

    def clean(self):
        data = super().clean()
        email, confirmation = data.get("email"), data.get("email_confirmation")
        if email and confirmation and email.lower() != confirmation.lower():
            self.add_error("email_confirmation", MSG_EMAILS_DIFFER)
        return data

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class EmailChangeForm(EmailTypedTwiceMixin, forms.Form):
    email = forms.EmailField(label=_("Nuevo correo electrónico"), max_length=254)
    email_confirmation = forms.EmailField(
        label=_("Confirmar nuevo correo electrónico"), max_length=254
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de confirmación"),
        max_length=12,
        help_text=_("Los 6 dígitos que enviamos a tu nuevo correo electrónico."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Teléfono de contacto"), max_length=20, validators=[phone_validator]
    )


class ContactForm(PhoneForm):
    """First entry (001 §4): "deberás actualizar tu correo electrónico y teléfono de
    contacto"."""

    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)
    field_order = ["email", "phone"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
