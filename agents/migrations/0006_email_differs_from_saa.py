"""Requests whose email is not the agent's SAA email are marked; approving one is confirmed
explicitly and the confirmation is part of the audit.

Requests filed before this migration are marked here, so none waiting in the queue slips
through the bulk approval unmarked.
"""

from django.db import migrations, models
from django.db.models.functions import Lower


def mark_existing(apps, schema_editor):
    AccessRequest = apps.get_model("agents", "AccessRequest")
    rows = AccessRequest.objects.annotate(typed=Lower("email"), saa=Lower("agent__email"))
    for row in rows.only("pk", "email", "agent__email").iterator():
        if row.typed != row.saa:
            AccessRequest.objects.filter(pk=row.pk).update(email_differs_from_saa=True)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0005_decision_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessrequest",
            name="email_differs_from_saa",
            field=models.BooleanField(default=False, verbose_name="correo distinto del SAA"),
        ),
        migrations.AddField(
            model_name="decision",
            name="email_override_confirmed",
            field=models.BooleanField(
                default=False, verbose_name="correo distinto del SAA confirmado"
            ),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
