"""Demo data for `make run`: fictional SAA agents in every state and a demo reviewer."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from agents.models import AccessRequest, Agent, Announcement, Role

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
REVIEWER = ("revisor", "revisor-demo-2026")


class Command(BaseCommand):
    help = "Carga datos de demostración (ficticios) y crea el usuario revisor de demostración."

    def handle(self, *args, **options):
        call_command("import_saa", str(DEMO_DIR / "saa.csv"), stdout=self.stdout)
        with transaction.atomic():
            self._agent_states()
            self._reviewer()
        username, password = REVIEWER
        self.stdout.write(
            self.style.SUCCESS(
                f"Revisor de demostración: usuario «{username}», contraseña «{password}» "
                "(en /admin/)"
            )
        )
        from registration.demo import load_demo_clients

        client, client_password = load_demo_clients(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Cliente de demostración: correo «{client}», contraseña «{client_password}» "
                "(en /clientes/ingresar/)"
            )
        )

    def _agent_states(self):
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
        # "Novedades" on the agent portal's home (001 §4), as in the manual's screenshot.
        for title, body in [
            ("Masters MetLife", "¿Preocupado por el retiro? Conoce nuestros planes."),
            ("FlexiLife", "Ahora ya puedes consultar el rendimiento acumulado de FlexiLife."),
        ]:
            Announcement.objects.get_or_create(title=title, defaults={"body": body})

    def _reviewer(self):
        User = get_user_model()
        username, password = REVIEWER
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": "Revisora", "last_name": "Demo", "is_staff": True},
        )
        if created:
            user.set_password(password)
            user.save()
        group = Group.objects.filter(name="Revisores").first()
        if group:
            user.groups.add(group)
        else:  # until the Revisores group exists, the demo reviewer is a superuser
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
