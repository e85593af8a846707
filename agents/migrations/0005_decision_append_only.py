"""Decisions are append-only in the database too: PostgreSQL refuses UPDATE and DELETE.

The model and the admin already refuse; this covers `QuerySet.update()`, raw SQL and
anything else that skips `Decision.save()`. SQLite (embedded mode) relies on the model.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION agents_decision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'agents_decision is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agents_decision_append_only
    BEFORE UPDATE OR DELETE ON agents_decision
    FOR EACH ROW EXECUTE FUNCTION agents_decision_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS agents_decision_append_only ON agents_decision;
DROP FUNCTION IF EXISTS agents_decision_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("agents", "0004_announcement")]
    operations = [migrations.RunPython(create, drop)]
