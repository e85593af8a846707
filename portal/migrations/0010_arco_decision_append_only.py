"""ARCO decisions are append-only in the database too (PostgreSQL refuses UPDATE and DELETE,
as for agents' decisions and second-factor resets)."""

from django.db import migrations

from portal.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("portal", "0009_arco_requests")]
    operations = [append_only("portal_arcodecision")]
