"""The agent access request's four steps as stock forms over Alta's agent models."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField
from django import forms
from django.core.exceptions import ValidationError

from agents.models import AccessRequest, Agent, Channel, Role


class IdentifyForm(forms.Form):
    """Step 1: the agent named by the three keys, in vigor, without access or a pending
    request; formtools validates it again before `done`."""

    clave_agente = forms.CharField(label="Clave de agente", max_length=20)
    clave_promotoria = forms.CharField(label="Clave Promotoría", max_length=20)
    rfc = forms.CharField(label="RFC", max_length=20)

    agent: Agent | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        agent = Agent.objects.filter(
            clave_agente__iexact=data["clave_agente"],
            promotoria__clave__iexact=data["clave_promotoria"],
            rfc__iexact=data["rfc"],
            en_vigor=True,
        ).first()
        if agent is None:
            raise ValidationError("Los datos ingresados no coinciden ó el agente no está en vigor.")
        if agent.user_id is not None:
            raise ValidationError("El agente ya cuenta con acceso a los portales disponibles.")
        if agent.requests.filter(status=AccessRequest.Status.PENDING).exists():
            raise ValidationError("Ya hay una solicitud para esta clave de agente")
        self.agent = agent
        return data


class ChannelsForm(forms.Form):
    """Step 2: the identified agent's channels to choose from."""

    channels = forms.MultipleChoiceField(
        label="Canales de Venta Disponibles", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, agent_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = Channel.objects.filter(agent=agent_id) if agent_id else Channel.objects.none()
        self.fields["channels"].choices = [(str(c.pk), c.name) for c in channels]


class RoleForm(forms.Form):
    """Step 3: the desired role."""

    role = forms.ModelChoiceField(label="Rol Deseado", queryset=Role.objects.filter(active=True))


class SubmitForm(forms.Form):
    """Step 4: the email twice and simple-captcha's stock field. `captcha_passed`: answered
    right on this step's POST already, so formtools' revalidation before `done` (the
    challenge is deleted once answered) does not ask again."""

    email = forms.EmailField(label="Correo electrónico", max_length=254)
    email_confirmation = forms.EmailField(label="Confirmar correo electrónico", max_length=254)
    captcha = CaptchaField(label="Código de verificación")

    def __init__(self, *args: Any, captcha_passed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if captcha_passed:
            del self.fields["captcha"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("email") and data.get("email") != data.get("email_confirmation"):
            self.add_error("email_confirmation", "Los correos no coinciden.")
        return data
