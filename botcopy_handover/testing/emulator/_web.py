"""The customer's side of the emulator in a browser: a chat page like Botcopy's widget.

================================  ==================================================
route                             does
================================  ==================================================
``GET /``                         the chat page (``/?user=ID&bot=ID`` for another customer)
``GET /static/...``               its script and style sheet (no CDN: works offline)
``WS  /emulator/live``            the conversation as JSON, sent again at every change
================================  ==================================================

The page sends what the customer types to ``POST /emulator/customer/says``
(the control API) and renders the snapshots the WebSocket pushes: the
emulator calls a listener at every change (a push accepted, a customer line,
a bot answer), so the page never polls. Each snapshot is the whole
conversation, so a page that reconnects after a drop is up to date at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

if TYPE_CHECKING:
    from botcopy_handover.testing.emulator._emulator import BotcopyEmulator

__all__ = ["STATIC_DIR", "web_routes"]

STATIC_DIR = Path(__file__).parent / "static"
"""The chat page's files, shipped in the package."""

_MAX_ID = 200
_NO_STORE = {"cache-control": "no-store"}
# The page runs only its own files: no inline script, nothing from elsewhere.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def snapshot(emulator: BotcopyEmulator, bot_id: str, user_id: str) -> dict[str, Any]:
    """The conversation as the page renders it: the control API's JSON, plus ``typingMs``."""
    conv = emulator.conversation(bot_id=bot_id, user_id=user_id)
    now = emulator.clock()
    data = conv.to_dict(now)
    typing_ms = 0
    if conv.is_typing(now) and conv.typing_until is not None:
        typing_ms = max(0, int((conv.typing_until - now).total_seconds() * 1000))
    data["typingMs"] = typing_ms
    return data


def web_routes(emulator: BotcopyEmulator) -> list[BaseRoute]:
    """The chat page's routes, to add to the emulator's app."""

    async def page(request: Request) -> Response:
        return FileResponse(
            STATIC_DIR / "chat.html",
            headers={**_NO_STORE, "content-security-policy": _CSP},
            media_type="text/html; charset=utf-8",
        )

    async def live(websocket: WebSocket) -> None:
        bot_id = websocket.query_params.get("bot") or emulator.bot_id
        user_id = websocket.query_params.get("user") or emulator.user_id
        await websocket.accept()
        if len(bot_id) > _MAX_ID or len(user_id) > _MAX_ID:
            await websocket.close(code=1008, reason="user and bot ids are limited in length")
            return
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def listener(changed_bot: str, changed_user: str) -> None:
            if (changed_bot, changed_user) == (bot_id, user_id):
                # The loop may be gone already when the server stops.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(changed.set)

        async def until_closed() -> None:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

        remove = emulator.add_listener(listener)
        closed = asyncio.ensure_future(until_closed())
        try:
            while not closed.done():
                changed.clear()
                await websocket.send_json(snapshot(emulator, bot_id, user_id))
                woken = asyncio.ensure_future(changed.wait())
                await asyncio.wait({woken, closed}, return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the page went away mid-send
        finally:
            remove()
            closed.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await closed

    return [
        Route("/", page),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        WebSocketRoute("/emulator/live", live),
    ]
