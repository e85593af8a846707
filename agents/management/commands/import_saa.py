import csv

from django.core.management.base import BaseCommand, CommandError

from agents.saa import ImportFailed, import_agents, read_saa_csv


class Command(BaseCommand):
    help = "Importa (o actualiza) agentes del SAA desde un CSV. Todo o nada."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV UTF-8 con encabezado (columnas en DESIGN.md)")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                records = read_saa_csv(stream)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"No se pudo leer {file}: {exc}") from exc
        except ImportFailed as exc:
            raise CommandError(
                "Archivo rechazado, no se importó nada:\n" + "\n".join(exc.errors)
            ) from exc
        created, updated = import_agents(records)
        self.stdout.write(
            self.style.SUCCESS(f"SAA: {created} agentes nuevos, {updated} actualizados.")
        )
