"""Demo data for `make run`: fictional SAA agents in every state the request wizard knows,
"Novedades" for the home page, and the demo reviewer of the back-office."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction

from .models import AccessRequest, Agent, Announcement, Role

DEMO_CSV = Path(settings.BASE_DIR) / "demo" / "saa.csv"
REVIEWER = ("revisor", "revisor-demo-2026")


def load(stdout: TextIO) -> list[str]:
    """Import demo/saa.csv, set the agents' states and the reviewer; returns its login."""
    call_command("import_saa", str(DEMO_CSV), stdout=stdout)
    with transaction.atomic():
        _agent_states()
        _reviewer()
    username, password = REVIEWER
    return [
        f"Revisor de demostración: usuario «{username}», contraseña «{password}» (en /admin/): "
        "solo revisa solicitudes de agentes (grupo «Revisores»)"
    ]


def _agent_states() -> None:
    User = get_user_model()
    # 4002: already has access to the portal.
    agent = Agent.objects.get(clave_agente="4002")
    if agent.user_id is None:
        user, _ = User.objects.get_or_create(
            username="EFCA0001",
            defaults={
                "first_name": agent.nombre,
                "last_name": f"{agent.apellido_paterno} {agent.apellido_materno}".strip(),
                "email": agent.email,
                "kind": User.Kind.AGENT,
            },
        )
        user.set_unusable_password()
        user.save()
        agent.user = user
        agent.save(update_fields=["user"])
    # 5003: has a request pending review.
    agent = Agent.objects.get(clave_agente="5003")
    if not agent.requests.filter(status=AccessRequest.Status.PENDING).exists():
        request = AccessRequest.objects.create(
            agent=agent, role=Role.objects.get(code="AGENTE"), email=agent.email
        )
        request.channels.set(agent.channels.all())
    # "Novedades" on the home page, as in the manual's screenshot.
    for title, body in [
        ("Masters MetLife", "¿Preocupado por el retiro? Conoce nuestros planes."),
        ("FlexiLife", "Ahora ya puedes consultar el rendimiento acumulado de FlexiLife."),
    ]:
        Announcement.objects.get_or_create(title=title, defaults={"body": body})


def _reviewer() -> None:
    User = get_user_model()
    username, password = REVIEWER
    user, created = User.objects.get_or_create(
        username=username,
        # An address of its own: the reviewers' morning digest (agents.alerts) goes to it.
        defaults={
            "first_name": "Revisora",
            "last_name": "Demo",
            "email": "revisora.demo@ejemplo.test",
            "is_staff": True,
        },
    )
    if created:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name="Revisores"))
