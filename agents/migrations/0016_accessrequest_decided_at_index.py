# The dashboard's index on decided_at (decisions in a date range, requests undecided at its
# end). Built without locking writes: the previous release's pods keep filing and deciding
# requests while it builds.

from django.db import migrations, models

from portal.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("agents", "0015_review_alerts"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="accessrequest",
            index=models.Index(fields=["decided_at"], name="request_decided"),
        ),
    ]
