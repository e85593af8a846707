"""Which version of the privacy notice each account accepted, and when: append-only (PostgreSQL
refuses UPDATE and DELETE, as for second-factor resets)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from portal.append_only import append_only


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
        append_only("portal_noticeacceptance"),
    ]
