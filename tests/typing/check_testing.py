"""Type-checked, never run: the emulator and the loopback server type well (mypy --strict).

ASGI apps are ``ASGIApplication``s, not ``Any``: the emulator's own app, the
webhook's, and a framework's are served alike, and what is not an ASGI app
is refused at the call site (each ``type: ignore`` below must stay needed).
"""

from __future__ import annotations

from starlette.applications import Starlette
from typing_extensions import assert_type

from botcopy_handover import Pause, Webhook
from botcopy_handover.testing import BotcopyEmulator, LoopbackServer
from botcopy_handover.testing.emulator import Fault
from botcopy_handover.testing.emulator._faults import FaultPlan
from botcopy_handover.webhook import asgi_app
from botcopy_handover.webhook.asgi import ASGIApplication


def check_asgi_apps(emulator: BotcopyEmulator, webhook: Webhook) -> None:
    app = emulator.asgi_app()
    assert_type(app, ASGIApplication)
    LoopbackServer(app)
    LoopbackServer(asgi_app(webhook, lambda event: Pause(), lambda event: Pause()))
    LoopbackServer(Starlette())
    served: ASGIApplication = LoopbackServer(app).app
    assert served is app


def not_an_app(scope: dict[str, object]) -> None: ...


def check_not_an_app() -> None:
    LoopbackServer(not_an_app)  # type: ignore[arg-type]
    LoopbackServer("app:main")  # type: ignore[arg-type]


def check_faults(emulator: BotcopyEmulator) -> None:
    assert_type(emulator.faults, FaultPlan)
    assert_type(emulator.inject_fault(kind="rate_limit", count=2, retry_after=0), Fault)
    assert_type(emulator.inject_fault(Fault("drop", count=1)), Fault)
    emulator.inject_fault(kind="meteor", count=1)  # type: ignore[call-overload]
    emulator.inject_fault(count=1)  # type: ignore[call-overload]
    emulator.inject_fault(kind="drop", cout=1)  # type: ignore[call-overload]
