"""Demo data for `make run`: the policy mirror and one client already registered."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from portal import notice

from .models import Person, PersonEmail

DEMO_CSV = Path(settings.BASE_DIR) / "demo" / "policies.csv"
REGISTERED_RFC = "MEAC780104PL4"  # CARLOS MÉNDEZ ARELLANO, two products
CLIENT = ("carlos.mendez@ejemplo.test", "cliente-demo-2026")


def load(stdout: TextIO) -> list[str]:
    """Import demo/policies.csv and give one person a client account; returns its login."""
    call_command("import_policies", str(DEMO_CSV), stdout=stdout)
    User = get_user_model()
    email, password = CLIENT
    with transaction.atomic():
        person = Person.objects.select_for_update().get(rfc=REGISTERED_RFC)
        if person.user_id is None:
            user, created = User.objects.get_or_create(
                username=email,
                defaults={
                    "email": email,
                    "first_name": person.nombre,
                    "last_name": f"{person.apellido_paterno} {person.apellido_materno}".strip(),
                    "kind": User.Kind.CLIENT,
                },
            )
            if created:
                user.set_password(password)
                user.save()
            person.user = user
            person.save(update_fields=["user"])
            PersonEmail.objects.get_or_create(person=person, email=email)
            if created:  # registered, as far as the demo goes: the notice was accepted
                notice.record_acceptance(user=user, source=notice.Source.REGISTRATION)
    return [
        f"Cliente de demostración: correo «{email}», contraseña «{password}» "
        "(en /clientes/ingresar/)"
    ]
