"""Writing emails to the outbox and delivering them: a row is written in the transaction
that causes the email and stays pending until it is sent, so no email is lost when the
broker, a worker or the mail server is down."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from portal import redis_health

from . import crypto
from .models import OutboxEmail

log = logging.getLogger("notifications")


def queue_email(
    to: str,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    secret_provider: str = "",
    language: str | None = None,
) -> OutboxEmail:
    """Write an outbox row and have it delivered once the current transaction commits.

    `context` must hold no secret: it is stored. `secret_provider` names a function
    `f(email: OutboxEmail) -> dict` called at send time for values that must not be stored.
    The email is written in `language`, by default the active one: the language of the
    request that causes it.
    """
    if language is None:
        language = translation.get_language() or ""
    email = OutboxEmail.objects.create(
        to=to,
        template=template,
        context=context or {},
        secret_provider=secret_provider,
        language=language,
    )
    transaction.on_commit(lambda: enqueue(email.pk))
    return email


def enqueue(pk: int) -> bool:
    """Queue the delivery of row `pk`; False when the broker is down (the row stays pending
    and beat's `send_pending` picks it up once it is due)."""
    from .tasks import deliver

    broker = redis_health.broker_breaker()
    if broker is not None and not broker.available():  # failed moments ago: no new timeout
        log.info("Outbox email %s stays pending: the broker is unavailable", pk)
        return False
    try:
        deliver.delay(pk)
    except redis_health.UNAVAILABLE as exc:
        if broker is not None:
            broker.trip(exc)
        log.info("Outbox email %s stays pending: the broker is unavailable", pk)
        return False
    except Exception:  # noqa: BLE001 - the row is kept, nothing is lost
        log.warning("Could not queue outbox email %s; it stays pending", pk, exc_info=True)
        return False
    if broker is not None:
        broker.close()
    return True


def render_email(email: OutboxEmail, extra: dict[str, Any] | None = None) -> EmailMultiAlternatives:
    """The email as it is sent: its template rendered with the stored context and `extra`
    (the values a secret provider made now)."""
    context = {
        "brand": settings.PORTAL_BRAND,
        "call_center": settings.CALL_CENTER_PHONE,
        **email.context,
        **(extra or {}),
    }
    base = f"emails/{email.template}"
    # In the row's language, whatever the worker's or the reviewer's is.
    with translation.override(email.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email.to])
    message.attach_alternative(html, "text/html")
    message.extra_headers["X-Alta-Outbox-Id"] = str(email.pk)
    # The row's own Message-ID, not a new one per send: copies of one row are one message.
    message.extra_headers["Message-ID"] = email.message_id
    return message


def backoff(attempts: int) -> timedelta:
    """The wait after attempt number `attempts`: exponential from OUTBOX_RETRY_BASE_SECONDS,
    capped at OUTBOX_RETRY_MAX_SECONDS, with jitter (half to all of it)."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    ceiling = min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))
    # Jitter, not a secret: rows that failed together (an SMTP outage) do not retry together.
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # nosec B311


def deliver_email(pk: int) -> str:
    """Make one attempt at sending an outbox row if it is pending and due; returns the
    outcome: "sent", "pending" (this attempt failed; the row waits for `next_attempt_at`),
    "failed" (that was the last attempt), or, when nothing was tried, "locked" (another
    worker holds it), "not_due", "missing", or the status of a row already done.

    At least once, never silently twice: the attempt is committed before the SMTP
    conversation, so a worker killed after the server's "250" leaves a row that is retried
    later, carrying the same Message-ID and the same sealed secret.
    """
    claimed = _claim(pk)
    if isinstance(claimed, str):
        return claimed
    email, extra = claimed
    try:
        message = render_email(email, extra)
        message.send()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row, retried
        return _log_attempt(email, _record_failure(pk, exc))
    # One statement, atomic on its own: no transaction around it (one round trip less).
    OutboxEmail.objects.filter(pk=pk).update(
        status=OutboxEmail.Status.SENT,
        subject=str(message.subject),
        sent_at=timezone.now(),
        last_error="",
        sealed_secrets="",
    )
    return _log_attempt(email, OutboxEmail.Status.SENT)


def _log_attempt(email: OutboxEmail, outcome: str) -> str:
    """One INFO line per attempt made, whatever its outcome: which row, template and attempt.
    Never the address or the context, which may name the person."""
    log.info(
        "Outbox email %s (%s) attempt %s: %s",
        email.pk, email.template, email.attempts, outcome,
        extra={
            "outbox_id": email.pk,
            "template": email.template,
            "attempt": email.attempts,
            "outcome": outcome,
        },
    )  # fmt: skip
    return outcome


def _claim(pk: int) -> str | tuple[OutboxEmail, dict[str, Any]]:
    """Step 1, committed before anything is sent: count the attempt and set the next one (the
    row's lease: no one else tries it before then, and the only retry schedule), and make
    the secrets once. Returns why nothing is to be sent, or the row and its secrets."""
    with transaction.atomic():
        try:  # get(), not first(): no ORDER BY to build and send for one primary key
            email = OutboxEmail.objects.select_for_update(skip_locked=True).get(pk=pk)
        except OutboxEmail.DoesNotExist:
            return "locked" if OutboxEmail.objects.filter(pk=pk).exists() else "missing"
        if email.status != OutboxEmail.Status.PENDING:
            return email.status
        now = timezone.now()
        if email.next_attempt_at is not None and email.next_attempt_at > now:
            return "not_due"
        email.attempts += 1
        email.next_attempt_at = now + backoff(email.attempts)
        if not email.secret_provider:  # most emails: no savepoint, two round trips less
            email.save(update_fields=["attempts", "next_attempt_at"])
            return email, {}
        try:
            with transaction.atomic():  # a provider's half-done writes are undone alone
                extra = _secrets(email)
        except Exception as exc:  # noqa: BLE001 - e.g. the user already chose a password
            email.save(update_fields=["attempts", "next_attempt_at"])
            return _log_attempt(email, _record_failure(pk, exc))
        email.save(update_fields=["attempts", "next_attempt_at", "sealed_secrets"])
    return email, extra


def _secrets(email: OutboxEmail) -> dict[str, Any]:
    """The row's secrets: unsealed if a previous attempt made them, else made now by its
    provider, once, and sealed on the row (saved by the caller with the attempt)."""
    if not email.secret_provider:
        return {}
    if email.sealed_secrets:
        try:
            return crypto.unseal(email.sealed_secrets)
        except crypto.InvalidToken:
            # The key changed (OUTBOX_SECRETS_KEY or SECRET_KEY rotated): a copy already sent
            # cannot be repeated, so a new secret replaces it rather than losing the email.
            log.warning("Outbox email %s: sealed secrets unreadable, made anew", email.pk)
    extra: dict[str, Any] = import_string(email.secret_provider)(email)
    email.sealed_secrets = crypto.seal(extra)
    return extra


def _record_failure(pk: int, exc: Exception) -> str:
    """Step 3 after a failed attempt: keep the error; after the last attempt the row is
    failed, its secrets wiped, and an ERROR is logged (someone must act on it)."""
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().get(pk=pk)
        if email.status != OutboxEmail.Status.PENDING:  # sent meanwhile by another attempt
            return email.status
        # The error text names the exception only: an SMTP reply may quote the message.
        email.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = OutboxEmail.Status.FAILED
            email.sealed_secrets = ""
        email.save(update_fields=["last_error", "status", "sealed_secrets"])
    if email.status == OutboxEmail.Status.FAILED:
        log.error(
            "Outbox email %s (%s) failed for good after %s attempts: %s",
            pk, email.template, email.attempts, email.last_error,
        )  # fmt: skip
    else:
        log.warning(
            "Outbox email %s attempt %s failed, next at %s: %s",
            pk, email.attempts, email.next_attempt_at.isoformat() if email.next_attempt_at else "-",
            email.last_error,
        )  # fmt: skip
    return email.status


def pending_ids(limit: int = 200) -> list[int]:
    """The oldest rows still pending whose retry time has come, for `send_pending`."""
    now = timezone.now()
    rows = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exclude(
        next_attempt_at__gt=now
    )
    return list(rows.order_by("created_at").values_list("pk", flat=True)[:limit])
