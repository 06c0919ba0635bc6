"""Every exception botcopy-handover raises, under one base class.

The whole tree::

    BotcopyError
    ├── ConfigurationError              the SDK was set up wrongly (no API key, bad option)
    │   └── MissingDependencyError      an optional extra is not installed (also an ImportError)
    ├── InvalidEventError               a push event failed validation before it was sent
    ├── EmulatorTimeoutError            the local emulator did not see what a test waited for
    ├── StoreError                      a conversation store refused an operation (bad argument)
    │   └── StoreUnavailableError       the store's backend (Redis) failed or could not be reached
    ├── WebhookError                    an inbound webhook call cannot be answered normally
    │   ├── WebhookAuthenticationError  401: token or custom header wrong or missing
    │   ├── InvalidPayloadError         400: the body is not a valid Botcopy webhook body
    │   │   ├── PayloadTooLargeError    413: the body is over the configured size limit
    │   │   └── LengthRequiredError     411: the server cannot tell where the body ends
    │   ├── UnsupportedMediaTypeError   415: the Content-Type is not JSON
    │   ├── MethodNotAllowedError       405: the request is not a POST
    │   └── HandlerError                500: your handler raised, or returned no reply
    └── APIError                        a push failed (``maybe_delivered``: may it have arrived?)
        ├── APIConnectionError          no answer came: refused, dropped, garbled
        │   └── APITimeoutError         the request timed out
        └── APIStatusError              Botcopy answered with a non-2xx status
            ├── AuthenticationError     401 or 403: the API key was refused
            └── RateLimitError          429: slow down (see ``retry_after``)

No message, ``repr`` or attribute of these errors ever holds a secret (API key,
access token, custom header value, Redis password): messages are written by
the SDK from field paths and reasons, never from the offending input. A push
error chains the transport's own exception as ``__cause__``; the SDK takes the
API key out of that chain too (its messages, ``args`` and attributes), since a
server that echoes the key into a malformed answer puts it there.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BotcopyError",
    "ConfigurationError",
    "EmulatorTimeoutError",
    "ErrorDetail",
    "InvalidEventError",
    "InvalidPayloadError",
    "LengthRequiredError",
    "MissingDependencyError",
    "PayloadTooLargeError",
    "RateLimitError",
    "StoreError",
    "StoreUnavailableError",
    "UnsupportedMediaTypeError",
    "MethodNotAllowedError",
    "HandlerError",
    "WebhookAuthenticationError",
    "WebhookError",
]


class BotcopyError(Exception):
    """Base class of every error raised by botcopy-handover.

    Catch this to handle anything the SDK can raise::

        try:
            event = webhook.receive(body=body, headers=headers)
        except BotcopyError as exc:
            ...
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigurationError(BotcopyError):
    """The SDK was configured wrongly, for example no API key was given or found."""


class MissingDependencyError(ConfigurationError, ImportError):
    """A feature needs an optional extra that is not installed.

    Its message is one line that names the extra and the command installing
    it, such as ``pip install "botcopy-handover[testing]"``. It is also an
    `ImportError`, so ``except ImportError`` around an optional import
    catches it.

    Attributes:
        extra: The extra to install (``testing``, ``fastapi``, ...).
        name: The module that could not be imported (as on `ImportError`).

    """

    def __init__(self, message: str, *, extra: str, module: str | None = None) -> None:
        super().__init__(message)
        self.extra = extra
        self.name = module


@dataclass(frozen=True)
class ErrorDetail:
    """One problem found in a payload: where it is and what is wrong.

    Attributes:
        path: Where the problem is, in wire names, e.g. ``messageHistory[3].createdAt``;
            empty for the body as a whole.
        message: What is wrong, e.g. ``Field required``.
        type: A machine-readable code, e.g. ``missing`` or ``string_type``.

    """

    path: str
    message: str
    type: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def _summarise(summary: str, errors: tuple[ErrorDetail, ...]) -> str:
    if not errors:
        return summary
    shown = "; ".join(str(e) for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{summary}: {shown}{more}"


class InvalidEventError(BotcopyError, ValueError):
    """A push event is invalid and was not sent.

    Raised when building an event model (``MessageEvent(text="")``) or before a
    client sends one. ``errors`` lists each problem by field.
    """

    def __init__(self, message: str, errors: tuple[ErrorDetail, ...] = ()) -> None:
        super().__init__(_summarise(message, errors))
        self.errors = errors


class EmulatorTimeoutError(BotcopyError, TimeoutError):
    """The local Botcopy emulator did not see what a test waited for in time."""


class StoreError(BotcopyError):
    """A conversation store refused an operation, for example an empty ``user_id``."""


class StoreUnavailableError(StoreError):
    """The store's backend failed or could not be reached (Redis down, timeout, script error).

    The message names the backend by host and port only, never by a URL that
    may hold a password. The backend's own exception is the ``__cause__``.
    """


class WebhookError(BotcopyError):
    """An inbound webhook call cannot be answered normally; the adapters answer ``status_code``.

    Attributes:
        status_code: The HTTP status a server should answer with.

    """

    status_code: int = 400

    def to_dict(self) -> dict[str, str]:
        """The small JSON error body the adapters answer with."""
        return {"error": type(self).__name__, "message": self.message}


class WebhookAuthenticationError(WebhookError):
    """The call did not carry an accepted access token or custom header (HTTP 401).

    The message never says which check failed, nor echoes what was sent.
    """

    status_code = 401


class InvalidPayloadError(WebhookError, ValueError):
    """The body is not a valid Botcopy webhook body (HTTP 400).

    Attributes:
        errors: Each problem with its field path (wire names) and reason; never
            the offending value, so no secret can leak through it.

    """

    status_code = 400

    def __init__(self, message: str, errors: tuple[ErrorDetail, ...] = ()) -> None:
        super().__init__(_summarise(message, errors))
        self.errors = errors


class PayloadTooLargeError(InvalidPayloadError):
    """The body is over the configured size limit (HTTP 413).

    Attributes:
        limit: The limit in bytes.

    """

    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than the limit of {limit} bytes")
        self.limit = limit


class LengthRequiredError(InvalidPayloadError):
    """The body has no ``Content-Length`` and the server cannot tell where it ends (HTTP 411).

    A WSGI server that neither passes the length nor terminates the input
    stream (``wsgi.input_terminated``) gives no safe way to read a chunked
    body: reading past its end would block.
    """

    status_code = 411

    def __init__(self) -> None:
        super().__init__("Content-Length is required")


class UnsupportedMediaTypeError(WebhookError):
    """The request's Content-Type is not JSON (HTTP 415)."""

    status_code = 415


class MethodNotAllowedError(WebhookError):
    """The webhook was called with another method than ``POST`` (HTTP 405)."""

    status_code = 405


class HandlerError(WebhookError):
    """Your webhook handler raised, or returned something that is not a reply (HTTP 500).

    The endpoint answers 500 with a generic body and logs this error; the
    handler's own exception, if any, is the ``__cause__``.

    Attributes:
        handler: The handler's name, e.g. ``on_handover``.

    """

    status_code = 500

    def __init__(self, message: str, *, handler: str) -> None:
        super().__init__(message)
        self.handler = handler


class APIError(BotcopyError):
    """A call to Botcopy's push endpoint failed.

    Attributes:
        maybe_delivered: Whether the customer may have received the push
            anyway. ``False`` when the SDK knows no attempt was acted on (the
            connection was never made, Botcopy answered 4xx, 429 or 503, or a
            redirect that was not followed): sending it again is safe.
            ``True`` when an attempt was sent and its answer was lost or was
            408/5xx (other than 503): sending it again may show the customer
            the message twice. Across retries it is ``True`` if any attempt
            may have arrived.

    """

    def __init__(self, message: str, *, maybe_delivered: bool = True) -> None:
        super().__init__(message)
        self.maybe_delivered = maybe_delivered


class APIConnectionError(APIError):
    """No usable answer came: the connection was refused, dropped, or the answer was not HTTP.

    ``maybe_delivered`` says whether the request had left before it failed.

    Attributes:
        status_code: The 2xx status Botcopy answered with when its answer then
            broke off or could not be decoded; ``None`` when no status came.
            A status means Botcopy had finished with the push (so, unlike a
            timeout, it cannot still land later), though whether it was
            accepted is unknown.

    """

    def __init__(
        self, message: str, *, maybe_delivered: bool = True, status_code: int | None = None
    ) -> None:
        super().__init__(message, maybe_delivered=maybe_delivered)
        self.status_code = status_code


class APITimeoutError(APIConnectionError):
    """The request timed out; ``maybe_delivered`` is ``False`` only for a connect timeout."""


class APIStatusError(APIError):
    """Botcopy answered with a non-2xx status (a 3xx redirect is never followed).

    Attributes:
        status_code: The HTTP status code.
        body: The response text, truncated to 1000 characters, the API key redacted.

    """

    def __init__(
        self, message: str, *, status_code: int, body: str = "", maybe_delivered: bool = False
    ) -> None:
        super().__init__(message, maybe_delivered=maybe_delivered)
        self.status_code = status_code
        self.body: str = body[:1000]


class AuthenticationError(APIStatusError):
    """Botcopy refused the API key (HTTP 401 or 403)."""


class RateLimitError(APIStatusError):
    """Botcopy asked to slow down (HTTP 429).

    Attributes:
        retry_after: Seconds Botcopy asked to wait, from ``Retry-After``, if given.

    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        body: str = "",
        retry_after: float | None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(
            message, status_code=status_code, body=body, maybe_delivered=maybe_delivered
        )
        self.retry_after = retry_after
