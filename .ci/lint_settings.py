"""Settings for `make lint`'s migration linter only (.ci/lint_migrations.py): production does
not install it. The database is the throwaway PostgreSQL server that script starts."""

import os

import dj_database_url

from portal.settings import *  # noqa: F403
from portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]
DATABASES = {"default": dj_database_url.parse(os.environ["LINT_DATABASE_URL"])}

MIGRATION_LINTER_OPTIONS = {
    # Our apps; the others' migrations arrive with a pinned upgrade, and
    # tests/system/test_migrations_compat.py walks those too.
    "include_apps": ["portal", "notifications", "agents", "registration"],
    "no_cache": True,
    "ignore_name": [
        # Released before the linter: NOT NULL columns with only a Python default. Every
        # release since sets them; message_id is unique, so no database default can stand in.
        "0002_message_id_sealed_secrets",
        "0006_email_differs_from_saa",
    ],
}
