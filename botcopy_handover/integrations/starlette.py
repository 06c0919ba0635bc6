"""The webhook in a Starlette app: a route, and the verified event for your own endpoints.

Install with ``pip install botcopy-handover[starlette]``. FastAPI users have
[`botcopy_handover.integrations.fastapi`][botcopy_handover.integrations.fastapi] on top of this.

Example::

    from starlette.applications import Starlette
    from botcopy_handover.integrations.starlette import webhook_route

    route = webhook_route(webhook, on_handover, on_customer_message, path="/botcopy")
    app = Starlette(routes=[route], lifespan=route.lifespan)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from typing_extensions import Unpack

from botcopy_handover._extras import missing_extra

try:
    from starlette.requests import Request
    from starlette.routing import Route
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("starlette", "botcopy_handover.integrations.starlette", _missing) from None

from botcopy_handover._errors import PayloadTooLargeError
from botcopy_handover.integrations._body import aread_limited
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.webhook._endpoint import (
    EndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
)
from botcopy_handover.webhook._webhook import Webhook
from botcopy_handover.webhook.asgi import ASGIApp

__all__ = ["WebhookRoute", "receive_event", "webhook_route"]


class WebhookRoute(Route):
    """A Starlette route serving the webhook's [`ASGIApp`][botcopy_handover.webhook.ASGIApp].

    It takes every HTTP method, so a ``GET`` gets the webhook's own 405 JSON
    answer with ``Allow: POST`` rather than the framework's. It is left out of
    OpenAPI schemas: Botcopy calls it, not your API's users.

    Args:
        path: The route's path, e.g. ``/botcopy``.
        app: The webhook's ASGI app.
        name: The route's name, for ``url_path_for``.

    Attributes:
        webhook_app: The ASGI app the route serves; its ``endpoint`` is the shared core.

    """

    def __init__(self, path: str, app: ASGIApp, *, name: str | None = "botcopy") -> None:
        super().__init__(path, app, methods=None, name=name, include_in_schema=False)
        self.webhook_app = app

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """A lifespan for the app serving this route: at shutdown, let late handlers finish.

        Handlers that ran past their deadline keep running in the background;
        this waits up to the app's ``shutdown_timeout`` for them, then
        releases the handler threads. Pass it as ``Starlette(lifespan=...)``,
        or enter it from your own lifespan.
        """
        yield
        endpoint = self.webhook_app.endpoint
        await endpoint.drain(self.webhook_app.shutdown_timeout)
        endpoint.close(0.0)  # the drain has waited for the work


def webhook_route(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    *,
    path: str = "/botcopy",
    name: str | None = "botcopy",
    shutdown_timeout: float = 5.0,
    **options: Unpack[EndpointOptions],
) -> WebhookRoute:
    """A route serving Botcopy's webhook calls with your two handlers.

    The handlers take the typed event and return ``Pause()``, ``Continue()``
    or ``End()``; they may be ``async def`` (run on the event loop) or plain
    functions (run in worker threads). Every call is verified and answered
    within the webhook's ``reply_timeout``.

    Args:
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each [`HandoverRequest`][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [`CustomerMessage`][botcopy_handover.CustomerMessage].
        path: The route's path.
        name: The route's name.
        shutdown_timeout: Seconds
            [`WebhookRoute.lifespan`][botcopy_handover.integrations.starlette.WebhookRoute.lifespan]
            waits at
            shutdown for handlers still running past their deadline.
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is synchronous I/O (use [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]).

    Example::

        route = webhook_route(webhook, on_handover, on_customer_message)
        app = Starlette(routes=[route], lifespan=route.lifespan)

    """
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    return WebhookRoute(path, ASGIApp(endpoint, shutdown_timeout=shutdown_timeout), name=name)


async def receive_event(webhook: Webhook, request: Request) -> HandoverRequest | CustomerMessage:
    """Verify a Starlette request as a webhook call and read it into a typed event.

    For endpoints you write yourself: the headers are checked before the body
    is read, and the body is read no further than ``webhook.max_bytes``. You
    answer the call, within Botcopy's 5 seconds, yourself.

    Raises:
        WebhookError: The call is refused; answer ``error.status_code`` with
            ``error.to_dict()`` as the JSON body.

    Example::

        async def botcopy(request: Request) -> Response:
            try:
                event = await receive_event(webhook, request)
            except WebhookError as error:
                return JSONResponse(error.to_dict(), status_code=error.status_code)
            ...

    """
    webhook.verify_headers(request.headers)
    body = await aread_limited(request.stream(), webhook.max_bytes)
    if body is None:
        raise PayloadTooLargeError(webhook.max_bytes)
    return webhook.parse(body, headers=request.headers)
