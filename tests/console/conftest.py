"""A console served on loopback, wired to the Botcopy emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from botcopy_handover.console import ConsoleConfig, create_app
from botcopy_handover.testing import LoopbackServer
from botcopy_handover.testing.emulator import BotcopyEmulator


def config_for(emulator: BotcopyEmulator, **overrides: Any) -> ConsoleConfig:
    return ConsoleConfig(
        access_tokens=emulator.access_token,
        api_key=emulator.api_key,
        base_url=emulator.url,
        **overrides,
    )


@pytest.fixture
def emulator() -> Iterator[BotcopyEmulator]:
    with BotcopyEmulator() as running:
        yield running


def serve(emulator: BotcopyEmulator, **overrides: Any) -> LoopbackServer:
    """Start a console for ``emulator`` and point the emulator's webhook at it."""
    server = LoopbackServer(create_app(config_for(emulator, **overrides)), lifespan="on").start()
    emulator.webhook_url = f"{server.url}/botcopy"
    return server


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    return url
