"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.helpers import fixture_bytes

# pytester runs the pytest plugin's own tests in inner sessions.
pytest_plugins = ["pytester"]


@pytest.fixture
def step_one_body() -> bytes:
    """The spec's Step One example, with all five history kinds."""
    return fixture_bytes("webhooks/step_one_spec.json")


@pytest.fixture
def step_two_body() -> bytes:
    """The spec's Step Two example."""
    return fixture_bytes("webhooks/step_two_spec.json")
