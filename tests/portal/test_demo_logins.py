"""The logins `make run` prints (issue 12, item 9): read from `load_demo`'s output, one of
them does every back-office task the README lists, client invitations (client path 2)
included; the demo reviewer reviews agent requests and nothing more."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from agents import services
from agents.models import AccessRequest, Agent, Announcement, Decision, Role
from notifications.models import OutboxEmail
from registration.models import Person, RegistrationKey

QUEUE = "/admin/agents/accessrequest/"
SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX"}
# "…: usuario «revisor», contraseña «…» (en /admin/)…", as load_demo prints each login.
BACK_OFFICE_LOGIN = re.compile(
    r"(\w[^:\n]*): usuario «([^»]+)», contraseña «([^»]+)» \(en /admin/\)"
)


@pytest.fixture
def demo_logins(db) -> dict[str, tuple[str, str]]:
    """load_demo run as `make run` runs it; its /admin/ logins by the role it names."""
    output = StringIO()
    call_command("load_demo", stdout=output)
    logins = {
        role: (username, password)
        for role, username, password in BACK_OFFICE_LOGIN.findall(output.getvalue())
    }
    assert logins, output.getvalue()
    return logins


def sign_in(client, username: str, password: str):
    """Through admin's login form, as a person does."""
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **SPANISH
    )
    assert response.status_code == 302, response.text
    return client


def action(client, name: str, url: str, pks, **extra):
    data = {"action": name, "index": "0", "_selected_action": [str(pk) for pk in pks], **extra}
    return client.post(url, data, follow=True, **SPANISH)


def file_request(clave: str, *, email: str | None = None) -> AccessRequest:
    """A request filed as the wizard files it, for a demo agent."""
    agent = Agent.objects.get(clave_agente=clave)
    return services.submit_access_request(
        clave_agente=agent.clave_agente, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)),
        role=Role.objects.get(code="AGENTE"), email=email or agent.email,
    )  # fmt: skip


def emails_to(address: str) -> list[str]:
    return list(OutboxEmail.objects.filter(to=address).values_list("template", flat=True))


# --- The README's back-office tasks, each through admin ------------------------------------


def approve_pending_request(client) -> None:
    """ "Try it with the demo reviewer on agent 5003": Aprobar on the request's page."""
    request = AccessRequest.objects.get(agent__clave_agente="5003", status="pendiente")
    client.post(f"{QUEUE}{request.pk}/aprobar/", follow=True, **SPANISH)
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    assert {"usuario_generado", "contrasena_generada"} <= set(emails_to(request.email))


def reject_request(client) -> None:
    request = file_request("1076")
    reason = "No se cuenta con la suficiente información."
    client.post(f"{QUEUE}{request.pk}/rechazar/", {"reason": "otro", "detail": reason}, **SPANISH)
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REJECTED
    assert request.rejection_reason == reason
    assert "solicitud_rechazada" in emails_to(request.email)


def approve_request_with_another_email(client) -> None:
    request = file_request("2045", email="angel.personal@ejemplo.test")
    page = client.post(f"{QUEUE}{request.pk}/aprobar/", **SPANISH)
    assert "Confirmo que verifiqué" in page.text
    client.post(f"{QUEUE}{request.pk}/aprobar/", {"confirming": "1", "confirm": "on"}, **SPANISH)
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.APPROVED
    assert Decision.objects.get(request=request).email_override_confirmed


def resend_credentials(client) -> None:
    request = AccessRequest.objects.get(agent__clave_agente="5003", status="aprobada")
    action(client, "resend_credentials", f"{QUEUE}?estatus=todas", [request.pk])
    assert Decision.objects.filter(request=request, decision=Decision.Kind.RESEND_CREDENTIALS)


def invite_client(client) -> None:
    """Client path 2: Clientes → "Enviar invitación de registro" for JOSÉ TORRES."""
    person = Person.objects.get(policies__numero_poliza="7100990045")
    listing = client.get("/admin/registration/person/", **SPANISH)
    assert "Enviar invitación de registro" in listing.text
    action(client, "send_invitation", "/admin/registration/person/", [person.pk])
    assert RegistrationKey.objects.filter(person=person).exists()
    assert emails_to("jose.torres@ejemplo.test") == ["invitacion_registro"]


def publish_announcement(client) -> None:
    """ "Novedades edited in admin"."""
    data = {"title": "Nueva tarifa", "body": "Consulta la tarifa 2027.",
            "published_at_0": "01/01/2026", "published_at_1": "09:00", "active": "on"}  # fmt: skip
    client.post("/admin/agents/announcement/add/", data, **SPANISH)
    assert Announcement.objects.filter(title="Nueva tarifa", active=True).exists()


def resend_failed_email(client) -> None:
    """Admin's "Reenviar" on a failed outbox row."""
    row = OutboxEmail.objects.order_by("pk").first()
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.FAILED)
    action(client, "requeue", "/admin/notifications/outboxemail/", [row.pk])
    row.refresh_from_db()
    assert row.status != OutboxEmail.Status.FAILED


REVIEW_TASKS = [approve_pending_request, reject_request, approve_request_with_another_email,
                resend_credentials]  # fmt: skip
EVERY_TASK = [*REVIEW_TASKS, invite_client, publish_announcement, resend_failed_email]


def test_make_run_prints_the_administrator_and_the_reviewer(demo_logins):
    assert set(demo_logins) == {"Administrador de demostración", "Revisor de demostración"}


def test_the_administrator_login_does_every_back_office_task_of_the_readme(client, demo_logins):
    sign_in(client, *demo_logins["Administrador de demostración"])
    for task in EVERY_TASK:
        task(client)


def test_the_reviewer_login_reviews_agent_requests_but_invites_nobody(client, demo_logins):
    sign_in(client, *demo_logins["Revisor de demostración"])
    for task in REVIEW_TASKS:
        task(client)
    person = Person.objects.get(policies__numero_poliza="7100990045")
    assert client.get("/admin/registration/person/", **SPANISH).status_code == 403
    action(client, "send_invitation", "/admin/registration/person/", [person.pk])
    assert emails_to("jose.torres@ejemplo.test") == []
