"""The back office's decision on a request, and the account an approval issues."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.accounts import AGENTS
from agents.models import AccessRequest, Agent, Decision, Role
from notifications.services import queue_email
from portal import notice
from portal.accounts.services import login_url, queue_password_link

from .identification import email_differs_from_saa
from .usernames import NoUsernameLeft, generate_username

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from notifications.models import OutboxEmail
    from portal.models import User

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
    """Another reviewer decided the request first."""


class EmailNotConfirmed(DecisionError):
    """The request's email is not the SAA's and the reviewer has not confirmed it."""


def needs_email_confirmation(request: AccessRequest) -> bool:
    """Approving sends the credentials to the typed email: when it is not the SAA's (marked
    at submission, or the SAA changed since), a reviewer must vouch for it explicitly."""
    return request.email_differs_from_saa or email_differs_from_saa(
        email=request.email, agent=request.agent
    )


def can_review(user: User | AnonymousUser | None) -> bool:
    """Only active back-office staff holding the review permission decide requests."""
    return bool(
        user is not None and user.is_active and user.is_staff and user.has_perm(REVIEW_PERMISSION)
    )


def _lock_pending(request_id: int, by: User) -> AccessRequest:
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


def _record_decision(
    request: AccessRequest,
    kind: str,
    by: User,
    reason: str = "",
    *,
    email_override_confirmed: bool = False,
) -> None:
    request.status = kind
    request.decided_at = timezone.now()
    request.decided_by = by
    request.rejection_reason = reason
    request.save(
        update_fields=["status", "decided_at", "decided_by", "rejection_reason", "updated_at"]
    )
    Decision.objects.create(
        request=request,
        decision=kind,
        reason=reason,
        decided_by=by,
        email_override_confirmed=email_override_confirmed,
    )


def approve_request(
    request_id: int, by: User, *, base_url: str = "", email_override_confirmed: bool = False
) -> User:
    """Approve a pending request and issue the agent's account, all in one transaction.

    `base_url` (the portal's address, e.g. "https://host/") is needed when the account's
    first password is set through a link (`settings.AGENT_CREDENTIALS == "link"`).
    A request whose email is not the SAA's is refused (EmailNotConfirmed) unless the
    reviewer confirmed it (`email_override_confirmed`), which the Decision records.

    Two reviewers at once: the row lock makes the second wait and then see it decided.
    """
    with transaction.atomic():
        request = _lock_pending(request_id, by)
        agent = request.agent
        if agent.user_id is not None:
            raise DecisionError(_("El agente ya cuenta con usuario del portal."))
        if not agent.en_vigor:
            raise DecisionError(_("El agente ya no está en vigor en el SAA."))
        override = needs_email_confirmation(request)
        if override and not email_override_confirmed:
            raise EmailNotConfirmed(
                _(
                    "La solicitud %(id)s (clave de agente %(clave)s) tiene un correo distinto "
                    "del registrado en el SAA: apruébala desde su página, tras confirmarlo."
                )
                % {"id": request.pk, "clave": agent.clave_agente}
            )
        user = issue_agent_account(
            agent,
            email=request.email,
            role=request.role,
            base_url=base_url,
            language=request.language,
        )
        if request.privacy_notice_version:  # the notice the agent accepted when filing
            notice.record_acceptance(
                user=user, source=notice.Source.ACCESS_REQUEST,
                version=request.privacy_notice_version, accepted_at=request.created_at,
            )  # fmt: skip
        _record_decision(
            request, AccessRequest.Status.APPROVED, by, email_override_confirmed=override
        )
    return user


def reject_request(request_id: int, by: User, reason: str) -> AccessRequest:
    """Reject a pending request for `reason` and email the reason and the Call Center line,
    in the language the agent filed in."""
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
            language=request.language,
        )
    return request


def _check_link_base_url(base_url: str) -> None:
    """Credentials by link need the portal's address to write it."""
    if settings.AGENT_CREDENTIALS == "link" and not base_url:
        raise DecisionError(_("Falta la dirección del portal para el enlace de contraseña."))


def _await_credentials(user: User) -> None:
    """The state of an account whose credentials are on their way: no usable password until
    the email's provider sets the temporary one (expired, valid TEMPORARY_PASSWORD_HOURS) or,
    with AGENT_CREDENTIALS "link", until the agent chooses one. Not saved here."""
    by_link = settings.AGENT_CREDENTIALS == "link"
    user.set_unusable_password()
    user.password_expired = not by_link
    user.temporary_password_expires_at = (
        None if by_link else timezone.now() + timedelta(hours=settings.TEMPORARY_PASSWORD_HOURS)
    )


def issue_agent_account(
    agent: Agent, *, email: str, role: Role, base_url: str = "", language: str = ""
) -> User:
    """Create the agent's portal user and queue the two emails: username, then password,
    in `language` (the one the agent filed in; "" is settings.LANGUAGE_CODE).

    Call inside a transaction holding the agent's row. The temporary password is not made
    here but by `temporary_password_provider` when its email is sent, so it never sits in
    clear in the outbox. With `settings.AGENT_CREDENTIALS == "link"` the second email
    carries a single-use set-password link instead (made at send time too).
    """
    _check_link_base_url(base_url)
    user_model = get_user_model()
    if agent.is_company:
        first_name, last_name = (agent.nombre_razon_social or agent.nombre), ""
    else:
        first_name = agent.nombre
        last_name = " ".join(p for p in (agent.apellido_paterno, agent.apellido_materno) if p)
    for _attempt in range(5):
        try:
            username = generate_username(agent)
        except NoUsernameLeft as exc:
            raise DecisionError(str(exc)) from exc
        user = user_model(
            username=username,
            email=email,
            first_name=first_name[:150],
            last_name=last_name[:150],
            kind=user_model.Kind.AGENT,
        )
        _await_credentials(user)
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
    _queue_credentials(user, email=email, role=role, base_url=base_url, language=language)
    return user


def _queue_credentials(user: User, *, email: str, role: Role, base_url: str, language: str) -> None:
    """The two emails of an issued account: the username, then the temporary password (made
    at send time by its provider) or, with AGENT_CREDENTIALS "link", a set-password link.
    Written in `language`, the agent's, not the reviewer's whose action sends them."""
    context = {"user_id": user.pk, "role": role.code}
    if base_url:  # the emails say where to sign in: the portal's address, not a fixed host
        context["login_url"] = login_url(AGENTS, base_url=base_url)
    queue_email(
        email, "usuario_generado", {**context, "username": user.username}, language=language
    )
    if settings.AGENT_CREDENTIALS == "link":
        queue_password_link(
            user,
            base_url=base_url,
            template="enlace_contrasena_agente",
            context=context,
            language=language,
        )
        return
    queue_email(
        email,
        "contrasena_generada",
        {**context, "hours": settings.TEMPORARY_PASSWORD_HOURS},
        language=language,
    )


def resend_credentials(request_id: int, by: User, *, base_url: str = "") -> User:
    """Give the agent of an approved request new credentials: the password they have stops
    working now (and their sessions end), the two emails go again to the account's address
    with a NEW temporary password (or link), and a Decision records who did it."""
    if not can_review(by):
        raise PermissionDenied(_("No tienes permiso para decidir solicitudes."))
    _check_link_base_url(base_url)
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .select_related("agent", "role")
            .get(pk=request_id)
        )
        user = request.agent.user
        if request.status != AccessRequest.Status.APPROVED or user is None:
            raise DecisionError(
                _("La solicitud %(id)s no está aprobada con un usuario del portal.")
                % {"id": request.pk}
            )
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise DecisionError(
                _("El usuario %(username)s está inactivo.") % {"username": user.username}
            )
        # Whoever holds the old password (the reason to resend may be that it leaked) is out
        # from now on.
        _await_credentials(user)
        user.save(update_fields=["password", "password_expired", "temporary_password_expires_at"])
        _queue_credentials(
            user, email=user.email, role=request.role, base_url=base_url, language=request.language
        )
        Decision.objects.create(
            request=request, decision=Decision.Kind.RESEND_CREDENTIALS, decided_by=by
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


def temporary_password_provider(email: OutboxEmail) -> dict[str, str]:
    """Outbox secret provider for "contrasena_generada": set a new temporary password now.

    Called once per outbox row, before the SMTP conversation; the outbox keeps the password
    sealed until the row is sent, so every copy (a retry after a crash) carries the same one.
    """
    user = get_user_model().objects.select_for_update().get(pk=email.context["user_id"])
    if not user.password_expired:
        raise TemporaryPasswordNotNeeded(f"user {user.pk} already changed the password")
    password = generate_temporary_password()
    user.set_password(password)
    user.temporary_password_expires_at = timezone.now() + timedelta(
        hours=settings.TEMPORARY_PASSWORD_HOURS
    )
    user.save(update_fields=["password", "temporary_password_expires_at"])
    return {"password": password}
