"""Migration operations of our own, for migrations that run while the previous release serves.

Imported by migrations: keep each operation's behaviour as it is (a later change would change
what an old migration does).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations import AddIndex
from django.db.migrations.state import ProjectState


class AddIndexWithoutLocking(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL: the table keeps taking writes while the index
    is built (a plain CREATE INDEX blocks every INSERT and UPDATE until it ends, minutes on
    millions of rows). Elsewhere (the embedded SQLite, one process, no concurrent writer) a
    plain CREATE INDEX. Put it in a migration with `atomic = False`."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
            return
        self._drop_invalid_leftover(schema_editor)
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def _drop_invalid_leftover(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        # A CREATE INDEX CONCURRENTLY interrupted (the migrate Job killed, a deadlock) leaves
        # an invalid index of the same name, which would make every new attempt fail.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
                "WHERE pg_class.relname = %s AND NOT pg_index.indisvalid "
                "AND pg_table_is_visible(pg_class.oid)",
                [self.index.name],
            )
            leftover: Any = cursor.fetchone()
        if leftover:
            schema_editor.execute(
                f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(self.index.name)}"
            )
