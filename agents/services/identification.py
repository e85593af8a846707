"""Who may request access: the agent named by the three keys, in vigor and without access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import AccessRequest, Agent, Channel, Role
from agents.saa import normalize_rfc
from notifications.services import queue_email
from portal import notice, ratelimit
from portal.accounts.services import mask_email

if TYPE_CHECKING:
    from portal.models import User


class IdentificationError(Exception):
    """The typed keys name no agent who may request access now."""


class AgentNotFound(IdentificationError):
    """No such agent, promotoría or RFC, or the agent is not en vigor."""


class AgentHasAccess(IdentificationError):
    """The agent already has a portal user."""


class RequestPending(IdentificationError):
    """The agent already has a request waiting for review: `request`, when it was read."""

    def __init__(self, request: AccessRequest | None = None) -> None:
        super().__init__()
        self.request = request


def _key(value: str) -> str:
    return "".join((value or "").split()).upper()


def find_agent(*, clave_agente: str, clave_promotoria: str, rfc: str) -> Agent:
    """The agent matching all three keys (RFC trimmed, any case) and in vigor, else raise."""
    agent = (
        Agent.objects.select_related("promotoria", "user")
        .filter(
            clave_agente__iexact=_key(clave_agente),
            promotoria__clave__iexact=_key(clave_promotoria),
        )
        .first()
    )
    if agent is None or not agent.en_vigor or agent.rfc.upper() != normalize_rfc(_key(rfc)):
        raise AgentNotFound
    if agent.user_id is not None:
        raise AgentHasAccess
    pending = agent.requests.filter(status=AccessRequest.Status.PENDING).first()
    if pending is not None:
        raise RequestPending(pending)
    return agent


def identify_agent(*, clave_agente: str, clave_promotoria: str, rfc: str, ip: str = "") -> Agent:
    """`find_agent`, refused past the limit; failures count per IP and per agent key, so the
    keys and RFC of an agent cannot be guessed by trying."""
    return ratelimit.limit_failures(
        "identify_agent",
        lambda: find_agent(clave_agente=clave_agente, clave_promotoria=clave_promotoria, rfc=rfc),
        failure=AgentNotFound,
        ip=ip,
        agent=_key(clave_agente),
    )


def submit_access_request(
    *,
    clave_agente: str,
    clave_promotoria: str,
    rfc: str,
    channel_ids: list[int],
    role: Role,
    email: str,
    language: str = "",
    base_url: str = "",
) -> AccessRequest:
    """Record the request and its "Solicitud recibida" email in one transaction.

    `language` is the one the agent filed in (kept for the emails of the review, and the
    language of this request's own emails); "" is settings.LANGUAGE_CODE. `base_url`
    (portal.links.email_base_url) starts the email's link to the request's status page.

    The identity is checked again here: the agent may have changed state since step 1.
    A second pending request for the agent (another tab, a double click) raises
    RequestPending, guaranteed by the partial unique constraint.
    """
    try:
        with transaction.atomic():
            agent = find_agent(
                clave_agente=clave_agente, clave_promotoria=clave_promotoria, rfc=rfc
            )
            allowed = set(agent.channels.values_list("pk", flat=True))
            channels = list(Channel.objects.filter(pk__in=set(channel_ids) & allowed))
            if not channels:
                raise AgentNotFound
            differs = email_differs_from_saa(email=email, agent=agent)
            request = AccessRequest.objects.create(
                agent=agent,
                role=role,
                email=email,
                email_differs_from_saa=differs,
                language=language,
                privacy_notice_version=notice.current_version(),
            )
            request.channels.set(channels)
            queue_email(
                email,
                "solicitud_recibida",
                # No link here: it is a capability, made when the email is sent
                # (status.status_link_provider).
                {"full_name": agent.full_name, "request_id": request.pk, "base_url": base_url},
                language=language,
            )
            if differs and agent.email:
                notify_saa_of_other_email(request=request)
    except IntegrityError as exc:
        raise RequestPending from exc
    return request


def email_differs_from_saa(*, email: str, agent: Agent) -> bool:
    """Whether `email` is not the agent's SAA email (any case; no SAA email differs too)."""
    return email.strip().casefold() != (agent.email or "").strip().casefold()


def notify_saa_of_other_email(*, request: AccessRequest) -> None:
    """Tell the agent's SAA address that access was requested with another email.

    Queued with the request (same transaction): the keys an agent types are semi-public,
    so the owner of the SAA address must hear of it before a reviewer approves.
    """
    when = timezone.localtime(request.created_at)
    queue_email(
        request.agent.email,
        "solicitud_otro_correo",
        {
            "full_name": request.agent.full_name,
            "request_id": request.pk,
            "masked_email": mask_email(request.email),
            "requested_at": when.strftime("%d/%m/%Y %H:%M"),
        },
        # To the owner of the SAA address, who may not be who filed: the portal's language,
        # not the one the requester chose.
        language=settings.LANGUAGE_CODE,
    )


def find_agent_in_promotoria(*, user: User, numero: str) -> Agent | None:
    """Búsqueda de Agentes: only agents of the user's own promotoría are found."""
    own = Agent.objects.filter(user=user).only("promotoria_id").first()
    if own is None:
        return None
    return (
        Agent.objects.select_related("promotoria")
        .filter(promotoria_id=own.promotoria_id, clave_agente__iexact="".join(numero.split()))
        .first()
    )
