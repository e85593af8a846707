"""Loading the SAA mirror (Sistema de Administración de Agentes) from its CSV export.

`read_saa_csv` is the one place that knows the CSV; a live SAA API can replace it by
returning the same `AgentRecord`s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
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


def read_saa_csv(stream: Iterable[str]) -> list[AgentRecord]:
    """Parse and check the whole file; raise ImportFailed listing every bad line."""
    seen: dict[str, int] = {}  # clave_agente -> its first line
    channel_limit = max_length(Channel, "name")

    def to_record(row: CsvRow) -> AgentRecord | None:
        """The SAA's own rules: channels, RFC, email, S/N, one line per clave_agente."""
        values, problems = row.values, row.problems
        if any(len(name.strip()) > channel_limit for name in values["canales"].split("|")):
            problems.append(f"un canal excede {channel_limit} caracteres")
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
        seen.setdefault(clave, row.line)
        if problems:
            return None
        fields = {c: values[c] for c in AGENT_FIELDS}
        fields["email"] = fields["email"].lower()
        return AgentRecord(
            fields=fields,
            clave_promotoria=values["clave_promotoria"],
            nombre_promotoria=values["nombre_promotoria"],
            en_vigor=vigor == "S",
            canales=[c.strip() for c in values["canales"].split("|") if c.strip()],
        )

    return read_rows(
        stream, columns=COLUMNS, required=REQUIRED, limits=_column_limits(), to_record=to_record
    )


# The set-based writes' SQL names our tables as Django made them (agents_*), and the
# temporary ones the file is staged into.
NEW_CHANNELS = """
    INSERT INTO agents_channel (name) SELECT DISTINCT s.name FROM import_saa_channels s
    WHERE NOT EXISTS (SELECT 1 FROM agents_channel c WHERE c.name = s.name)
    ON CONFLICT (name) DO NOTHING"""
# The links of every agent in the file that the file no longer lists.
GONE_LINKS = """
    DELETE FROM agents_agent_channels AS l
    WHERE l.agent_id IN (SELECT a.id FROM agents_agent a
                         JOIN import_saa_agents s ON s.clave_agente = a.clave_agente)
    AND NOT EXISTS (SELECT 1 FROM import_saa_channels s
                    JOIN agents_agent a ON a.clave_agente = s.clave_agente
                    JOIN agents_channel c ON c.name = s.name
                    WHERE a.id = l.agent_id AND c.id = l.channel_id)
    RETURNING agent_id"""
NEW_LINKS = """
    INSERT INTO agents_agent_channels (agent_id, channel_id) SELECT a.id, c.id
    FROM import_saa_channels s
    JOIN agents_agent a ON a.clave_agente = s.clave_agente
    JOIN agents_channel c ON c.name = s.name
    WHERE NOT EXISTS (SELECT 1 FROM agents_agent_channels l
                      WHERE l.agent_id = a.id AND l.channel_id = c.id)
    ON CONFLICT DO NOTHING RETURNING agent_id"""


def import_agents(
    records: list[AgentRecord], progress: ImportProgress | None = None
) -> ImportSummary:
    """Upsert agents by `clave_agente`, their promotorías and channels, set-based, in one
    transaction (all or nothing). Agents absent from the file are left as they are."""
    promotorias: dict[str, str] = {}  # clave -> its name on its first line, as before
    for record in records:
        promotorias.setdefault(record.clave_promotoria, record.nombre_promotoria)
    agents = [
        (*(r.fields[c] for c in AGENT_FIELDS), r.clave_promotoria, r.en_vigor) for r in records
    ]
    links = [(r.fields["clave_agente"], n) for r in records for n in dict.fromkeys(r.canales)]
    text = "text"
    if progress is not None:
        progress.start("escritas", len(records))
    with transaction.atomic(), connection.cursor() as cursor:
        columns = [(c, text) for c in [*AGENT_FIELDS, "clave_promotoria"]]
        stage(cursor, "import_saa_agents", [*columns, ("en_vigor", "boolean")], agents, progress)
        stage(cursor, "import_saa_promotorias", [("clave", text), ("nombre", text)],
              list(promotorias.items()))  # fmt: skip
        stage(cursor, "import_saa_channels", [("clave_agente", text), ("name", text)], links)
        promotoria = Target("agents_promotoria", "clave", "import_saa_promotorias s",
                            {"nombre": "s.nombre"}, stamp=None)  # fmt: skip
        upsert(cursor, promotoria)
        cursor.execute(NEW_CHANNELS)
        agent = Target(
            "agents_agent",
            "clave_agente",
            "import_saa_agents s JOIN agents_promotoria p ON p.clave = s.clave_promotoria",
            {
                **{c: f"s.{c}" for c in AGENT_FIELDS if c != "clave_agente"},
                "promotoria_id": "p.id",
                "en_vigor": "s.en_vigor",
            },
        )
        written = upsert(cursor, agent, rows="new")  # unseen by others until the commit
        inserted = len(written)
        for statement in (GONE_LINKS, NEW_LINKS):
            cursor.execute(statement)
            written.update(row[0] for row in cursor.fetchall())
        # The agents others may be writing (a review, a request) last: their rows stay locked
        # only from here to the commit, not through the statements above.
        check_references_now(cursor)
        written |= upsert(cursor, agent, rows="changed")
        for table in ("import_saa_agents", "import_saa_promotorias", "import_saa_channels"):
            cursor.execute(f"DROP TABLE {table}")
    return ImportSummary(
        read=len(records),
        inserted=inserted,
        updated=len(written) - inserted,
    )
