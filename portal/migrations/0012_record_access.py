"""Who looked at a person's or an agent's record in admin (RecordAccess), append-only in the
database too: PostgreSQL refuses UPDATE and DELETE, as for agents' decisions. SQLite
(embedded mode) relies on the admin, which offers neither."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from portal.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("portal", "0011_notice_acceptance")]

    operations = [
        migrations.CreateModel(
            name="RecordAccess",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("action", models.CharField(choices=[("consulta", "consulta"), ("exportacion", "exportación")], max_length=20, verbose_name="acción")),
                ("model", models.CharField(max_length=100, verbose_name="tipo de expediente")),
                ("object_pk", models.CharField(max_length=64, verbose_name="clave del expediente")),
                ("accessed_at", models.DateTimeField(auto_now_add=True, verbose_name="fecha")),
                ("viewer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="quién")),
            ],
            options={
                "verbose_name": "consulta de expediente",
                "verbose_name_plural": "consultas de expedientes",
                "ordering": ["-accessed_at", "-pk"],
                "indexes": [models.Index(fields=["model", "object_pk", "accessed_at"], name="record_access_lookup")],
            },
        ),
        append_only("portal_recordaccess"),
    ]
