"""The database cache's table (settings "fallback": rate-limit counters while Redis does not
answer), made by every `migrate`, not only by `make run`'s `createcachetable`."""

from typing import Any

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "alta_cache"


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    # Django's own command: the same table as `createcachetable`, and nothing when it exists.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_spanish_verbose_names"),
    ]

    # Kept on rollback: the previous release's `make run` created and used the same table.
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
