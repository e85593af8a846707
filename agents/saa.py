"""Loading the SAA mirror (Sistema de Administración de Agentes) from its CSV export.

`read_saa_csv` is the one place that knows the CSV; a live SAA API can replace it by
returning the same `AgentRecord`s.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as rfc_number

from portal.csv_import import ImportFailed, max_length

from .models import Agent, Channel, Promotoria

COLUMNS = [
    "clave_agente", "tipo_agente", "nombre", "apellido_paterno", "apellido_materno", "email",
    "rfc", "tipo_cedula", "numero_cedula", "tipo_razon_social", "nombre_razon_social",
    "nombre_apoderado_legal", "direccion", "clave_promotor", "nombre_promotor",
    "clave_promotoria", "nombre_promotoria", "domicilio_fiscal", "sector", "mercado",
    "en_vigor", "canales",
]  # fmt: skip
REQUIRED = ["clave_agente", "nombre", "rfc", "clave_promotoria", "nombre_promotoria", "en_vigor"]
# The columns that are the agent's own fields (the others name its promotoría, state, channels).
AGENT_FIELDS = [
    c for c in COLUMNS if c not in {"clave_promotoria", "nombre_promotoria", "en_vigor", "canales"}
]


@dataclass
class AgentRecord:
    fields: dict[str, str]
    clave_promotoria: str
    nombre_promotoria: str
    en_vigor: bool
    canales: list[str] = field(default_factory=list)


def normalize_rfc(value: str) -> str:
    """The RFC without separators, upper-case, for comparing (not validated)."""
    return rfc_number.compact(value or "").upper()


def check_rfc(value: str) -> str:
    """Return the compact RFC or raise ValueError when it is not a valid RFC."""
    try:
        return rfc_number.validate(value, validate_check_digits=True)
    except StdnumError as exc:
        raise ValueError(str(exc)) from exc


def _column_limits() -> dict[str, int]:
    """The longest value each column may hold: its model field's max_length."""
    limits = {c: max_length(Agent, c) for c in AGENT_FIELDS}
    limits["clave_promotoria"] = max_length(Promotoria, "clave")
    limits["nombre_promotoria"] = max_length(Promotoria, "nombre")
    return limits


def _text_problems(values: dict[str, str], limits: dict[str, int]) -> list[str]:
    """Values the database would refuse: NUL characters, longer than the column."""
    problems = [f"'{c}' contiene un carácter nulo" for c, v in values.items() if "\x00" in v]
    problems += [
        f"'{c}' excede {limits[c]} caracteres"
        for c, v in values.items()
        if c in limits and len(v) > limits[c]
    ]
    channel_limit = max_length(Channel, "name")
    if any(len(name.strip()) > channel_limit for name in values["canales"].split("|")):
        problems.append(f"un canal excede {channel_limit} caracteres")
    return problems


def read_saa_csv(stream: io.TextIOBase) -> list[AgentRecord]:
    """Parse and check the whole file; raise ImportFailed listing every bad line."""
    reader = csv.DictReader(stream)
    limits = _column_limits()
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([f"línea 1: faltan columnas: {', '.join(missing)}"])
    records: list[AgentRecord] = []
    errors: list[str] = []
    seen: dict[str, int] = {}  # clave_agente -> its first line
    for row in reader:
        line = reader.line_num
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        problems = [f"'{c}' está vacío" for c in REQUIRED if not values[c]]
        problems += _text_problems(values, limits)
        if values["rfc"]:
            try:
                values["rfc"] = check_rfc(values["rfc"])
            except ValueError:
                problems.append(f"RFC inválido '{values['rfc']}'")
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                problems.append(f"correo inválido '{values['email']}'")
        vigor = values["en_vigor"].upper()
        if values["en_vigor"] and vigor not in {"S", "N"}:
            problems.append(f"en_vigor debe ser S o N, no '{values['en_vigor']}'")
        clave = values["clave_agente"]
        if clave and clave in seen:
            problems.append(f"clave_agente {clave} repetida (ya en la línea {seen[clave]})")
        seen.setdefault(clave, line)
        if problems:
            errors.append(f"línea {line}: " + "; ".join(problems))
            continue
        fields = {c: values[c] for c in AGENT_FIELDS}
        fields["email"] = fields["email"].lower()
        records.append(
            AgentRecord(
                fields=fields,
                clave_promotoria=values["clave_promotoria"],
                nombre_promotoria=values["nombre_promotoria"],
                en_vigor=vigor == "S",
                canales=[c.strip() for c in values["canales"].split("|") if c.strip()],
            )
        )
    if errors:
        raise ImportFailed(errors)
    return records


@transaction.atomic
def import_agents(records: list[AgentRecord]) -> tuple[int, int]:
    """Upsert agents by `clave_agente`; returns (created, updated). All or nothing."""
    created = updated = 0
    promotorias: dict[str, Promotoria] = {}
    channels: dict[str, Channel] = {}
    for record in records:
        clave = record.clave_promotoria
        if clave not in promotorias:
            promotorias[clave], _ = Promotoria.objects.update_or_create(
                clave=clave, defaults={"nombre": record.nombre_promotoria}
            )
        agent, was_created = Agent.objects.update_or_create(
            clave_agente=record.fields["clave_agente"],
            defaults={
                **record.fields,
                "promotoria": promotorias[clave],
                "en_vigor": record.en_vigor,
            },
        )
        for name in record.canales:
            if name not in channels:
                channels[name], _ = Channel.objects.get_or_create(name=name)
        agent.channels.set([channels[name] for name in record.canales])
        created += was_created
        updated += not was_created
    return created, updated
