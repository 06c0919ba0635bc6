"""A local Botcopy for tests and demos: push endpoint, scripted customer and bot, and their state.

Needs the ``testing`` extra (uvicorn, Starlette)::

    from botcopy_handover.testing.emulator import BotcopyEmulator

    with BotcopyEmulator(webhook_url="http://127.0.0.1:8000/botcopy") as botcopy:
        client = Client(api_key=botcopy.api_key, base_url=botcopy.url)
        turn = botcopy.customer_says("I want to talk to a human")   # Step One to your proxy
        assert botcopy.last_reply == Pause()
        botcopy.wait_for(lambda b: b.customer_sees() == ["Hi, I'm Dana"])

See the "Testing your proxy" page of the docs.
"""

from botcopy_handover.testing.emulator._bot import (
    DEFAULT_HANDOVER_PHRASES,
    DEFAULT_TRIGGER,
    Platform,
    ScriptedBot,
)
from botcopy_handover.testing.emulator._conversation import (
    TYPING_LIFETIME,
    EmulatedConversation,
    Seen,
    Sender,
)
from botcopy_handover.testing.emulator._emulator import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_API_KEY,
    BotcopyEmulator,
)
from botcopy_handover.testing.emulator._faults import Fault, FaultKind, FaultOptions, FaultPlan
from botcopy_handover.testing.emulator._intake import BotKeys, PushOutcome
from botcopy_handover.testing.emulator._records import ReceivedPush, Turn, WebhookCall
from botcopy_handover.testing.emulator._variant import Reading, Readings, Variant

__all__ = [
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_API_KEY",
    "DEFAULT_HANDOVER_PHRASES",
    "DEFAULT_TRIGGER",
    "TYPING_LIFETIME",
    "BotKeys",
    "BotcopyEmulator",
    "EmulatedConversation",
    "Fault",
    "FaultKind",
    "FaultOptions",
    "FaultPlan",
    "Platform",
    "PushOutcome",
    "Reading",
    "Readings",
    "ReceivedPush",
    "ScriptedBot",
    "Seen",
    "Sender",
    "Turn",
    "Variant",
    "WebhookCall",
]
