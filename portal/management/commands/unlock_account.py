"""`manage.py unlock_account USERNAME…`: lift the login locks of accounts, on the portals and
at /admin/, from every address: the way back in when the last superuser is locked out."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext, ngettext

from portal import lockout


class Command(BaseCommand):
    help = (
        "Desbloquea el inicio de sesión de las cuentas indicadas, en los portales y en /admin/, "
        "desde cualquier dirección."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="+", metavar="USUARIO")

    def handle(self, *args: Any, usernames: list[str], **options: Any) -> None:
        accounts = get_user_model()._default_manager
        for username in usernames:
            removed = lockout.unlock(username)
            line = ngettext(
                "%(username)s: desbloqueado; %(count)d intento borrado.",
                "%(username)s: desbloqueado; %(count)d intentos borrados.",
                removed,
            ) % {"username": username, "count": removed}
            # Names with no account are locked too (guesses count for them): lifted all the
            # same, and the operator learns of a typo.
            if not accounts.filter(username=username).exists():
                line += " " + gettext("No hay ninguna cuenta con ese nombre de usuario.")
            self.stdout.write(self.style.SUCCESS(line))
