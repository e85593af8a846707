import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from agents.saa import import_agents, read_saa_csv
from portal.csv_import import ImportProgress, read_csv_file


class Command(BaseCommand):
    help = "Importa (o actualiza) agentes del SAA desde un CSV. Todo o nada."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="CSV UTF-8 con encabezado (columnas como demo/saa.csv)")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        # A bar on a terminal; piped or logged, only the summary line below (counts, no data).
        started = time.monotonic()
        with ImportProgress(self.stdout) as progress:
            summary = import_agents(read_csv_file(file, read_saa_csv, progress), progress)
        summary.seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"SAA: {summary.read} filas leídas, {summary.inserted} agentes nuevos, "
                f"{summary.updated} actualizados, {summary.unchanged} sin cambios, "
                f"{summary.seconds:.1f} s."
            )
        )
