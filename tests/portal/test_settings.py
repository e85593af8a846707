"""Settings read from the environment refuse a value they do not understand, so a typo
("ture", "maybe") stops the start instead of quietly meaning "off"."""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import fresh_env, manage

PRINT_DEBUG = "from django.conf import settings; print(settings.DEBUG)"


def start_django(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    """Load the settings in a new `manage.py` process, with no DATABASE_URL (the
    embedded mode: DEBUG defaults to on) and the given variables."""
    return manage("shell", "--no-imports", "-c", PRINT_DEBUG, env=fresh_env(tmp_path, **variables))


def test_an_unknown_yes_no_value_stops_the_start_naming_the_variable(tmp_path):
    result = start_django(tmp_path, DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_DEBUG must be one of" in result.stderr
    assert "got 'maybe'" in result.stderr


@pytest.mark.parametrize(
    ("value", "debug"),
    [("off", "False"), (" OFF ", "False"), ("0", "False"), ("sí", "True"), ("Yes", "True"),
     ("", "True")],
)  # fmt: skip
def test_yes_no_words_are_read_and_empty_means_the_default(tmp_path, value, debug):
    # DEBUG off is production: it needs its own key and hosts to start at all.
    production = {
        "DJANGO_SECRET_KEY": "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "alta.example.com",
        "PORTAL_BASE_URL": "https://alta.example.com",
    }
    result = start_django(tmp_path, DJANGO_DEBUG=value, **production)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == debug
