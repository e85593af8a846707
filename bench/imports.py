"""`make bench-import`: the CSV imports at the insurer's scale, in figures.

Starts its own PostgreSQL and Redis (tests/services.py), generates 100,000 fictional agents
(RFCs with valid check digits) and 300,000 policies of 100,000 people, imports each file into
the fresh database with the operators' commands (`manage.py import_saa`, `import_policies`),
then again with 1% of the rows changed. Prints seconds and rows/s per import and, during
each agents' import, the latency of access requests filed meanwhile, two kinds alternating:
the request as the wizard files it (`submit_access_request`), and an UPDATE of the agent's
row with the AccessRequest insert in one transaction (a write the import's row locks would
hold). Writes the "Imports" section of docs/benchmarks.md. Figures, not pass/fail.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report import percentile  # noqa: E402
from bench.sections import write_section  # noqa: E402
from tests.services import Services  # noqa: E402

AGENTS = int(os.environ.get("BENCH_IMPORT_AGENTS", "100000"))
PEOPLE = int(os.environ.get("BENCH_IMPORT_PEOPLE", "100000"))
POLICIES_PER_PERSON = 3
CHANGED_SHARE = 0.01
SEED_AGENTS = 400  # already in the mirror before the first import: the requests' agents
PROBE_PAUSE = 0.1  # seconds between two requests filed during an import
PROMOTORIAS = 500
CHANNELS = ["Individual Privado", "Grupo Privado", "Individual Empresarial"]
SAA_SUMMARY = re.compile(
    r"(\d+) filas leídas, (\d+) agentes nuevos, (\d+) actualizados, (\d+) sin cambios, ([\d.]+) s"
)
POLICY_SUMMARY = re.compile(
    r"(\d+) filas leídas, (\d+) nuevas, (\d+) actualizadas, (\d+) sin cambios; (\d+) clientes "
    r"nuevos; ([\d.]+) s"
)


def rfcs(birth: str) -> Iterator[str]:
    """Distinct fictional RFCs whose check digit passes stdnum.mx.rfc, born on `birth`."""
    from stdnum.mx import rfc

    from tests.helpers import valid_rfc

    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for prefix in itertools.product(letters, repeat=4):
        number = valid_rfc("".join(prefix), birth, "AB")
        if rfc.is_valid(number):
            yield number


# --- files ------------------------------------------------------------------------------
def agent_rows(count: int, *, changed: set[int] = frozenset(), seed: bool = False) -> list[dict]:
    from agents.saa import COLUMNS

    rows = []
    for n, number in zip(range(count), rfcs("690529"), strict=False):
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            clave_agente=f"A{n:06d}", tipo_agente="AGENTE", nombre="AGENTE",
            apellido_paterno=f"PRUEBA{n % 97}", apellido_materno="FICTICIO",
            email=f"agente{n}@ejemplo.test", rfc=number, tipo_cedula="A",
            numero_cedula=f"A/{number}", tipo_razon_social="FISICA",
            direccion=f"CALLE {n % 1000} COL. CENTRO 76000 QUERETARO QRO",
            clave_promotor=f"{9000 + n % 50}", nombre_promotor="PROMOTOR FICTICIO",
            clave_promotoria=f"{100 + n % PROMOTORIAS}",
            nombre_promotoria=f"PROMOTORIA {100 + n % PROMOTORIAS}",
            domicilio_fiscal="CALLE ROBLE 12 COL. CENTRO", sector="SECTOR PRIVADO",
            mercado="INDIVIDUAL", en_vigor="S", canales="|".join(CHANNELS[: 1 + n % 2]),
        )  # fmt: skip
        if seed:
            row["direccion"] = "DOMICILIO ANTERIOR"
        if n in changed:
            row["direccion"] = f"CALLE NUEVA {n}"
            if n % 3 == 0:
                row["canales"] = CHANNELS[2]
        rows.append(row)
    return rows


def policy_rows(people: int, *, changed: set[int] = frozenset()) -> list[dict]:
    rows = []
    for p, number in zip(range(people), rfcs("850312"), strict=False):
        for k in range(POLICIES_PER_PERSON):
            n = p * POLICIES_PER_PERSON + k
            rows.append(
                {
                    "numero_poliza": f"7{n:09d}",
                    "producto": "Vida Individual",
                    "estatus": "Cancelada" if n in changed else "Vigente",
                    "rfc": number,
                    "nombre": "CLIENTE",
                    "apellido_paterno": f"PRUEBA{p % 97}",
                    "apellido_materno": "FICTICIO",
                    "fecha_nacimiento": "1985-03-12",
                    "email": f"cliente{p}@ejemplo.test" if k else f"c{p}.otro@ejemplo.test",
                }  # fmt: skip
            )
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- measuring ----------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    rows: int
    wall_seconds: float = 0.0
    summary: tuple[int, ...] = ()
    command_seconds: float = 0.0
    lock_window: float = 0.0
    probes: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)


def run_command(command: str, path: Path, env: dict[str, str]) -> tuple[float, str]:
    """`manage.py command path` as an operator runs it (stdout piped: one summary line)."""
    url = env["DATABASE_URL"] + f"?application_name={IMPORT_APPLICATION}"
    env = {**env, "DATABASE_URL": url}
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", command, str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{command} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started, done.stdout.strip()


IMPORT_APPLICATION = "alta-bench-import"  # the import's session, told apart in pg_locks


def import_writing_agents() -> bool:
    """The import's session holds agents_agent's RowExclusiveLock: it has written agent rows
    in its transaction, not yet committed (an upper bound of its row locks' time)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE c.relname = 'agents_agent' "
            "AND l.mode = 'RowExclusiveLock' AND l.granted AND a.application_name = %s",
            [IMPORT_APPLICATION],
        )
        return cursor.fetchone() is not None


def file_request(clave: str) -> None:
    """The wizard's done(): `submit_access_request`, as the agent's last step files it."""
    from agents.models import Agent, Role
    from agents.services import submit_access_request

    agent = Agent.objects.select_related("promotoria").get(clave_agente=clave)
    submit_access_request(
        clave_agente=clave, clave_promotoria=agent.promotoria.clave, rfc=agent.rfc,
        channel_ids=list(agent.channels.values_list("pk", flat=True)),
        role=Role.objects.get(code="AGENTE"), email=agent.email,
    )  # fmt: skip


def write_agent_row_and_request(clave: str) -> None:
    """A write on the agent's row and an AccessRequest insert in one transaction: what the
    import's row locks would hold up if they lasted."""
    from django.db import transaction

    from agents.models import AccessRequest, Agent, Role

    with transaction.atomic():
        agent = Agent.objects.get(clave_agente=clave)
        Agent.objects.filter(pk=agent.pk).update(user=None)
        AccessRequest.objects.create(
            agent=agent, role=Role.objects.get(code="AGENTE"), email=agent.email
        )


def measure(run: Run, command: str, path: Path, env: dict[str, str], agents: list[str]) -> None:
    """Run the import; meanwhile file requests for `agents`, one each, and watch its locks."""
    from django.db import connection

    done = threading.Event()
    result: dict[str, tuple[float, str]] = {}

    def importer() -> None:
        try:
            result["out"] = run_command(command, path, env)
        finally:
            done.set()

    window: list[float] = []

    def watcher() -> None:
        try:
            while not done.is_set():
                if import_writing_agents():
                    window.append(time.monotonic())
                time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=importer), threading.Thread(target=watcher)]
    for thread in threads:
        thread.start()
    kinds = [("submit_access_request", file_request),
             ("agent row UPDATE + AccessRequest insert", write_agent_row_and_request)]  # fmt: skip
    queue = iter(agents)
    for kind, probe in itertools.cycle(kinds) if agents else ():
        if done.is_set():
            break
        clave = next(queue, None)
        if clave is None:
            break
        during = import_writing_agents()
        started = time.monotonic()
        probe(clave)
        run.probes.setdefault(kind, []).append((time.monotonic() - started, during))
        time.sleep(PROBE_PAUSE)
    for thread in threads:
        thread.join()
    run.wall_seconds, line = result["out"]
    found = (SAA_SUMMARY if command == "import_saa" else POLICY_SUMMARY).search(line)
    assert found, line
    run.summary = tuple(int(g) for g in found.groups()[:-1])
    run.command_seconds = float(found.groups()[-1])
    run.lock_window = window[-1] - window[0] if window else 0.0


# --- report ---------------------------------------------------------------------------------
def latency(samples: list[tuple[float, bool]]) -> str:
    if not samples:
        return "–"
    ordered = sorted(s for s, _ in samples)
    locked = [s for s, during in samples if during]
    text = (
        f"n={len(ordered)}, p50 {percentile(ordered, 0.5) * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )
    if locked:
        text += f" ({len(locked)} filed inside the lock window: max {max(locked) * 1000:.0f} ms)"
    return text


def machine(postgres_bin: Path) -> str:
    """The CPU, its cores and the PostgreSQL version, for the figures' context."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "?",
    )  # fmt: skip
    output = subprocess.run(  # noqa: S603 - the server's own binary
        [str(postgres_bin / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    version = re.search(r"\d+\.\d+", output)
    return f"{os.cpu_count()} cores ({cpu}), PostgreSQL {version.group(0) if version else '?'}"


def markdown(runs: list[Run], when: str, where: str) -> str:
    lines = [
        "## Imports",
        "",
        f"Written by `make bench-import` (bench/imports.py) on {when}: {where}, started by "
        "the bench (fsync off, as in the suite). Each import is `manage.py import_saa` or "
        "`import_policies` run as an operator runs it (a new process, output piped: one "
        "summary line); seconds are wall time, Python start-up, reading and checking the "
        "whole file included. The lock window is from the import's first agent write to its "
        "commit (sampled every 20 ms): an upper bound of how long it held any agent's row "
        "lock; the rows of agents already there are locked only in its last statement. "
        "The row-by-row import this replaced took 790 s for 100,000 agents, and a request "
        "filed during it still waited at its commit after 60 s (issue 19).",
        "",
        "| import | rows | new | updated | unchanged | seconds | rows/s | lock window s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        new, updated, unchanged = run.summary[1], run.summary[2], run.summary[3]
        lines.append(
            f"| {run.name} | {run.rows:,} | {new:,} | {updated:,} | {unchanged:,} | "
            f"{run.wall_seconds:.1f} | {run.rows / run.wall_seconds:,.0f} | "
            + (f"{run.lock_window:.2f} |" if run.name.startswith("agents") else "– |")
        )
    lines += ["", "Access requests filed during the agents' imports (one agent each, every "
              f"{PROBE_PAUSE} s, for agents whose rows the import rewrites):", ""]  # fmt: skip
    for run in runs:
        for kind, samples in run.probes.items():
            lines.append(f"- {run.name}, {kind}: {latency(samples)}")
    first = next((r for r in runs if r.name.startswith("agents, first")), None)
    worst = max((s for r in runs for samples in r.probes.values() for s, _ in samples), default=0.0)
    if first:
        lines += [
            "",
            "Targets (issue 19): 100,000 agents in ≤ 60 s: "
            f"{'met' if first.wall_seconds <= 60 else '**missed**'} ({first.wall_seconds:.1f} s); "
            f"a request filed during an import in ≤ 2 s: "
            f"{'met' if worst <= 2 else '**missed**'} (slowest {worst * 1000:.0f} ms).",
        ]
    lines += [
        "",
        "Reproduce: `make bench-import` (about four minutes; `BENCH_IMPORT_AGENTS` and "
        "`BENCH_IMPORT_PEOPLE` scale the files). It rewrites only this section.",
    ]
    return "\n".join(lines)


def main() -> None:
    import django

    services = Services()
    services.start()
    try:
        assert services.postgres is not None
        services.postgres.create_database()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        django.setup()
        from django.core.management import call_command

        from agents.models import Role

        call_command("migrate", verbosity=0)
        Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
        folder = services.root / "files"
        folder.mkdir()
        changed_agents = set(range(0, AGENTS, int(1 / CHANGED_SHARE)))
        total_policies = PEOPLE * POLICIES_PER_PERSON
        changed_policies = set(range(0, total_policies, int(1 / CHANGED_SHARE)))
        print("Generating files…", file=sys.stderr)
        seed = write_csv(folder / "seed.csv", agent_rows(SEED_AGENTS, seed=True))
        agents = write_csv(folder / "saa.csv", agent_rows(AGENTS))
        agents_changed = write_csv(
            folder / "saa-1pct.csv", agent_rows(AGENTS, changed=changed_agents)
        )
        policies = write_csv(folder / "policies.csv", policy_rows(PEOPLE))
        policies_changed = write_csv(
            folder / "policies-1pct.csv", policy_rows(PEOPLE, changed=changed_policies)
        )
        run_command("import_saa", seed, env)
        runs = []
        for name, command, path, rows, probed in [
            ("agents, first import", "import_saa", agents, AGENTS,
             [f"A{n:06d}" for n in range(SEED_AGENTS)]),
            ("agents, 1% changed", "import_saa", agents_changed, AGENTS,
             [f"A{n:06d}" for n in sorted(changed_agents) if n >= SEED_AGENTS]),
            ("policies, first import", "import_policies", policies, total_policies, []),
            ("policies, 1% changed", "import_policies", policies_changed, total_policies, []),
        ]:  # fmt: skip
            print(f"{name}…", file=sys.stderr)
            run = Run(name=name, rows=rows)
            measure(run, command, path, env, probed)
            runs.append(run)
            print(
                f"{name}: {run.wall_seconds:.1f} s, {rows / run.wall_seconds:,.0f} rows/s, "
                f"summary {run.summary}, lock window {run.lock_window:.2f} s",
                file=sys.stderr,
            )
            for kind, samples in run.probes.items():
                print(f"  {kind}: {latency(samples)}", file=sys.stderr)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        text = markdown(runs, when, machine(services.postgres.bin))
        print(text)
        write_section("imports", text)
    finally:
        from django.db import connections

        connections.close_all()
        services.stop()


if __name__ == "__main__":
    main()
