"""Admin "Reenviar credenciales" on an approved request: a NEW temporary password replaces the
old one at once, the two emails go again, and the audit records who resent them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client

from agents import services
from agents.models import Decision
from tests.helpers import PASSWORD_LINE, USERNAME_LINE

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agents/accessrequest/"
LOGIN = "/agentes/ingresar/"


def resend(client, request, capture):
    data = {"action": "resend_credentials", "index": "0", "_selected_action": [str(request.pk)]}
    with capture(execute=True):
        return client.post(f"{CHANGELIST}?estatus=todas", data, follow=True)


def emailed_credentials() -> tuple[str, str]:
    username = next(m for m in mail.outbox if USERNAME_LINE.search(m.body))
    password = next(m for m in mail.outbox if PASSWORD_LINE.search(m.body))
    return USERNAME_LINE.search(username.body)[1], PASSWORD_LINE.search(password.body)[1]


def signs_in(username: str, password: str) -> bool:
    client = Client()
    client.post(LOGIN, {"username": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture
def approved(make_request, make_reviewer, django_capture_on_commit_callbacks):
    """An approved request, its emailed credentials, and the reviewer."""
    request = make_request()
    reviewer = make_reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_request(request.pk, reviewer)
    credentials = emailed_credentials()
    mail.outbox.clear()
    return request, credentials, reviewer


def test_resend_issues_a_new_temporary_password_and_the_old_one_stops_working(
    client, approved, django_capture_on_commit_callbacks
):
    request, (username, old_password), reviewer = approved
    client.force_login(reviewer)
    response = resend(client, request, django_capture_on_commit_callbacks)

    assert f"Credenciales reenviadas a: {username}." in response.text
    assert len(mail.outbox) == 2  # the username, then the password, as at approval
    assert all(m.to == [request.email] for m in mail.outbox)
    new_username, new_password = emailed_credentials()
    assert new_username == username
    assert new_password != old_password
    assert not signs_in(username, old_password)
    assert signs_in(username, new_password)  # to "Cambio de contraseña": it is temporary
    decision = Decision.objects.get(request=request, decision=Decision.Kind.RESEND_CREDENTIALS)
    assert decision.decided_by == reviewer
    assert decision.get_decision_display() == "credenciales reenviadas"
    request.refresh_from_db()
    assert request.status == "aprobada"


def test_resend_also_replaces_a_password_the_agent_already_chose(
    approved, django_capture_on_commit_callbacks
):
    request, (username, _old), reviewer = approved
    request.agent.refresh_from_db()
    user = request.agent.user
    user.set_password("Propia-Del-Agente-2026")
    user.password_expired = False
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.resend_credentials(request.pk, reviewer)
    assert not signs_in(username, "Propia-Del-Agente-2026")
    assert signs_in(username, emailed_credentials()[1])


def test_the_old_password_stops_working_at_once_not_when_the_email_goes(approved):
    request, (username, old_password), reviewer = approved
    services.resend_credentials(request.pk, reviewer)  # the emails wait for the commit
    assert mail.outbox == []
    assert not signs_in(username, old_password)


def test_staff_without_the_review_permission_cannot_resend(
    client, approved, make_reviewer, django_capture_on_commit_callbacks
):
    request, (username, old_password), _reviewer = approved
    client.force_login(make_reviewer("mirona", review=False, is_superuser=False))
    resend(client, request, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert signs_in(username, old_password)
    assert not Decision.objects.filter(decision=Decision.Kind.RESEND_CREDENTIALS).exists()
    with pytest.raises(PermissionDenied):
        services.resend_credentials(request.pk, make_reviewer("otra", review=False))


def test_only_an_approved_request_resends_even_when_its_agent_has_an_account(
    approved, make_request
):
    request, _credentials, reviewer = approved
    request.agent.refresh_from_db()
    rejected = make_request(agent=request.agent, status="rechazada")
    with pytest.raises(services.DecisionError):
        services.resend_credentials(rejected.pk, reviewer)


def test_a_pending_request_has_no_credentials_to_resend(
    client, make_request, make_reviewer, django_capture_on_commit_callbacks
):
    request = make_request()
    client.force_login(make_reviewer())
    response = resend(client, request, django_capture_on_commit_callbacks)
    assert f"La solicitud {request.pk} no está aprobada con un usuario del portal." in (
        response.text
    )
    assert mail.outbox == []
    assert not Decision.objects.filter(decision=Decision.Kind.RESEND_CREDENTIALS).exists()
