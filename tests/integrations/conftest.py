"""The event loop fixture of the adapter contract (tests/integrations/contract.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.contract import Loop


@pytest.fixture
def loop() -> Iterator[Loop]:
    loop = Loop()
    yield loop
    loop.close()
