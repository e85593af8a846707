from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_language_db_default"),
    ]

    operations = [
        # Nullable: the previous release's pods, still serving during an upgrade, insert rows
        # without this column.
        migrations.AddField(
            model_name="outboxemail",
            name="refused_code",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="rechazo permanente"
            ),
        ),
    ]
