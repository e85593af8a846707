"""Audit tables that PostgreSQL keeps append-only: a trigger refuses UPDATE and DELETE, so
`QuerySet.update()`, raw SQL and anything else that skips the model and the admin cannot
rewrite the audit. SQLite (the embedded mode) relies on the model and the admin.

Migrations call `append_only("<table>")`; its SQL must never change (applied migrations run
it again on a fresh database), so a new rule is a new function here, not an edit."""

from __future__ import annotations

from typing import Any

from django.db import migrations

_CREATE = """
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{table} is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
_DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {table}_append_only();
"""


def create_trigger(schema_editor: Any, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_CREATE.format(table=table))


def drop_trigger(schema_editor: Any, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_DROP.format(table=table))


def append_only(table: str) -> migrations.RunPython:
    """The migration operation that makes `table` append-only (and, reversed, no longer)."""
    return migrations.RunPython(
        lambda apps, schema_editor: create_trigger(schema_editor, table),
        lambda apps, schema_editor: drop_trigger(schema_editor, table),
    )
