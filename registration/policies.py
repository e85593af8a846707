"""Loading the policy mirror from the insurer's CSV export.

`read_policies_csv` is the one place that knows the CSV; a live policy API can replace it by
returning the same `PolicyRecord`s. `import_policies` upserts them, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Model
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as rfc_number

from portal.csv_import import (
    CsvRow,
    ImportProgress,
    ImportSummary,
    Target,
    check_references_now,
    max_length,
    read_rows,
    stage,
    upsert,
)

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


def read_policies_csv(stream: Iterable[str]) -> list[PolicyRecord]:
    """Parse and check the whole file; raise ImportFailed listing every bad line."""
    policy_lines: dict[str, int] = {}  # numero_poliza -> its first line
    people: dict[str, tuple[int, tuple[str, str, str, date]]] = {}  # rfc -> (line, person)

    def to_record(row: CsvRow) -> PolicyRecord | None:
        """The policies' own rules: RFC, birth date, email, one line per policy number, and
        the same person data on every line of one RFC."""
        values, problems = row.values, row.problems
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
        policy_lines.setdefault(numero, row.line)
        if problems or birth is None:  # no birth date is one of the problems
            return None
        person = (values["nombre"], values["apellido_paterno"], values["apellido_materno"], birth)
        first = people.setdefault(values["rfc"], (row.line, person))
        if first[1] != person:
            problems.append(
                f"los datos de la persona con RFC {values['rfc']} no coinciden "
                f"con los de la línea {first[0]}"
            )
            return None
        return PolicyRecord(
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

    return read_rows(
        stream, columns=COLUMNS, required=REQUIRED, limits=_column_limits(), to_record=to_record
    )


# Emails are only ever added: one may be on file from elsewhere (a client's own address).
NEW_EMAILS = """
    INSERT INTO registration_personemail (person_id, email)
    SELECT p.id, s.email FROM import_policies_emails s
    JOIN registration_person p ON p.rfc = s.rfc
    WHERE NOT EXISTS (SELECT 1 FROM registration_personemail e
                      WHERE e.person_id = p.id AND e.email = s.email)
    ON CONFLICT DO NOTHING"""


def import_policies(
    records: list[PolicyRecord], progress: ImportProgress | None = None
) -> tuple[ImportSummary, int]:
    """Upsert people by RFC and policies by number, and add the emails on file, set-based,
    in one transaction (all or nothing). Returns the policies' summary and people created."""
    people: dict[str, tuple[str, ...]] = {}
    emails: dict[tuple[str, str], None] = {}
    for r in records:
        people.setdefault(
            r.rfc,
            (
                r.rfc,
                r.nombre,
                r.apellido_paterno,
                r.apellido_materno,
                r.fecha_nacimiento.isoformat(),
            ),
        )
        if r.email:
            emails[(r.rfc, r.email)] = None
    policies = [(r.numero_poliza, r.producto, r.estatus, r.rfc) for r in records]
    text = "text"
    if progress is not None:
        progress.start("escritas", len(records))
    with transaction.atomic(), connection.cursor() as cursor:
        person_columns = [(c, text) for c in ["rfc", *PERSON_FIELDS[:-1]]]
        stage(cursor, "import_policies_people", [*person_columns, ("fecha_nacimiento", "date")],
              list(people.values()))  # fmt: skip
        stage(cursor, "import_policies_policies",
              [(c, text) for c in ["numero_poliza", "producto", "estatus", "rfc"]],
              policies, progress)  # fmt: skip
        stage(cursor, "import_policies_emails", [("rfc", text), ("email", text)], list(emails))
        person = Target("registration_person", "rfc", "import_policies_people s",
                        {f: f"s.{f}" for f in PERSON_FIELDS})  # fmt: skip
        policy = Target(
            "registration_policy",
            "numero_poliza",
            "import_policies_policies s JOIN registration_person p ON p.rfc = s.rfc",
            {"producto": "s.producto", "estatus": "s.estatus", "person_id": "p.id"},
        )
        # New rows first (unseen by others until the commit), then the changed ones: the rows
        # a client's registration may be writing stay locked only from there to the commit.
        people_created = len(upsert(cursor, person, rows="new"))
        inserted = len(upsert(cursor, policy, rows="new"))
        cursor.execute(NEW_EMAILS)
        check_references_now(cursor)
        updated = len(upsert(cursor, policy, rows="changed"))
        upsert(cursor, person, rows="changed")
        for table in (
            "import_policies_people",
            "import_policies_policies",
            "import_policies_emails",
        ):
            cursor.execute(f"DROP TABLE {table}")
    return ImportSummary(read=len(records), inserted=inserted, updated=updated), people_created
