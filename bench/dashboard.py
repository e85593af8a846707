"""The back-office dashboard's budget (part of `make bench`): /admin/tablero/ for the last 30
and 365 days with 100,000 access requests, outbox rows and a year of funnel counts, p50
under 300 ms; each chart's SVG too; and PostgreSQL's plan of the largest queries.

Starts its own PostgreSQL and Redis (tests/services.py), fills the tables with bulk inserts
(dates spread over 400 days by one UPDATE each), then times the pages in-process with
Django's test client (the view, its queries and the template; no network). Prints the
figures and writes the "Dashboard" section of docs/benchmarks.md. Figures and a budget
verdict, not pass/fail.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.sections import write_section  # noqa: E402
from tests.services import Services  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "100000"))
OUTBOX = int(os.environ.get("BENCH_DASHBOARD_OUTBOX", "300000"))
PENDING = 2000  # one agent each (one pending request per agent); the others share one agent
RUNS = int(os.environ.get("BENCH_DASHBOARD_RUNS", "15"))
BUDGET_MS = 300.0
BATCH = 5000


def fill() -> None:
    """REQUESTS requests (PENDING pending, the rest decided 0 to 8 days after filing, one in
    five rejected), OUTBOX emails in the three statuses, funnel counts for 400 days."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from agents.models import AccessRequest, Agent, Promotoria, Role
    from agents.services.review import STANDARD_REJECTION_REASONS
    from notifications.models import OutboxEmail
    from portal.models import FunnelCount

    promotoria, _ = Promotoria.objects.get_or_create(clave="880", defaults={"nombre": "CARGA"})
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    agents = Agent.objects.bulk_create(
        Agent(clave_agente=f"T{n}", nombre="TABLERO", rfc="XAAA600101ZZ0",
              email=f"t{n}@carga.test", promotoria=promotoria)
        for n in range(PENDING + 1)
    )  # fmt: skip
    decided_agent = agents[-1]
    for start in range(0, REQUESTS, BATCH):
        AccessRequest.objects.bulk_create(
            AccessRequest(
                agent=agents[n] if n < PENDING else decided_agent,
                role=role,
                email="t@carga.test",
                status="pendiente" if n < PENDING else "aprobada",
            )
            for n in range(start, min(start + BATCH, REQUESTS))
        )
    for start in range(0, OUTBOX, BATCH):
        OutboxEmail.objects.bulk_create(
            OutboxEmail(to="t@carga.test", template="solicitud_recibida",
                        status=("enviado", "pendiente", "fallido", "sent")[n % 4])
            for n in range(start, min(start + BATCH, OUTBOX))
        )  # fmt: skip
    reasons = [*STANDARD_REJECTION_REASONS, "Otro motivo."]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agents_accessrequest SET created_at = now() - (id * 7919 % 400) * "
            "interval '1 day' - (id * 31 % 86400) * interval '1 second'"
        )
        cursor.execute(
            # %% is a literal % beside a parameter (psycopg2's placeholders).
            "UPDATE agents_accessrequest SET decided_at = LEAST(now(), created_at + "
            "(id %% 9) * interval '1 day' + interval '3 hours'), "
            "status = CASE WHEN id %% 5 = 0 THEN 'rechazada' ELSE 'aprobada' END, "
            "rejection_reason = CASE WHEN id %% 5 = 0 THEN (%s::text[])[id %% 6 + 1] ELSE '' END "
            "WHERE status <> 'pendiente'",
            [reasons],
        )
        cursor.execute(
            "UPDATE notifications_outboxemail SET created_at = now() - (id * 7919 % 400) * "
            "interval '1 day' - (id * 31 % 86400) * interval '1 second'"
        )
    today = timezone.localdate()
    steps = {"agents": ["identify", "channels", "role", "submit", "fin"],
             "registration": ["identify", "products", "code", "fin"]}  # fmt: skip
    FunnelCount.objects.bulk_create(
        FunnelCount(
            wizard=wizard, step=step, day=today - datetime.timedelta(days), count=100 - 10 * i
        )
        for days in range(400)
        for wizard, names in steps.items()
        for i, step in enumerate(names)
    )  # fmt: skip
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a large UPDATE: statistics and the visibility map
        # (without it an index-only scan reads the table's pages anyway).
        cursor.execute("VACUUM ANALYZE")


def timed(client, url: str, runs: int = RUNS) -> dict[str, float]:
    client.get(url)  # warm: templates, translations, connections
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}


def plans(client, url: str) -> list[tuple[str, str, float]]:
    """The dashboard's own queries of one page (`url`), each with the scans of its plan and
    its execution time from EXPLAIN ANALYZE; the full plans go to stderr."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    found = []
    for query in captured.captured_queries:
        table = re.search(r'FROM "(agents_accessrequest|notifications_outboxemail|portal_funnel'
                          r'count)"', query["sql"])  # fmt: skip
        if table is None:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"--- {query['sql']}\n{plan}", file=sys.stderr)
        scans = re.findall(r"((?:Parallel )?(?:Seq|Index Only|Index|Bitmap Index) Scan)"
                           r"(?: Backward)?(?: using| on) (\w+)", plan)  # fmt: skip
        scanned = ", ".join(sorted({f"{kind} {index}".strip() for kind, index in scans}))
        ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
        found.append((table.group(1), scanned, ms))
    return found


def main() -> None:
    import datetime

    import django

    services = Services()
    services.start()
    try:
        assert services.postgres is not None
        services.postgres.create_database()
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        django.setup()
        from django.contrib.auth.models import Permission
        from django.core.management import call_command
        from django.test import Client
        from django.utils import timezone

        from portal.models import User

        call_command("migrate", verbosity=0)
        print(f"Filling {REQUESTS:,} requests and {OUTBOX:,} emails…", file=sys.stderr)
        began = time.perf_counter()
        fill()
        print(f"filled in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        viewer = User.objects.create_user("tablero", "t@back.test", "x", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
        client = Client()
        client.force_login(viewer)
        rows = []
        end = timezone.localdate()
        for days in (30, 365):
            query = f"desde={end - datetime.timedelta(days - 1)}&hasta={end}"
            page = timed(client, f"/admin/tablero/?{query}")
            rows.append((f"page, {days} days", page))
            for chart in ("cola", "plazo", "correos", "embudo-agents"):
                url = f"/admin/tablero/grafica/{chart}.svg?{query}"
                rows.append((f"chart {chart}.svg, {days} days", timed(client, url)))
        year = f"/admin/tablero/?desde={end - datetime.timedelta(364)}&hasta={end}"
        explained = plans(client, year)
    finally:
        services.stop()
    lines = [
        "## Dashboard",
        "",
        f"`bench/dashboard.py` (part of `make bench`): /admin/tablero/ with {REQUESTS:,} access "
        f"requests, {OUTBOX:,} outbox rows and 400 days of funnel counts in PostgreSQL, timed "
        f"in-process with Django's test client ({RUNS} runs each after one warm-up). Budget: "
        f"the page's p50 under {BUDGET_MS:.0f} ms for 30 and 365 days.",
        "",
        "| What | p50 ms | p95 ms | Budget |",
        "|---|---:|---:|---|",
    ]
    for name, figures in rows:
        verdict = (
            ("within" if figures["p50"] < BUDGET_MS else "OVER") if name.startswith("page") else ""
        )
        lines.append(f"| {name} | {figures['p50']:.0f} | {figures['p95']:.0f} | {verdict} |")
    lines += [
        "",
        "The page's queries for 365 days (EXPLAIN ANALYZE, in the order the page runs them):",
        "",
        "| Table | Scans | ms |",
        "|---|---|---:|",
    ]
    lines += [f"| {table} | {scans} | {ms:.1f} |" for table, scans, ms in explained]
    text = "\n".join(lines)
    print(text)
    write_section("dashboard", text)


if __name__ == "__main__":
    main()
