"""Approval issues the agent's account; rejection tells the agent why (001 §3.7, §4)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agents import services
from agents.models import AccessRequest
from notifications.models import OutboxEmail
from portal.models import User
from tests.helpers import PASSWORD_LINE, USERNAME_LINE


def approve(request, reviewer, capture):
    with capture(execute=True):
        return services.approve_request(request.pk, reviewer)


def message_with(text: str):
    found = [m for m in mail.outbox if text in m.body]
    assert len(found) == 1, [m.body for m in mail.outbox]
    return found[0]


def test_approval_creates_an_agent_user_linked_to_the_agent(
    make_agent, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    agent = make_agent(
        nombre="XAVIER", apellido_paterno="SEMPERE", apellido_materno="PARRA",
        email="xavier@ejemplo.test",
    )  # fmt: skip
    request = make_request(agent)
    user = approve(request, make_reviewer(), django_capture_on_commit_callbacks)

    agent.refresh_from_db()
    assert agent.user == user
    assert re.fullmatch(r"SPXA\d{4}", user.username)
    assert user.kind == User.Kind.AGENT
    assert not user.is_staff
    assert user.email == "xavier@ejemplo.test"
    assert (user.first_name, user.last_name) == ("XAVIER", "SEMPERE PARRA")
    assert user.password_expired


def test_approval_sends_username_and_password_in_two_separate_emails(
    make_agent, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    request = make_request(make_agent(email="xavier@ejemplo.test"))
    user = approve(request, make_reviewer(), django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    assert all(m.to == ["xavier@ejemplo.test"] for m in mail.outbox)
    first = message_with("Se generó el siguiente usuario:")
    second = message_with("Se generó la siguiente contraseña:")
    assert "en atención a tu solicitud de una cuenta para la aplicación PORTAL FV AGENTES" in (
        first.body
    )
    assert "y los roles FFVV=AGENTE." in first.body
    assert USERNAME_LINE.search(first.body).group(1) == user.username
    password = PASSWORD_LINE.search(second.body).group(1)
    # Each email carries only its own secret half.
    assert password not in first.body
    assert user.username not in second.body
    assert password in second.alternatives[0][0]  # the HTML part too

    user.refresh_from_db()
    assert user.check_password(password)
    assert user.password.startswith("argon2")


def test_temporary_password_is_random_expired_and_valid_for_the_configured_hours(
    make_request, make_reviewer, django_capture_on_commit_callbacks, settings
):
    settings.TEMPORARY_PASSWORD_HOURS = 5
    before = timezone.now()
    user = approve(make_request(), make_reviewer(), django_capture_on_commit_callbacks)
    user.refresh_from_db()
    password = PASSWORD_LINE.search(message_with("contraseña:").body).group(1)

    assert re.fullmatch(r"[a-z0-9]{8}", password)
    assert user.password_expired
    assert before + timedelta(hours=5) <= user.temporary_password_expires_at
    assert user.temporary_password_expires_at <= timezone.now() + timedelta(hours=5)
    assert user.temporary_password_is_valid()
    user.temporary_password_expires_at = timezone.now() - timedelta(seconds=1)
    assert not user.temporary_password_is_valid()


def test_temporary_passwords_differ():
    passwords = {services.generate_temporary_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 8 and any(c.isdigit() for c in p) for p in passwords)


def test_outbox_never_stores_the_password(
    make_request, make_reviewer, django_capture_on_commit_callbacks
):
    approve(make_request(), make_reviewer(), django_capture_on_commit_callbacks)
    password = PASSWORD_LINE.search(message_with("contraseña:").body).group(1)

    row = OutboxEmail.objects.get(template="contrasena_generada")
    assert row.status == OutboxEmail.Status.SENT
    assert row.secret_provider == "agents.services.temporary_password_provider"
    stored = " ".join(
        str(getattr(r, f.name)) for r in OutboxEmail.objects.all() for f in r._meta.fields
    )
    assert password not in stored
    assert set(row.context) == {"user_id", "role", "hours"}


def test_a_failed_send_keeps_the_temporary_password_sealed_and_the_retry_sends_the_same(
    make_request, make_reviewer, django_capture_on_commit_callbacks, settings
):
    """The password is made once per outbox row: a copy that reached the agent before a
    failure was recorded (SMTP accepted, then the worker died) must still work."""
    from notifications.services import deliver_email

    settings.EMAIL_BACKEND = "tests.agents.test_issuance.RefusingBackend"
    user = approve(make_request(), make_reviewer(), django_capture_on_commit_callbacks)

    row = OutboxEmail.objects.get(template="contrasena_generada")
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1
    assert row.sealed_secrets  # encrypted: test_no_secrets_at_rest looks for it in clear
    user.refresh_from_db()
    assert user.has_usable_password()  # set once, at the first attempt

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert deliver_email(row.pk) == "sent"
    password = PASSWORD_LINE.search(message_with("contraseña:").body).group(1)
    user.refresh_from_db()
    assert user.check_password(password)
    row.refresh_from_db()
    assert row.attempts == 2 and row.sealed_secrets == ""


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_password_email_never_replaces_a_password_the_agent_chose(
    make_request, make_reviewer, django_capture_on_commit_callbacks
):
    user = approve(make_request(), make_reviewer(), django_capture_on_commit_callbacks)
    user.set_password("mi-propia-Clave-2026")
    user.password_expired = False
    user.save()
    row = OutboxEmail.objects.get(template="contrasena_generada")
    with pytest.raises(services.TemporaryPasswordNotNeeded):
        services.temporary_password_provider(row)
    user.refresh_from_db()
    assert user.check_password("mi-propia-Clave-2026")


def test_company_agent_gets_a_username_from_its_business_name(
    make_agent, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    agent = make_agent(
        nombre="SERVICIOS PATRIMONIALES DEL NORTE", apellido_paterno="", apellido_materno="",
        tipo_razon_social="MORAL",
        nombre_razon_social="SERVICIOS PATRIMONIALES DEL NORTE SA DE CV",
    )  # fmt: skip
    user = approve(make_request(agent), make_reviewer(), django_capture_on_commit_callbacks)
    assert re.fullmatch(r"SPNE\d{4}", user.username)
    assert user.first_name == "SERVICIOS PATRIMONIALES DEL NORTE SA DE CV"


def test_approval_of_an_agent_no_longer_in_force_is_refused(
    make_agent, make_request, make_reviewer
):
    request = make_request(make_agent())
    request.agent.en_vigor = False
    request.agent.save()
    with pytest.raises(services.DecisionError, match="no está en vigor"):
        services.approve_request(request.pk, make_reviewer())
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.PENDING
    assert not User.objects.filter(kind=User.Kind.AGENT).exists()
    assert not OutboxEmail.objects.exists()


def test_rejection_emails_the_reason_and_the_call_center(
    make_request, make_reviewer, django_capture_on_commit_callbacks, settings
):
    request = make_request(email="xavier@ejemplo.test")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_request(
            request.pk, make_reviewer(), "No se cuenta con la suficiente información."
        )

    (message,) = mail.outbox
    assert message.to == ["xavier@ejemplo.test"]
    assert "Registro de Usuario Portal" in message.subject
    assert 'Tu petición de "Registro de Usuario Portal" fue rechazada por el siguiente motivo:' in (
        message.body
    )
    assert "No se cuenta con la suficiente información." in message.body
    assert (
        f"Te pedimos por favor comunícate a nuestro servicio de Call Center "
        f"{settings.CALL_CENTER_PHONE}." in message.body
    )
    html = message.alternatives[0][0]
    assert f'<a href="tel:{settings.CALL_CENTER_TEL}" class="call-center">' in html
    assert settings.CALL_CENTER_PHONE in html
    assert not User.objects.filter(kind=User.Kind.AGENT).exists()


def test_rejection_needs_a_reason(make_request, make_reviewer):
    request = make_request()
    with pytest.raises(services.DecisionError):
        services.reject_request(request.pk, make_reviewer(), "   ")
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.PENDING


@pytest.mark.worker
def test_both_emails_arrive_by_smtp_through_a_real_worker(
    celery_worker, smtp_sink, make_agent, make_request, make_reviewer
):
    request = make_request(make_agent(email="xavier@ejemplo.test"))
    user = services.approve_request(request.pk, make_reviewer())

    messages = smtp_sink.wait_for(2)
    assert len(messages) == 2
    bodies = {}
    for message in messages:
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        bodies[message["X-Alta-Outbox-Id"]] = text.get_payload(decode=True).decode("utf-8")
    joined = "\n".join(bodies.values())
    assert USERNAME_LINE.search(joined).group(1) == user.username
    password = PASSWORD_LINE.search(joined).group(1)
    user.refresh_from_db()
    assert user.check_password(password)
