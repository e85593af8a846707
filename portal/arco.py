"""ARCO rights (LFPDPPP) for signed-in agents and clients: "Mis datos" shows and exports
everything the portal holds about the person, and files access, rectification, cancellation
or opposition requests, which the back office answers within 20 Mexican business days.

What each portal's app holds comes from its AccountConfig's `personal_data` hook; the
shared records (the account, codes, emails sent, factors, ARCO requests) are read here.
A granted cancellation deactivates and anonymises the portal account; the insurer's own
records (the SAA mirror, policies, decisions) stay, as the law lets it keep what its
contracts and obligations require (docs/privacy.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from notifications.services import queue_email
from portal import ratelimit
from portal.business_days import add_business_days

from .accounts import config_for
from .models import (
    ArcoDecision,
    ArcoRequest,
    NoticeAcceptance,
    OneTimeCode,
    SecondFactorReset,
    User,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ANSWER_BUSINESS_DAYS = 20  # LFPDPPP: the answer is due within 20 business days
# Fields never shown nor exported, whatever the model: secrets and their hashes.
SECRET_FIELDS = {"password", "code_hash", "key_hash", "token", "key", "secret"}


@dataclass(frozen=True)
class Section:
    """One kind of record about the person: a title and its records, each a list of
    (field's name, value as text)."""

    key: str
    title: StrOrPromise
    records: list[list[tuple[str, str]]]


class TooManyRequests(Exception):
    """Past the "arco_request" limit of the table."""


# --- What is held ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, bool):
        return str(_("Sí") if value else _("No"))
    return str(value)


def record_fields(
    instance: models.Model, *, exclude: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str]]:
    """A model instance as (verbose name, text) for its concrete fields and many-to-many
    names, secrets and ids left out."""
    rows: list[tuple[str, str]] = []
    for field in instance._meta.get_fields():
        name = getattr(field, "name", "")
        if name in SECRET_FIELDS or name in exclude or name == "id" or field.auto_created:
            continue
        label = str(getattr(field, "verbose_name", name))
        if field.many_to_many:
            value = ", ".join(str(item) for item in getattr(instance, name).all())
        elif field.concrete:
            value = _text(getattr(instance, name))
        else:
            continue
        rows.append((label, value))
    return rows


def held_about(user: User) -> list[Section]:
    """Everything the portal holds about `user`, grouped by kind of record."""
    from notifications.models import OutboxEmail

    from .accounts import mfa

    account_fields = {"password", "is_superuser", "is_staff", "groups", "user_permissions"}
    sections = [
        Section("account", _("Tu cuenta"), [record_fields(user, exclude=account_fields)]),
    ]
    config = config_for(user)
    if config is not None and config.personal_data is not None:
        for index, (title, instances) in enumerate(config.personal_data(user)):
            records = [record_fields(instance) for instance in instances]
            sections.append(Section(f"{config.namespace}-{index}", title, records))
    emails = [u for u in {user.email, user.username} if u and "@" in u]
    sections += [
        Section(
            "codes",
            _("Códigos de verificación enviados"),
            [
                record_fields(code, exclude={"subject", "purpose"})
                for code in OneTimeCode.objects.filter(email__in=emails).order_by("-created_at")
            ],
        ),
        Section(
            "emails",
            _("Correos que te enviamos"),
            [
                [
                    (str(_("Para")), email.to),
                    (str(_("Tipo")), email.template),
                    (str(_("Creado")), _text(email.created_at)),
                    (str(_("Enviado")), _text(email.sent_at)),
                ]
                for email in OutboxEmail.objects.filter(to__in=emails).order_by("-created_at")
            ],
        ),
        Section(
            "second_factor",
            _("Segundo factor"),
            [
                [
                    (str(_("Factor")), factor.name),
                    (str(_("Agregado")), _text(factor.created_at)),
                    (str(_("Último uso")), _text(factor.last_used_at)),
                ]
                for factor in mfa.factors(user)
            ]
            + [
                record_fields(reset, exclude={"user"})
                for reset in SecondFactorReset.objects.filter(user=user)
            ],
        ),
        Section(
            "consent",
            _("Avisos de privacidad que aceptaste"),
            [
                record_fields(acceptance, exclude={"user"})
                for acceptance in NoticeAcceptance.objects.filter(user=user).order_by("pk")
            ],
        ),
        Section(
            "arco",
            _("Tus solicitudes ARCO"),
            [
                record_fields(request, exclude={"user", "language"})
                + (
                    record_fields(request.decision, exclude={"request", "decided_by"})
                    if hasattr(request, "decision")
                    else []
                )
                for request in ArcoRequest.objects.filter(user=user).select_related("decision")
            ],
        ),
    ]
    return sections


def export(user: User) -> dict[str, Any]:
    """`held_about` as JSON-ready data, with when it was made."""
    return {
        "generado": timezone.now().isoformat(),
        "secciones": [
            {
                "clave": section.key,
                "titulo": str(section.title),
                "registros": [dict(record) for record in section.records],
            }
            for section in held_about(user)
        ],
    }


# --- Requests --------------------------------------------------------------------------------


def file_request(*, user: User, kind: str, details: str, ip: str) -> ArcoRequest:
    """File an ARCO request of `user`, due in 20 business days; the person is emailed a
    receipt with the folio and the date."""
    if not ratelimit.consume("arco_request", user=str(user.pk), ip=ip):
        raise TooManyRequests
    due = add_business_days(timezone.localdate(), ANSWER_BUSINESS_DAYS)
    with transaction.atomic():
        request = ArcoRequest.objects.create(
            user=user,
            kind=kind,
            details=details.strip(),
            due_on=due,
            language=translation.get_language() or "",
        )
        if user.email:
            queue_email(
                user.email,
                "arco_recibida",
                {
                    "full_name": user.get_full_name(),
                    "folio": str(request),
                    "kind": request.get_kind_display(),
                    "due_on": date_format(due, "DATE_FORMAT"),
                },
            )
    return request


def is_overdue(request: ArcoRequest, today: date | None = None) -> bool:
    return not hasattr(request, "decision") and (today or timezone.localdate()) > request.due_on


class AlreadyDecided(Exception):
    pass


def decide(*, request_id: int, outcome: str, reason: str, by: User) -> ArcoDecision:
    """Answer an ARCO request (once; append-only), email the person, and for a granted
    cancellation deactivate and anonymise their portal account."""
    with transaction.atomic():
        request = ArcoRequest.objects.select_for_update().select_related("user").get(pk=request_id)
        if ArcoDecision.objects.filter(request=request).exists():
            raise AlreadyDecided(request_id)
        decision = ArcoDecision.objects.create(
            request=request, outcome=outcome, reason=reason.strip(), decided_by=by
        )
        user = request.user
        to = user.email
        with translation.override(request.language or None):
            context = {
                "full_name": user.get_full_name(),
                "folio": str(request),
                "kind": str(request.get_kind_display()),
                "outcome": str(decision.get_outcome_display()),
                "reason": decision.reason,
                "cancelled": (
                    request.kind == ArcoRequest.Kind.CANCELLATION
                    and outcome == ArcoDecision.Outcome.GRANTED
                ),
            }
            if to:
                queue_email(to, "arco_resuelta", context, language=request.language or None)
        if context["cancelled"]:
            anonymise_account(user)
    return decision


def anonymise_account(user: User) -> None:
    """A granted cancellation: the account can no longer sign in and keeps no name, email or
    phone; its sessions end. What the insurer must keep (its SAA and policy mirrors, the
    audit of decisions) is not the portal account's and stays."""
    from .accounts.mfa import reset_factors
    from .accounts.services import end_other_sessions

    placeholder = f"cancelado-{user.pk}-{secrets.token_hex(4)}"
    user.username = placeholder
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    reset_factors(user)
    for link in ("agent", "person"):
        related = getattr(user, link, None)
        if related is not None:
            related.user = None
            related.save(update_fields=["user"])
    end_other_sessions(user, keep_session_key=None)
