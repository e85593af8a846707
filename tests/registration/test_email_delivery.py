"""The registration emails through a real Celery worker and SMTP server (000 pasos 4–6)."""

import re

import pytest
from django.test import Client

from notifications.models import OutboxEmail
from registration.models import Person
from tests.helpers import ClientWizard


def body_of(message) -> str:
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode()


@pytest.mark.worker
def test_code_and_link_arrive_by_smtp_and_complete_the_registration(
    make_person, celery_worker, smtp_sink
):
    person = make_person(emails=["ana@ejemplo.test"])
    client = Client()
    wizard = ClientWizard(client)
    wizard.identify(person)
    wizard.choose_email(email="ana@ejemplo.test")  # autocommit: the code is queued at once
    messages = smtp_sink.wait_for(1, timeout=60)
    assert messages[0]["To"] == "ana@ejemplo.test"
    code = re.search(r"\b(\d{6})\b", body_of(messages[0])).group(1)
    # The code is in the email only: neither the outbox row nor the task carried it.
    assert code not in str(OutboxEmail.objects.get(template="codigo").context)
    response = wizard.enter_code(code)
    assert response.redirect_chain[-1] == ("/clientes/registro/listo/", 302)
    messages = smtp_sink.wait_for(2, timeout=60)
    link = re.search(r"https?://\S+/clientes/contrasena/\S+/", body_of(messages[1])).group(0)
    response = client.get(link, follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "Cedro-azul-2026!", "new_password2": "Cedro-azul-2026!"},
        follow=True,
    )
    assert "¡Éxito!" in response.text
    assert Person.objects.get(pk=person.pk).user.check_password("Cedro-azul-2026!")
