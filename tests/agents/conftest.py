"""Fixtures for the agent request wizard (001 §3.3–3.6); its driver is in tests/helpers.py."""

from __future__ import annotations

import pytest

from tests.helpers import RequestWizard


@pytest.fixture
def wizard(client):
    return RequestWizard(client)
