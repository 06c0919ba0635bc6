"""The webhook in a Flask app: a blueprint, or a view function to route yourself.

Install with ``pip install botcopy-handover[flask]``.

Example::

    from flask import Flask
    from botcopy_handover.integrations.flask import webhook_blueprint

    app = Flask(__name__)
    app.register_blueprint(webhook_blueprint(webhook, on_handover, on_customer_message))
"""

from __future__ import annotations

from collections.abc import Callable

from typing_extensions import Unpack

from botcopy_handover._extras import missing_extra

try:
    from flask import Blueprint, Response, current_app, request
except ImportError as _missing:  # one line naming the extra, not a traceback
    raise missing_extra("flask", "botcopy_handover.integrations.flask", _missing) from None

from botcopy_handover.integrations._body import read_limited
from botcopy_handover.webhook._endpoint import (
    EndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["WEBHOOK_METHODS", "webhook_blueprint", "webhook_view"]

WEBHOOK_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""The methods to route to the view, so that all but ``POST`` get the webhook's own 405."""


def webhook_view(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    **options: Unpack[EndpointOptions],
) -> Callable[[], Response]:
    """A Flask view function serving Botcopy's webhook calls with your two handlers.

    The call is refused from its headers (method, credentials,
    ``Content-Type``, ``Content-Length``) before the body is read, and the
    body is read no further than ``webhook.max_bytes``. Handlers run in the
    endpoint's worker threads, so the reply deadline holds; they may be plain
    functions or ``async def``.

    Route it for [`WEBHOOK_METHODS`][botcopy_handover.integrations.flask.WEBHOOK_METHODS], so that
    other methods than ``POST``
    get the webhook's JSON 405 rather than Flask's HTML one; if you use
    Flask-WTF's ``CSRFProtect``, exempt the view (Botcopy sends no CSRF token).

    Args:
        webhook: Verification and parsing.
        on_handover: Called with each [HandoverRequest][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [CustomerMessage][botcopy_handover.CustomerMessage].
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is an async store.

    Example::

        view = webhook_view(webhook, on_handover, on_customer_message)
        app.add_url_rule("/botcopy", "botcopy", view, methods=WEBHOOK_METHODS)

    """
    endpoint = WebhookEndpoint(webhook, on_handover, on_customer_message, **options)
    endpoint.require_sync_store()

    def view() -> Response:
        response = endpoint.precheck(request.method, request.headers)
        if response is None:
            body = read_limited(request.stream.read, endpoint.max_bytes)
            response = (
                endpoint.too_large() if body is None else endpoint.respond(body, request.headers)
            )
        answer = _to_flask(response)
        # Flask closes the response once it is sent: the after-reply work starts then.
        answer.call_on_close(response.sent)
        return answer

    return view


def webhook_blueprint(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    *,
    url: str = "/botcopy",
    name: str = "botcopy",
    **options: Unpack[EndpointOptions],
) -> Blueprint:
    """A blueprint serving Botcopy's webhook calls at ``url`` (see `webhook_view`).

    The view's endpoint name is ``<name>.webhook``, e.g. ``url_for("botcopy.webhook")``.

    Args:
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each [`HandoverRequest`][botcopy_handover.HandoverRequest].
        on_customer_message: Called with each [`CustomerMessage`][botcopy_handover.CustomerMessage].
        url: The URL rule; ``register_blueprint(url_prefix=...)`` still applies.
        name: The blueprint's name.
        **options: The serving settings (``reply_timeout``, fallbacks,
            ``store``, ``handler_threads``, push clients...) of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, or the webhook's store
            is an async store.

    Example::

        app.register_blueprint(webhook_blueprint(webhook, on_handover, on_customer_message))

    """
    blueprint = Blueprint(name, __name__)
    blueprint.add_url_rule(
        url,
        "webhook",
        webhook_view(webhook, on_handover, on_customer_message, **options),
        methods=WEBHOOK_METHODS,
    )
    return blueprint


def _to_flask(response: WebhookResponse) -> Response:
    return current_app.response_class(
        response.body, status=response.status_code, headers=list(response.headers)
    )
