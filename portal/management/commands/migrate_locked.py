"""`manage.py migrate_locked`: Django's `migrate`, one run at a time on PostgreSQL.

Two `migrate` runs on a fresh database both try `CREATE TABLE` and one dies with
DuplicateTable. Compose runs a one-shot `migrate` service first, yet an operator may still
start a second one (`docker compose run`, a Kubernetes Job retried while the first is alive),
so each run waits here for a PostgreSQL advisory lock, then migrates what is left: nothing,
if another run got there first.

A waiting run asks for the lock again every half second (`pg_try_advisory_lock`) instead of
blocking in one `pg_advisory_lock` statement: `CREATE INDEX CONCURRENTLY` (the indexes built
while the previous release serves) waits for every transaction older than it to end, and a
statement blocked on the lock is one; it would wait on the run holding the lock, which waits
on the index, for ever (PostgreSQL sees no deadlock: the lock's holder is another connection).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

# Any fixed 64-bit number, the same in every run: "alta" in ASCII.
MIGRATE_LOCK = 0x616C7461
RETRY_SECONDS = 0.5


class Command(BaseCommand):
    help = "migrate, holding a PostgreSQL advisory lock so that concurrent runs wait in turn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args: Any, **options: Any) -> None:
        alias: str = options["database"]
        interactive: bool = options["interactive"]
        if connections[alias].vendor != "postgresql":
            # SQLite (the embedded mode) has one process migrating, and no advisory locks.
            call_command("migrate", database=alias, interactive=interactive)
            return
        # A connection of its own: migrate may close and reopen the default one, and a
        # session lock dies with its connection.
        holder = connections.create_connection(alias)
        try:
            with holder.cursor() as cursor:
                self.stdout.write("Esperando el candado de migraciones…")
                while True:
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK])
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(RETRY_SECONDS)
                try:
                    call_command("migrate", database=alias, interactive=interactive)
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK])
        finally:
            holder.close()
