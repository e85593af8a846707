"""The wizards' funnel counts (portal.funnel) and the dashboard's permission on them: a new
table, nothing the previous release reads."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_record_access"),
    ]

    operations = [
        migrations.CreateModel(
            name="FunnelCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("wizard", models.CharField(max_length=40, verbose_name="asistente")),
                ("step", models.CharField(max_length=40, verbose_name="paso")),
                ("day", models.DateField(verbose_name="día")),
                ("count", models.PositiveIntegerField(default=0, verbose_name="visitantes")),
            ],
            options={
                "verbose_name": "conteo del embudo",
                "verbose_name_plural": "conteos del embudo",
                "permissions": [("view_dashboard", "Puede ver el tablero")],
                "default_permissions": (),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("wizard", "day", "step"), name="funnel_count_key"
                    )
                ],
            },
        ),
    ]
