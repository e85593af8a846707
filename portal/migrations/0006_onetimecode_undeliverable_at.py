from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_cache_table"),
    ]

    operations = [
        # Nullable: the previous release's pods, still serving during an upgrade, insert
        # codes without this column.
        migrations.AddField(
            model_name="onetimecode",
            name="undeliverable_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
