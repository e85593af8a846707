"""The agent portal's accounts: generated usernames (SPXA1522), the manual's expired
temporary password, and contact data confirmed at the first entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from portal.accounts import AccountConfig

if TYPE_CHECKING:
    from portal.models import User


def _personal_data(user: User) -> list[tuple[Any, list[Any]]]:
    """ "Mis datos": the agent's SAA record and access requests with their decisions."""
    from .models import AccessRequest, Agent, Decision

    agents = list(Agent.objects.filter(user=user).select_related("promotoria"))
    requests = list(AccessRequest.objects.filter(agent__in=agents).order_by("-created_at"))
    decisions = list(Decision.objects.filter(request__in=requests).order_by("-decided_at"))
    return [
        (_("Tus datos en el SAA"), agents),
        (_("Tus solicitudes de acceso"), requests),
        (_("Decisiones sobre tus solicitudes"), decisions),
    ]


AGENTS = AccountConfig(
    user_kind="agent",
    namespace="agents",
    display_name=gettext_noop("Agentes"),
    account_page="manage",
    forced_password_change=True,
    contact_confirmation=True,
    personal_data=_personal_data,
)
