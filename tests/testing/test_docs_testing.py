"""The "Testing your proxy" page's example of pinning a variant runs, as a user's suite would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
MARKER = "<!-- example: pinned variant (run by tests/testing/test_docs_testing.py) -->"

INI = """
[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""


def pinned_variant_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text.split(MARKER, 1)[1]
    match = re.match(r"\s*```python\n(.*?)\n```", after, re.DOTALL)
    assert match is not None, "the marker must be followed by a python block"
    return match.group(1)


def test_the_pinned_variant_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_pinned=pinned_variant_example())
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_example_really_pins_the_readings(pytester: pytest.Pytester) -> None:
    # Under the default reading the pause ends, so the example's last line must fail.
    pytester.makeini(INI)
    example = pinned_variant_example().replace(
        '    readings=Readings(step_two_continue="keep_pause"),\n', ""
    )
    pytester.makepyfile(test_pinned=example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)
