"""The audit records "Reenviar credenciales" as a Decision of its own kind."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0006_email_differs_from_saa"),
    ]

    operations = [
        migrations.AlterField(
            model_name="decision",
            name="decision",
            field=models.CharField(
                choices=[
                    ("aprobada", "aprobada"),
                    ("rechazada", "rechazada"),
                    ("reenvio", "credenciales reenviadas"),
                ],
                max_length=10,
                verbose_name="decisión",
            ),
        ),
    ]
