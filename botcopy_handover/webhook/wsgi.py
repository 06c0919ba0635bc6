"""The webhook as a plain WSGI app (PEP 3333): gunicorn, Werkzeug, mod_wsgi, any WSGI server.

Made by `wsgi_app`. The
call is refused from its headers before the body is read. The body is read
up to ``Content-Length``. A chunked one (no length) is read in chunks when
the server sets ``wsgi.input_terminated``, and refused as soon as it passes
``max_bytes``; otherwise it is answered 411 Length Required, since reading
past its end would block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from typing_extensions import Unpack

from botcopy_handover._errors import LengthRequiredError
from botcopy_handover.webhook._endpoint import (
    EndpointOptions,
    HandoverHandler,
    MessageHandler,
    WebhookEndpoint,
    WebhookResponse,
)
from botcopy_handover.webhook._webhook import Webhook

__all__ = ["StartResponse", "WSGIApp", "WSGIEnvironment", "wsgi_app"]

WSGIEnvironment: TypeAlias = dict[str, Any]
"""A WSGI ``environ``."""
StartResponse: TypeAlias = Callable[..., Any]
"""The WSGI ``start_response`` callable."""

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}
_CHUNK = 64 * 1024


def _environ_key(header: str) -> str:
    name = header.upper().replace("-", "_")
    return name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"


class WSGIApp:
    """A WSGI application serving one webhook endpoint.

    Handlers run in the endpoint's worker threads so the deadline holds even
    though the server's own thread waits; ``async def`` handlers run there
    on a short-lived event loop.

    Args:
        endpoint: The shared request core with your handlers.

    Raises:
        ConfigurationError: The webhook's store is an async store.

    """

    def __init__(self, endpoint: WebhookEndpoint) -> None:
        endpoint.require_sync_store()
        self.endpoint = endpoint
        names = ["authorization", "content-type", "content-length"]
        if endpoint.webhook.custom_header_name:
            names.append(endpoint.webhook.custom_header_name)
        # Only the headers verification reads, as (name, environ key).
        self._keys = tuple((name, _environ_key(name)) for name in names)

    def __repr__(self) -> str:
        return f"WSGIApp({self.endpoint.webhook!r})"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one WSGI request."""
        response = self._respond(environ)
        status = f"{response.status_code} {_REASONS.get(response.status_code, '')}".rstrip()
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        start_response(status, headers)
        return _Body(response)

    def _respond(self, environ: WSGIEnvironment) -> WebhookResponse:
        endpoint = self.endpoint
        headers = [(name, environ[key]) for name, key in self._keys if key in environ]
        response = endpoint.precheck(environ.get("REQUEST_METHOD", "GET"), headers)
        if response is not None:
            return response
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH", "")
        if length:
            # precheck has checked it is a number within the limit.
            body: bytes | None = stream.read(int(length))
        elif environ.get("wsgi.input_terminated"):
            body = _read_limited(stream, endpoint.max_bytes)
        elif "HTTP_TRANSFER_ENCODING" not in environ:
            # No length and no transfer coding: HTTP says the body is empty.
            body = b""
        else:
            return WebhookResponse.for_error(LengthRequiredError())
        if body is None:
            return endpoint.too_large()
        return endpoint.respond(body, headers)


class _Body(list[bytes]):
    """The response body; the server closes it once the response is sent (PEP 3333).

    That is when the handler's after-reply work starts.
    """

    def __init__(self, response: WebhookResponse) -> None:
        super().__init__((response.body,))
        self._response: WebhookResponse | None = response

    def close(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.sent()


def wsgi_app(
    webhook: Webhook,
    on_handover: HandoverHandler,
    on_customer_message: MessageHandler,
    **options: Unpack[EndpointOptions],
) -> WSGIApp:
    """A complete WSGI endpoint (gunicorn, Werkzeug, any WSGI server) running your handlers.

    Handlers are as for `asgi_app`. WSGI
    has no shutdown hook: call ``app.endpoint.close()`` when the process
    stops, to wait for after-reply work and close the push clients.

    Args:
        webhook: Verification and parsing.
        on_handover: Your Step One handler.
        on_customer_message: Your Step Two handler.
        **options: The serving settings of
            [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Raises:
        ConfigurationError: A handler is not callable, an option is out of
            range, or the store is an async store.

    """
    return WSGIApp(WebhookEndpoint(webhook, on_handover, on_customer_message, **options))


def _read_limited(stream: Any, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
