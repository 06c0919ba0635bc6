"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest

from tests.helpers import fixture_bytes

# pytester runs the pytest plugin's own tests in inner sessions.
pytest_plugins = ["pytester"]

# scripts/test-pythons.sh runs the suite once per Python. Tests marked
# ``python_independent`` (their outcome is the same whichever Python runs the
# suite: they build the docs with the dev environment's mkdocs, test the shell
# scripts, or drive Chromium) run in one suite of the run only, their modules
# dealt round the suites so that no suite carries them all:
# BOTCOPY_MATRIX="3.10 3.11 3.12 3.13" names the run's suites in order and
# BOTCOPY_MATRIX_SUITE=<i> says which one this is. Unset (`make pytest`, a
# plain `pytest`), every test runs.
_MATRIX = os.environ.get("BOTCOPY_MATRIX", "").split()
_SUITE = os.environ.get("BOTCOPY_MATRIX_SUITE", "")


# Suites run side by side would otherwise go through the same tests at the same
# time: all of them waiting (on leases, timeouts, processes) while the cores
# idle, then all of them computing. BOTCOPY_TEST_ROTATE=<i>/<n> starts this
# suite i/n of the way through the tests (at a module's start) and wraps
# around: every test still runs, once, in its module's order.
_ROTATE = os.environ.get("BOTCOPY_TEST_ROTATE", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Leave the Python-independent tests to their suite; rotate the order when asked."""
    if _MATRIX:
        share_independent(items, _MATRIX, _SUITE)
    if _ROTATE:
        items[:] = rotated(items, _ROTATE)


def share_independent(items: list[pytest.Item], matrix: list[str], suite: str) -> None:
    """Skip the ``python_independent`` modules another suite of ``matrix`` runs.

    The marked modules, in collection order (the same in every suite), go to
    the suites in turn: the first to suite 0, the second to suite 1...
    """
    if not suite.isdigit() or int(suite) >= len(matrix):
        raise pytest.UsageError(
            f"BOTCOPY_MATRIX_SUITE must index BOTCOPY_MATRIX ({len(matrix)} suites), not {suite!r}"
        )
    modules: dict[object, int] = {}
    for item in items:
        if item.get_closest_marker("python_independent") is not None:
            owner = modules.setdefault(item.path, len(modules) % len(matrix))
            if owner != int(suite):
                reason = (
                    "Python-independent: run once per `make test`, "
                    f"in the Python {matrix[owner]} suite"
                )
                item.add_marker(pytest.mark.skip(reason=reason))


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
