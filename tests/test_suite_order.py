"""The suite's own ordering: suites side by side start at different points (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import rotated


class Item:
    """What ``rotated`` reads of a test item: its module's path."""

    def __init__(self, module: str, name: str) -> None:
        self.path = Path(module)
        self.name = name

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
