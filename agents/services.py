"""Decisions of the agent access request (001 §3.3–3.7)."""

from django.db import IntegrityError, transaction

from notifications.services import queue_email
from portal import ratelimit

from .models import AccessRequest, Agent, Channel, Role
from .saa import normalize_rfc

# Failed identifications allowed per hour, per IP and per agent key (anti-enumeration).
IDENTIFY_LIMIT_PER_IP = 20
IDENTIFY_LIMIT_PER_KEY = 10
IDENTIFY_WINDOW = 60 * 60


class IdentificationError(Exception):
    pass


class AgentNotFound(IdentificationError):
    """No such agent, promotoría or RFC, or the agent is not en vigor."""


class AgentHasAccess(IdentificationError):
    pass


class RequestPending(IdentificationError):
    pass


class TooManyAttempts(IdentificationError):
    pass


def _key(value: str) -> str:
    return "".join((value or "").split()).upper()


def find_agent(clave_agente: str, clave_promotoria: str, rfc: str) -> Agent:
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
    if agent.requests.filter(status=AccessRequest.Status.PENDING).exists():
        raise RequestPending
    return agent


def identify_agent(clave_agente: str, clave_promotoria: str, rfc: str, *, ip: str = "") -> Agent:
    """001 §3.3: identify the agent, counting failed attempts per IP and per agent key."""
    key = _key(clave_agente)
    if ratelimit.is_limited("identify-ip", ip, IDENTIFY_LIMIT_PER_IP) or ratelimit.is_limited(
        "identify-key", key, IDENTIFY_LIMIT_PER_KEY
    ):
        raise TooManyAttempts
    try:
        return find_agent(clave_agente, clave_promotoria, rfc)
    except AgentNotFound:
        ratelimit.hit("identify-ip", ip, IDENTIFY_WINDOW)
        ratelimit.hit("identify-key", key, IDENTIFY_WINDOW)
        raise


def submit_access_request(
    *,
    clave_agente: str,
    clave_promotoria: str,
    rfc: str,
    channel_ids: list[int],
    role: Role,
    email: str,
) -> AccessRequest:
    """Record the request and its "Solicitud recibida" email in one transaction (001 §3.7).

    The identity is checked again here: the agent may have changed state since step 1.
    A second pending request for the agent (another tab, a double click) raises
    RequestPending, guaranteed by the partial unique constraint.
    """
    try:
        with transaction.atomic():
            agent = find_agent(clave_agente, clave_promotoria, rfc)
            allowed = set(agent.channels.values_list("pk", flat=True))
            channels = list(Channel.objects.filter(pk__in=set(channel_ids) & allowed))
            if not channels:
                raise AgentNotFound
            request = AccessRequest.objects.create(agent=agent, role=role, email=email)
            request.channels.set(channels)
            queue_email(
                email,
                "solicitud_recibida",
                {"full_name": agent.full_name, "request_id": request.pk},
            )
    except IntegrityError as exc:
        raise RequestPending from exc
    return request
