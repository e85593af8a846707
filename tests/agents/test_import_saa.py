"""`manage.py import_saa FILE.csv`: the SAA mirror (DESIGN, "Source data")."""

import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent, Channel, Promotoria
from agents.saa import COLUMNS
from tests.helpers import valid_rfc

pytestmark = pytest.mark.django_db


def row(**values) -> dict:
    base = {c: "" for c in COLUMNS}
    base.update(
        clave_agente="1076", tipo_agente="AGENTE", nombre="XIMENA", apellido_paterno="SOTO",
        apellido_materno="PARDO", email="Ximena.Soto@Ejemplo.test", rfc=valid_rfc("SOPX", "690529"),
        clave_promotoria="131", nombre_promotoria="PROMOTORIA DIRECTA", en_vigor="S",
        canales="Individual Privado",
    )  # fmt: skip
    base.update(values)
    return base


def write_csv(tmp_path, rows, columns=COLUMNS, name="saa.csv"):
    import csv

    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_import_creates_agents_promotorias_and_channels(tmp_path, capsys):
    path = write_csv(
        tmp_path,
        [
            row(),
            row(clave_agente="2045", rfc=valid_rfc("NUIA"), nombre="ÁNGEL",
                apellido_paterno="NÚÑEZ", en_vigor="N", canales="Individual Privado|Grupo Privado",
                clave_promotoria="245", nombre_promotoria="PROMOTORIA OCCIDENTE"),
        ],
    )  # fmt: skip
    call_command("import_saa", str(path))
    assert "2 agentes nuevos, 0 actualizados" in capsys.readouterr().out
    ximena = Agent.objects.get(clave_agente="1076")
    assert ximena.email == "ximena.soto@ejemplo.test" and ximena.en_vigor
    assert ximena.promotoria.nombre == "PROMOTORIA DIRECTA"
    angel = Agent.objects.get(clave_agente="2045")
    assert not angel.en_vigor and angel.nombre == "ÁNGEL"
    assert sorted(angel.channels.values_list("name", flat=True)) == [
        "Grupo Privado",
        "Individual Privado",
    ]
    assert Promotoria.objects.count() == 2 and Channel.objects.count() == 2


def test_import_is_an_idempotent_upsert(tmp_path, capsys):
    call_command("import_saa", str(write_csv(tmp_path, [row()])))
    call_command("import_saa", str(write_csv(tmp_path, [row()])))
    changed = write_csv(tmp_path, [row(en_vigor="N", canales="Grupo Privado", nombre="XIMENA B")])
    call_command("import_saa", str(changed))
    assert "0 agentes nuevos, 1 actualizados" in capsys.readouterr().out
    agent = Agent.objects.get()
    assert not agent.en_vigor and agent.nombre == "XIMENA B"
    assert list(agent.channels.values_list("name", flat=True)) == ["Grupo Privado"]


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(tmp_path):
    path = write_csv(
        tmp_path,
        [
            row(clave_agente="1"),
            row(clave_agente="2", rfc="SOPX690529MV5"),  # wrong check digit
            row(clave_agente="3", en_vigor="X"),
            row(clave_agente="4", email="no-es-correo"),
            row(clave_agente="1"),  # repeated key
            row(clave_agente="5", nombre=""),
        ],
    )
    with pytest.raises(CommandError) as error:
        call_command("import_saa", str(path))
    message = str(error.value)
    assert "no se importó nada" in message
    assert "línea 3: RFC inválido 'SOPX690529MV5'" in message
    assert "línea 4: en_vigor debe ser S o N" in message
    assert "línea 5: correo inválido" in message
    assert "línea 6: clave_agente 1 repetida (ya en la línea 2)" in message
    assert "línea 7: 'nombre' está vacío" in message
    assert not Agent.objects.exists() and not Promotoria.objects.exists()


def test_missing_columns_are_named(tmp_path):
    path = write_csv(tmp_path, [row()], columns=[c for c in COLUMNS if c != "rfc"])
    with pytest.raises(CommandError, match="faltan columnas: rfc"):
        call_command("import_saa", str(path))


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("clave_agente,nombre\n1,PE\xd1A\n".encode("latin-1"))
    with pytest.raises(CommandError, match="No se pudo leer"):
        call_command("import_saa", str(path))
    with pytest.raises(CommandError, match="No se pudo leer"):
        call_command("import_saa", str(tmp_path / "no-existe.csv"))


def test_demo_csv_imports_and_its_rfcs_pass_the_check_digit():
    from pathlib import Path

    from stdnum.mx import rfc

    call_command("import_saa", str(Path(__file__).parents[2] / "demo" / "saa.csv"))
    assert Agent.objects.count() >= 6
    assert all(rfc.is_valid(a.rfc) for a in Agent.objects.all())
    assert Agent.objects.filter(en_vigor=False).exists()
    assert Agent.objects.filter(channels__name="Grupo Privado").exists()
