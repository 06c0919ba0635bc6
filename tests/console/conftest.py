"""The Botcopy emulator a console test wires to, and the Redis from with-services.sh."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from botcopy_handover.testing.emulator import BotcopyEmulator


@pytest.fixture
def emulator() -> Iterator[BotcopyEmulator]:
    with BotcopyEmulator() as running:
        yield running


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    return url
