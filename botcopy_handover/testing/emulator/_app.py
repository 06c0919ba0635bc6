"""The emulator's HTTP face: Botcopy's push endpoint, and a control API under ``/emulator/``.

================================================  ==========================================
route                                             does
================================================  ==========================================
``POST /webhooks/handover/push``                  Botcopy's push endpoint (strict)
``GET  /emulator/health``                         ``{"ok": true}``
``POST /emulator/customer/says``                  ``{"text", "userId"?, "botId"?}``: a Turn
``GET  /emulator/conversations/{bot}/{user}``     the conversation: pause, agent, transcript
``GET  /emulator/events``                         the push events accepted
``GET  /emulator/webhook-calls``                  the calls made to your webhook
``GET|PUT /emulator/webhook-url``                 read or change your webhook's URL
``GET|POST|DELETE /emulator/faults``              list, add (a Fault as JSON), clear faults
``POST /emulator/reset``                          forget everything
``GET  /``, ``WS /emulator/live``                 the customer's chat page (see ``_web``)
================================================  ==========================================

The control API has no authentication: the emulator listens on loopback only.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from botcopy_handover._extras import missing_extra

try:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("testing", "the Botcopy emulator", _missing) from None

from botcopy_handover._errors import BotcopyError, ConfigurationError
from botcopy_handover.testing._payloads import PUSH_PATH
from botcopy_handover.testing.emulator._faults import Fault
from botcopy_handover.testing.emulator._web import web_routes
from botcopy_handover.webhook.asgi import Receive, Scope, Send

if TYPE_CHECKING:
    from botcopy_handover.testing.emulator._emulator import BotcopyEmulator

__all__ = ["PUSH_PATH", "build_app"]


class _DroppedConnectionError(ConnectionAbortedError):
    """How the ``drop`` fault leaves a request: the server then closes the connection."""


def _not_a_drop(record: logging.LogRecord) -> bool:
    """A log filter: uvicorn logs an app's exception with its traceback, and a drop asked for is not one."""  # noqa: E501 - one summary line
    return not (record.exc_info and isinstance(record.exc_info[1], _DroppedConnectionError))


class _PushEndpoint:
    """``POST /webhooks/handover/push`` as a raw ASGI app, so a fault can cut the connection."""

    def __init__(self, emulator: BotcopyEmulator) -> None:
        self.emulator = emulator
        # Process-wide, but it only hides this module's own exception (added once).
        logging.getLogger("uvicorn.error").addFilter(_not_a_drop)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _answer(send, 405, {"error": "method_not_allowed"}, {"allow": "POST"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        faults = self.emulator.faults.draw()
        for fault in faults:
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
        for fault in faults:
            if fault.kind == "drop":
                # Promise a body and end without it: the client sees the
                # connection fail mid-answer, as with a dropped connection.
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-length", b"100")],
                    }
                )
                raise _DroppedConnectionError("emulator fault: connection dropped")
            if fault.kind in ("rate_limit", "server_error"):
                status = 429 if fault.kind == "rate_limit" else fault.status
                extra = {}
                if fault.retry_after is not None:
                    extra["retry-after"] = f"{fault.retry_after:g}"
                await _answer(send, status, {"error": f"emulator fault: {fault.kind}"}, extra)
                return
        outcome = self.emulator.receive_push(headers, body)
        await _answer(send, outcome.status_code, outcome.body, outcome.headers)


async def _answer(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def build_app(emulator: BotcopyEmulator) -> Starlette:
    """The emulator's ASGI app."""

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "platform": emulator.bot.platform})

    async def customer_says(request: Request) -> Response:
        data = await _json(request)
        text = data.get("text")
        if not isinstance(text, str):
            return _error(400, "text must be a string")
        # In a thread: the call to the proxy blocks, and the proxy may push
        # back to this very server while it answers.
        turn = await run_in_threadpool(
            emulator.customer_says, text, user_id=data.get("userId"), bot_id=data.get("botId")
        )
        return JSONResponse(turn.to_dict())

    async def conversation(request: Request) -> Response:
        params = request.path_params
        conv = emulator.conversation(bot_id=params["bot_id"], user_id=params["user_id"])
        return JSONResponse(conv.to_dict(emulator.clock()))

    async def events(request: Request) -> Response:
        return JSONResponse([received.to_dict() for received in emulator.received])

    async def webhook_calls(request: Request) -> Response:
        return JSONResponse([call.to_dict() for call in emulator.webhook_calls])

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            fault = emulator.inject_fault(Fault.from_dict(await _json(request)))
            return JSONResponse(fault.to_dict(), status_code=201)
        if request.method == "DELETE":
            emulator.faults.clear()
        return JSONResponse([fault.to_dict() for fault in emulator.faults.faults])

    async def webhook_url(request: Request) -> Response:
        if request.method == "PUT":
            url = (await _json(request)).get("webhookUrl")
            if url is not None and not _is_http_url(url):
                return _error(400, "webhookUrl must be an absolute http(s) URL, or null")
            emulator.webhook_url = url
        return JSONResponse({"webhookUrl": emulator.webhook_url})

    async def reset(request: Request) -> Response:
        emulator.reset()
        return JSONResponse({"ok": True})

    routes = [
        Route(PUSH_PATH, _PushEndpoint(emulator)),
        Route("/emulator/health", health),
        Route("/emulator/customer/says", customer_says, methods=["POST"]),
        Route("/emulator/conversations/{bot_id}/{user_id}", conversation),
        Route("/emulator/events", events),
        Route("/emulator/webhook-calls", webhook_calls),
        Route("/emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/emulator/webhook-url", webhook_url, methods=["GET", "PUT"]),
        Route("/emulator/reset", reset, methods=["POST"]),
        *web_routes(emulator),
    ]
    return Starlette(routes=routes, exception_handlers={BotcopyError: _botcopy_error})


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise ConfigurationError("The body must be JSON") from None
    if not isinstance(data, dict):
        raise ConfigurationError("The body must be a JSON object")
    return data


def _is_http_url(url: object) -> bool:
    if not isinstance(url, str):
        return False
    scheme, sep, rest = url.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and bool(rest.split("/")[0])


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def _botcopy_error(request: Request, exc: Exception) -> Response:
    return _error(400, str(exc))
