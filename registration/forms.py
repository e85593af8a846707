"""The client registration wizard's and portal's forms, with the guide's texts (000)."""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal import services as account_services
from portal.codes import Check

from . import services
from .models import Person, RegistrationKey

MSG_NO_MATCH = _(
    "Los datos ingresados no coinciden con nuestros registros. Revísalos e inténtalo de nuevo."
)
MSG_TOO_MANY = _("Se excedió el número de intentos. Espera unos minutos e inténtalo de nuevo.")
MSG_EMAIL_TAKEN = _(
    "Este correo electrónico ya está registrado en otra cuenta. Elige otro o ingresa uno nuevo."
)
MSG_NO_EMAIL = _("Selecciona un correo electrónico de la lista o ingresa uno nuevo.")
MSG_EMAILS_DIFFER = _("El correo electrónico nuevo y su confirmación no coinciden.")
MSG_CODE_WRONG = _("El código no es correcto. Revisa el correo que te enviamos.")
MSG_CODE_EXPIRED = _(
    "El código venció o ya no es válido. Presiona «Reenviar código» para recibir uno nuevo."
)
MSG_CODE_LOCKED = _(
    "Se excedió el número de intentos con este código. Presiona «Reenviar código» para "
    "recibir uno nuevo."
)
POLICY_HELP = _(
    "Lo encuentras en la carátula de tu póliza, en la parte superior derecha, junto a "
    "«Póliza No.», y en tus recibos de pago. Escríbelo sin espacios."
)


def already_registered_message():
    return format_html(
        '{} <a href="{}">{}</a> {} <a href="{}">{}</a>.',
        _("Ya tienes una cuenta en el portal de clientes."),
        reverse("registration:login"),
        _("Ingresa con tu correo y contraseña"),
        _("o, si no la recuerdas,"),
        reverse("registration:forgot_password"),
        _("recupera tu contraseña"),
    )


def fingerprint(data: dict) -> str:
    """A digest of what the person typed, to know a step was already checked as is."""
    plain = {k: str(v) for k, v in sorted(data.items())}
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


class _IdentifyBase(forms.Form):
    """Identification is checked once; `verified` (from wizard storage) lets the final
    re-validation pass without counting another attempt (DESIGN, "Known traps")."""

    def __init__(self, *args, client_ip: str = "", verified: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client_ip = client_ip
        self.verified = verified or {}
        self.person: Person | None = None
        self.invitation: RegistrationKey | None = None

    def identify(self, data: dict) -> None:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.verified.get("fp") == fingerprint(data):
            self.person = Person.objects.filter(pk=self.verified.get("person")).first()
            if self.verified.get("invitation"):
                self.invitation = RegistrationKey.objects.filter(
                    pk=self.verified["invitation"]
                ).first()
            if self.person is not None:
                return data
        try:
            self.identify(data)
        except services.TooManyAttempts:
            raise ValidationError(MSG_TOO_MANY, code="rate_limited") from None
        except services.NoMatch:
            raise ValidationError(MSG_NO_MATCH, code="no_match") from None
        except services.AlreadyRegistered:
            raise ValidationError(already_registered_message(), code="registered") from None
        return data


class IdentifyForm(_IdentifyBase):
    """000 paso 2: "Aún no estoy registrado"."""

    numero_poliza = forms.CharField(
        label=_("Número de póliza"), max_length=30, help_text=POLICY_HELP
    )
    nombre = forms.CharField(label=_("Nombre"), max_length=100)
    apellido_paterno = forms.CharField(label=_("Apellido paterno"), max_length=100)
    fecha_nacimiento = forms.DateField(
        label=_("Fecha de nacimiento"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("dd/mm/aaaa"),
        error_messages={"invalid": _("Escribe la fecha de nacimiento como dd/mm/aaaa.")},
    )

    def identify(self, data):
        self.person = services.identify_by_policy(
            data["numero_poliza"],
            data["nombre"],
            data["apellido_paterno"],
            data["fecha_nacimiento"],
            ip=self.client_ip,
        )


class IdentifyKeyForm(_IdentifyBase):
    """000 paso 7: "Recibí un correo para registrarme"."""

    clave_registro = forms.CharField(
        label=_("Clave de registro"),
        max_length=40,
        help_text=_("La encuentras en el correo de invitación que te enviamos."),
    )
    numero_poliza = forms.CharField(
        label=_("Número de póliza"), max_length=30, help_text=POLICY_HELP
    )

    def identify(self, data):
        self.person, self.invitation = services.identify_by_key(
            data["clave_registro"], data["numero_poliza"], ip=self.client_ip
        )


class ProductsForm(forms.Form):
    """000 paso 3: choose the email that will be the username."""

    email_choice = forms.ChoiceField(
        label=_(
            "Selecciona el correo electrónico con el cual quieres que identifiquemos todos "
            "tus productos"
        ),
        widget=forms.RadioSelect,
        required=False,
    )
    new_email = forms.EmailField(
        label=_("o ingresa uno nuevo"),
        max_length=254,
        required=False,
        help_text=_("Si escribes un correo nuevo, será el que usemos."),
    )
    new_email_confirmation = forms.EmailField(
        label=_("Repite el nuevo correo"), max_length=254, required=False
    )

    def __init__(self, *args, person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        emails = list(person.emails.values_list("email", flat=True)) if person else []
        self.fields["email_choice"].choices = [(e, e) for e in emails]
        if not emails:
            del self.fields["email_choice"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.person is not None and self.person.user_id is not None:
            # Registered meanwhile (another tab or device).
            raise ValidationError(already_registered_message(), code="registered")
        new = (data.get("new_email") or "").strip().lower()
        again = (data.get("new_email_confirmation") or "").strip().lower()
        if new or again:
            if new != again:
                self.add_error("new_email_confirmation", MSG_EMAILS_DIFFER)
                return data
            email = new
        else:
            email = (data.get("email_choice") or "").lower()
        if not email:
            raise ValidationError(MSG_NO_EMAIL, code="required")
        if services.email_taken(email, self.person):
            raise ValidationError(MSG_EMAIL_TAKEN, code="taken")
        data["email"] = email
        return data


class TokenForm(forms.Form):
    """000 paso 4: the 6-digit code sent to the chosen email."""

    code = forms.CharField(
        label=_("Código de confirmación (token)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
    )

    def __init__(
        self, *args, person: Person | None = None, email: str = "", verified=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.person = person
        self.email = email
        self.verified = verified

    def clean(self):
        data = super().clean()
        if self.errors or self.verified:
            # Checked once already: the final re-validation must not use the code again.
            return data
        if self.person is None or not self.email:
            raise ValidationError(MSG_CODE_EXPIRED, code="expired")
        result = services.check_registration_code(self.person, self.email, data["code"])
        if result is Check.WRONG:
            raise ValidationError(MSG_CODE_WRONG, code="wrong")
        if result is Check.LOCKED:
            raise ValidationError(MSG_CODE_LOCKED, code="locked")
        if result is Check.EXPIRED:
            raise ValidationError(MSG_CODE_EXPIRED, code="expired")
        return data


# --- client portal ------------------------------------------------------------------------
class ClientLoginForm(auth_forms.AuthenticationForm):
    """Login by email (the username chosen in 000 paso 3) and password."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("El correo electrónico o la contraseña no son correctos."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Correo electrónico")
        self.fields["username"].widget.attrs.update(type="email", autocomplete="email")
        self.fields["password"].label = _("Contraseña")

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.kind != get_user_model().Kind.CLIENT:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)


class SetPasswordForm(auth_forms.SetPasswordForm):
    """000 paso 6; Django's validators (AUTH_PASSWORD_VALIDATORS) decide."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Contraseña")
        self.fields["new_password1"].help_text = ""
        self.fields["new_password2"].label = _("Confirma tu contraseña")

    def save(self, commit=True):
        # The shared service records the password's age and lifts an axes lockout.
        account_services.set_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Contraseña actual")
        self.fields["new_password1"].label = _("Nueva contraseña")
        self.fields["new_password1"].help_text = ""
        self.fields["new_password2"].label = _("Confirma la nueva contraseña")

    def save(self, commit=True):
        account_services.set_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(label=_("Nuevo correo electrónico"), max_length=254)
    email_confirmation = forms.EmailField(
        label=_("Repite el nuevo correo electrónico"), max_length=254
    )
    password = forms.CharField(label=_("Contraseña actual"), widget=forms.PasswordInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        email = data["email"].strip().lower()
        if email != data["email_confirmation"].strip().lower():
            self.add_error("email_confirmation", MSG_EMAILS_DIFFER)
            return data
        if not self.user.check_password(data["password"]):
            self.add_error("password", _("La contraseña actual no es correcta."))
            return data
        if email == self.user.username.lower():
            self.add_error("email", _("Ése ya es tu correo electrónico."))
            return data
        person = getattr(self.user, "person", None)
        if services.email_taken(email, person):
            self.add_error("email", MSG_EMAIL_TAKEN)
        data["email"] = email
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de confirmación (token)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
