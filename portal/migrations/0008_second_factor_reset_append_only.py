"""Second-factor resets are append-only in the database too (PostgreSQL refuses UPDATE and
DELETE, as for agents' decisions), and reviewers may reset an agent's lost factor: the
"Revisores" group gets the permission to add one."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_secondfactorreset_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'portal_secondfactorreset is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_secondfactorreset_append_only
    BEFORE UPDATE OR DELETE ON portal_secondfactorreset
    FOR EACH ROW EXECUTE FUNCTION portal_secondfactorreset_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_secondfactorreset_append_only ON portal_secondfactorreset;
DROP FUNCTION IF EXISTS portal_secondfactorreset_append_only();
"""
REVIEWERS = "Revisores"
PERMISSIONS = [("portal", "add_secondfactorreset"), ("portal", "view_secondfactorreset")]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=REVIEWERS).first()
    if group is not None:
        for app_label, codename in PERMISSIONS:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_second_factor_reset"), ("agents", "0003_review")]
    operations = [migrations.RunPython(create, drop)]
