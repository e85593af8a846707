"""Writing emails to the outbox and delivering them: a row is written in the transaction
that causes the email and stays pending until it is sent, so no email is lost when the
broker, a worker or the mail server is down."""

from __future__ import annotations

import contextlib
import logging
import random
import smtplib
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal import redis_health
from portal.call_center import call_center_link

from . import crypto, secret_providers
from .models import PENDING_SPELLINGS, OutboxEmail
from .signals import email_refused

log = logging.getLogger("notifications")

# What `deliver_email` returns and logs (`outcome`) for a row's status, in English like its
# other outcomes: log queries and the task results read these words, whatever the stored
# spelling (the previous release's, or this one's Spanish).
OUTCOMES = {
    OutboxEmail.Status.PENDING: "pending",
    OutboxEmail.Status.SENT: "sent",
    OutboxEmail.Status.FAILED: "failed",
}


def queue_email(
    to: str,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    language: str | None = None,
) -> OutboxEmail:
    """Write an outbox row and have it delivered once the current transaction commits.

    `context` must hold no secret: it is stored. Values that must not be stored are made at
    send time by the provider registered for `template` (notifications.secret_providers).
    The email is written in `language`, by default the active one: the language of the
    request that causes it.
    """
    if language is None:
        language = translation.get_language() or ""
    provider = secret_providers.provider_for(template)
    email = OutboxEmail.objects.create(
        to=to,
        template=template,
        context=context or {},
        # Read only by the previous release's workers during an upgrade, which import it (and
        # would send the email without its secret if it were empty). Stop writing it in the
        # release after this one; this release reads the registry, never this path.
        secret_provider=secret_providers.dotted_path(provider) if provider else "",
        language=language,
    )
    _enqueue_on_commit(email.pk)
    return email


class _Deliveries:
    """The rows one transaction wrote (at one savepoint depth), queued once it commits: one
    task per OUTBOX_BATCH_SIZE rows, not one per row (an admin action writing a hundred)."""

    def __init__(self, pk: int) -> None:
        self.pks = [pk]
        self.called = False  # a test's captured callback runs but stays registered

    def __call__(self) -> None:
        self.called = True
        enqueue_rows(self.pks)


def _enqueue_on_commit(pk: int) -> None:
    """Have row `pk` queued when the current transaction commits, with the rows written before
    it in the same transaction and savepoint: their callback is still registered (Django
    drops it when that savepoint or the transaction is rolled back, and its rows with it)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        savepoints = set(connection.savepoint_ids)
        for registered_at, callback, _robust in reversed(connection.run_on_commit):
            if (
                isinstance(callback, _Deliveries)
                and registered_at == savepoints
                and not callback.called
            ):
                callback.pks.append(pk)
                return
    transaction.on_commit(_Deliveries(pk))


def enqueue(pk: int) -> bool:
    """Queue the delivery of row `pk`; False when the broker is down (the row stays pending
    and beat's `send_pending` picks it up once it is due)."""
    return enqueue_rows([pk])


def enqueue_rows(pks: list[int]) -> bool:
    """Queue the delivery of rows `pks`: a `deliver` task for the first of each
    OUTBOX_BATCH_SIZE of them, whose batch takes the rows after it (_claim); False when the
    broker is down (the rows stay pending and beat's `send_pending` picks them up once they
    are due, as it does any row a batch did not reach)."""
    from .tasks import deliver

    broker = redis_health.broker_breaker()
    ordered = sorted(pks)
    for head in ordered[:: settings.OUTBOX_BATCH_SIZE]:
        if broker is not None and not broker.available():  # failed moments ago: no timeout
            log.info("Outbox email %s stays pending: the broker is unavailable", head)
            return False
        try:
            deliver.delay(head)
        except redis_health.UNAVAILABLE as exc:
            if broker is not None:
                broker.trip(exc)
            log.info("Outbox email %s stays pending: the broker is unavailable", head)
            return False
        except Exception:  # noqa: BLE001 - the rows are kept, nothing is lost
            log.warning("Could not queue outbox email %s; it stays pending", head, exc_info=True)
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
        # The HTML part shows the number as a tel: link a phone dials; the text part, as text.
        html = render_to_string(f"{base}.html", {**context, "call_center": call_center_link()})
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
    """Make one attempt at sending an outbox row if it is pending and due, with the rows
    ready after it (up to OUTBOX_BATCH_SIZE in all) over one SMTP connection; returns row
    `pk`'s outcome: "sent", "pending" (this attempt failed; the row waits for
    `next_attempt_at`), "failed" (that was the last attempt), or, when nothing was tried,
    "locked" (another worker holds it), "not_due" (its attempt is under way, or waits),
    "missing", or "sent" or "failed" for a row already done.

    At least once, never silently twice: the attempts are committed before the SMTP
    conversation, and each row is marked sent as soon as the server accepts it, so a worker
    killed after the server's "250" leaves one row that is retried later, carrying the same
    Message-ID and the same sealed secret.
    """
    claimed = _claim(pk)
    if isinstance(claimed, str):
        return claimed
    return _send_batch(claimed)[pk]


Claimed = list[tuple[OutboxEmail, dict[str, Any]]]

# The errors after which smtplib has reset the conversation (RSET) and the connection serves
# the next row: the server refused this sender, address or message, not the connection.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)


def _send_batch(claimed: Claimed) -> dict[int, str]:
    """Send the claimed rows in order over one SMTP connection; returns their outcomes.

    The batch is one attempt's window (OUTBOX_ATTEMPT_SECONDS, within the rows' lease): the
    conversation is cut at its end, and a row after the first is started only in its first
    half, so a server that answers each step within EMAIL_TIMEOUT is never cut (a message
    over an open connection is 5 steps; half the window is 7). The rows not started, because
    time ran short or the connection broke, are released: their attempt is given back and
    they are due at once, for beat's next `send_pending`.
    """
    window = settings.OUTBOX_ATTEMPT_SECONDS
    started = time.monotonic()
    connection = get_connection()
    cut = _Cut(connection, window)
    outcomes: dict[int, str] = {}
    try:
        for index, (email, extra) in enumerate(claimed):
            late = time.monotonic() - started > window / 2
            if index and (late or not _is_open(connection)):
                _release(claimed[index:], index)
                break
            outcomes[email.pk] = _send_one(connection, email, extra, cut)
    finally:
        cut.cancel()
        _drop(connection, quit=not cut.done.is_set())
    return outcomes


class AttemptCut(TimeoutError):
    """The SMTP conversation outlasted OUTBOX_ATTEMPT_SECONDS and was cut."""


class _Cut:
    """Closes `connection`'s socket after `seconds`: the backend's timeout bounds each socket
    operation only, and a server trickling bytes would outlast the lease."""

    def __init__(self, connection: BaseEmailBackend, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self.done = threading.Event()
        self.timer = threading.Timer(seconds, self.cut_off)
        self.timer.daemon = True
        self.timer.start()

    def cut_off(self) -> None:
        self.done.set()
        sock = getattr(getattr(self.connection, "connection", None), "sock", None)
        if sock is not None:  # wakes the worker's blocked read or write with an error
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


def _send_one(
    connection: BaseEmailBackend, email: OutboxEmail, extra: dict[str, Any], cut: _Cut
) -> str:
    """One row's attempt over `connection`, which `cut` may close; records and logs it."""
    try:
        message = render_email(email, extra)
        message.connection = connection
        connection.open()  # kept open by the batch: send() closes only what it opened
        message.send()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row, retried
        error = exc
        if cut.done.is_set():
            error = AttemptCut(f"SMTP conversation cut after {cut.seconds:g} s")
        if not isinstance(error, REFUSALS):  # the conversation broke: not for the next row
            _drop(connection)
        return _log_attempt(email, _record_failure(email.pk, error))
    # One statement, atomic on its own: no transaction around it (one round trip less), and
    # right after the "250": a worker killed later in the batch resends no earlier row.
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENT,
        subject=str(message.subject),
        sent_at=timezone.now(),
        last_error="",
        sealed_secrets="",
    )
    return _log_attempt(email, OUTCOMES[OutboxEmail.Status.SENT])


def _is_open(connection: BaseEmailBackend) -> bool:
    """Whether `connection` still serves the next row: always for a backend without a
    socket (the dev inbox, tests' locmem), and for SMTP while it has one."""
    if not hasattr(connection, "connection"):
        return True
    smtp = connection.connection
    return smtp is not None and getattr(smtp, "sock", None) is not None


def _drop(connection: BaseEmailBackend, *, quit: bool = False) -> None:
    """Close `connection`: with QUIT when it is healthy (`quit`), else by closing its socket,
    since a server that stalled or broke the conversation would only stall a QUIT too."""
    smtp = getattr(connection, "connection", None)
    if quit and _is_open(connection):
        with contextlib.suppress(Exception):
            connection.close()
        return
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()
        connection.connection = None  # type: ignore[attr-defined]


def _release(rows: Claimed, attempted: int) -> None:
    """Give back the attempt of rows the batch did not start, and their lease: they are due
    now, for beat's next `send_pending`."""
    pks = [email.pk for email, _extra in rows]
    OutboxEmail.objects.filter(pk__in=pks, status__in=PENDING_SPELLINGS).update(
        attempts=F("attempts") - 1, next_attempt_at=timezone.now()
    )
    log.info(
        "Outbox batch stopped after %s rows; %s released for their next attempt",
        attempted, len(pks),
        extra={"outbox_ids": pks},
    )  # fmt: skip


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


def _claim(pk: int) -> str | Claimed:
    """Step 1, committed before anything is sent: row `pk` and the other rows due now, up to
    OUTBOX_BATCH_SIZE in all and none another worker holds (those after `pk` first: the rest
    of a transaction's rows, whose task is only the first's; then the oldest): count each
    one's attempt and set its next (its lease: no one else tries it before then, and the
    only retry schedule), and make its secrets once. Returns why row `pk` is not to be sent,
    or the rows to send (`pk` first) with their secrets."""
    with transaction.atomic():
        try:  # get(), not first(): no ORDER BY to build and send for one primary key
            email = OutboxEmail.objects.select_for_update(skip_locked=True).get(pk=pk)
        except OutboxEmail.DoesNotExist:
            return "locked" if OutboxEmail.objects.filter(pk=pk).exists() else "missing"
        if email.status not in PENDING_SPELLINGS:
            return OUTCOMES[email.current_status]
        now = timezone.now()
        if email.next_attempt_at is not None and email.next_attempt_at > now:
            return "not_due"
        rows = [email]
        if settings.OUTBOX_BATCH_SIZE > 1:
            ready = OutboxEmail.objects.select_for_update(skip_locked=True).filter(
                status__in=PENDING_SPELLINGS
            )
            after_first = Case(When(pk__gt=pk, then=Value(0)), default=Value(1))
            ready = ready.exclude(pk=pk).exclude(next_attempt_at__gt=now)
            rows += ready.order_by(after_first, "pk")[: settings.OUTBOX_BATCH_SIZE - 1]
        # The lease outlasts the longest attempt (the batch's window), so no one retries a row
        # still being sent; a failure then sets the retry from its own time (_record_failure).
        leased_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        claimed: Claimed = []
        leased: list[int] = []  # rows whose only change is the attempt and the lease
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = max(leased_until, now + backoff(row.attempts))
            provider = secret_providers.provider_for(row.template)
            if provider is None and not row.secret_provider:  # most rows: no savepoint
                claimed.append((row, {}))
                if row.next_attempt_at == leased_until:
                    leased.append(row.pk)
                else:  # a late attempt: its retry is further off than the lease
                    row.save(update_fields=["attempts", "next_attempt_at"])
                continue
            try:
                with transaction.atomic():  # a provider's half-done writes are undone alone
                    claimed.append((row, _secrets(row, provider)))
                row.save(update_fields=["attempts", "next_attempt_at", "sealed_secrets"])
            except Exception as exc:  # noqa: BLE001 - e.g. the user already chose a password
                row.save(update_fields=["attempts", "next_attempt_at"])
                outcome = _log_attempt(row, _record_failure(row.pk, exc))
                if row.pk == pk:  # the first row: nothing else is claimed
                    return outcome
        if leased:  # one UPDATE for most of a batch (the rows are locked: F() is their count)
            OutboxEmail.objects.filter(pk__in=leased).update(
                attempts=F("attempts") + 1, next_attempt_at=leased_until
            )
    return claimed


def _secrets(
    email: OutboxEmail, provider: secret_providers.SecretProvider | None
) -> dict[str, Any]:
    """The row's secrets: unsealed if a previous attempt made them, else made now by its
    template's provider, once, and sealed on the row (saved by the caller with the attempt).

    A row the previous release queued carries its provider's dotted path, which is not
    imported: every such path is the provider now registered for the row's template."""
    if email.sealed_secrets:
        try:
            return crypto.unseal(email.sealed_secrets)
        except crypto.InvalidToken:
            # The key changed (OUTBOX_SECRETS_KEY or SECRET_KEY rotated): a copy already sent
            # cannot be repeated, so a new secret replaces it rather than losing the email.
            log.warning("Outbox email %s: sealed secrets unreadable, made anew", email.pk)
    if provider is None:
        # A stored path, but its template has no provider now: without its secret the email
        # would be useless, so the attempt fails loudly (and the row is retried, then failed).
        raise LookupError(f"No secret provider is registered for template {email.template!r}")
    extra = provider(email)
    email.sealed_secrets = crypto.seal(extra)
    return extra


def smtp_reply_code(exc: Exception) -> int | None:
    """The SMTP reply code an error carries (the lowest of refused recipients), or None."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return min(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code
    return None


def is_permanent_refusal(exc: Exception) -> bool:
    """A 5xx to MAIL, RCPT or DATA: the server will never take this email, retries only
    repeat the refusal (and the row would look like an outage for a day)."""
    refused = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    code = smtp_reply_code(exc)
    return isinstance(exc, refused) and code is not None and 500 <= code < 600


def describe_error(exc: Exception) -> str:
    """The error as stored and logged: for an SMTP reply its code only, since the server's
    text and a refused-recipients error name the address."""
    code = smtp_reply_code(exc)
    if code is not None:
        return f"{type(exc).__name__}: {code}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _record_failure(pk: int, exc: Exception) -> str:
    """Step 3 after a failed attempt: keep the error and set the retry from now; after the
    last attempt, or at once for a permanent refusal, the row is failed, its secrets wiped,
    and one line is logged (someone must act on it)."""
    permanent = is_permanent_refusal(exc)
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().get(pk=pk)
        if email.status not in PENDING_SPELLINGS:  # sent meanwhile by another attempt
            return OUTCOMES[email.current_status]
        email.last_error = describe_error(exc)
        if permanent or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = OutboxEmail.Status.FAILED
            email.sealed_secrets = ""
        else:  # from the failure's time: the claim's lease must not slow the retries
            email.next_attempt_at = timezone.now() + backoff(email.attempts)
        if permanent and not isinstance(exc, smtplib.SMTPSenderRefused):  # about the address
            email.refused_code = smtp_reply_code(exc)
        email.save(
            update_fields=[
                "last_error", "status", "sealed_secrets", "next_attempt_at", "refused_code",
            ]
        )  # fmt: skip
    if permanent:
        _refused_for_good(email, exc)
    elif email.current_status == OutboxEmail.Status.FAILED:
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
    return OUTCOMES[email.current_status]


def _refused_for_good(email: OutboxEmail, exc: Exception) -> None:
    """Log a permanent refusal and, when it is about the address (RCPT, DATA), tell the app
    that wrote the row once the failure is committed (email_refused)."""
    if isinstance(exc, smtplib.SMTPSenderRefused):  # about our sender: an operator must act
        log.error(
            "Outbox email %s (%s) refused for good, sender rejected: %s",
            email.pk, email.template, email.last_error,
        )  # fmt: skip
        return
    log.warning(
        "Outbox email %s (%s) refused for good, address undeliverable: %s",
        email.pk, email.template, email.last_error,
    )  # fmt: skip
    code = smtp_reply_code(exc)

    def announce() -> None:
        for receiver, result in email_refused.send_robust(OutboxEmail, email=email, code=code):
            if isinstance(result, Exception):  # the row stays failed; the mark is lost
                log.error(
                    "Outbox email %s: %s failed to mark the refusal: %s",
                    email.pk, getattr(receiver, "__qualname__", receiver), type(result).__name__,
                )  # fmt: skip

    transaction.on_commit(announce)


def pending_ids(limit: int = 200) -> list[int]:
    """The oldest rows still pending whose retry time has come, for `send_pending`."""
    now = timezone.now()
    rows = OutboxEmail.objects.filter(status__in=PENDING_SPELLINGS).exclude(next_attempt_at__gt=now)
    return list(rows.order_by("created_at").values_list("pk", flat=True)[:limit])
