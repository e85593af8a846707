import csv

from django.core.management.base import BaseCommand, CommandError

from registration.policies import ImportFailed, import_policies, read_policies_csv


class Command(BaseCommand):
    help = "Importa (o actualiza) pólizas y sus titulares desde un CSV. Todo o nada."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV UTF-8 con encabezado (columnas en DESIGN.md)")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                records = read_policies_csv(stream)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"No se pudo leer {file}: {exc}") from exc
        except ImportFailed as exc:
            raise CommandError(
                "Archivo rechazado, no se importó nada:\n" + "\n".join(exc.errors)
            ) from exc
        people, created, updated = import_policies(records)
        self.stdout.write(
            self.style.SUCCESS(
                f"Pólizas: {created} nuevas, {updated} actualizadas; {people} clientes nuevos."
            )
        )
