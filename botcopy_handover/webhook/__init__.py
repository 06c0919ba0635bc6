"""Receiving Botcopy's webhook calls: verification, parsing, replies in time.

* [Webhook][botcopy_handover.Webhook]: verify a call and read it into a typed event.
* `asgi_app`, `wsgi_app`
  and the framework integrations in ``botcopy_handover.integrations``: serve
  a whole endpoint with your handlers.
* [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint]: the serving core every adapter
  shares (reply timeout, fallbacks, store, worker threads, push clients).
* [AsyncHandlerContext][botcopy_handover.AsyncHandlerContext] and
  [HandlerContext][botcopy_handover.HandlerContext]: a handler's second parameter.
* [`parse_webhook`][botcopy_handover.parse_webhook]: the body alone, no verification.

Names are imported on first use (PEP 562): verifying and parsing
(``Webhook``, ``parse_webhook``) load neither asyncio nor the serving side.
"""

import typing as _typing

from botcopy_handover._lazy import install as _install

if _typing.TYPE_CHECKING:
    from botcopy_handover._errors import (
        HandlerError,
        LengthRequiredError,
        MethodNotAllowedError,
        UnsupportedMediaTypeError,
    )
    from botcopy_handover.webhook._context import (
        DEFAULT_AFTER_REPLY_LIMIT,
        AfterReply,
        AsyncHandlerContext,
        HandlerContext,
    )
    from botcopy_handover.webhook._endpoint import (
        DEFAULT_REPLY_TIMEOUT,
        DEFAULT_STORE_TIMEOUT,
        EndpointOptions,
        HandoverHandler,
        MessageHandler,
        WebhookEndpoint,
        WebhookResponse,
    )
    from botcopy_handover.webhook._headers import HeadersLike, is_json_content_type
    from botcopy_handover.webhook._parse import DECODER_MAX_DEPTH, DEFAULT_MAX_BYTES, parse_webhook
    from botcopy_handover.webhook._webhook import TOKEN_ENV_VAR, Webhook
    from botcopy_handover.webhook.asgi import ASGIApp, asgi_app
    from botcopy_handover.webhook.wsgi import WSGIApp, wsgi_app

__all__ = [
    # also at the root: what a proxy's own code names
    "AsyncHandlerContext",
    "HandlerContext",
    "Webhook",
    "parse_webhook",
    # the serving core, its apps and limits
    "DECODER_MAX_DEPTH",
    "DEFAULT_AFTER_REPLY_LIMIT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_REPLY_TIMEOUT",
    "DEFAULT_STORE_TIMEOUT",
    "TOKEN_ENV_VAR",
    "ASGIApp",
    "AfterReply",
    "EndpointOptions",
    "HandoverHandler",
    "HeadersLike",
    "MessageHandler",
    "WSGIApp",
    "WebhookEndpoint",
    "WebhookResponse",
    "asgi_app",
    "is_json_content_type",
    "wsgi_app",
    # the HTTP-level errors the endpoint answers with a status of its own
    "HandlerError",
    "LengthRequiredError",
    "MethodNotAllowedError",
    "UnsupportedMediaTypeError",
]

_SOURCES = {
    "HandlerError": "botcopy_handover._errors",
    "LengthRequiredError": "botcopy_handover._errors",
    "MethodNotAllowedError": "botcopy_handover._errors",
    "UnsupportedMediaTypeError": "botcopy_handover._errors",
    "DEFAULT_AFTER_REPLY_LIMIT": "botcopy_handover.webhook._context",
    "AfterReply": "botcopy_handover.webhook._context",
    "AsyncHandlerContext": "botcopy_handover.webhook._context",
    "HandlerContext": "botcopy_handover.webhook._context",
    "DEFAULT_REPLY_TIMEOUT": "botcopy_handover.webhook._endpoint",
    "DEFAULT_STORE_TIMEOUT": "botcopy_handover.webhook._endpoint",
    "EndpointOptions": "botcopy_handover.webhook._endpoint",
    "HandoverHandler": "botcopy_handover.webhook._endpoint",
    "MessageHandler": "botcopy_handover.webhook._endpoint",
    "WebhookEndpoint": "botcopy_handover.webhook._endpoint",
    "WebhookResponse": "botcopy_handover.webhook._endpoint",
    "HeadersLike": "botcopy_handover.webhook._headers",
    "is_json_content_type": "botcopy_handover.webhook._headers",
    "DECODER_MAX_DEPTH": "botcopy_handover.webhook._parse",
    "DEFAULT_MAX_BYTES": "botcopy_handover.webhook._parse",
    "parse_webhook": "botcopy_handover.webhook._parse",
    "TOKEN_ENV_VAR": "botcopy_handover.webhook._webhook",
    "Webhook": "botcopy_handover.webhook._webhook",
    "ASGIApp": "botcopy_handover.webhook.asgi",
    "asgi_app": "botcopy_handover.webhook.asgi",
    "WSGIApp": "botcopy_handover.webhook.wsgi",
    "wsgi_app": "botcopy_handover.webhook.wsgi",
}


_install(globals(), _SOURCES)
