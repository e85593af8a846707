"""Secrets at rest (issue 5 §6): after the flows that hand out or take secrets — an agent's
temporary password, a client's registration code and set-password link, an invitation key,
a password reset, an email-change code — and the passwords people type in them, no secret
is found in clear in any database row (sessions decoded), the outbox, a Celery message in
Redis, or a log record.
"""

from __future__ import annotations

import base64
import json
import logging
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from portal.logging import JsonFormatter
from tests.helpers import (
    KEY_WIZARD_URL,
    PASSWORD_LINE,
    USERNAME_LINE,
    ClientWizard,
    last_code,
    next_rfc,
)

pytestmark = pytest.mark.django_db

TYPED = {  # what people type in the flows below
    "agent_new": "Girasol-Tranvia-8472",
    "agent_reset": "Cometa-Naranja-5519",
    "client_new": "Pelicano-Azul-3306",
}


class Secrets:
    """Every secret seen in the flows, and where to look for it."""

    def __init__(self, caplog):
        self.found: dict[str, str] = dict(TYPED)
        self.caplog = caplog

    def add(self, name: str, value: str) -> str:
        assert value and len(value) >= 6, (name, value)
        self.found[name] = value
        return value

    def from_email(self, name: str, pattern: str, group: int = 1) -> str:
        for message in reversed(mail.outbox):
            found = re.search(pattern, message.body)
            if found:
                return self.add(name, found.group(group))
        raise AssertionError(f"no email matches {pattern}")

    def places(self) -> dict[str, str]:
        """Every place a secret must not be, as text: each database row (sessions decoded,
        the outbox's context, subject and last error included) and each log record."""
        texts = {}
        for model in apps.get_models():
            for row in model.objects.values():
                texts[f"{model._meta.label} {row.get('id', row.get('pk', ''))}"] = repr(row)
        for session in Session.objects.all():
            decoded = SessionStore().decode(session.session_data)
            texts[f"session {session.session_key[:6]}…"] = json.dumps(decoded, default=str)
        line = JsonFormatter()  # what production writes, the records' extra fields included
        for number, record in enumerate(self.caplog.records):
            text = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
            text += line.format(record)
            texts[f"log {number} {record.name}"] = text
        return texts

    def assert_none_at_rest(self, when: str) -> None:
        leaks = [
            f"{name} in {place}"
            for place, text in self.places().items()
            for name, secret in self.found.items()
            if secret in text
        ]
        assert leaks == [], f"after {when}: {leaks}"
        # Sealed (encrypted) secrets are kept only until the row is sent.
        from notifications.models import OutboxEmail

        kept = OutboxEmail.objects.exclude(status=OutboxEmail.Status.PENDING)
        assert list(kept.exclude(sealed_secrets="").values_list("template", flat=True)) == []


@pytest.fixture
def secrets_seen(caplog):
    caplog.set_level(logging.DEBUG)
    return Secrets(caplog)


def in_commit(capture, action):
    """Run a request or service with on_commit callbacks run, as after a real commit."""
    with capture(execute=True):
        return action()


def test_no_secret_or_typed_password_is_stored_anywhere(
    make_request, make_reviewer, secrets_seen, django_capture_on_commit_callbacks
):
    from agents import services as agent_services
    from agents.models import Role

    capture = django_capture_on_commit_callbacks
    seen = secrets_seen
    Role.objects.get_or_create(code="AGENTE", defaults={"name": "Agente"})

    # 1. Approval: a generated username and a temporary password, in two emails (001 §3.7).
    reviewer = make_reviewer("revisora-secretos")
    admin = Client()
    admin.force_login(reviewer)
    request = make_request(email="xavier.secretos@ejemplo.test")
    in_commit(capture, lambda: agent_services.approve_request(request.pk, reviewer))
    temporary = seen.from_email("temporary password", PASSWORD_LINE.pattern)
    username = USERNAME_LINE.search("\n".join(m.body for m in mail.outbox)).group(1)
    seen.assert_none_at_rest("approval")

    # 2. First login with it, forced "Cambio de contraseña", login with the new password.
    agent = Client()
    response = agent.post("/agentes/ingresar/", {"username": username, "password": temporary})
    assert response.status_code == 302
    seen.assert_none_at_rest("login with the temporary password")
    new = TYPED["agent_new"]
    response = in_commit(
        capture,
        lambda: agent.post(
            "/agentes/contrasena/cambiar/",
            {"old_password": temporary, "new_password1": new, "new_password2": new},
        ),
    )
    assert response.status_code in (200, 302)
    response = agent.post("/agentes/ingresar/", {"username": username, "password": new})
    assert response.status_code == 302, response.text[:500]
    seen.assert_none_at_rest("password change and login")

    # 3. An email-change code (portal/codes.py).
    agent.post("/agentes/datos-de-contacto/", {"email": "xavier.secretos@ejemplo.test",
                                              "phone": "5512345678"})  # fmt: skip
    in_commit(
        capture,
        lambda: agent.post(
            "/agentes/correo/cambiar/",
            {
                "email": "xavier.nuevo@ejemplo.test",
                "email_confirmation": "xavier.nuevo@ejemplo.test",
                "password": new,  # an email change asks for the password in both portals
            },
        ),
    )
    code = seen.add("email-change code", last_code("xavier.nuevo@ejemplo.test"))
    seen.assert_none_at_rest("email-change code sent")
    response = agent.post("/agentes/correo/cambiar/codigo/", {"code": code})
    assert response.status_code == 302
    seen.assert_none_at_rest("email-change code entered")

    # 4. A password reset: the link's token, then a typed new password.
    stranger = Client()
    in_commit(
        capture,
        lambda: stranger.post(
            "/agentes/contrasena/olvide/", {"email": "xavier.nuevo@ejemplo.test"}
        ),
    )
    link = seen.from_email("reset link", r"http://testserver(/agentes/contrasena/\S+/\S+/)")
    seen.add("reset token", link.rstrip("/").split("/")[-1])
    seen.assert_none_at_rest("reset requested")
    set_url = stranger.get(link)["Location"]
    reset = TYPED["agent_reset"]
    response = stranger.post(set_url, {"new_password1": reset, "new_password2": reset})
    assert response.status_code == 302, response.text[:500]
    seen.assert_none_at_rest("reset done")

    # 5. Client registration (000): the 6-digit code, then the set-password link.
    holder = _holder()
    wizard = ClientWizard(Client())
    wizard.start()
    wizard.identify(holder)
    in_commit(capture, lambda: wizard.choose_email("ana.secretos@ejemplo.test"))
    code = seen.add("registration code", last_code("ana.secretos@ejemplo.test"))
    seen.assert_none_at_rest("registration code sent")
    response = in_commit(capture, lambda: wizard.enter_code(code))
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302), response.text[:500]
    link = seen.from_email("set-password link", r"http://testserver(/clientes/contrasena/\S+/\S+/)")
    seen.add("set-password token", link.rstrip("/").split("/")[-1])
    seen.assert_none_at_rest("registration")
    client = Client()
    set_url = client.get(link)["Location"]
    typed = TYPED["client_new"]
    response = client.post(set_url, {"new_password1": typed, "new_password2": typed})
    assert response.status_code == 302, response.text[:500]
    response = client.post(
        "/clientes/ingresar/", {"username": "ana.secretos@ejemplo.test", "password": typed}
    )
    assert response.status_code == 302
    seen.assert_none_at_rest("client password set and login")

    # 6. An invitation: the registration key, typed into the key wizard.
    from registration import services as registration_services

    invited = _holder(email="luis.secretos@ejemplo.test", poliza="99100002", rfc_prefix="LUSE")
    in_commit(
        capture,
        lambda: registration_services.invite(invited, by=reviewer, base_url="http://testserver/"),
    )
    key = seen.from_email("registration key", r"Tu clave de registro es: (\S+)")
    seen.assert_none_at_rest("invitation sent")
    key_wizard = ClientWizard(Client(), KEY_WIZARD_URL)
    key_wizard.start()
    response = key_wizard.identify_with_key(key, "99100002")
    assert response.status_code == 200 and "Productos" in response.text
    seen.assert_none_at_rest("registration key entered")
    in_commit(capture, lambda: key_wizard.choose_email("luis.secretos@ejemplo.test"))
    code = seen.add("key wizard code", last_code("luis.secretos@ejemplo.test"))
    response = in_commit(capture, lambda: key_wizard.enter_code(code))
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302), response.text[
        :500
    ]  # the key's flow completes
    seen.assert_none_at_rest("key registration done")

    assert len(seen.found) == 12, sorted(seen.found)


def _holder(email="ana.secretos@ejemplo.test", poliza="99100001", rfc_prefix="ANSE"):
    from datetime import date

    from registration.models import Person, PersonEmail, Policy

    person = Person.objects.create(
        rfc=next_rfc(rfc_prefix), nombre="ANA", apellido_paterno="SECRETO",
        apellido_materno="PRUEBA", fecha_nacimiento=date(1990, 5, 17),
    )  # fmt: skip
    Policy.objects.create(numero_poliza=poliza, producto="Vida", person=person)
    PersonEmail.objects.create(person=person, email=email)
    return person


def test_celery_messages_in_redis_carry_only_the_outbox_id(
    make_request, make_reviewer, django_capture_on_commit_callbacks
):
    """With a real broker (Redis), what `queue_email` publishes after commit is the task
    name and the outbox row's id; the secrets are made when the worker sends the email."""
    import redis

    from agents import services as agent_services
    from notifications.models import OutboxEmail
    from notifications.services import deliver_email
    from portal.celery import app
    from portal.models import User

    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete("celery")
    app.conf.task_always_eager = False  # publish to Redis; no worker consumes the queue
    try:
        reviewer = make_reviewer("revisora-broker")
        request = make_request(email="broker.secretos@ejemplo.test")
        with django_capture_on_commit_callbacks(execute=True):
            agent_services.approve_request(request.pk, reviewer)
        user = User.objects.get(email="broker.secretos@ejemplo.test")
        from portal.accounts.services import queue_password_link

        with django_capture_on_commit_callbacks(execute=True):
            queue_password_link(
                user, base_url="http://testserver/", template="restablecer_contrasena"
            )
    finally:
        app.conf.task_always_eager = True
    raw = broker.lrange("celery", 0, -1)
    outbox_ids = set(OutboxEmail.objects.values_list("pk", flat=True))
    # The approval's two emails (one transaction) are one task, for the first of them, whose
    # batch takes the other (notifications.services.enqueue_rows); the link's is another.
    assert len(raw) == 2 and len(outbox_ids) == 3
    published = []
    for message in raw:
        envelope = json.loads(message)
        assert envelope["headers"]["task"] == "notifications.tasks.deliver"
        args, kwargs, _ = json.loads(base64.b64decode(envelope["body"]))
        assert kwargs == {} and len(args) == 1 and isinstance(args[0], int)
        published.append(args[0])
    assert set(published) < outbox_ids

    # Now send them (as the worker would) and look for the secrets in what Redis held.
    mail.outbox.clear()
    for pk in published:
        assert deliver_email(pk) == "sent"  # the outcome words stay English (logs, tasks)
    assert len(mail.outbox) == 3
    bodies = "\n".join(m.body for m in mail.outbox)
    secrets = [
        PASSWORD_LINE.search(bodies).group(1),
        re.search(r"/agentes/contrasena/\S+/(\S+)/", bodies).group(1),
    ]
    held = b"\n".join(raw).decode()
    for secret in secrets:
        assert secret not in held
        for row in OutboxEmail.objects.all():
            assert secret not in f"{row.context} {row.subject} {row.last_error}"
            assert row.sealed_secrets == ""  # sent: the sealed copy is wiped


def test_an_opened_but_unused_reset_link_leaves_no_token_in_the_session(
    client, make_agent_user, secrets_seen, django_capture_on_commit_callbacks
):
    user = make_agent_user(email="abierto.secretos@ejemplo.test", clave_agente="77001")
    in_commit(
        django_capture_on_commit_callbacks,
        lambda: client.post("/agentes/contrasena/olvide/", {"email": user.email}),
    )
    link = secrets_seen.from_email("reset link", r"http://testserver(/agentes/contrasena/\S+/\S+/)")
    secrets_seen.add("reset token", link.rstrip("/").split("/")[-1])
    assert client.get(link).status_code == 302
    secrets_seen.assert_none_at_rest("reset link opened, password not chosen yet")
