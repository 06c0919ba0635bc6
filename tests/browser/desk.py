"""The two sides of a live chat the browser tests drive: an emulator and its agent consoles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botcopy_handover.console import ConsoleConfig
from botcopy_handover.testing._server import LoopbackServer
from botcopy_handover.testing.emulator import BotcopyEmulator

__all__ = ["Desk", "console_config"]


@dataclass
class Desk:
    """A Botcopy emulator wired to one or more agent consoles."""

    emulator: BotcopyEmulator
    consoles: list[LoopbackServer]

    @property
    def console_url(self) -> str:
        return self.consoles[0].url


def console_config(emulator: BotcopyEmulator, **overrides: Any) -> ConsoleConfig:
    """A console pushing to ``emulator`` and accepting its webhook calls."""
    return ConsoleConfig(
        access_tokens=emulator.access_token,
        api_key=emulator.api_key,
        base_url=emulator.url,
        **overrides,
    )
