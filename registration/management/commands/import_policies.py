import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from portal.csv_import import ImportProgress, read_csv_file
from registration.policies import import_policies, read_policies_csv


class Command(BaseCommand):
    help = "Importa (o actualiza) pólizas y sus titulares desde un CSV. Todo o nada."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file", help="CSV UTF-8 con encabezado (columnas como demo/policies.csv)"
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        # A bar on a terminal; piped or logged, only the summary line below (counts, no data).
        started = time.monotonic()
        with ImportProgress(self.stdout) as progress:
            records = read_csv_file(file, read_policies_csv, progress)
            summary, people = import_policies(records, progress)
        summary.seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Pólizas: {summary.read} filas leídas, {summary.inserted} nuevas, "
                f"{summary.updated} actualizadas, {summary.unchanged} sin cambios; "
                f"{people} clientes nuevos; {summary.seconds:.1f} s."
            )
        )
