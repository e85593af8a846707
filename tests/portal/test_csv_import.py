"""What both CSV imports share (portal/csv_import.py): one row checker for the SAA mirror
and the policy mirror."""

import csv

import pytest
from django.core.management import call_command

from agents import saa
from agents.models import Agent
from portal.csv_import import normalize_cell
from registration import policies
from registration.models import Person
from tests.helpers import valid_rfc

pytestmark = pytest.mark.django_db

TYPED = "  MARÍA  JOSÉ \t"  # a double inner space, a tab and padding, as a person typed it


def write_csv(path, columns: list[str], row: dict[str, str]):
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerow(row)
    return path


def test_both_imports_store_a_spaced_name_the_same_way(tmp_path):
    agents_file = write_csv(
        tmp_path / "saa.csv",
        saa.COLUMNS,
        dict(
            clave_agente=" 1076 ", nombre=TYPED, apellido_paterno="DE  LA  CRUZ ",
            rfc=valid_rfc("CUMA", "690529"), clave_promotoria="131",
            nombre_promotoria="PROMOTORIA  DIRECTA", en_vigor="S",
            canales=" Individual  Privado | Grupo Privado",
        ),
    )  # fmt: skip
    policies_file = write_csv(
        tmp_path / "polizas.csv",
        policies.COLUMNS,
        dict(
            numero_poliza="7100234518", producto="Vida  Individual", estatus="Vigente",
            rfc=valid_rfc("CUMA", "850312"), nombre=TYPED, apellido_paterno="DE  LA  CRUZ ",
            fecha_nacimiento="1985-03-12",
        ),
    )  # fmt: skip
    call_command("import_saa", str(agents_file))
    call_command("import_policies", str(policies_file))

    agent, person = Agent.objects.get(), Person.objects.get()
    assert agent.nombre == person.nombre == "MARÍA JOSÉ"
    assert agent.apellido_paterno == person.apellido_paterno == "DE LA CRUZ"
    assert agent.clave_agente == "1076" and agent.promotoria.nombre == "PROMOTORIA DIRECTA"
    assert sorted(agent.channels.values_list("name", flat=True)) == [
        "Grupo Privado",
        "Individual Privado",
    ]
    assert person.policies.get().producto == "Vida Individual"


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        (TYPED, "MARÍA JOSÉ"),
        ("PÉREZ\u00a0\u00a0LÓPEZ", "PÉREZ LÓPEZ"),  # no-break spaces from a spreadsheet
        ("CALLE ROBLE 12\r\nCOL.  CENTRO\n", "CALLE ROBLE 12\r\nCOL. CENTRO"),  # lines kept
        (None, ""),
    ],
)
def test_a_cell_is_stripped_and_its_inner_spaces_collapsed(cell, stored):
    assert normalize_cell(cell) == stored
