"""ARCO decisions are append-only in the database too (PostgreSQL refuses UPDATE and DELETE,
as for agents' decisions and second-factor resets)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_arcodecision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'portal_arcodecision is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_arcodecision_append_only
    BEFORE UPDATE OR DELETE ON portal_arcodecision
    FOR EACH ROW EXECUTE FUNCTION portal_arcodecision_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_arcodecision_append_only ON portal_arcodecision;
DROP FUNCTION IF EXISTS portal_arcodecision_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0009_arco_requests")]
    operations = [migrations.RunPython(create, drop)]
