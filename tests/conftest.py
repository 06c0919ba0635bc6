"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# pytester runs the pytest plugin's own tests in inner sessions.
pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(relative: str) -> Any:
    """Parse a JSON file under tests/fixtures/."""
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def fixture_bytes(relative: str) -> bytes:
    """Read a file under tests/fixtures/ as bytes, exactly as stored."""
    return (FIXTURES / relative).read_bytes()


@pytest.fixture
def step_one_body() -> bytes:
    """The spec's Step One example, with all five history kinds."""
    return fixture_bytes("webhooks/step_one_spec.json")


@pytest.fixture
def step_two_body() -> bytes:
    """The spec's Step Two example."""
    return fixture_bytes("webhooks/step_two_spec.json")
