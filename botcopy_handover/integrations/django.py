"""The webhook in a Django project: a CSRF-exempt view, for WSGI or for ASGI.

Install with ``pip install botcopy-handover[django]``.

Example, in ``urls.py``::

    from django.urls import path
    from botcopy_handover.integrations.django import webhook_view

    urlpatterns = [path("botcopy", webhook_view(webhook, on_handover, on_customer_message))]

Under WSGI (gunicorn, ``runserver``) use
[`webhook_view`][botcopy_handover.integrations.django.webhook_view]. Under ASGI
(uvicorn, daphne) use
[`async_webhook_view`][botcopy_handover.integrations.django.async_webhook_view]: Django would run a
sync view on its one shared thread, so a slow handler would hold up every other
sync view. Under ASGI Django receives the whole body before any view runs,
so an oversized body is refused from its ``Content-Length`` or after it
arrived, not while it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from typing_extensions import Unpack

from botcopy_handover._extras import missing_extra

try:
    from django.http import HttpRequest, HttpResponse
    from django.views.decorators.csrf import csrf_exempt
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("django", "botcopy_handover.integrations.django", _missing) from None

from botcopy_handover._errors import LengthRequiredError
from botcopy_handover.integrations._body import read_limited
from botcopy_handover.webhook._endpoint import (
    EndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["async_webhook_view", "webhook_view"]


def webhook_view(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    **options: Unpack[EndpointOptions],
) -> Callable[[HttpRequest], HttpResponse]:
    """A CSRF-exempt view serving Botcopy's webhook calls with your two handlers (WSGI).

    Route it for every method (``path()`` does): other methods than ``POST``
    get the webhook's JSON 405. The call is refused from its headers before
    the body is read, and the body is read no further than
    ``webhook.max_bytes`` (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not
    apply: the view reads the stream, not ``request.body``). Handlers run in
    the endpoint's worker threads, so the reply deadline holds.

    A body sent without ``Content-Length`` (chunked) is read from
    ``wsgi.input`` when the server marks that stream as ending with the
    body (``wsgi.input_terminated``), and answered 411 Length Required when
    it does not.

    Args:
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each [`HandoverRequest`][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [`CustomerMessage`][botcopy_handover.CustomerMessage].
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is an async store.

    Example::

        urlpatterns = [path("botcopy", webhook_view(webhook, on_handover, on_customer_message))]

    """
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    endpoint.require_sync_store()

    def view(request: HttpRequest) -> HttpResponse:
        response = endpoint.precheck(request.method or "GET", request.headers)
        if response is None:
            body = _read_wsgi_body(request, endpoint.max_bytes)
            if isinstance(body, WebhookResponse):
                response = body
            elif body is None:
                response = endpoint.too_large()
            else:
                response = endpoint.respond(body, request.headers)
        return _to_django(response)

    return csrf_exempt(view)


def async_webhook_view(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    **options: Unpack[EndpointOptions],
) -> Callable[[HttpRequest], Coroutine[Any, Any, HttpResponse]]:
    """`webhook_view` as an async view, for Django served over ASGI.

    ``async def`` handlers run on the event loop; plain functions in the
    endpoint's worker threads. Takes the same ``**options``.

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is synchronous I/O (use [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]).

    Example::

        urlpatterns = [path("botcopy", async_webhook_view(webhook, on_handover, on_message))]

    """
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    endpoint.require_async_store()

    async def view(request: HttpRequest) -> HttpResponse:
        response = endpoint.precheck(request.method or "GET", request.headers)
        if response is None:
            # Under ASGI the body is already spooled by Django: reading it does not block.
            body = read_limited(request.read, endpoint.max_bytes)
            response = (
                endpoint.too_large()
                if body is None
                else await endpoint.arespond(body, request.headers)
            )
        return _to_django(response)

    return csrf_exempt(view)


def _read_wsgi_body(request: HttpRequest, limit: int) -> bytes | WebhookResponse | None:
    """The body under WSGI; ``None`` once past ``limit``; a 411 if its end cannot be known.

    Django reads a WSGI body only up to ``CONTENT_LENGTH`` and gives an empty
    stream without one. A chunked body has none: read ``wsgi.input`` itself
    when the server ends that stream at the body's end (``wsgi.input_terminated``:
    gunicorn, Werkzeug, uWSGI with chunked input...), and answer 411 Length
    Required when it does not, since reading past the end would block.
    """
    environ = getattr(request, "environ", None)
    if environ is None or environ.get("CONTENT_LENGTH"):
        return read_limited(request.read, limit)
    if environ.get("wsgi.input_terminated"):
        return read_limited(environ["wsgi.input"].read, limit)
    if "HTTP_TRANSFER_ENCODING" not in environ:
        return b""  # no length and no transfer coding: an empty body
    return WebhookResponse.for_error(LengthRequiredError())


class _SentResponse(HttpResponse):
    """Django closes a response once it is sent (WSGI, ASGI): the after-reply work starts then."""

    webhook_response: WebhookResponse | None = None

    def close(self) -> None:
        super().close()
        response, self.webhook_response = self.webhook_response, None
        if response is not None:
            response.sent()


def _to_django(response: WebhookResponse) -> HttpResponse:
    answer = _SentResponse(
        response.body, status=response.status_code, headers=dict(response.headers)
    )
    answer.webhook_response = response
    return answer
