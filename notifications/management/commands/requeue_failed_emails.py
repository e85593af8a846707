from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from notifications.recovery import requeue_emails
from notifications.selectors import failed_emails


class Command(BaseCommand):
    help = (
        "Vuelve a poner en cola los correos fallidos (tras una caída del servidor de correo), "
        "con todos sus intentos."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Solo cuenta los correos fallidos."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        ids = list(failed_emails().values_list("pk", flat=True))
        if dry_run:
            found = ngettext(
                "%(count)d correo fallido; ninguno puesto en cola (--dry-run).",
                "%(count)d correos fallidos; ninguno puesto en cola (--dry-run).",
                len(ids),
            )
            self.stdout.write(found % {"count": len(ids)})
            return
        count = requeue_emails(ids=ids)
        done = ngettext(
            "%(count)d correo fallido en cola de nuevo.",
            "%(count)d correos fallidos en cola de nuevo.",
            count,
        )
        self.stdout.write(self.style.SUCCESS(done % {"count": count}))
