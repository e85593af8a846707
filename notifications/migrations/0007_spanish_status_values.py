# The outbox's stored statuses in Spanish, like every other status of the portal: "pending",
# "sent", "failed" become "pendiente", "enviado", "fallido" (reversed: back to English).
#
# It runs while the previous release's pods serve and may meet a million sent rows, so it is
# not one transaction: each batch of BATCH consecutive primary keys is its own UPDATE and
# commit, locking at most BATCH rows for milliseconds (a million sent rows: 200 UPDATEs of at
# most 0.2 s; one UPDATE per status held every sent row's lock, and an old pod's write behind
# it, for 7.7 s, and would lose all its work if the Job were killed). Run again after an interruption, it goes on: a converted row no longer
# matches. Rows the previous release's pods write after their batch passed keep the English
# spelling, which this release reads too (OutboxEmail.LEGACY_STATUSES); the next release's
# migration converts them.

from django.db import migrations, models, transaction
from django.db.models import Case, F, Max, Min, Value, When

# Frozen here rather than read from the model: the migration must do the same whatever the
# model says in later releases.
SPANISH = {"pending": "pendiente", "sent": "enviado", "failed": "fallido"}
ENGLISH = {spanish: english for english, spanish in SPANISH.items()}
BATCH = 5000


def respell(apps, schema_editor, spellings: dict[str, str]) -> None:
    OutboxEmail = apps.get_model("notifications", "OutboxEmail")
    alias = schema_editor.connection.alias
    rows = OutboxEmail.objects.using(alias)
    bounds = rows.aggregate(first=Min("pk"), last=Max("pk"))  # read off the primary key index
    if bounds["first"] is None:
        return
    spelled = Case(
        *(When(status=old, then=Value(new)) for old, new in spellings.items()), default=F("status")
    )
    for start in range(bounds["first"], bounds["last"] + 1, BATCH):
        with transaction.atomic(using=alias):
            batch = rows.filter(pk__gte=start, pk__lt=start + BATCH, status__in=list(spellings))
            batch.update(status=spelled)


def to_spanish(apps, schema_editor) -> None:
    respell(apps, schema_editor, SPANISH)


def to_english(apps, schema_editor) -> None:
    respell(apps, schema_editor, ENGLISH)


class Migration(migrations.Migration):
    # Each batch commits on its own (above).
    atomic = False

    dependencies = [
        ("notifications", "0006_outboxemail_refused_code"),
    ]

    operations = [
        # Choices and a Python default only: no SQL, the previous release's INSERTs (which
        # send their own "pending") work as before.
        migrations.AlterField(
            model_name="outboxemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pendiente", "pendiente"),
                    ("enviado", "enviado"),
                    ("fallido", "fallido"),
                ],
                default="pendiente",
                max_length=10,
                verbose_name="estatus",
            ),
        ),
        migrations.RunPython(to_spanish, to_english),
    ]
