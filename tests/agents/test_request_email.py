"""The "Solicitud recibida" email (001 §3.7): content, outbox, delivery by a real worker."""

import pytest
from django.core import mail

from agents import services
from agents.models import AccessRequest, Role
from notifications.models import OutboxEmail
from notifications.services import deliver_email


def submit(agent, email=None):
    """File a request with `email`, by default the agent's SAA email (the manual's case)."""
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    return services.submit_access_request(
        clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)), role=role,
        email=email or agent.email,
    )  # fmt: skip


@pytest.mark.django_db
def test_email_has_the_manuals_wording_in_text_and_html(make_agent):
    agent = make_agent(
        nombre="JUAN", apellido_paterno="PEREZ", apellido_materno="PEREZ",
        email="xsoto@ejemplo.test",
    )  # fmt: skip
    submit(agent)
    outbox = OutboxEmail.objects.get()
    assert deliver_email(outbox.pk) == "sent"
    message = mail.outbox[0]
    assert message.to == ["xsoto@ejemplo.test"]
    assert "Registro de Usuario Portal" in message.subject
    text = message.body
    assert "Estimado usuario(a) JUAN PEREZ PEREZ" in text
    assert (
        'Se ha recibido tu petición de "Registro de Usuario Portal" la cual está siendo '
        "evaluada por los servicios de MetLife" in text
    )
    assert "en breve recibirás una notificación de aceptación o declinación de tu registro" in text
    assert "En un periodo no mayor a 3 días hábiles" in text
    assert "Gracias por usar nuestros servicios." in text
    assert "Este es un correo generado por el sistema." in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<strong>JUAN PEREZ PEREZ</strong>" in html
    assert "no mayor a 3 días hábiles" in html


@pytest.mark.django_db
def test_brand_comes_from_portal_brand(make_agent, settings):
    settings.PORTAL_BRAND = "Aseguradora Ficticia"
    submit(make_agent())
    deliver_email(OutboxEmail.objects.get().pk)
    assert "servicios de Aseguradora Ficticia" in mail.outbox[0].body


@pytest.mark.django_db
def test_outbox_row_is_written_with_the_request_and_rolled_back_with_it(make_agent):
    from django.db import transaction

    agent = make_agent()
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(agent)
        assert OutboxEmail.objects.count() == 1
        raise RuntimeError("something failed after the request was written")
    assert not AccessRequest.objects.exists() and not OutboxEmail.objects.exists()


@pytest.mark.django_db
def test_task_is_queued_only_after_commit(make_agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(make_agent())
        assert mail.outbox == []  # nothing is sent while the transaction is open
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT


@pytest.mark.worker
def test_a_real_worker_delivers_the_email_over_smtp(make_agent, celery_worker, smtp_sink):
    agent = make_agent(
        nombre="DIEGO", apellido_paterno="GARZA", apellido_materno="HERRERA",
        email="diego@ejemplo.test",
    )  # fmt: skip
    submit(agent)  # autocommit: queued to Redis at once
    messages = smtp_sink.wait_for(1, timeout=60)
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "diego@ejemplo.test"
    body = message.get_payload(0).get_payload(decode=True).decode()
    assert "Estimado usuario(a) DIEGO GARZA HERRERA" in body
    for _ in range(50):
        row = OutboxEmail.objects.get()
        if row.status == OutboxEmail.Status.SENT:
            break
        import time

        time.sleep(0.1)
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1
