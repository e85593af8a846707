"""Fixtures for the client registration wizards (000); the driver is in tests/helpers.py
and `make_person` in tests/conftest.py (the whole-system tests use it too)."""

from __future__ import annotations

import pytest

from tests.helpers import KEY_WIZARD_URL, ClientWizard


@pytest.fixture
def wizard(client):
    return ClientWizard(client)


@pytest.fixture
def key_wizard(client):
    return ClientWizard(client, KEY_WIZARD_URL)
