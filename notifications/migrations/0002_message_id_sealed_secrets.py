# A stable Message-ID per row and its sealed secrets. Rows already in the table get a
# Message-ID each (a callable default is evaluated once for an AddField, so the unique
# constraint comes after they are filled).

from django.db import migrations, models

import notifications.models


def fill_message_ids(apps, schema_editor):
    OutboxEmail = apps.get_model("notifications", "OutboxEmail")
    for row in OutboxEmail.objects.filter(message_id="").only("pk").iterator():
        OutboxEmail.objects.filter(pk=row.pk).update(
            message_id=notifications.models.make_message_id()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxemail",
            name="message_id",
            field=models.CharField(default="", max_length=250),
            preserve_default=False,
        ),
        migrations.RunPython(fill_message_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboxemail",
            name="message_id",
            field=models.CharField(
                default=notifications.models.make_message_id, max_length=250, unique=True
            ),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="sealed_secrets",
            field=models.TextField(blank=True, default=""),
        ),
    ]
