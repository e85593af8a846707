"""Decisions of the agent access request (001 §3.3–3.7) and its review (§3.7, §4)."""

import functools
import secrets
import unicodedata
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import queue_email
from portal import ratelimit

from .models import AccessRequest, Agent, Channel, Decision, Role
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


# --- Back-office review and account issuance (001 §3.7 "Solicitud rechazada/aceptada") ---

REVIEW_PERMISSION = "agents.review_accessrequest"
STANDARD_REJECTION_REASONS = [
    "No se cuenta con la suficiente información.",
    "Los datos de la solicitud no coinciden con el Sistema de Administración de Agentes.",
    "El agente no está en vigor.",
    "El correo electrónico no corresponde al agente.",
    "El rol deseado no corresponde al agente.",
]


class DecisionError(Exception):
    """The request cannot be decided as asked; the message is for the reviewer."""


class AlreadyDecided(DecisionError):
    pass


def can_review(user) -> bool:
    """Only active back-office staff holding the review permission decide requests."""
    return bool(
        user is not None and user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION)
    )


def _lock_pending(request_id: int, by) -> AccessRequest:
    """The request and its agent, locked until the transaction ends; raise if not decidable."""
    if not can_review(by):
        raise PermissionDenied(_("No tienes permiso para decidir solicitudes."))
    request = (
        AccessRequest.objects.select_for_update(of=("self", "agent"))
        .select_related("agent", "role")
        .get(pk=request_id)
    )
    if request.status != AccessRequest.Status.PENDING:
        raise AlreadyDecided(
            _("La solicitud %(id)s ya fue %(status)s.")
            % {"id": request.pk, "status": request.get_status_display()}
        )
    return request


def _record_decision(request: AccessRequest, kind: str, by, reason: str = "") -> None:
    request.status = kind
    request.decided_at = timezone.now()
    request.decided_by = by
    request.rejection_reason = reason
    request.save(
        update_fields=["status", "decided_at", "decided_by", "rejection_reason", "updated_at"]
    )
    Decision.objects.create(request=request, decision=kind, reason=reason, decided_by=by)


def approve_request(request_id: int, by, *, base_url: str = ""):
    """Approve a pending request and issue the agent's account, all in one transaction.

    `base_url` (the portal's address, e.g. "https://host/") is needed when the account's
    first password is set through a link (`settings.AGENT_CREDENTIALS == "link"`).

    Two reviewers at once: the row lock makes the second wait and then see it decided.
    """
    with transaction.atomic():
        request = _lock_pending(request_id, by)
        agent = request.agent
        if agent.user_id is not None:
            raise DecisionError(_("El agente ya cuenta con usuario del portal."))
        if not agent.en_vigor:
            raise DecisionError(_("El agente ya no está en vigor en el SAA."))
        user = issue_agent_account(agent, email=request.email, role=request.role, base_url=base_url)
        _record_decision(request, AccessRequest.Status.APPROVED, by)
    return user


def reject_request(request_id: int, by, reason: str) -> AccessRequest:
    """Reject a pending request for `reason` and email the reason and the Call Center line."""
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError(_("Indica el motivo del rechazo."))
    with transaction.atomic():
        request = _lock_pending(request_id, by)
        _record_decision(request, AccessRequest.Status.REJECTED, by, reason)
        queue_email(
            request.email,
            "solicitud_rechazada",
            {"full_name": request.agent.full_name, "reason": reason, "request_id": request.pk},
        )
    return request


def issue_agent_account(agent: Agent, *, email: str, role: Role, base_url: str = ""):
    """Create the agent's portal user and queue the two emails: username, then password.

    Call inside a transaction holding the agent's row. The temporary password is not made
    here: `temporary_password_provider` makes it when its email is sent (DESIGN, traps).
    With `settings.AGENT_CREDENTIALS == "link"` the second email carries a single-use
    set-password link instead (made at send time too).
    """
    by_link = settings.AGENT_CREDENTIALS == "link"
    if by_link and not base_url:
        raise DecisionError(_("Falta la dirección del portal para el enlace de contraseña."))
    User = get_user_model()
    expires = timezone.now() + timedelta(hours=settings.TEMPORARY_PASSWORD_HOURS)
    if agent.is_company:
        first_name, last_name = (agent.nombre_razon_social or agent.nombre), ""
    else:
        first_name = agent.nombre
        last_name = " ".join(p for p in (agent.apellido_paterno, agent.apellido_materno) if p)
    for _attempt in range(5):
        user = User(
            username=generate_username(agent),
            email=email,
            first_name=first_name[:150],
            last_name=last_name[:150],
            kind=User.Kind.AGENT,
            password_expired=not by_link,
            temporary_password_expires_at=None if by_link else expires,
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():  # another approval may take the same username meanwhile
                user.save()
            break
        except IntegrityError:
            continue
    else:
        raise DecisionError(_("No fue posible generar un usuario único; intenta de nuevo."))
    agent.user = user
    agent.save(update_fields=["user"])
    context = {"user_id": user.pk, "role": role.code}
    queue_email(email, "usuario_generado", {**context, "username": user.username})
    if by_link:
        queue_email(
            email,
            "enlace_contrasena_agente",
            {
                **context,
                "base_url": base_url,
                "confirm_url_name": "agents:password_reset_confirm",
                "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
            secret_provider="portal.services.password_reset_link_provider",  # noqa: S106
        )
        return user
    queue_email(
        email,
        "contrasena_generada",
        {**context, "hours": settings.TEMPORARY_PASSWORD_HOURS},
        secret_provider="agents.services.temporary_password_provider",  # noqa: S106
    )
    return user


# Temporary passwords: lower-case letters and digits, without look-alikes (0/o, 1/l/i).
TEMPORARY_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105


def generate_temporary_password(length: int = 8) -> str:
    """A random password like the manual's "19vhcjm2": letters and at least one digit."""
    while True:
        password = "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


class TemporaryPasswordNotNeeded(Exception):
    """The user already chose a password; a temporary one must not replace it."""


def temporary_password_provider(email) -> dict:
    """Outbox secret provider for "contrasena_generada": set a new temporary password now.

    Runs inside the delivery transaction, so a failed send rolls the password back too.
    """
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=email.context["user_id"])
    if not user.password_expired:
        raise TemporaryPasswordNotNeeded(f"user {user.pk} already changed the password")
    password = generate_temporary_password()
    user.set_password(password)
    user.temporary_password_expires_at = timezone.now() + timedelta(
        hours=settings.TEMPORARY_PASSWORD_HOURS
    )
    user.save(update_fields=["password", "temporary_password_expires_at"])
    return {"password": password}


# Usernames (DESIGN, "Agent flow"): XAVIER SEMPERE PARRA → SPXA + 4 digits.

SURNAME_PARTICLES = {"DA", "DAS", "DE", "DEL", "DI", "DOS", "LA", "LAS", "LOS", "MC", "MAC",
                     "VAN", "VON", "Y"}  # fmt: skip
COMPANY_STOPWORDS = {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "EN", "SA", "CV", "SC",
                     "SAB", "SAPI", "RL", "SRL", "AC", "RS"}  # fmt: skip


def _words(text: str) -> list[str]:
    """Upper-case ASCII words: accents stripped, Ñ → N, anything but letters splits words."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in plain if not unicodedata.combining(c)).upper()
    return "".join(c if "A" <= c <= "Z" else " " for c in plain).split()


def _significant(words: list[str], skip: set[str]) -> list[str]:
    kept = [w for w in words if w not in skip]
    return kept or words


def username_prefix(agent: Agent) -> str:
    """The four letters of the username; "X" stands in for any missing letter."""
    if agent.is_company:
        name = agent.nombre_razon_social or agent.nombre
        words = [w for w in _words(name) if len(w) > 1 and w not in COMPANY_STOPWORDS]
        if not words:
            return "XXXX"
        # Initials of up to four words, completed with the first word's next letters.
        prefix = "".join(w[0] for w in words[:4])
        prefix += words[0][1 : 1 + 4 - len(prefix)]
        return prefix.ljust(4, "X")
    surnames = [
        _significant(words, SURNAME_PARTICLES)
        for words in (_words(agent.apellido_paterno), _words(agent.apellido_materno))
        if words
    ]
    initials = "".join(words[0][0] for words in surnames).ljust(2, "X")
    first_name = _words(agent.nombre)
    return initials + (first_name[0][:2] if first_name else "").ljust(2, "X")


def generate_username(agent: Agent) -> str:
    """A username not yet taken (any case): the prefix and four random digits."""
    prefix = username_prefix(agent)
    User = get_user_model()
    taken = {
        u.upper()
        for u in User.objects.filter(username__istartswith=prefix).values_list(
            "username", flat=True
        )
    }
    for _attempt in range(20):
        candidate = f"{prefix}{secrets.randbelow(10_000):04d}"
        if candidate not in taken:
            return candidate
    free = [f"{prefix}{n:04d}" for n in range(10_000) if f"{prefix}{n:04d}" not in taken]
    if not free:
        message = _("No quedan usuarios disponibles para %(prefix)s.") % {"prefix": prefix}
        raise DecisionError(message)
    return secrets.choice(free)


# Review SLA in business days (001 §3.7: "un periodo no mayor a 3 días hábiles").


@functools.lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("MX", years=year).keys())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (Mexican public holidays off)."""
    return sum(1 for n in range(1, (end - start).days + 1) if is_business_day(start + timedelta(n)))


def request_age(request: AccessRequest, today: date | None = None) -> int:
    """Business days a request has waited: until its decision, or until today."""
    start = timezone.localdate(request.created_at)
    if request.decided_at is not None:
        end = timezone.localdate(request.decided_at)
    else:
        end = today or timezone.localdate()
    return business_days_between(start, end)


def is_overdue(request: AccessRequest, today: date | None = None) -> bool:
    return (
        request.status == AccessRequest.Status.PENDING
        and request_age(request, today) > settings.REVIEW_SLA_BUSINESS_DAYS
    )


def overdue_cutoff(today: date | None = None) -> datetime:
    """Pending requests created before this moment are past the review SLA."""
    day = today or timezone.localdate()
    counted = 0
    while True:
        if is_business_day(day):
            counted += 1
            if counted > settings.REVIEW_SLA_BUSINESS_DAYS:
                # Created on `day` or later: at most SLA business days have passed.
                return timezone.make_aware(datetime.combine(day, datetime.min.time()))
        day -= timedelta(days=1)
