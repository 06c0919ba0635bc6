"""The webhook in an aiohttp server: a handler, or a route added with its shutdown hook.

Install with ``pip install botcopy-handover[aiohttp]``.

Example::

    from aiohttp import web
from typing_extensions import Unpack
    from botcopy_handover.integrations.aiohttp import add_webhook_route

    app = web.Application()
    add_webhook_route(app, webhook, on_handover, on_customer_message, path="/botcopy")
    web.run_app(app)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from typing_extensions import Unpack

from botcopy_handover._extras import missing_extra

try:
    from aiohttp import web
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("aiohttp", "botcopy_handover.integrations.aiohttp", _missing) from None

from botcopy_handover.integrations._body import aread_limited
from botcopy_handover.webhook._endpoint import (
    EndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["Handler", "add_webhook_route", "webhook_handler"]

Handler: TypeAlias = Callable[[web.Request], Awaitable[web.Response]]
"""An aiohttp request handler."""


def webhook_handler(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    **options: Unpack[EndpointOptions],
) -> Handler:
    """An aiohttp handler serving Botcopy's webhook calls with your two handlers.

    Route it for every method (``"*"``), so that other methods than ``POST``
    get the webhook's JSON 405. The call is refused from its headers before
    the body is read, and ``request.content`` is read no further than
    ``webhook.max_bytes`` (the application's ``client_max_size`` does not
    apply: it limits ``request.read()``, which the handler does not use).
    [`add_webhook_route`][botcopy_handover.integrations.aiohttp.add_webhook_route] also waits for
    late handlers at shutdown.
    ``**options`` are the serving settings of
    [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is synchronous I/O (use [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]).

    Example::

        app.router.add_route("*", "/botcopy", webhook_handler(webhook, on_handover, on_message))

    """
    return _handler(_endpoint(webhook, on_handover, on_customer_message, options))


def add_webhook_route(
    app: web.Application,
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    *,
    path: str = "/botcopy",
    name: str | None = "botcopy",
    shutdown_timeout: float = 5.0,
    **options: Unpack[EndpointOptions],
) -> web.AbstractRoute:
    """Serve Botcopy's webhook calls at ``path`` in ``app``, for every method.

    At the application's cleanup, once aiohttp has answered the requests in
    flight, handlers still running past their deadline get up to
    ``shutdown_timeout`` seconds to finish; each still running after that is
    logged with its session id. Then the handler threads are released.

    Args:
        app: The application, before it starts.
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each [`HandoverRequest`][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [`CustomerMessage`][botcopy_handover.CustomerMessage].
        path: The route's path.
        name: The route's name, for ``app.router[name].url_for()``.
        shutdown_timeout: Seconds to wait at shutdown for late handlers
            (and as long again for after-reply work).
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Returns:
        The route added.

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is synchronous I/O.

    """
    endpoint = _endpoint(webhook, on_handover, on_customer_message, options)

    async def on_cleanup(_: web.Application) -> None:
        # Not on_shutdown: aiohttp runs that before it waits for the requests
        # in flight, so a handler that overran during that wait would find
        # the drain over and be cancelled with the loop. Cleanup comes after.
        await endpoint.drain(shutdown_timeout)
        endpoint.close(0.0)  # the drain has waited for the work

    route = app.router.add_route("*", path, _handler(endpoint), name=name)
    app.on_cleanup.append(on_cleanup)
    return route


def _endpoint(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    options: EndpointOptions,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    endpoint.require_async_store()
    return endpoint


def _handler(endpoint: WebhookEndpoint) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        response = endpoint.precheck(request.method, request.headers)
        if response is None:
            body = await aread_limited(request.content.iter_any(), endpoint.max_bytes)
            response = (
                endpoint.too_large()
                if body is None
                else await endpoint.arespond(body, request.headers)
            )
        answer = _to_aiohttp(response)
        if response.context is not None:
            # Send it now, so that the after-reply work starts once it is out.
            await answer.prepare(request)
            await answer.write_eof()
            response.sent()
        return answer

    return handler


def _to_aiohttp(response: WebhookResponse) -> web.Response:
    return web.Response(
        body=response.body, status=response.status_code, headers=dict(response.headers)
    )
