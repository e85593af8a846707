"""Demo data for `make run`: the back-office administrator, whose login can do every
back-office task the README lists; the demo reviewer (`agents.demo`) only reviews."""

from __future__ import annotations

from typing import TextIO

from .models import User

ADMINISTRATOR = ("administrador", "administrador-demo-2026")


def load(stdout: TextIO) -> list[str]:
    """Create the demo administrator once; returns its login."""
    username, password = ADMINISTRATOR
    # A superuser, as `createsuperuser` makes: inviting clients, "Novedades", re-sending
    # emails and lifting lockouts are not the "Revisores" group's, which stays least
    # privilege. An existing account of that name is left as it is, never promoted.
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": "Administradora",
            "last_name": "Demo",
            "kind": User.Kind.STAFF,
            "is_staff": True,
            "is_superuser": True,
        },
    )
    if created:
        user.set_password(password)
        user.save()
    return [
        f"Administrador de demostración: usuario «{username}», contraseña «{password}» "
        "(en /admin/): todas las tareas de back-office, también invitar clientes"
    ]
