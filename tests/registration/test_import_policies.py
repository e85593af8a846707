"""`manage.py import_policies FILE.csv`: the policy mirror (DESIGN, "Source data")."""

import csv

import pytest
from django.core.management import CommandError, call_command

from registration.models import Person, PersonEmail, Policy
from registration.policies import COLUMNS
from tests.helpers import valid_rfc

pytestmark = pytest.mark.django_db

MARIA = valid_rfc("ROLM", "850312", "KT")
ERNESTO = valid_rfc("GUHE", "920715", "JQ")


def row(**values) -> dict:
    base = dict(
        numero_poliza="7100234518", producto="Vida Individual", estatus="Vigente", rfc=MARIA,
        nombre="MARÍA", apellido_paterno="RODRÍGUEZ", apellido_materno="LÓPEZ",
        fecha_nacimiento="1985-03-12", email="Maria.Rodriguez@Ejemplo.test",
    )  # fmt: skip
    base.update(values)
    return base


def write_csv(tmp_path, rows, columns=COLUMNS):
    path = tmp_path / "polizas.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_one_person_with_several_policies_and_emails(tmp_path, capsys):
    path = write_csv(
        tmp_path,
        [
            row(),
            row(
                numero_poliza="7200881043",
                producto="Gastos Médicos Mayores",
                email="maria.rl@correo.test",
            ),  # fmt: skip
            row(numero_poliza="7300 459902", producto="Accidentes Personales"),
            row(
                numero_poliza="7100560217",
                rfc=ERNESTO,
                nombre="ERNESTO",
                apellido_paterno="GUTIÉRREZ",
                apellido_materno="HERNÁNDEZ",
                fecha_nacimiento="1992-07-15",
                email="",
            ),  # fmt: skip
        ],
    )
    call_command("import_policies", str(path))
    assert "4 nuevas" in capsys.readouterr().out
    maria = Person.objects.get(rfc=MARIA)
    assert maria.nombre == "MARÍA"
    assert str(maria.fecha_nacimiento) == "1985-03-12"
    assert sorted(maria.policies.values_list("numero_poliza", flat=True)) == [
        "7100234518", "7200881043", "7300459902",
    ]  # fmt: skip
    assert sorted(maria.emails.values_list("email", flat=True)) == [
        "maria.rl@correo.test", "maria.rodriguez@ejemplo.test",
    ]  # fmt: skip
    assert not Person.objects.get(rfc=ERNESTO).emails.exists()


def test_import_is_idempotent_and_updates(tmp_path):
    path = write_csv(tmp_path, [row()])
    call_command("import_policies", str(path))
    path = write_csv(tmp_path, [row(estatus="Cancelada", apellido_materno="LOPEZ")])
    call_command("import_policies", str(path))
    assert Person.objects.count() == 1
    assert Policy.objects.get().estatus == "Cancelada"
    assert Person.objects.get().apellido_materno == "LOPEZ"
    assert PersonEmail.objects.count() == 1


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path):
    path = write_csv(
        tmp_path,
        [
            row(),
            row(numero_poliza="2", rfc="ROLM850312KT0"),
            row(numero_poliza="3", fecha_nacimiento="12/03/1985"),
            row(numero_poliza="4", email="no-es-correo"),
            row(numero_poliza="7100234518"),
            row(numero_poliza="6", nombre=""),
            row(numero_poliza="7", nombre="MARIANA"),
        ],
    )
    with pytest.raises(CommandError) as failure:
        call_command("import_policies", str(path))
    text = str(failure.value)
    assert "no se importó nada" in text
    assert "línea 3: RFC inválido" in text
    assert "línea 4: fecha_nacimiento inválida" in text
    assert "línea 5: correo inválido" in text
    assert "línea 6: numero_poliza 7100234518 repetido (ya en la línea 2)" in text
    assert "línea 7: 'nombre' está vacío" in text
    assert "línea 8: los datos de la persona" in text
    assert not Person.objects.exists() and not Policy.objects.exists()


def test_missing_columns_are_reported(tmp_path):
    path = write_csv(tmp_path, [row()], columns=COLUMNS[:-1])
    with pytest.raises(CommandError, match="faltan columnas: email"):
        call_command("import_policies", str(path))


def test_demo_file_imports_cleanly():
    from django.conf import settings

    call_command("import_policies", str(settings.BASE_DIR / "demo" / "policies.csv"))
    assert Person.objects.count() == 4
    assert Policy.objects.filter(person__rfc="ROLM850312KT8").count() == 3
