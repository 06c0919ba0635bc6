"""Test your proxy without Botcopy.

* [`build_webhook_request`][botcopy_handover.testing.build_webhook_request]: a
  valid (or deliberately invalid) webhook request, headers and body, for your
  endpoint's tests.
* [`sample_handover`][botcopy_handover.testing.sample_handover] /
  [`sample_customer_message`][botcopy_handover.testing.sample_customer_message]: realistic bodies.
* [`LoopbackServer`][botcopy_handover.testing.LoopbackServer]: serve any ASGI
  app (your proxy) on loopback in a thread.
* [`BotcopyEmulator`][botcopy_handover.testing.BotcopyEmulator]: a local
  Botcopy, with [`Fault`][botcopy_handover.testing.Fault] injection and a
  [`ScriptedBot`][botcopy_handover.testing.ScriptedBot]
  (`botcopy_handover.testing.emulator` has the rest of its API).
* [`EmulatorTimeoutError`][botcopy_handover.testing.EmulatorTimeoutError]: the
  emulator did not see what a test waited for.
* `botcopy_handover.testing.pytest_plugin`: the `botcopy` fixtures.

Everything here imports without extras; serving (`LoopbackServer`,
`BotcopyEmulator.start()`) needs the `testing` extra
(`pip install "botcopy-handover[testing]"`) and says so in one line if it is
missing.
"""

from botcopy_handover._errors import EmulatorTimeoutError
from botcopy_handover.testing._requests import (
    SAME_TOKEN,
    WebhookRequest,
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.testing._server import LoopbackServer
from botcopy_handover.testing.emulator import (
    BotcopyEmulator,
    Fault,
    FaultKind,
    FaultPlan,
    ScriptedBot,
    Turn,
    WebhookCall,
)

__all__ = [
    "SAME_TOKEN",
    "BotcopyEmulator",
    "EmulatorTimeoutError",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "LoopbackServer",
    "ScriptedBot",
    "Turn",
    "WebhookCall",
    "WebhookRequest",
    "build_webhook_request",
    "sample_customer_message",
    "sample_handover",
]
