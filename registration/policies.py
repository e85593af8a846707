"""Loading the policy mirror from the insurer's CSV export.

`read_policies_csv` is the one place that knows the CSV; a live policy API can replace it by
returning the same `PolicyRecord`s. `import_policies` upserts them, all or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as rfc_number

from portal.csv_import import ImportFailed, max_length

from .models import Person, PersonEmail, Policy

COLUMNS = [
    "numero_poliza", "producto", "estatus", "rfc", "nombre", "apellido_paterno",
    "apellido_materno", "fecha_nacimiento", "email",
]  # fmt: skip
REQUIRED = ["numero_poliza", "producto", "rfc", "nombre", "apellido_paterno", "fecha_nacimiento"]
PERSON_FIELDS = ["nombre", "apellido_paterno", "apellido_materno", "fecha_nacimiento"]


@dataclass
class PolicyRecord:
    numero_poliza: str
    producto: str
    estatus: str
    rfc: str
    nombre: str
    apellido_paterno: str
    apellido_materno: str
    fecha_nacimiento: date
    email: str  # "" when none on file


def normalize_policy_number(value: str) -> str:
    """Policy numbers compare without spaces and case ("7100 234518" is "7100234518")."""
    return "".join((value or "").split()).upper()


def _column_limits() -> dict[str, int]:
    """The longest value each column may hold: its model field's max_length."""
    models: dict[str, type[Model]] = {c: Policy for c in ["numero_poliza", "producto", "estatus"]}
    models.update({c: Person for c in ["rfc", "nombre", "apellido_paterno", "apellido_materno"]})
    models["email"] = PersonEmail
    return {c: max_length(model, c) for c, model in models.items()}


def read_policies_csv(stream: io.TextIOBase) -> list[PolicyRecord]:
    """Parse and check the whole file; raise ImportFailed listing every bad line."""
    reader = csv.DictReader(stream)
    limits = _column_limits()
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([f"línea 1: faltan columnas: {', '.join(missing)}"])
    records: list[PolicyRecord] = []
    errors: list[str] = []
    policy_lines: dict[str, int] = {}
    people: dict[str, tuple[int, tuple]] = {}  # rfc -> (first line, person fields)
    for row in reader:
        line = reader.line_num
        values = {c: " ".join((row.get(c) or "").split()) for c in COLUMNS}
        problems = [f"'{c}' está vacío" for c in REQUIRED if not values[c]]
        # Values the database would refuse: NUL characters, longer than the column.
        problems += [f"'{c}' contiene un carácter nulo" for c in COLUMNS if "\x00" in values[c]]
        problems += [
            f"'{c}' excede {n} caracteres" for c, n in limits.items() if len(values[c]) > n
        ]
        if values["rfc"]:
            try:
                values["rfc"] = rfc_number.validate(values["rfc"], validate_check_digits=True)
            except StdnumError:
                problems.append(f"RFC inválido '{values['rfc']}'")
        birth = None
        if values["fecha_nacimiento"]:
            try:
                birth = date.fromisoformat(values["fecha_nacimiento"])
            except ValueError:
                problems.append(
                    f"fecha_nacimiento inválida '{values['fecha_nacimiento']}' (use AAAA-MM-DD)"
                )
        if values["email"]:
            values["email"] = values["email"].lower()
            try:
                validate_email(values["email"])
            except ValidationError:
                problems.append(f"correo inválido '{values['email']}'")
        values["numero_poliza"] = numero = normalize_policy_number(values["numero_poliza"])
        if numero and numero in policy_lines:
            problems.append(
                f"numero_poliza {numero} repetido (ya en la línea {policy_lines[numero]})"
            )
        policy_lines.setdefault(numero, line)
        if problems or birth is None:  # no birth date is one of the problems
            errors.append(f"línea {line}: " + "; ".join(problems))
            continue
        person = (values["nombre"], values["apellido_paterno"], values["apellido_materno"], birth)
        first = people.setdefault(values["rfc"], (line, person))
        if first[1] != person:
            errors.append(
                f"línea {line}: los datos de la persona con RFC {values['rfc']} no coinciden "
                f"con los de la línea {first[0]}"
            )
            continue
        records.append(
            PolicyRecord(
                numero_poliza=numero,
                producto=values["producto"],
                estatus=values["estatus"],
                rfc=values["rfc"],
                nombre=values["nombre"],
                apellido_paterno=values["apellido_paterno"],
                apellido_materno=values["apellido_materno"],
                fecha_nacimiento=birth,
                email=values["email"],
            )
        )
    if errors:
        raise ImportFailed(errors)
    return records


@transaction.atomic
def import_policies(records: list[PolicyRecord]) -> tuple[int, int, int]:
    """Upsert people by RFC, policies by number, and add emails on file.

    Returns (people created, policies created, policies updated). All or nothing.
    """
    people: dict[str, Person] = {}
    people_created = created = updated = 0
    for record in records:
        person = people.get(record.rfc)
        if person is None:
            person, was_created = Person.objects.update_or_create(
                rfc=record.rfc, defaults={f: getattr(record, f) for f in PERSON_FIELDS}
            )
            people[record.rfc] = person
            people_created += was_created
        _, was_created = Policy.objects.update_or_create(
            numero_poliza=record.numero_poliza,
            defaults={"producto": record.producto, "estatus": record.estatus, "person": person},
        )
        created += was_created
        updated += not was_created
        if record.email:
            PersonEmail.objects.get_or_create(person=person, email=record.email)
    return people_created, created, updated
