"""Which version of the privacy notice each account accepted, and when: append-only (PostgreSQL
refuses UPDATE and DELETE, as for second-factor resets)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION portal_noticeacceptance_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'portal_noticeacceptance is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_noticeacceptance_append_only
    BEFORE UPDATE OR DELETE ON portal_noticeacceptance
    FOR EACH ROW EXECUTE FUNCTION portal_noticeacceptance_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_noticeacceptance_append_only ON portal_noticeacceptance;
DROP FUNCTION IF EXISTS portal_noticeacceptance_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_arco_decision_append_only")]

    operations = [
        migrations.CreateModel(
            name="NoticeAcceptance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=40, verbose_name="versión del aviso")),
                ("source", models.CharField(choices=[("registro", "registro de cliente"), ("invitacion", "invitación"), ("solicitud", "solicitud de acceso"), ("actualizacion", "aviso actualizado")], max_length=20, verbose_name="dónde")),
                ("accepted_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="aceptado")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="cuenta")),
            ],
            options={
                "verbose_name": "aceptación del aviso de privacidad",
                "verbose_name_plural": "aceptaciones del aviso de privacidad",
                "indexes": [models.Index(fields=["user", "version"], name="notice_user_version")],
            },
        ),
        migrations.RunPython(create, drop),
    ]
