"""The agent request wizard's forms, with the manual's messages verbatim."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from portal import ratelimit
from portal.accounts.forms import EmailTypedTwiceMixin
from portal.captcha import CaptchaWidget
from portal.wizards import IdentifyOnceForm

from . import services
from .models import AccessRequest, Agent, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MSG_NO_MATCH = _("Los datos ingresados no coinciden ó el agente no está en vigor.")
MSG_PENDING = _("Ya hay una solicitud para esta clave de agente")
MSG_NO_CHANNEL = _("Se debe seleccionar al menos un canal.")
MSG_NO_ROLE = _("Se debe seleccionar el rol deseado.")
MSG_CAPTCHA = _("El código introducido no coincide con el mostrado.")
MSG_CAPTCHA_LIMIT = _("Demasiados intentos con el código de la imagen. Intenta de nuevo más tarde.")
# "Enviar de nuevo el enlace de estatus": one answer whatever happened (sent, over the limit,
# decided meanwhile), so the button tells nobody more than the pending message did.
MSG_STATUS_LINK_SENT = _(
    "Si la solicitud sigue pendiente, enviamos el enlace al correo con el que se registró."
)
MSG_STATUS_LINK_NOT_IDENTIFIED = _(
    "Para recibir de nuevo el enlace de estatus de tu solicitud, escribe primero tu clave de "
    "agente, tu clave de promotoría y tu RFC, y presiona «Continuar»."
)


def has_access_message(manage_url: str) -> SafeString:
    """The manual's sentence, then a way in for an agent without the password: "Administra
    tu usuario" itself needs the login."""
    return format_html(
        '{} <a href="{}">{}</a>. {} <a href="{}">{}</a> · <a href="{}">{}</a>',
        _(
            "El agente ya cuenta con acceso a los portales disponibles. Favor de dirigirse a la "
            "sección"
        ),
        manage_url,
        _("Administra tu usuario"),
        _("Para entrar:"),
        reverse("agents:login"),
        _("Ingresar al portal de Agentes"),
        reverse("agents:password_reset"),
        _("¿Olvidaste tu contraseña?"),
    )


# A key typed on a phone: the number pad, no autofill from other sites' fields.
KEY_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


class IdentifyAgentForm(IdentifyOnceForm):
    """Step "Identificar Agente"; `verified` is `{"fp", "agent"}` from the wizard's storage."""

    # The SAA's keys are digits: a phone opens its number pad (type stays text, so a leading
    # zero and any key the SAA may add with a letter are still typed as they are).
    clave_agente = forms.CharField(
        label=_("Clave de agente"), max_length=20, widget=forms.TextInput(attrs=KEY_ATTRS)
    )
    clave_promotoria = forms.CharField(
        label=_("Clave Promotoría"), max_length=20, widget=forms.TextInput(attrs=KEY_ATTRS)
    )
    rfc = forms.CharField(
        label=_("RFC"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    refused_by = (services.IdentificationError,)

    def __init__(
        self,
        *args: Any,
        manage_url: str = "",
        load_agent: Callable[[int], Agent | None] | None = None,
        describe_pending: Callable[[AccessRequest], StrOrPromise] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.manage_url = manage_url
        # The wizard's "Ya hay una solicitud" with the request's dates and the button to send
        # its status link again; without it, the manual's sentence alone.
        self.describe_pending = describe_pending
        # How `restore` reads the verified agent: the wizard passes its per-request read,
        # so the final re-validation does not read the agent again.
        self.load_agent = load_agent or (lambda pk: Agent.objects.filter(pk=pk).first())
        self.agent: Agent | None = None

    def identify(self, data: dict[str, Any]) -> None:
        self.agent = services.identify_agent(
            clave_agente=data["clave_agente"],
            clave_promotoria=data["clave_promotoria"],
            rfc=data["rfc"],
            ip=self.client_ip,
        )

    def restore(self, verified: dict[str, Any]) -> bool:
        self.agent = self.load_agent(verified["agent"])
        return self.agent is not None

    def refusal(self, error: Exception) -> ValidationError:
        """The manual's message for why this agent cannot request access now."""
        if isinstance(error, services.AgentHasAccess):
            return ValidationError(has_access_message(self.manage_url), code="has_access")
        if isinstance(error, services.RequestPending):
            pending, describe = error.request, self.describe_pending
            message = describe(pending) if pending and describe else MSG_PENDING
            return ValidationError(message, code="pending")
        return ValidationError(MSG_NO_MATCH, code="no_match")


class ChannelsForm(forms.Form):
    """Step "Datos generales y Canales disponibles": the agent's channels to choose from."""

    channels = forms.MultipleChoiceField(
        label=_("Canales de Venta Disponibles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": MSG_NO_CHANNEL, "invalid_choice": MSG_NO_CHANNEL},
    )

    def __init__(self, *args: Any, channels: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        """`channels`: the identified agent's, (pk, name), as step 1 read them; the request
        itself is checked against the agent's channels of the moment when it is filed."""
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["channels"])
        field.choices = [(str(pk), name) for pk, name in channels]
        if len(field.choices) == 1:
            # One channel is no choice: ticked, as the manual's screen shows it, so nobody
            # meets "Se debe seleccionar al menos un canal." for not ticking the only box.
            field.initial = [field.choices[0][0]]


class RoleForm(forms.Form):
    """Step "Datos Individual Privado": the desired role."""

    role = forms.ModelChoiceField(
        label=_("Rol Deseado"),
        queryset=Role.objects.filter(active=True),
        empty_label=_("Selecciona…"),
        error_messages={"required": MSG_NO_ROLE, "invalid_choice": MSG_NO_ROLE},
    )

    def __init__(
        self, *args: Any, roles: Sequence[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        """`roles`: the choices to show, (pk, name), as read with the agent, so showing the
        step reads no row; a posted role is still looked up among the active ones."""
        super().__init__(*args, **kwargs)
        if roles:
            field = cast(forms.ModelChoiceField, self.fields["role"])  # type: ignore[type-arg]
            field.choices = [("", field.empty_label), *((str(pk), name) for pk, name in roles)]


class BurntCaptchaField(CaptchaField):  # type: ignore[misc]
    """simple-captcha deletes a challenge only when answered right; burn it on any answer
    so a wrong guess cannot be retried against the same image.

    `on_wrong` is called for a wrong answer to a challenge that still existed: one call per
    challenge, so formtools' re-validation of a burnt one never counts twice.
    """

    on_wrong: Callable[[], None] | None = None

    def clean(self, value: Any) -> Any:
        hashkey = value[0] if isinstance(value, list | tuple) and value else ""
        live = bool(hashkey) and CaptchaStore.objects.filter(hashkey=hashkey).exists()
        try:
            return super().clean(value)
        except ValidationError:
            if live and self.on_wrong is not None:
                self.on_wrong()
            raise
        finally:
            if hashkey:
                CaptchaStore.objects.filter(hashkey=hashkey).delete()


class SubmitRequestForm(EmailTypedTwiceMixin, forms.Form):
    """Step "Envío de solicitud": email twice and the captcha."""

    email = forms.EmailField(
        label=_("Correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirmation = forms.EmailField(
        label=_("Confirmar correo electrónico"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    captcha = BurntCaptchaField(
        label=_("Código de verificación"),
        help_text=_("Escribe los caracteres que ves en la imagen, en mayúsculas o minúsculas."),
        widget=CaptchaWidget(),
        error_messages={"invalid": MSG_CAPTCHA, "required": MSG_CAPTCHA},
    )

    def __init__(
        self,
        *args: Any,
        captcha_verified: bool = False,
        captcha_keys: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.captcha_keys = captcha_keys
        if captcha_verified:
            # Verified once already: formtools' final re-validation must not ask again.
            del self.fields["captcha"]
        elif captcha_keys is not None:
            keys = captcha_keys

            def count_wrong_answer() -> None:
                ratelimit.consume("captcha", **keys)

            cast(BurntCaptchaField, self.fields["captcha"]).on_wrong = count_wrong_answer

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            "captcha" in self.fields
            and self.captcha_keys is not None
            and ratelimit.exceeded("captcha", **self.captcha_keys)
        ):
            # Past the limit even a right answer is refused, whatever image it was for: a
            # fresh challenge from /captcha/refresh/ is not a fresh allowance.
            self.errors.pop("captcha", None)
            self.add_error("captcha", ValidationError(MSG_CAPTCHA_LIMIT, code="limited"))
        return cleaned


class AgentSearchForm(forms.Form):
    """Búsqueda de Agentes on the agent portal's home."""

    numero = forms.CharField(
        label=_("Numero de Agente"), max_length=20, widget=forms.TextInput(attrs=KEY_ATTRS)
    )
