"""``Webhook``: verify a call from Botcopy and read it into a typed event.

Verification, in the order a server can do it:

1. ``Authorization`` holds an accepted access token (raw, or after ``Bearer ``),
   and the custom header, if configured, holds its value. Both checks always
   run and fail with one message, so a caller cannot learn which part was
   wrong. Secrets are compared as SHA-256 digests with
   `hmac.compare_digest`: constant time, and no length leaks either.
2. ``Content-Type`` is JSON.
3. The body is a Botcopy webhook body, within the size limit.
4. The body's token, when present under any spelling (``accessToken``,
   ``access_token``...), is an accepted token too, and the same one as the
   header's: a genuine call carries one token in both places.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from botcopy_handover._errors import (
    ConfigurationError,
    InvalidPayloadError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    WebhookAuthenticationError,
)
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest, body_tokens
from botcopy_handover.webhook._headers import HeadersLike, is_json_content_type, pick_headers
from botcopy_handover.webhook._parse import DEFAULT_MAX_BYTES, parse_webhook
from botcopy_handover.webhook._refusals import RefusalLog

__all__ = ["TOKEN_ENV_VAR", "Webhook"]

logger = logging.getLogger("botcopy_handover.webhook")

TOKEN_ENV_VAR = "BOTCOPY_ACCESS_TOKEN"  # noqa: S105 - a variable name, not a secret
"""Read when no ``access_tokens`` are given; several tokens may be comma-separated."""

_UNAUTHORIZED = "Missing or invalid access token or custom header"
_AUTHORIZATION = frozenset({"authorization"})


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def _authorization_digest(headers: HeadersLike) -> bytes:
    """The digest of the ``Authorization`` token; of ``""`` unless there is exactly one."""
    authorization = pick_headers(headers, _AUTHORIZATION).get("authorization")
    value = authorization[0] if authorization and len(authorization) == 1 else ""
    return _digest(_strip_bearer(value))


def _strip_bearer(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "bearer ":
        return value[7:].lstrip()
    return value


class Webhook:
    """Verifies webhook calls from Botcopy and turns them into typed events.

    One job: verification and parsing. Embed [receive][botcopy_handover.Webhook.receive]
    in any framework, or give the webhook to
    `asgi_app`,
    `wsgi_app` or an integration
    (``botcopy_handover.integrations``): they serve the endpoint, run your
    handlers within Botcopy's 5 seconds and answer the exact reply JSON. The
    serving settings (reply timeout, fallbacks, store, worker threads, push
    client) are theirs: see [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].

    Args:
        access_tokens: The access token(s) set on the portal. Several may be
            accepted at once, to rotate a token without downtime. Defaults to
            the ``BOTCOPY_ACCESS_TOKEN`` environment variable (comma-separated).
        custom_header: ``(name, value)`` of the optional custom header the
            portal adds to every call; the name is case-insensitive.
        max_bytes: Refuse bodies larger than this (HTTP 413). Adapters refuse
            them before reading them whole.
        max_depth: Refuse bodies nesting deeper than this (see
            [`parse_webhook`][botcopy_handover.parse_webhook]).
        refusal_log_burst: How many refused calls (401) are logged one by one
            in each ``refusal_log_interval``; the rest are counted and logged as
            one summary line, so a token scanner cannot flood the logs.
        refusal_log_interval: Seconds of each such interval.

    Raises:
        ConfigurationError: No token was given or found, a token is empty, or
            an option is out of range.

    Examples:
        >>> from botcopy_handover import Webhook
        >>> webhook = Webhook(access_tokens=["tok-new", "tok-old"])
        >>> webhook
        Webhook(tokens=2, custom_header=None, max_bytes=16777216)

    """

    def __init__(
        self,
        access_tokens: str | Iterable[str] | None = None,
        *,
        custom_header: tuple[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_depth: int | None = None,
        refusal_log_burst: int = 10,
        refusal_log_interval: float = 60.0,
    ) -> None:
        if access_tokens is None:
            access_tokens = os.environ.get(TOKEN_ENV_VAR, "").split(",")
            access_tokens = [t.strip() for t in access_tokens if t.strip()]
            if not access_tokens:
                raise ConfigurationError(
                    f"No access token: pass access_tokens= or set {TOKEN_ENV_VAR}"
                )
        tokens = [access_tokens] if isinstance(access_tokens, str) else list(access_tokens)
        if not tokens:
            raise ConfigurationError("access_tokens is empty: accept at least one token")
        for token in tokens:
            if not isinstance(token, str) or not token.strip():
                raise ConfigurationError("Every access token must be a non-empty string")
        self._tokens = tuple(_digest(t) for t in tokens)
        self._custom_name: str | None = None
        self._custom_digest = b""
        if custom_header is not None:
            name, value = custom_header
            if not name or not value:
                raise ConfigurationError("custom_header needs a non-empty name and value")
            self._custom_name = name.strip().lower()
            self._custom_digest = _digest(value)
        wanted = {"authorization", "content-type", "content-length"}
        if self._custom_name:
            wanted.add(self._custom_name)
        self._wanted = frozenset(wanted)
        if max_bytes <= 0:
            raise ConfigurationError("max_bytes must be positive")
        self._refusals = RefusalLog(logger, burst=refusal_log_burst, interval=refusal_log_interval)
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    def __repr__(self) -> str:
        # Never the tokens or the header value: a count and the header's name.
        return (
            f"Webhook(tokens={len(self._tokens)}, custom_header={self._custom_name!r}, "
            f"max_bytes={self.max_bytes})"
        )

    @property
    def custom_header_name(self) -> str | None:
        """The custom header's name, lower-cased, or ``None`` if none is required."""
        return self._custom_name

    def verify_headers(self, headers: HeadersLike) -> int | None:
        """Check the credentials and the ``Content-Type``, before the body is read.

        Returns:
            The declared ``Content-Length``, or ``None`` if there is none.

        Raises:
            WebhookAuthenticationError: The token or the custom header is
                missing or wrong (one message for every case).
            UnsupportedMediaTypeError: The ``Content-Type`` is not JSON.
            PayloadTooLargeError: ``Content-Length`` is over ``max_bytes``.
            InvalidPayloadError: ``Content-Length`` is not a number.

        """
        return self._verified_headers(headers)[0]

    def _verified_headers(self, headers: HeadersLike) -> tuple[int | None, bytes]:
        """``verify_headers``, and the digest of the accepted token.

        For this package's adapters: they hand the digest to ``_parse``, so a
        body's token is compared with the header's without reading and hashing
        the header a second time.
        """
        found = pick_headers(headers, self._wanted)
        digest = self._verify_credentials(found)
        content_type = found.get("content-type")
        if content_type is None or len(content_type) != 1:
            raise UnsupportedMediaTypeError("Content-Type must be application/json")
        if not is_json_content_type(content_type[0]):
            raise UnsupportedMediaTypeError("Content-Type must be application/json")
        return self._content_length(found.get("content-length")), digest

    def receive(
        self,
        body: bytes | bytearray | memoryview | str | Mapping[str, Any],
        headers: HeadersLike,
    ) -> HandoverRequest | CustomerMessage:
        """Verify a webhook call and parse its body into a typed event.

        Pass the body exactly as received (or as your framework decoded it,
        a ``dict``), and the request's headers in any form (a mapping, a
        framework's headers object, or ``(name, value)`` pairs).

        Returns:
            A [`HandoverRequest`][botcopy_handover.HandoverRequest] (Step One) or a
            [`CustomerMessage`][botcopy_handover.CustomerMessage] (Step Two).

        Raises:
            WebhookAuthenticationError: 401, the credentials are missing or wrong.
            UnsupportedMediaTypeError: 415, the body is not declared as JSON.
            PayloadTooLargeError: 413, the body is over ``max_bytes``.
            InvalidPayloadError: 400, the body is not a Botcopy webhook body.
            WebhookAuthenticationError: 401, the body's token is not accepted
                or is not the header's.

        Examples:
            >>> webhook = Webhook(access_tokens="t")
            >>> event = webhook.receive(
            ...     b'{"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}}',
            ...     {"Authorization": "t", "Content-Type": "application/json"},
            ... )
            >>> event.text
            'hi'

        """
        self.verify_headers(headers)
        return self.parse(body, headers=headers)

    def parse(
        self,
        body: bytes | bytearray | memoryview | str | Mapping[str, Any],
        *,
        headers: HeadersLike | None = None,
    ) -> HandoverRequest | CustomerMessage:
        """Parse a body whose headers `verify_headers` accepted, and check its token.

        The body's token, under any spelling of ``accessToken``, must be an
        accepted one; given the request's ``headers``, it must also be the
        very token of the ``Authorization`` header.

        Raises:
            PayloadTooLargeError: 413, the body is over ``max_bytes``.
            InvalidPayloadError: 400, the body is not a Botcopy webhook body.
            WebhookAuthenticationError: 401, a token in the body is not
                accepted, or differs from the header's.

        """
        return self._parse(body, headers, None)

    def _parse(
        self,
        body: bytes | bytearray | memoryview | str | Mapping[str, Any],
        headers: HeadersLike | None,
        header_digest: bytes | None,
    ) -> HandoverRequest | CustomerMessage:
        """``parse``; given ``_verified_headers``' digest, the header is not read again."""
        event = parse_webhook(body, max_bytes=self.max_bytes, max_depth=self.max_depth)
        tokens = body_tokens(event)
        if tokens:
            if header_digest is None and headers is not None:
                header_digest = _authorization_digest(headers)
            if not self._body_tokens_ok(tokens, header_digest):
                self._refusals.refused("a token in the body is not accepted or not the header's")
                raise WebhookAuthenticationError(_UNAUTHORIZED)
        return event

    def _accepted_digest(self, digest: bytes) -> bool:
        ok = False
        for accepted in self._tokens:
            # No early exit: every accepted token is compared every time.
            ok |= hmac.compare_digest(digest, accepted)
        return ok

    def _body_tokens_ok(self, tokens: tuple[object, ...], header_digest: bytes | None) -> bool:
        ok = True
        for token in tokens:
            # Every token is checked, whatever the first one gave: one path.
            digest = _digest(token if isinstance(token, str) else "")
            ok &= isinstance(token, str) and self._accepted_digest(digest)
            if header_digest is not None:
                ok &= hmac.compare_digest(digest, header_digest)
        return ok

    def _verify_credentials(self, found: dict[str, list[str]]) -> bytes:
        """Check the token and the custom header; the token's digest when they pass."""
        authorization = found.get("authorization")
        only = authorization[0] if authorization is not None and len(authorization) == 1 else None
        digest = _digest("" if only is None else _strip_bearer(only))
        token_ok = only is not None and self._accepted_digest(digest)
        header_ok = True
        if self._custom_name is not None:
            values = found.get(self._custom_name)
            header_ok = values is not None and len(values) == 1
            # Compared even when the token already failed: one path, one timing.
            same = hmac.compare_digest(_digest(values[0] if values else ""), self._custom_digest)
            header_ok = header_ok and same
        if not (token_ok and header_ok):
            self._refusals.refused(_UNAUTHORIZED.lower())
            raise WebhookAuthenticationError(_UNAUTHORIZED)
        return digest

    def _content_length(self, values: list[str] | None) -> int | None:
        # CGI-style servers (wsgiref) pass an absent length as an empty string.
        if not values or (len(values) == 1 and not values[0].strip()):
            return None
        value = values[0].strip()
        if len(set(values)) != 1 or not (value.isascii() and value.isdigit()):
            raise InvalidPayloadError("Content-Length is not a valid length")
        length = int(value)
        if length > self.max_bytes:
            raise PayloadTooLargeError(self.max_bytes)
        return length
