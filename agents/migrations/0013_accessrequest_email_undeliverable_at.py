from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0012_language_db_default"),
    ]

    operations = [
        # Nullable: the previous release's pods, still serving during an upgrade, insert
        # requests without this column.
        migrations.AddField(
            model_name="accessrequest",
            name="email_undeliverable_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="correo no entregable"),
        ),
    ]
