# The dashboard's index on created_at (emails per day of a date range). The outbox keeps up to
# millions of rows and the previous release's pods queue emails while this runs: built without
# locking writes.

from django.db import migrations, models

from portal.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("notifications", "0007_spanish_status_values"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="outboxemail",
            index=models.Index(fields=["created_at"], name="outbox_created"),
        ),
    ]
