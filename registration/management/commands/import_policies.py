from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from portal.csv_import import read_csv_file
from registration.policies import import_policies, read_policies_csv


class Command(BaseCommand):
    help = "Importa (o actualiza) pólizas y sus titulares desde un CSV. Todo o nada."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "file", help="CSV UTF-8 con encabezado (columnas como demo/policies.csv)"
        )

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        people, created, updated = import_policies(read_csv_file(file, read_policies_csv))
        self.stdout.write(
            self.style.SUCCESS(
                f"Pólizas: {created} nuevas, {updated} actualizadas; {people} clientes nuevos."
            )
        )
