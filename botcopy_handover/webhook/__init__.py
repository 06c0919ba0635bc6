"""Receiving Botcopy's webhook calls: verification, parsing, replies in time.

* :class:`Webhook`: verify a call and read it into a typed event
  (:meth:`Webhook.receive`), or serve a whole endpoint with your handlers
  (:meth:`Webhook.asgi_app`, :meth:`Webhook.wsgi_app`, and the framework
  integrations in ``botcopy_handover.integrations``).
* :class:`WebhookEndpoint`: the request core every adapter shares.
* :func:`parse_webhook`: the body alone, no verification.
"""

from botcopy_handover.webhook._endpoint import (
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._headers import HeadersLike, is_json_content_type
from botcopy_handover.webhook._parse import DECODER_MAX_DEPTH, DEFAULT_MAX_BYTES, parse_webhook
from botcopy_handover.webhook._webhook import (
    DEFAULT_REPLY_TIMEOUT,
    DEFAULT_STORE_TIMEOUT,
    TOKEN_ENV_VAR,
    Webhook,
)
from botcopy_handover.webhook.asgi import ASGIApp
from botcopy_handover.webhook.wsgi import WSGIApp

__all__ = [
    "ASGIApp",
    "DECODER_MAX_DEPTH",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_REPLY_TIMEOUT",
    "DEFAULT_STORE_TIMEOUT",
    "TOKEN_ENV_VAR",
    "HandoverHandler",
    "HeadersLike",
    "MessageHandler",
    "WSGIApp",
    "Webhook",
    "WebhookEndpoint",
    "WebhookResponse",
    "is_json_content_type",
    "parse_webhook",
]
