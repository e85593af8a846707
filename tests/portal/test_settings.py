"""Settings read from the environment refuse a value they do not understand, so a typo
("ture", "maybe") stops the start instead of quietly meaning "off"."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

PRINT_DEBUG = (
    "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
)


def start_django(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    """Load the settings in a new process, as `manage.py` would, with no DATABASE_URL (the
    embedded mode: DEBUG defaults to on) and the given variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CAPTCHA_", "EMAIL_", "PYTEST_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        ALTA_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL="",
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_DEBUG],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


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
    result = start_django(tmp_path, DJANGO_DEBUG=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == debug
