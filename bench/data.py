"""Fictional data for the load benchmark, through the insurer's own CSV contracts.

`make bench` imports `agents` SAA rows and `persons` policy rows with `import_saa` and
`import_policies` (the commands operators run), so the wizards identify people exactly as
in production. Names are invented; each RFC passes `stdnum.mx.rfc` (check digit included).
"""

from __future__ import annotations

import csv
import datetime
import itertools
import string
from dataclasses import dataclass
from pathlib import Path

from stdnum.mx import rfc as rfc_number

PROMOTORIA = ("880", "PROMOTORIA CARGA")
CHANNEL = "Individual Privado"
SAA_COLUMNS = (
    "clave_agente,tipo_agente,nombre,apellido_paterno,apellido_materno,email,rfc,tipo_cedula,"
    "numero_cedula,tipo_razon_social,nombre_razon_social,nombre_apoderado_legal,direccion,"
    "clave_promotor,nombre_promotor,clave_promotoria,nombre_promotoria,domicilio_fiscal,sector,"
    "mercado,en_vigor,canales"
).split(",")
POLICY_COLUMNS = (
    "numero_poliza,producto,estatus,rfc,nombre,apellido_paterno,apellido_materno,"
    "fecha_nacimiento,email"
).split(",")


@dataclass(frozen=True)
class AgentRow:
    clave_agente: str
    clave_promotoria: str
    rfc: str
    email: str


@dataclass(frozen=True)
class PersonRow:
    numero_poliza: str
    nombre: str
    apellido_paterno: str
    fecha_nacimiento: datetime.date
    email: str


def _rfcs(first_letter: str):
    """Endless valid RFCs of personas físicas: XAAA + birth date + homoclave + check digit."""
    born = datetime.date(1960, 1, 1)
    for n in itertools.count():
        letters = "".join(string.ascii_uppercase[(n // 26**i) % 26] for i in range(3))
        date = born + datetime.timedelta(days=n % 12000)
        stem = f"{first_letter}{letters}{date:%y%m%d}{n % 9 + 1}{string.ascii_uppercase[n % 26]}"
        candidate = stem + rfc_number.calc_check_digit(stem)
        if rfc_number.is_valid(candidate):
            yield candidate, date


def write(folder: Path, agents: int, persons: int) -> tuple[list[AgentRow], list[PersonRow]]:
    """saa.csv and policies.csv in `folder`; the rows a scripted user types back."""
    agent_rows: list[AgentRow] = []
    with open(folder / "saa.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, SAA_COLUMNS)
        writer.writeheader()
        for i, (rfc, _) in zip(range(agents), _rfcs("X"), strict=False):
            row = AgentRow(str(600000 + i), PROMOTORIA[0], rfc, f"agente{i}@carga.test")
            writer.writerow(
                {
                    "clave_agente": row.clave_agente,
                    "tipo_agente": "AGENTE",
                    "nombre": "CARGA",
                    "apellido_paterno": "PRUEBA",
                    "apellido_materno": "SINTETICA",
                    "email": row.email,
                    "rfc": rfc,
                    "tipo_cedula": "A",
                    "numero_cedula": f"A/{rfc}",
                    "tipo_razon_social": "FISICA",
                    "direccion": "CALLE FICTICIA 1 COL. CENTRO 01000 CIUDAD DE MEXICO CDMX",
                    "clave_promotor": "9900",
                    "nombre_promotor": "PROMOTOR FICTICIO",
                    "clave_promotoria": PROMOTORIA[0],
                    "nombre_promotoria": PROMOTORIA[1],
                    "domicilio_fiscal": "CALLE FICTICIA 1 COL. CENTRO 01000 CIUDAD DE MEXICO CDMX",
                    "sector": "SECTOR PRIVADO",
                    "mercado": "INDIVIDUAL",
                    "en_vigor": "S",
                    "canales": CHANNEL,
                }
            )
            agent_rows.append(row)
    person_rows: list[PersonRow] = []
    with open(folder / "policies.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, POLICY_COLUMNS)
        writer.writeheader()
        for i, (rfc, born) in zip(range(persons), _rfcs("W"), strict=False):
            person = PersonRow(
                str(8100000000 + i), "LUCIA", "CARGA", born, f"cliente{i}@carga.test"
            )
            writer.writerow(
                {
                    "numero_poliza": person.numero_poliza,
                    "producto": "Vida Individual",
                    "estatus": "Vigente",
                    "rfc": rfc,
                    "nombre": person.nombre,
                    "apellido_paterno": person.apellido_paterno,
                    "apellido_materno": "SINTETICA",
                    "fecha_nacimiento": born.isoformat(),
                    "email": person.email,
                }
            )
            person_rows.append(person)
    return agent_rows, person_rows
