"""`manage.py purge_personal_data [--dry-run]`: delete or anonymise what is past
settings.RETENTION_DAYS now, as beat does daily; `make run` runs it at start, since the
embedded mode has no beat."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext

from portal import retention


class Command(BaseCommand):
    help = (
        "Elimina o anonimiza los datos personales que rebasaron su plazo de conservación "
        "(RETENTION_DAYS) e imprime cuántos registros de cada tipo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Solo cuenta lo que se eliminaría o anonimizaría; no cambia nada.",
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        counts = retention.purge(dry_run=dry_run)
        if dry_run:
            title = gettext("Simulación: registros que se eliminarían o anonimizarían")
        else:
            title = gettext("Registros eliminados o anonimizados")
        self.stdout.write(f"{title}:")
        for kind, count in counts.items():
            self.stdout.write(f"  {kind}: {count}")
