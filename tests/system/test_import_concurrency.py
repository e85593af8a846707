"""The imports at the insurer's scale, on real PostgreSQL: set-based writes whose row locks
never hold up an agent filing a request, only changed rows written, nothing half-imported."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from agents import services
from agents.models import AccessRequest, Agent, Role
from agents.saa import COLUMNS as SAA_COLUMNS
from registration.models import Person, Policy
from registration.policies import COLUMNS as POLICY_COLUMNS
from tests.helpers import valid_rfc

pytestmark = pytest.mark.django_db(transaction=True)

RFC = valid_rfc("SOPX", "690529")
# The import pauses this long right after it rewrote the filing agent's row (a trigger on that
# row), so the row is surely locked by an import in progress when the request is filed.
SLEEP_IN_UPSERT = 3.0


def agent_row(n: int, **values: str) -> dict[str, str]:
    row = {c: "" for c in SAA_COLUMNS}
    row.update(
        clave_agente=f"{n}", tipo_agente="AGENTE", nombre="XIMENA", apellido_paterno="SOTO",
        email=f"agente{n}@ejemplo.test", rfc=RFC, clave_promotoria="131",
        nombre_promotoria="PROMOTORIA DIRECTA", en_vigor="S", canales="Individual Privado",
        direccion="AV. DE LOS ALAMOS 289",
    )  # fmt: skip
    row.update(values)
    return row


def write_csv(path, rows: list[dict[str, str]], columns: list[str] = SAA_COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_saa(path) -> str:
    out = io.StringIO()
    call_command("import_saa", str(path), stdout=out)
    return out.getvalue()


def row_versions(model) -> dict[int, str]:
    """Each row's xmin: PostgreSQL's id of the transaction that last wrote it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, xmin::text FROM {model._meta.db_table}")  # noqa: S608
        return dict(cursor.fetchall())


def import_is_paused() -> bool:
    """Another session is asleep in the trigger: it holds the target agent's row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone() is not None


def test_a_request_filed_during_an_import_is_not_held_by_its_locks(tmp_path):
    agents = 3000
    import_saa(write_csv(tmp_path / "first.csv", [agent_row(n) for n in range(1, agents + 1)]))
    role, _ = Role.objects.get_or_create(code="AGENTE", defaults={"name": "AGENTE"})
    target = Agent.objects.get(clave_agente="1")
    channel_ids = list(target.channels.values_list("pk", flat=True))
    # Every agent changes, the one filing included: the import locks each of their rows.
    changed = [agent_row(n, direccion="CALLE ROBLE 12") for n in range(1, agents + 1)]
    path = write_csv(tmp_path / "second.csv", changed)

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION slow_import() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({SLEEP_IN_UPSERT}); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER slow_import AFTER UPDATE ON agents_agent FOR EACH ROW "
            "WHEN (NEW.clave_agente = '1') EXECUTE FUNCTION slow_import()"
        )
    outcome: dict[str, object] = {}

    def run_import() -> None:
        try:
            outcome["output"] = import_saa(path)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        deadline = time.monotonic() + 60
        while not import_is_paused():
            assert importer.is_alive() and time.monotonic() < deadline, outcome
            time.sleep(0.02)
        started = time.monotonic()
        request = services.submit_access_request(
            clave_agente=target.clave_agente, clave_promotoria="131", rfc=RFC,
            channel_ids=channel_ids, role=role, email=target.email,
        )  # fmt: skip
        took = time.monotonic() - started
        still_importing = import_is_paused()
    finally:
        importer.join(120)
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER slow_import ON agents_agent")
            cursor.execute("DROP FUNCTION slow_import()")
    assert took < 2.0, f"the request waited {took:.1f} s for the import"
    assert still_importing, "the import ended before the request was filed"
    assert "error" not in outcome, outcome
    assert "0 agentes nuevos, 3000 actualizados, 0 sin cambios" in str(outcome["output"])
    assert Agent.objects.filter(direccion="CALLE ROBLE 12").count() == agents
    assert AccessRequest.objects.get(pk=request.pk).agent_id == target.pk


def test_a_reimport_writes_only_the_rows_that_changed(tmp_path):
    rows = [agent_row(n) for n in range(1, 51)]
    import_saa(write_csv(tmp_path / "first.csv", rows))
    before = row_versions(Agent)
    rows[4] = agent_row(5, nombre="XIMENA B")
    rows[9] = agent_row(10, en_vigor="N")
    rows[19] = agent_row(20, canales="Individual Privado|Grupo Privado")  # channels only
    output = import_saa(write_csv(tmp_path / "second.csv", rows))
    assert "0 agentes nuevos, 3 actualizados, 47 sin cambios" in output
    after = row_versions(Agent)
    rewritten = {Agent.objects.get(pk=pk).clave_agente for pk in before if after[pk] != before[pk]}
    assert rewritten == {"5", "10"}  # the channel change is a link row, not the agent's
    assert Agent.objects.get(clave_agente="20").channels.count() == 2
    assert "0 agentes nuevos, 0 actualizados, 50 sin cambios" in import_saa(
        write_csv(tmp_path / "third.csv", rows)
    )
    assert row_versions(Agent) == after


def policy_row(n: int, **values: str) -> dict[str, str]:
    row = {
        "numero_poliza": f"71{n:08d}", "producto": "Vida Individual", "estatus": "Vigente",
        "rfc": RFC, "nombre": "XIMENA", "apellido_paterno": "SOTO", "apellido_materno": "PARDO",
        "fecha_nacimiento": "1969-05-29", "email": "ximena@ejemplo.test",
    }  # fmt: skip
    row.update(values)
    return row


def test_a_policy_reimport_writes_only_the_policies_that_changed(tmp_path):
    rows = [policy_row(n) for n in range(1, 21)]
    call_command("import_policies", str(write_csv(tmp_path / "a.csv", rows, POLICY_COLUMNS)),
                 stdout=io.StringIO())  # fmt: skip
    people, policies = row_versions(Person), row_versions(Policy)
    rows[3] = policy_row(4, estatus="Cancelada")
    out = io.StringIO()
    call_command("import_policies", str(write_csv(tmp_path / "b.csv", rows, POLICY_COLUMNS)),
                 stdout=out)  # fmt: skip
    assert "0 nuevas, 1 actualizadas, 19 sin cambios; 0 clientes nuevos" in out.getvalue()
    assert row_versions(Person) == people
    after = row_versions(Policy)
    assert [
        Policy.objects.get(pk=pk).numero_poliza for pk in policies if after[pk] != policies[pk]
    ] == ["7100000004"]


def test_a_bad_last_row_leaves_the_mirror_as_it_was(tmp_path):
    rows = [agent_row(n) for n in range(1, 2001)]
    import_saa(write_csv(tmp_path / "first.csv", rows))
    before = row_versions(Agent)
    changed = [agent_row(n, direccion="CALLE ROBLE 12") for n in range(1, 2001)]
    changed.append(agent_row(2001, canales="Nuevo Canal"))
    changed.append(agent_row(2002, en_vigor="X"))
    with pytest.raises(CommandError, match="línea 2003: en_vigor debe ser S o N"):
        import_saa(write_csv(tmp_path / "second.csv", changed))
    assert row_versions(Agent) == before
    assert not Agent.objects.filter(clave_agente="2001").exists()
    assert not Agent.objects.filter(channels__name="Nuevo Canal").exists()


def test_a_bad_policy_row_leaves_nothing_imported(tmp_path):
    rows = [policy_row(n) for n in range(1, 501)] + [policy_row(501, fecha_nacimiento="1969")]
    with pytest.raises(CommandError, match="línea 502: fecha_nacimiento inválida"):
        call_command("import_policies", str(write_csv(tmp_path / "a.csv", rows, POLICY_COLUMNS)))
    assert not Person.objects.exists() and not Policy.objects.exists()


def test_output_off_a_terminal_is_one_summary_line_without_personal_data(tmp_path):
    rows = [agent_row(n) for n in range(1, 21)]
    import_saa(write_csv(tmp_path / "first.csv", rows))
    rows[0] = agent_row(1, nombre="XIMENA B")
    rows.append(agent_row(21))
    output = import_saa(write_csv(tmp_path / "second.csv", rows))
    [line] = output.splitlines()
    assert line.startswith("SAA: 21 filas leídas, 1 agentes nuevos, 1 actualizados, ")
    assert line.endswith(" s.") and "19 sin cambios" in line
    for personal in ("XIMENA", RFC, "ejemplo.test", "AV. DE LOS"):
        assert personal not in output


def test_on_a_terminal_the_command_shows_rows_checked_and_written(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    from tests.helpers import ROOT, current_database_url

    path = write_csv(tmp_path / "saa.csv", [agent_row(n) for n in range(1, 201)])
    terminal, child_side = pty.openpty()
    env = {**os.environ, "DATABASE_URL": current_database_url()}
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "import_saa", str(path)],
        cwd=ROOT, env=env, stdout=child_side, stderr=subprocess.PIPE, timeout=120,
    )  # fmt: skip
    os.close(child_side)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child's side is closed: all it wrote was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert done.returncode == 0, done.stderr
    text = shown.decode()
    assert "Filas comprobadas" in text and "Filas escritas" in text and "200/200" in text
    assert "SAA: 200 filas leídas, 200 agentes nuevos, 0 actualizados, 0 sin cambios" in text
    assert "XIMENA" not in text and RFC not in text


def test_cells_with_quotes_newlines_and_copy_markers_are_stored_as_written(tmp_path):
    # COPY's CSV reads `\.` alone on a line as the end of the data unless it is quoted.
    tricky = 'CALLE "ROBLE", 12\n\\.\nCOL. CENTRO\r\n\\N ; | \\'
    import_saa(write_csv(tmp_path / "saa.csv", [agent_row(1, direccion=tricky, sector="")]))
    agent = Agent.objects.get(clave_agente="1")
    assert agent.direccion == tricky and agent.sector == ""
