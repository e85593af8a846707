"""One-time codes: issue, email and check a 6-digit code bound to an address.

Single use, 10-minute life from sending (OWASP ASVS 2.7.2: a short life limits what a leaked
code is worth), a new code voids the old one; wrong tries and sends are limited by the
"code_check" and "code_send" rules of `portal.ratelimit.RATE_LIMITS`, counted from the rows
here, and every code email by the "code_mail" rules (per session, person and IP). Only an
HMAC of the code is stored, and it is made when the email is sent, so no code ever sits in
the outbox or a task argument.
"""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from notifications import secret_providers
from notifications.services import queue_email

from . import ratelimit
from .models import OneTimeCode
from .redis_health import with_shared_cache

if TYPE_CHECKING:
    from notifications.models import OutboxEmail

CODE_LIFETIME = timedelta(minutes=10)
TRIES_PER_CODE = ratelimit.rule("code_check", "code")
TRIES_PER_SUBJECT = ratelimit.rule("code_check", "subject")
SENDS_PER_EMAIL = ratelimit.rule("code_send", "email")
RESEND_COOLDOWN = timedelta(seconds=ratelimit.CODE_RESEND_COOLDOWN)
# The cache counters do not tell when their window opened: the wait told is the whole window.
_CODE_MAIL_WINDOW = max(r.window for r in ratelimit.RATE_LIMITS["code_mail"])


class Check(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong code, tries left
    EXPIRED = "expired"  # past its life, used, voided, or none sent: a new code is needed
    LOCKED = "locked"  # too many wrong tries: a new code is needed


class SendRefused(Exception):
    """Too soon after the previous code, or too many codes this hour for the address, the
    session, the person or the IP."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"wait {wait_seconds} s")
        self.wait_seconds = wait_seconds


def _hash(code_id: int, code: str) -> str:
    return salted_hmac(f"alta.one-time-code.{code_id}", code, algorithm="sha256").hexdigest()


def seconds_until_next_send(email: str) -> int:
    """0 when a new code may be sent to `email` now."""
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.filter(
            email__iexact=email, created_at__gte=now - timedelta(seconds=SENDS_PER_EMAIL.window)
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    waits: list[float] = [0]
    if recent:
        waits.append((recent[-1] + RESEND_COOLDOWN - now).total_seconds())
    if len(recent) >= SENDS_PER_EMAIL.limit:
        window = timedelta(seconds=SENDS_PER_EMAIL.window)
        waits.append((recent[-SENDS_PER_EMAIL.limit] + window - now).total_seconds())
    return max(0, int(max(waits) + 0.999))


def send_code(
    purpose: str,
    subject: str,
    email: str,
    template: str,
    context: dict[str, Any],
    *,
    session_key: str,
    ip: str,
) -> OneTimeCode:
    """Void earlier codes for (purpose, subject) and email a new one; raises SendRefused.
    `subject` is the person the code is for ("user:7", "person:3"); `session_key` and `ip`
    are the requester's."""
    secret_providers.ensure(template, generate_for_email)
    with transaction.atomic():
        # Serialise sends to one address so two tabs cannot both pass the cooldown check.
        list(
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, subject=subject)
            .values_list("pk", flat=True)
        )
        wait = seconds_until_next_send(email)
        if wait:
            raise SendRefused(wait)
        # The per-address limit alone lets one session mail codes to any number of
        # addresses (mail bombing through our server, probing many addresses at once).
        # Refusals are not counted: a refused session must not use up its IP's allowance.
        keys = {"session": session_key, "person": subject, "ip": ip}
        if ratelimit.exceeded("code_mail", **keys) or not ratelimit.consume("code_mail", **keys):
            raise SendRefused(_CODE_MAIL_WINDOW)
        OneTimeCode.objects.filter(purpose=purpose, subject=subject, used_at=None).update(
            voided=True
        )
        row = OneTimeCode.objects.create(purpose=purpose, subject=subject, email=email)
        queue_email(
            email,
            template,
            {**context, "code_id": row.pk},
        )
    return row


def generate_for_email(outbox_email: OutboxEmail) -> dict[str, Any]:
    """Outbox secret provider: make the code at send time, keep only its HMAC."""
    row = OneTimeCode.objects.select_for_update().get(pk=outbox_email.context["code_id"])
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    row.code_hash = _hash(row.pk, code)
    row.sent_at = now
    row.expires_at = now + CODE_LIFETIME
    row.save(update_fields=["code_hash", "sent_at", "expires_at"])
    return {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)}


def mark_undeliverable(sender: Any, email: OutboxEmail, **kwargs: Any) -> None:
    """Receiver of notifications' `email_refused`: the code whose email the mail server
    refused for good is marked, for the page that waits for it to say so."""
    code_id = email.context.get("code_id")
    if code_id is not None:
        marked = OneTimeCode.objects.filter(pk=code_id, email__iexact=email.to).update(
            undeliverable_at=timezone.now()
        )
        if marked:
            key = _refused_key(code_id)
            with_shared_cache(
                lambda cache: cache.set(key, True, int(CODE_LIFETIME.total_seconds()))
            )


def _refused_key(code_id: int) -> str:
    return f"alta.code-refused.{code_id}"


def refused_by_mail_server(code_id: int) -> bool:
    """Whether the mail server refused the email of code `code_id` for good, as the shared
    cache remembers it for the code's lifetime: the page that waits for the code asks on
    every GET, and reads no row for it (the row says the same: `undeliverable`)."""
    key = _refused_key(code_id)
    return bool(with_shared_cache(lambda cache: cache.get(key)))


def undeliverable(purpose: str, subject: str, email: str) -> bool:
    """Whether the mail server refused `email` for the newest code of (purpose, subject)."""
    row = (
        OneTimeCode.objects.filter(purpose=purpose, subject=subject, voided=False)
        .order_by("-created_at", "-pk")
        .first()
    )
    return (
        row is not None and row.undeliverable_at is not None and row.email.lower() == email.lower()
    )


def check_code(purpose: str, subject: str, email: str, code: str) -> Check:
    """Check `code` for (purpose, subject, email); a success uses the code up."""
    code = "".join((code or "").split())
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, subject=subject, voided=False)
            .order_by("-created_at")
            .first()
        )
        now = timezone.now()
        if (
            row is None
            or row.used_at is not None
            or not row.code_hash
            or row.expires_at is None
            or row.expires_at <= now
            or row.email.lower() != email.lower()
        ):
            return Check.EXPIRED
        hourly = OneTimeCode.objects.filter(
            purpose=purpose,
            subject=subject,
            created_at__gte=now - timedelta(seconds=TRIES_PER_SUBJECT.window),
        ).aggregate(total=Sum("attempts"))["total"]
        if row.attempts >= TRIES_PER_CODE.limit or (hourly or 0) >= TRIES_PER_SUBJECT.limit:
            return Check.LOCKED
        if constant_time_compare(row.code_hash, _hash(row.pk, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return Check.OK
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return Check.LOCKED if row.attempts >= TRIES_PER_CODE.limit else Check.WRONG
