"""How the suites of `make test` share the work (tests/conftest.py).

Suites side by side start at different points of the tests; the
Python-independent modules are dealt round the suites, each run by one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import rotated, share_independent


class Item:
    """What the hooks read of a test item: its module's path, its markers."""

    def __init__(self, module: str, name: str, independent: bool = False) -> None:
        self.path = Path(module)
        self.name = name
        self.independent = independent
        self.skipped: str | None = None

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "python_independent" and self.independent else None

    def add_marker(self, marker: Any) -> None:
        assert marker.name == "skip"
        self.skipped = marker.kwargs["reason"]

    def __repr__(self) -> str:
        return f"{self.path}::{self.name}"


def items() -> list[Any]:
    sizes = (("a", 3), ("b", 2), ("c", 3))
    return [Item(module, f"t{n}") for module, count in sizes for n in range(count)]


def test_a_rotation_starts_at_a_module_and_keeps_every_test_once_in_its_modules_order() -> None:
    tests = items()
    for spec in ("0/3", "1/3", "2/3", "1/2", "3/4"):
        order = rotated(tests, spec)
        assert sorted(map(repr, order)) == sorted(map(repr, tests))
        assert order[0].name == "t0"  # a module's first test
        # each module's tests stay together and in order
        for module in ("a", "b", "c"):
            mine = [item.name for item in order if item.path == Path(module)]
            assert mine == sorted(mine)
            first = next(i for i, item in enumerate(order) if item.path == Path(module))
            assert all(item.path == Path(module) for item in order[first : first + len(mine)])


def test_suites_side_by_side_start_at_different_modules() -> None:
    starts = [rotated(items(), f"{i}/3")[0].path for i in range(3)]
    assert starts == [Path("a"), Path("b"), Path("c")]
    assert [repr(i) for i in rotated(items(), "0/1")] == [repr(i) for i in items()]


@pytest.mark.parametrize("spec", ["x", "1", "3/3", "-1/2", "1/0"])
def test_a_bad_rotation_is_a_usage_error(spec: str) -> None:
    with pytest.raises(pytest.UsageError):
        rotated(items(), spec)


def marked() -> list[Any]:
    return [
        Item(module, f"t{n}", independent=module.startswith("i"))
        for module in ("a", "i1", "b", "i2", "i3")
        for n in range(2)
    ]


def test_each_independent_module_runs_in_exactly_one_suite_and_the_rest_everywhere() -> None:
    matrix = ["3.10", "3.11", "3.12"]
    runs: dict[str, list[str]] = {}
    for suite in range(len(matrix)):
        tests = marked()
        share_independent(tests, matrix, str(suite))
        for item in tests:
            if item.skipped is None:
                runs.setdefault(repr(item), []).append(matrix[suite])
            else:
                assert item.skipped.endswith(
                    f"in the Python {matrix[int(item.path.name[1]) - 1]} suite"
                )
    assert runs == {
        "a::t0": matrix, "a::t1": matrix, "b::t0": matrix, "b::t1": matrix,
        "i1::t0": ["3.10"], "i1::t1": ["3.10"],
        "i2::t0": ["3.11"], "i2::t1": ["3.11"],
        "i3::t0": ["3.12"], "i3::t1": ["3.12"],
    }  # fmt: skip


@pytest.mark.parametrize("suite", ["", "x", "3", "-1"])
def test_a_suite_outside_the_matrix_is_a_usage_error(suite: str) -> None:
    with pytest.raises(pytest.UsageError):
        share_independent(marked(), ["3.10", "3.11", "3.12"], suite)
