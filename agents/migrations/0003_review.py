"""The "Revisores" group: back-office staff who review agent access requests."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Revisores"
# Just what reviewing needs: see requests, the SAA data and the audit, and decide.
PERMISSIONS = [
    ("agents", "review_accessrequest"),
    ("agents", "view_accessrequest"),
    ("agents", "view_agent"),
    ("agents", "view_decision"),
]


def add_group(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(add_group, remove_group)]
