from django.db import migrations

ROLES = [("AGENTE", "AGENTE", 1), ("PROMOTOR", "PROMOTOR", 2)]


def add_roles(apps, schema_editor):
    Role = apps.get_model("agents", "Role")
    for code, name, order in ROLES:
        Role.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("agents", "0001_initial")]
    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
