"""Delivering one outbox row over a real SMTP server (aiosmtpd): every copy of a row carries
the row's Message-ID, a secret is made once per row and kept sealed until the row is sent,
the row's `next_attempt_at` is the one retry schedule, and the last failure is loud."""

import logging
import re
from datetime import UTC, datetime

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.utils import timezone

from notifications import crypto, secret_providers, services
from notifications.models import OutboxEmail
from portal import codes

pytestmark = pytest.mark.django_db

PROVIDED: list[str] = []  # each code counting_provider made, in order


def counting_provider(email: OutboxEmail) -> dict[str, object]:
    """A secret provider that records each call: a new code every time it runs."""
    PROVIDED.append(f"{len(PROVIDED) + 1:06d}")
    return {"code": PROVIDED[-1], "minutes": 10}


def failing_provider(email: OutboxEmail) -> dict[str, object]:
    raise LookupError("the user this email is for is gone")


@pytest.fixture
def smtp(smtp):
    PROVIDED.clear()
    return smtp


@pytest.fixture
def queue_code_email(monkeypatch):
    """Queue a code email whose secrets a test provider makes, in place of portal.codes'."""

    def queue(provider=counting_provider) -> OutboxEmail:
        monkeypatch.setitem(secret_providers._by_template, "codigo", provider)
        return services.queue_email("ana@ejemplo.test", "codigo", {"full_name": "ANA"})

    return queue


def make_due(row: OutboxEmail) -> None:
    """The row's next attempt has come (instead of waiting for its backoff)."""
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def code_in(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return re.search(r"\b(\d{6})\b", text).group(1)


class AcceptedThenLostBackend(EmailBackend):
    """SMTP that delivers, then fails before the sender learns it (a connection reset after
    the server's 250; tests/system/test_email_windows.py kills a real worker there)."""

    def send_messages(self, email_messages):
        super().send_messages(email_messages)
        raise ConnectionResetError("connection lost after the message was accepted")


def test_a_copy_resent_after_the_server_accepted_it_has_the_same_message_id_and_code(
    smtp, settings
):
    codes.send_code(
        "registro", "person:1", "ana@ejemplo.test", "codigo", {"full_name": "ANA"},
        session_key="s", ip="10.0.0.1",
    )  # fmt: skip
    row = OutboxEmail.objects.get()
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.AcceptedThenLostBackend"
    assert services.deliver_email(row.pk) == "pending"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    row.refresh_from_db()
    assert len(smtp.messages) == 1 and row.attempts == 1
    assert row.sealed_secrets and code_in(smtp.messages[0]) not in row.sealed_secrets

    make_due(row)
    assert services.deliver_email(row.pk) == "sent"
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert code_in(first) == code_in(second)
    check = codes.check_code("registro", "person:1", "ana@ejemplo.test", code_in(first))
    assert check == codes.Check.OK
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.sealed_secrets == ""


def test_each_row_has_its_own_message_id_in_the_senders_domain(smtp):
    rows = [services.queue_email(to, "solicitud_recibida", {"full_name": "ANA"})
            for to in ("ana@ejemplo.test", "bea@ejemplo.test")]  # fmt: skip
    for row in rows:
        assert services.deliver_email(row.pk) == "sent"
    sent = [m["Message-ID"] for m in smtp.messages]
    assert sent == [row.message_id for row in rows] and sent[0] != sent[1]
    assert all(re.fullmatch(r"<\S+@alta\.test>", message_id) for message_id in sent)


def test_the_secret_is_made_once_per_row_whatever_the_attempts(smtp, queue_code_email):
    smtp.refuse = True
    row = queue_code_email()
    for _ in range(3):
        assert services.deliver_email(row.pk) == "pending"
        make_due(row)
    smtp.refuse = False
    assert services.deliver_email(row.pk) == "sent"
    assert PROVIDED == ["000001"]  # one call, at the first attempt
    assert [code_in(m) for m in smtp.messages] == ["000001"]
    row.refresh_from_db()
    assert row.attempts == 4 and row.sealed_secrets == ""


def test_a_row_is_not_attempted_before_its_next_attempt_at(smtp, queue_code_email, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    smtp.refuse = True
    row = queue_code_email()
    before = timezone.now()
    assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    # Set from the failure: half to all of the first backoff.
    assert before.timestamp() + 30 <= row.next_attempt_at.timestamp() <= before.timestamp() + 61
    # A stray task (a redelivered one, a second chain) finds the row not due: no attempt.
    assert services.deliver_email(row.pk) == "not_due"
    assert smtp.attempts == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_the_last_attempt_fails_the_row_wipes_its_secrets_and_logs_an_error(
    smtp, queue_code_email, settings, caplog
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    smtp.refuse = True
    row = queue_code_email()
    assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    assert row.sealed_secrets
    make_due(row)
    with caplog.at_level(logging.WARNING, logger="notifications"):
        assert services.deliver_email(row.pk) == "failed"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED and row.sealed_secrets == ""
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == ["notifications"]
    assert f"Outbox email {row.pk}" in errors[0].getMessage()
    assert "451" in errors[0].getMessage()
    make_due(row)
    assert services.deliver_email(row.pk) == "failed" and smtp.attempts == 2


def test_a_provider_error_is_a_failed_attempt_and_sends_nothing(smtp, queue_code_email):
    row = queue_code_email(failing_provider)
    assert services.deliver_email(row.pk) == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and row.last_error.startswith("LookupError")
    assert row.next_attempt_at > timezone.now() and row.sealed_secrets == ""
    assert smtp.attempts == 0


def test_sealed_values_round_trip_and_need_the_same_key(settings):
    values = {"key": "K7QH-2MZP-9XTA", "expires": datetime(2026, 3, 1, 12, 30, tzinfo=UTC)}
    sealed = crypto.seal(values)
    assert "K7QH" not in sealed and "2026" not in sealed
    assert crypto.unseal(sealed) == values  # the datetime comes back a datetime
    settings.OUTBOX_SECRETS_KEY = "another key, set apart from SECRET_KEY"
    with pytest.raises(crypto.InvalidToken):
        crypto.unseal(sealed)
    assert crypto.unseal(crypto.seal(values)) == values


def test_secrets_sealed_with_an_old_key_are_made_anew_rather_than_lost(
    smtp, queue_code_email, settings
):
    smtp.refuse = True
    row = queue_code_email()
    services.deliver_email(row.pk)
    settings.OUTBOX_SECRETS_KEY = "rotated"
    smtp.refuse = False
    make_due(row)
    assert services.deliver_email(row.pk) == "sent"
    assert PROVIDED == ["000001", "000002"]
    assert code_in(smtp.messages[0]) == "000002"
