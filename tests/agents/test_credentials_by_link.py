"""AGENT_CREDENTIALS="link": the approved agent gets a single-use set-password link instead
of the manual's expired temporary password (OWASP ASVS 2.5.1; issue 5 §6)."""

import re

import pytest
from django.core import mail
from django.test import Client

from notifications.models import OutboxEmail

NEW = "Azul-Marino-Tlaquepaque-2026"


@pytest.mark.django_db
def test_approval_emails_username_and_a_link_that_sets_the_password_once(
    client, settings, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    settings.AGENT_CREDENTIALS = "link"
    request = make_request()
    client.force_login(make_reviewer())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/")
    user = request.agent.__class__.objects.get(pk=request.agent.pk).user
    assert not user.password_expired and not user.has_usable_password()
    assert [m.subject.split(": ", 1)[1] for m in mail.outbox] == [
        "Registro de Usuario Portal, usuario generado",
        "Registro de Usuario Portal, crea tu contraseña",
    ]
    body = mail.outbox[1].body
    assert "Se generó la siguiente contraseña" not in body
    link = re.search(r"http://testserver/agentes/\S+/", body).group(0)
    token = link.rstrip("/").split("/")[-1]
    assert all(token not in str(row.context) for row in OutboxEmail.objects.all())

    agent_browser = Client()
    client.logout()
    set_url = agent_browser.get(link).url
    response = agent_browser.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    again = Client().get(link, follow=True)
    assert "no es válido" in again.text
    login = agent_browser.post("/agentes/ingresar/", {"username": user.username, "password": NEW})
    assert login.status_code == 302 and "cambio" not in login.url  # no forced change


@pytest.mark.django_db
def test_default_is_the_manuals_temporary_password(
    client, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    request = make_request()
    client.force_login(make_reviewer())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/agents/accessrequest/{request.pk}/aprobar/")
    assert "Se generó la siguiente contraseña:" in mail.outbox[1].body


def test_an_unknown_setting_refuses_to_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "AGENT_CREDENTIALS": "sms"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "AGENT_CREDENTIALS" in result.stderr
