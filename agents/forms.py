"""The agent request wizard's forms, with the manual's messages verbatim (001 §3.3–3.6)."""

from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.forms import EmailTypedTwiceMixin

from . import services
from .models import Role

MSG_NO_MATCH = _("Los datos ingresados no coinciden ó el agente no está en vigor.")
MSG_PENDING = _("Ya hay una solicitud para esta clave de agente")
MSG_NO_CHANNEL = _("Se debe seleccionar al menos un canal.")
MSG_NO_ROLE = _("Se debe seleccionar el rol deseado.")
MSG_CAPTCHA = _("El código introducido no coincide con el mostrado.")
MSG_TOO_MANY = _("Se excedió el número de intentos. Espera unos minutos e inténtalo de nuevo.")


def has_access_message(manage_url: str):
    return format_html(
        '{} <a href="{}">{}</a>',
        _(
            "El agente ya cuenta con acceso a los portales disponibles. Favor de dirigirse a la "
            "sección"
        ),
        manage_url,
        _("Administra tu usuario"),
    )


class IdentifyAgentForm(forms.Form):
    """001 §3.3 "Identificar Agente"."""

    clave_agente = forms.CharField(label=_("Clave de agente"), max_length=20)
    clave_promotoria = forms.CharField(label=_("Clave Promotoría"), max_length=20)
    rfc = forms.CharField(label=_("RFC"), max_length=20)

    def __init__(self, *args, client_ip: str = "", manage_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.client_ip = client_ip
        self.manage_url = manage_url
        self.agent = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.agent = services.identify_agent(
                data["clave_agente"], data["clave_promotoria"], data["rfc"], ip=self.client_ip
            )
        except services.TooManyAttempts:
            raise ValidationError(MSG_TOO_MANY, code="rate_limited") from None
        except services.AgentNotFound:
            raise ValidationError(MSG_NO_MATCH, code="no_match") from None
        except services.AgentHasAccess:
            raise ValidationError(has_access_message(self.manage_url), code="has_access") from None
        except services.RequestPending:
            raise ValidationError(MSG_PENDING, code="pending") from None
        return data


class ChannelsForm(forms.Form):
    """001 §3.4 "Datos generales y Canales disponibles"."""

    channels = forms.MultipleChoiceField(
        label=_("Canales de Venta Disponibles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": MSG_NO_CHANNEL, "invalid_choice": MSG_NO_CHANNEL},
    )

    def __init__(self, *args, agent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent
        channels = agent.channels.all() if agent else []
        self.fields["channels"].choices = [(str(c.pk), c.name) for c in channels]


class RoleForm(forms.Form):
    """001 §3.5 "Datos Individual Privado"."""

    role = forms.ModelChoiceField(
        label=_("Rol Deseado"),
        queryset=Role.objects.filter(active=True),
        empty_label=_("Selecciona…"),
        error_messages={"required": MSG_NO_ROLE, "invalid_choice": MSG_NO_ROLE},
    )


class BurntCaptchaField(CaptchaField):
    """simple-captcha deletes a challenge only when answered right; burn it on any answer
    so a wrong guess cannot be retried against the same image (DESIGN, "Known traps")."""

    def clean(self, value):
        try:
            return super().clean(value)
        finally:
            hashkey = value[0] if isinstance(value, list | tuple) and value else ""
            if hashkey:
                CaptchaStore.objects.filter(hashkey=hashkey).delete()


class SubmitRequestForm(EmailTypedTwiceMixin, forms.Form):
    """001 §3.6 "Envío de solicitud": email twice and the captcha."""

    email = forms.EmailField(label=_("Correo electrónico"), max_length=254)
    email_confirmation = forms.EmailField(label=_("Confirmar correo electrónico"), max_length=254)
    captcha = BurntCaptchaField(
        label=_("Código de verificación"),
        help_text=_("Escribe los caracteres que ves en la imagen."),
        error_messages={"invalid": MSG_CAPTCHA, "required": MSG_CAPTCHA},
    )

    def __init__(self, *args, captcha_verified: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if captcha_verified:
            # Verified once already; the final re-validation must not ask again (formtools #21).
            del self.fields["captcha"]
