"""Upgrades the previous release survives: after every migration the schema still takes what the
code before it writes (a new column is nullable or has a database default; no table or column is
dropped or renamed), on a throwaway PostgreSQL database, one migration at a time.

Django runs in a subprocess whose default database is the throwaway one (`python -m
tests.system.test_migrations_compat walk|previous-release|rollback|respelling`): data
migrations use the default database, not the connection they are given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.helpers import fresh_database

ROOT = Path(__file__).resolve().parents[2]

# Migrations released before this check that the code of the release before them could not
# survive, and the migration that made the schema safe again (checked to have done so). None
# left: notifications 0004 and agents 0011 (`language` NOT NULL without a default) were given
# the db_default that 0005 and 0012 add, since between the two the previous release's
# INSERTs failed (seen by make bench-fleet from 78258d9: one 500 during the migrate).
FIXED_LATER: dict[str, str] = {}
# The same, with no fix needed, and why.
RELEASED_EXCEPTIONS = {
    # message_id is unique, so no constant database default can stand in for the Python one.
    "notifications 0002_message_id_sealed_secrets": "every release since sets both columns",
    "agents 0006_email_differs_from_saa": "every release since sets both columns",
    "contenttypes 0002_remove_content_type_name": "Django's, older than our first release",
    "axes 0005_remove_accessattempt_trusted": "django-axes', older than our first release",
    "axes 0006_remove_accesslog_trusted": "django-axes', older than our first release",
    "axes 0009_add_session_hash": "django-axes', older than our first release",
    # django-otp's tables are new in the release that runs these: no older code writes them.
    "otp_static 0002_throttling": "django-otp's, in the release that creates its tables",
    "otp_totp 0002_auto_20190420_0723": "django-otp's, in the release that creates its tables",
}


class Column(NamedTuple):
    nullable: bool
    has_default: bool


Schema = dict[str, dict[str, Column]]


def read_schema(cursor) -> Schema:
    """Every table of the public schema with its columns: nullable, and with a database default
    (an identity column counts: the database fills it)."""
    cursor.execute(
        "SELECT table_name, column_name, is_nullable = 'YES',"
        " column_default IS NOT NULL OR is_identity = 'YES'"
        " FROM information_schema.columns WHERE table_schema = 'public'"
    )
    schema: Schema = {}
    for table, column, nullable, has_default in cursor.fetchall():
        schema.setdefault(table, {})[column] = Column(nullable, has_default)
    return schema


def incompatibilities(before: Schema, after: Schema) -> Iterator[tuple[str, str, str]]:
    """What the code written for `before` cannot do on `after`: (table, column, why)."""
    for table, columns in before.items():
        if table not in after:
            yield table, "", "table dropped or renamed (takes two releases)"
            continue
        for name, column in columns.items():
            new = after[table].get(name)
            if new is None:
                yield table, name, "column dropped or renamed (takes two releases)"
            elif column.nullable and not new.nullable and not new.has_default:
                yield table, name, "became NOT NULL without a database default"
            elif column.has_default and not new.nullable and not new.has_default:
                yield table, name, "lost its database default while NOT NULL"
        for name, new in after[table].items():
            if name not in columns and not new.nullable and not new.has_default:
                yield table, name, "added NOT NULL without a database default"


def walk() -> list[str]:
    """Apply the whole plan one migration at a time; the incompatibilities found, except those
    excepted above, and any fix of FIXED_LATER that did not give its columns a default."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState

    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    state = ProjectState(real_apps=executor.loader.unmigrated_apps)
    problems: list[str] = []
    awaiting_fix: dict[str, list[tuple[str, str, str]]] = {}
    with connection.cursor() as cursor:
        before = read_schema(cursor)
        for migration, _backwards in plan:
            state = executor.apply_migration(state, migration)
            after = read_schema(cursor)
            name = f"{migration.app_label} {migration.name}"
            for table, column, why in awaiting_fix.pop(name, []):
                if not (after[table][column].nullable or after[table][column].has_default):
                    problems.append(f"{name} was to fix {table}.{column} ({why}) and did not")
            for table, column, why in incompatibilities(before, after):
                if name in FIXED_LATER:
                    awaiting_fix.setdefault(FIXED_LATER[name], []).append((table, column, why))
                elif name not in RELEASED_EXCEPTIONS:
                    problems.append(f"{name}: {table}.{column} {why}")
            before = after
    problems += [f"{fix} never ran: {cols}" for fix, cols in awaiting_fix.items()]
    return problems


# The state the previous release was written for: the one before the `language` columns.
PREVIOUS_RELEASE = [
    ("notifications", "0003_spanish_verbose_names"),
    ("agents", "0010_spanish_verbose_names"),
]

# An agent to file a request for, as that release's SAA import left it.
PREVIOUS_RELEASE_ROWS = [
    "INSERT INTO agents_promotoria (clave, nombre) VALUES ('P1', 'Promotoría Uno')",
    "INSERT INTO agents_role (code, name, active, \"order\") VALUES ('R1', 'Agente', true, 1)",
    "INSERT INTO agents_agent (clave_agente, tipo_agente, nombre, apellido_paterno,"
    " apellido_materno, email, rfc, tipo_cedula, numero_cedula, tipo_razon_social,"
    " nombre_razon_social, nombre_apoderado_legal, direccion, clave_promotor, nombre_promotor,"
    " domicilio_fiscal, sector, mercado, en_vigor, imported_at, promotoria_id)"
    " SELECT 'A1', 'Agente', 'Xavier', 'Sempere', 'Parra', 'x@example.com', 'SEPX800101AB1', '',"
    " '', '', '', '', '', '', '', '', '', '', true, now(), id FROM agents_promotoria",
]

# The INSERTs the previous release's code sends (every column it knows, none of `language`).
PREVIOUS_RELEASE_INSERTS = {
    "notifications_outboxemail": 'INSERT INTO notifications_outboxemail ("to", template,'
    " context, secret_provider, status, attempts, subject, last_error, created_at,"
    " next_attempt_at, sent_at, message_id, sealed_secrets) VALUES ('x@example.com',"
    " 'agents/request_received', '{}', '', 'pending', 0, '', '', now(), now(), NULL,"
    " '<' || gen_random_uuid() || '@alta>', '') RETURNING id",
    "agents_accessrequest": "INSERT INTO agents_accessrequest (email, status, created_at,"
    " updated_at, decided_at, rejection_reason, decided_by_id, agent_id, role_id,"
    " email_differs_from_saa) SELECT 'x@example.com', 'pending', now(), now(), NULL, '', NULL,"
    " agent.id, role.id, false FROM agents_agent agent, agents_role role RETURNING id",
}


def previous_release() -> list[str]:
    """Migrate to the previous release's state, insert as its code does, migrate to the latest
    and insert again; the `language` each row got, or the error."""
    from django.db import DatabaseError, connection, transaction
    from django.db.migrations.executor import MigrationExecutor

    MigrationExecutor(connection).migrate(PREVIOUS_RELEASE)
    with connection.cursor() as cursor:
        for statement in PREVIOUS_RELEASE_ROWS:
            cursor.execute(statement)
        for statement in PREVIOUS_RELEASE_INSERTS.values():
            cursor.execute(statement)  # the statement fits the state it was written for
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    outcome = []
    for table, statement in PREVIOUS_RELEASE_INSERTS.items():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
                row = [cursor.fetchone()[0]]
                # `table` is one of the two names above.
                cursor.execute(f"SELECT language FROM {table} WHERE id = %s", row)  # noqa: S608
                outcome.append(f"{table}: language {cursor.fetchone()[0]!r}")
        except DatabaseError as error:
            outcome.append(f"{table}: {str(error).splitlines()[0]}")
    return outcome


# The outbox before its statuses were respelt in Spanish (0007), and what the previous release
# stores: its own INSERT above with each of its statuses, in primary-key order.
BEFORE_RESPELLING = ("notifications", "0006_outboxemail_refused_code")
RESPELLING = "notifications.migrations.0007_spanish_status_values"
OLD_STATUSES = ["pending", "sent", "failed", "sent", "sent", "pending", "failed"]


def respelling() -> dict[str, object]:
    """Rows the previous release wrote, then 0007 in batches of 2 while another connection holds
    the newest row's lock (an old worker's claim): what a third connection sees meanwhile, the
    statuses after, what the previous release's INSERT stores after, and the statuses reversed."""
    import importlib
    import threading
    import time

    import psycopg2
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    importlib.import_module(RESPELLING).BATCH = 2  # 4 batches over 7 rows
    MigrationExecutor(connection).migrate([BEFORE_RESPELLING])
    insert = PREVIOUS_RELEASE_INSERTS["notifications_outboxemail"].replace("'pending'", "%s")
    with connection.cursor() as cursor:
        for status in OLD_STATUSES:
            cursor.execute(insert, [status])
    connection.close()  # the migration runs in a thread, on a connection of its own

    def statuses(cursor) -> list[str]:
        cursor.execute("SELECT status FROM notifications_outboxemail ORDER BY id")
        return [status for (status,) in cursor.fetchall()]

    holder = psycopg2.connect(os.environ["DATABASE_URL"])
    observer = psycopg2.connect(os.environ["DATABASE_URL"])
    observer.autocommit = True
    with holder.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM notifications_outboxemail ORDER BY id DESC LIMIT 1 FOR UPDATE"
        )

    def migrate() -> None:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        connection.close()

    forward = threading.Thread(target=migrate)
    forward.start()
    with observer.cursor() as cursor:
        for _ in range(200):  # until the migration waits for the held row
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND query LIKE 'UPDATE%notifications_outboxemail%'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the migration never waited for the held row")
        while_waiting = statuses(cursor)
        holder.rollback()  # the old worker's claim ends
        forward.join(timeout=60)
        after = statuses(cursor)
        cursor.execute(insert.replace("RETURNING id", "RETURNING status"), ["pending"])
        written_after = cursor.fetchone()[0]
    MigrationExecutor(connection).migrate([BEFORE_RESPELLING])
    with connection.cursor() as cursor:
        reversed_ = statuses(cursor)
    holder.close()
    observer.close()
    return {
        "while_waiting": while_waiting,
        "after": after,
        "written_after": written_after,
        "reversed": reversed_,
    }


def rollback() -> list[str]:
    """On a database a newer release migrated (one migration this code does not know), what
    this release's pods run: wait-for-migrations' `migrate --check`, then the migrate Job's."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor.recorder.record_applied("notifications", "9999_of_the_next_release")
    outcome = []
    for command in (["migrate", "--check"], ["migrate_locked", "--noinput"]):
        try:
            call_command(*command, verbosity=0)
            outcome.append(f"{' '.join(command)}: exit 0")
        except SystemExit as exit:
            outcome.append(f"{' '.join(command)}: exit {exit.code}")
    return outcome


@pytest.fixture
def throwaway_database(services) -> Iterator[str]:
    with fresh_database("alta_upgrade") as url:
        yield url


def run_here(command: str, database_url: str) -> object:
    """Run `command` of this module in a Django process on `database_url`; what it printed."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.system.test_migrations_compat", command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_migration_keeps_what_the_release_before_it_writes(throwaway_database):
    problems = run_here("walk", throwaway_database)
    assert problems == [], "\n".join(problems)


def test_the_previous_release_inserts_outbox_rows_and_requests_on_the_new_schema(
    throwaway_database,
):
    assert run_here("previous-release", throwaway_database) == [
        "notifications_outboxemail: language ''",
        "agents_accessrequest: language ''",
    ]


def test_outbox_statuses_are_respelt_in_committed_batches_and_back(throwaway_database):
    seen = run_here("respelling", throwaway_database)
    spanish = {"pending": "pendiente", "sent": "enviado", "failed": "fallido"}
    # Blocked on the newest row (its batch of 2), the migration has committed the three
    # batches before it: a live table is never locked by more than one batch at a time.
    assert seen["while_waiting"] == [spanish[s] for s in OLD_STATUSES[:6]] + ["failed"]
    assert seen["after"] == [spanish[s] for s in OLD_STATUSES]
    # The previous release's pods still write (and this release reads) their own spelling.
    assert seen["written_after"] == "pending"
    assert seen["reversed"] == [*OLD_STATUSES, "pending"]


def test_the_previous_image_starts_on_a_database_the_new_release_migrated(throwaway_database):
    assert run_here("rollback", throwaway_database) == [
        "migrate --check: exit 0",
        "migrate_locked --noinput: exit 0",
    ]


if __name__ == "__main__":
    import django

    django.setup()
    print(
        json.dumps(
            {
                "walk": walk,
                "previous-release": previous_release,
                "rollback": rollback,
                "respelling": respelling,
            }[sys.argv[1]]()
        )
    )
