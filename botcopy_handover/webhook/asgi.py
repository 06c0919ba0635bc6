"""The webhook as a plain ASGI app: no framework needed, mountable in any of them.

Made by `asgi_app`. It answers any path
it is mounted at (or only ``path``, when given), refuses a call from its headers before
reading the body, stops reading a body that grows past ``max_bytes``, and
handles the ASGI lifespan protocol so it can be served on its own
(``uvicorn module:app``): at shutdown it gives handlers still running past
their deadline up to ``shutdown_timeout`` seconds to finish.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

from typing_extensions import Unpack

from botcopy_handover.webhook._endpoint import (
    AsyncEndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["ASGIApp", "ASGIApplication", "Receive", "Scope", "Send", "asgi_app"]

_NOT_FOUND = WebhookResponse(404, b'{"error":"NotFound","message":"No webhook at this path"}')

Scope: TypeAlias = MutableMapping[str, Any]
"""An ASGI connection scope."""
Receive: TypeAlias = Callable[[], Awaitable[MutableMapping[str, Any]]]
"""The ASGI ``receive`` callable."""
Send: TypeAlias = Callable[[MutableMapping[str, Any]], Awaitable[None]]
"""The ASGI ``send`` callable."""
ASGIApplication: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
"""Any ASGI 3 application: ``await app(scope, receive, send)``.

The webhook's [`ASGIApp`][botcopy_handover.webhook.ASGIApp], the emulator's
app and a Starlette, FastAPI or other framework app all are one.
"""


class ASGIApp:
    """An ASGI 3 application serving one webhook endpoint.

    Args:
        endpoint: The shared request core with your handlers.
        shutdown_timeout: Seconds to wait at lifespan shutdown for handlers
            still running past their deadline (and as long again for
            after-reply work).
        path: Answer only this path (others get 404); ``None``: any path.

    Raises:
        ConfigurationError: The webhook's store is synchronous I/O (use
            [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore] with an ASGI server).

    """

    def __init__(
        self, endpoint: WebhookEndpoint, *, shutdown_timeout: float = 5.0, path: str | None = None
    ) -> None:
        endpoint.require_async_store()
        self.endpoint = endpoint
        self.shutdown_timeout = shutdown_timeout
        self.path = path

    def __repr__(self) -> str:
        return f"ASGIApp({self.endpoint.webhook!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoint
        if self.path is not None and scope.get("path") != self.path:
            await _send(send, _NOT_FOUND)
            return
        headers = scope["headers"]
        checked = endpoint._precheck(scope["method"], headers)
        if isinstance(checked, WebhookResponse):
            response = checked
        else:
            body = await _read_body(receive, endpoint.max_bytes)
            response = (
                endpoint.too_large()
                if body is None
                else await endpoint._arespond(body, headers, checked)
            )
        try:
            await _send(send, response)
        except BaseException:
            # The client went away: the reply never got out, so neither does its work.
            if response.context is not None:
                response.context.discard()
            raise
        response.sent()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.endpoint.drain(self.shutdown_timeout)
                self.endpoint.close(0.0)  # the drain has waited for the work
                await send({"type": "lifespan.shutdown.complete"})
                return


def asgi_app(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    *,
    path: str | None = None,
    shutdown_timeout: float = 5.0,
    **options: Unpack[AsyncEndpointOptions],
) -> ASGIApp:
    """A complete ASGI endpoint (``uvicorn module:app``, or mounted in Starlette or FastAPI).

    Each handler takes the typed event (and, if it has a second parameter,
    an [AsyncHandlerContext][botcopy_handover.AsyncHandlerContext] or a
    [HandlerContext][botcopy_handover.HandlerContext]) and returns
    ``Pause()``, ``Continue()`` or ``End()``; it may be ``async def`` or a
    plain function (run in a worker thread).

    Args:
        webhook: Verification and parsing.
        on_handover: Your Step One handler.
        on_customer_message: Your Step Two handler.
        path: Answer only this path; ``None``: any path the app is mounted at.
        shutdown_timeout: Seconds to wait at shutdown for late handlers and
            after-reply work.
        **options: The serving settings of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, an option is out of
            range, or the store is synchronous I/O.

    Example::

        app = asgi_app(Webhook(), on_handover, on_customer_message, path="/botcopy")

    """
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    return ASGIApp(endpoint, shutdown_timeout=shutdown_timeout, path=path)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _send(send: Send, response: WebhookResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
