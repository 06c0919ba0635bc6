"""The webhook in a FastAPI app: a router, or a dependency for your own route.

Install with ``pip install botcopy-handover[fastapi]``.

Example::

    from fastapi import FastAPI
    from botcopy_handover.integrations.fastapi import webhook_router

    app = FastAPI()
    app.include_router(webhook_router(webhook, on_handover, on_customer_message))
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from typing_extensions import Unpack

from botcopy_handover._extras import missing_extra

try:
    from fastapi import APIRouter, HTTPException, Request
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("fastapi", "botcopy_handover.integrations.fastapi", _missing) from None

from botcopy_handover._errors import WebhookError
from botcopy_handover.integrations.starlette import receive_event, webhook_route
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.webhook._endpoint import EndpointOptions, HandoverHandler, MessageHandler
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["verified_event", "webhook_router"]


def webhook_router(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    *,
    path: str = "/botcopy",
    name: str | None = "botcopy",
    shutdown_timeout: float = 5.0,
    **options: Unpack[EndpointOptions],
) -> APIRouter:
    """A router serving Botcopy's webhook calls at ``path`` with your two handlers.

    The route takes every method (so a ``GET`` gets the webhook's own 405
    JSON answer), is not in the OpenAPI schema, and the router's lifespan
    lets handlers that overran their deadline finish at shutdown (FastAPI
    runs an included router's lifespan). Handlers may be ``async def`` or
    plain functions; they take the typed event and return ``Pause()``,
    ``Continue()`` or ``End()``.

    Args:
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each [`HandoverRequest`][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [`CustomerMessage`][botcopy_handover.CustomerMessage].
        path: The route's path; ``include_router(prefix=...)`` still applies.
        name: The route's name.
        shutdown_timeout: Seconds to wait at shutdown for late handlers.
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is synchronous I/O (use [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]).

    Example::

        async def on_handover(event: HandoverRequest) -> Pause:
            await desk.open_ticket(event.user_id, event.text)
            return Pause(minutes=30)

        app.include_router(webhook_router(webhook, on_handover, on_customer_message))

    """
    route = webhook_route(
        webhook,
        on_handover,
        on_customer_message,
        path=path,
        name=name,
        shutdown_timeout=shutdown_timeout,
        **options,
    )
    router = APIRouter(lifespan=route.lifespan)
    router.routes.append(route)
    return router


def verified_event(
    webhook: Webhook,
) -> Callable[[Request], Coroutine[Any, Any, HandoverRequest | CustomerMessage]]:
    """A dependency giving your own route the verified, typed event.

    The headers are checked before the body is read, and the body is read no
    further than ``webhook.max_bytes``. A refused call is answered with
    `HTTPException` and the webhook's status code, its JSON
    error under ``detail``: ``{"detail": {"error": ..., "message": ...}}``.
    Your route answers the reply itself, within Botcopy's 5 seconds: the
    deadline guard of [`webhook_router`][botcopy_handover.integrations.fastapi.webhook_router] does
    not apply here.

    Example::

        Event = Annotated[HandoverRequest | CustomerMessage, Depends(verified_event(webhook))]

        @app.post("/botcopy")
        async def botcopy(event: Event) -> dict[str, object]:
            return Pause().to_dict()

    """

    async def dependency(request: Request) -> HandoverRequest | CustomerMessage:
        try:
            return await receive_event(webhook, request)
        except WebhookError as error:
            raise HTTPException(error.status_code, detail=error.to_dict()) from None

    return dependency
