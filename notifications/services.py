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
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxEmail

log = logging.getLogger(__name__)


def queue_email(
    to: str, template: str, context: dict[str, Any] | None = None, *, secret_provider: str = ""
) -> OutboxEmail:
    """Write an outbox row and have it delivered once the current transaction commits.

    `context` must hold no secret: it is stored. `secret_provider` names a function
    `f(email: OutboxEmail) -> dict` called at send time for values that must not be stored.
    """
    email = OutboxEmail.objects.create(
        to=to, template=template, context=context or {}, secret_provider=secret_provider
    )
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(pk: int) -> None:
    from .tasks import deliver

    try:
        deliver.delay(pk)
    except Exception:  # broker down: the beat task `send_pending` will pick the row up
        log.warning("Could not queue outbox email %s; it stays pending", pk, exc_info=True)


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
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email.to])
    message.attach_alternative(html, "text/html")
    message.extra_headers["X-Alta-Outbox-Id"] = str(email.pk)
    return message


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: up to 30 s, 60 s, 120 s … capped at one hour."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    ceiling = min(3600, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # nosec B311  # jitter, not a secret


def deliver_email(pk: int) -> str:
    """Send one outbox row unless it was already sent; returns the row's status.

    The row stays locked while it is sent, so two workers never send it twice.
    """
    error: Exception | None = None
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if email is None:
            return "locked"
        if email.status != OutboxEmail.Status.PENDING:
            return email.status
        try:
            extra = import_string(email.secret_provider)(email) if email.secret_provider else {}
            message = render_email(email, extra)
            message.send()
        except Exception as exc:  # noqa: BLE001 - any failure leaves the row pending
            error = exc
            transaction.set_rollback(True)  # a secret generated for this try is undone too
        else:
            email.attempts += 1
            email.status = OutboxEmail.Status.SENT
            email.subject = str(message.subject)
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["status", "attempts", "subject", "sent_at", "last_error"])
            return email.status
    _record_failure(pk, error)
    raise error


def _record_failure(pk: int, exc: Exception) -> None:
    email = OutboxEmail.objects.get(pk=pk)
    email.attempts += 1
    # The error text names the exception only: an SMTP reply may quote the message.
    email.last_error = f"{type(exc).__name__}: {str(exc)[:300]}"
    if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        email.status = OutboxEmail.Status.FAILED
    email.next_attempt_at = timezone.now() + backoff(email.attempts)
    email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def pending_ids(limit: int = 200) -> list[int]:
    """The oldest rows still pending whose retry time has come, for `send_pending`."""
    now = timezone.now()
    rows = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exclude(
        next_attempt_at__gt=now
    )
    return list(rows.order_by("created_at").values_list("pk", flat=True)[:limit])
