"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest

from tests.helpers import fixture_bytes

# pytester runs the pytest plugin's own tests in inner sessions.
pytest_plugins = ["pytester"]

# scripts/test-pythons.sh runs the suite once per Python. Tests marked
# ``python_independent`` (their outcome is the same whichever Python runs the
# suite: they build the docs with the dev environment's mkdocs, or test the
# shell scripts) run in the first suite only; the others are told the Python
# that runs them: BOTCOPY_PYTHON_INDEPENDENT_IN=<version>. Unset (`make pytest`,
# a plain `pytest`), every test runs.
_INDEPENDENT_IN = os.environ.get("BOTCOPY_PYTHON_INDEPENDENT_IN")


# Suites run side by side would otherwise go through the same tests at the same
# time: all of them waiting (on leases, timeouts, processes) while the cores
# idle, then all of them computing. BOTCOPY_TEST_ROTATE=<i>/<n> starts this
# suite i/n of the way through the tests (at a module's start) and wraps
# around: every test still runs, once, in its module's order.
_ROTATE = os.environ.get("BOTCOPY_TEST_ROTATE", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the Python-independent tests in all suites but one; rotate the order when asked."""
    if _INDEPENDENT_IN:
        reason = (
            f"Python-independent: run once per `make test`, in the Python {_INDEPENDENT_IN} suite"
        )
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if item.get_closest_marker("python_independent") is not None:
                item.add_marker(skip)
    if _ROTATE:
        items[:] = rotated(items, _ROTATE)


def rotated(items: list[pytest.Item], spec: str) -> list[pytest.Item]:
    """``items`` started at the first module boundary ``i/n`` of the way through."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise pytest.UsageError(f"BOTCOPY_TEST_ROTATE must be i/n, not {spec!r}") from None
    if not 0 <= index < count:
        raise pytest.UsageError(f"BOTCOPY_TEST_ROTATE must be i/n with 0 <= i < n, not {spec!r}")
    start = len(items) * index // count
    while 0 < start < len(items) and items[start].path == items[start - 1].path:
        start += 1
    return items[start:] + items[:start]


@pytest.fixture
def step_one_body() -> bytes:
    """The spec's Step One example, with all five history kinds."""
    return fixture_bytes("webhooks/step_one_spec.json")


@pytest.fixture
def step_two_body() -> bytes:
    """The spec's Step Two example."""
    return fixture_bytes("webhooks/step_two_spec.json")
