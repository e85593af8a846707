"""Second-factor resets are append-only in the database too (PostgreSQL refuses UPDATE and
DELETE, as for agents' decisions), and reviewers may reset an agent's lost factor: the
"Revisores" group gets the permission to add one."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from portal.append_only import create_trigger, drop_trigger

REVIEWERS = "Revisores"
PERMISSIONS = [("portal", "add_secondfactorreset"), ("portal", "view_secondfactorreset")]


def create(apps, schema_editor):
    create_trigger(schema_editor, "portal_secondfactorreset")
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
    drop_trigger(schema_editor, "portal_secondfactorreset")


class Migration(migrations.Migration):
    dependencies = [("portal", "0007_second_factor_reset"), ("agents", "0003_review")]
    operations = [migrations.RunPython(create, drop)]
