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
    │   │   └── PayloadTooLargeError    413: the body is over the configured size limit
    │   ├── UnsupportedMediaTypeError   415: the Content-Type is not JSON
    │   ├── MethodNotAllowedError       405: the request is not a POST
    │   └── HandlerError                500: your handler raised, or returned no reply
    └── APIError                        a call to Botcopy's push endpoint failed
        ├── APIConnectionError          the request may not have reached Botcopy
        │   └── APITimeoutError         the request timed out
        └── APIStatusError              Botcopy answered with a non-2xx status
            ├── AuthenticationError     401 or 403: the API key was refused
            └── RateLimitError          429: slow down (see ``retry_after``)

No message, ``repr`` or attribute of these errors ever holds a secret (API key,
access token, custom header value, Redis password): messages are written by
the SDK from field paths and reasons, never from the offending input.
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
    """A call to Botcopy's push endpoint failed."""


class APIConnectionError(APIError):
    """The request failed at the connection level; it may not have reached Botcopy."""


class APITimeoutError(APIConnectionError):
    """The request timed out. Botcopy may or may not have received it."""


class APIStatusError(APIError):
    """Botcopy answered with a non-2xx status.

    Attributes:
        status_code: The HTTP status code.
        body: The response text, truncated to 1000 characters.

    """

    def __init__(self, message: str, *, status_code: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:1000]


class AuthenticationError(APIStatusError):
    """Botcopy refused the API key (HTTP 401 or 403)."""


class RateLimitError(APIStatusError):
    """Botcopy asked to slow down (HTTP 429).

    Attributes:
        retry_after: Seconds Botcopy asked to wait, from ``Retry-After``, if given.

    """

    def __init__(
        self, message: str, *, status_code: int = 429, body: str = "", retry_after: float | None
    ) -> None:
        super().__init__(message, status_code=status_code, body=body)
        self.retry_after = retry_after
