"""The webhook as a plain WSGI app (PEP 3333): gunicorn, Werkzeug, mod_wsgi, any WSGI server.

Made by :meth:`Webhook.wsgi_app <botcopy_handover.Webhook.wsgi_app>`. The
call is refused from its headers before the body is read. The body is read
up to ``Content-Length``. A chunked one (no length) is read in chunks when
the server sets ``wsgi.input_terminated``, and refused as soon as it passes
``max_bytes``; otherwise it is answered 411 Length Required, since reading
past its end would block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from botcopy_handover._errors import LengthRequiredError
from botcopy_handover.webhook._endpoint import WebhookEndpoint, WebhookResponse

__all__ = ["StartResponse", "WSGIApp", "WSGIEnvironment"]

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
        return [response.body]

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


def _read_limited(stream: Any, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
