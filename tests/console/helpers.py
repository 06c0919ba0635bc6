"""A console served on loopback, wired to the Botcopy emulator."""

from __future__ import annotations

from typing import Any

from botcopy_handover.console import ConsoleConfig, create_app
from botcopy_handover.testing import LoopbackServer
from botcopy_handover.testing.emulator import BotcopyEmulator

__all__ = ["config_for", "serve"]


def config_for(emulator: BotcopyEmulator, **overrides: Any) -> ConsoleConfig:
    return ConsoleConfig(
        access_tokens=emulator.access_token,
        api_key=emulator.api_key,
        base_url=emulator.url,
        **overrides,
    )


def serve(emulator: BotcopyEmulator, **overrides: Any) -> LoopbackServer:
    """Start a console for ``emulator`` and point the emulator's webhook at it."""
    server = LoopbackServer(create_app(config_for(emulator, **overrides)), lifespan="on").start()
    emulator.webhook_url = f"{server.url}/botcopy"
    return server
