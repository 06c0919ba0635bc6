"""``parse_webhook``: raw body in, typed event out, or a clear ``InvalidPayloadError``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pydantic_core
from pydantic import TypeAdapter, ValidationError

from botcopy_handover._errors import ErrorDetail, InvalidPayloadError, PayloadTooLargeError
from botcopy_handover.models._base import DEFERRED, error_details
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest, WebhookEvent

__all__ = ["DECODER_MAX_DEPTH", "DEFAULT_MAX_BYTES", "parse_webhook"]

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
"""Default body size limit: 16 MiB, far above a Step One body with a long history."""

DECODER_MAX_DEPTH = 200
"""The JSON decoder's own nesting limit; real bodies stay under 20 levels.

``parse_webhook`` always enforces it, at no cost. A smaller ``max_depth``
adds a scan of the body (about a fifth of the decoding time on large bodies).
"""

_DECODE_FIRST = 1024
"""Bodies of this many bytes or more are decoded, then validated (see ``_validate``)."""

_EVENT: TypeAdapter[HandoverRequest | CustomerMessage] = TypeAdapter(WebhookEvent, config=DEFERRED)
_HANDOVER = TypeAdapter(HandoverRequest)
_CUSTOMER_MESSAGE = TypeAdapter(CustomerMessage)


class _Validators:
    """The adapters' pydantic-core validators, bound on first use.

    Called directly: ``TypeAdapter.validate_json`` is a Python wrapper around
    the same call, and on a small body it costs about a twentieth of the
    parse. Bound lazily, as the adapters are built (``defer_build``): a cold
    start that never parses pays for neither.
    """

    event_json: Callable[[bytes | str], HandoverRequest | CustomerMessage]
    event_python: Callable[[Any], HandoverRequest | CustomerMessage]
    customer_message_json: Callable[[bytes | str], CustomerMessage]
    customer_message_python: Callable[[Any], CustomerMessage]

    def __getattr__(self, name: str) -> Any:
        # Only reached before the first bind: afterwards each name is in __dict__.
        if name not in _Validators.__annotations__:
            raise AttributeError(name)
        # A deferred adapter's validator is a stand-in that builds the real
        # one on first attribute access, and hands over its method.
        self.event_json = _EVENT.validator.validate_json
        self.event_python = _EVENT.validator.validate_python
        self.customer_message_json = _CUSTOMER_MESSAGE.validator.validate_json
        self.customer_message_python = _CUSTOMER_MESSAGE.validator.validate_python
        return self.__dict__[name]


_validators = _Validators()

_STEP_ONE_KEYS = frozenset({"dialogflowResponse", "dialogflow_response"})
"""The spellings of the key a Step One body must have (``validate_by_name``)."""

_INNERMOST = re.compile(rb"\[\]|\{\}")
_KEEP_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}')


def _depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON ``body`` nests objects/arrays deeper than ``limit``.

    Written with C-speed bytes operations only, so it costs a small fraction of
    decoding: escaped backslashes and quotes are dropped, everything but
    quotes and brackets is deleted, string contents are cut out, and matched
    innermost bracket pairs are peeled off one level per round.
    """
    # A body can't be deeper than the number of brackets it opens.
    if body.count(b"{") + body.count(b"[") <= limit:
        return False
    skeleton = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _KEEP_STRUCTURE)
    # Adjacent quotes are an empty string or the gap between two strings: no
    # bracket is lost by removing them, and what is left is short.
    skeleton = skeleton.replace(b'""', b"")
    if b'"' in skeleton:
        parts = skeleton.split(b'"')
        skeleton = b"".join(parts[0::2])
    for _ in range(limit):
        # One pass of the regex peels exactly one level (it does not rescan
        # what it removed, unlike two chained bytes.replace calls).
        peeled = _INNERMOST.sub(b"", skeleton)
        if not peeled or peeled == skeleton:
            # Fully matched within the limit, or malformed (the decoder will say so).
            return False
        skeleton = peeled
    return True


_JSON_SCALARS = (str, int, float, bool, type(None))


def _check_decoded(data: Mapping[Any, Any], max_depth: int) -> None:
    """Hold an already-decoded body to what the JSON decoder would have accepted.

    Objects with string keys, arrays and JSON scalars only, nested no deeper
    than ``max_depth``, and no lone surrogates: the body must survive being
    written back as UTF-8 JSON (fingerprints, stores, logs).
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            items: Any = value.items()
        elif isinstance(value, list):
            items = ((None, item) for item in value)
        else:
            if isinstance(value, str):
                _check_text(value)
            elif not isinstance(value, _JSON_SCALARS):
                raise InvalidPayloadError(
                    f"Request body holds a {type(value).__name__}, which is not a JSON value"
                )
            continue
        if depth > max_depth:
            raise InvalidPayloadError(f"Request body nests deeper than the limit of {max_depth}")
        for key, item in items:
            if key is not None:
                if not isinstance(key, str):
                    raise InvalidPayloadError("Request body has an object key that is not a string")
                _check_text(key)
            stack.append((item, depth + 1))


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidPayloadError(
                "Request body is not valid UTF-8 (it holds a lone surrogate)"
            ) from None


def parse_webhook(
    body: bytes | bytearray | memoryview | str | Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int | None = None,
) -> HandoverRequest | CustomerMessage:
    """Parse a webhook body from Botcopy into a typed event.

    Pass the body exactly as received. This does not check the access token;
    [`Webhook`][botcopy_handover.Webhook] does both.

    A body a framework has already decoded (a ``dict``) is validated the same
    way and refused with the same errors; only the size limit does not apply
    to it, since its size on the wire is no longer known.

    Args:
        body: The raw request body (bytes), an already decoded ``str``, or the
            decoded JSON object.
        max_bytes: Refuse bodies larger than this many bytes.
        max_depth: Refuse bodies whose objects and arrays nest deeper than
            this; at most, and by default, the decoder's own limit of 200.

    Returns:
        A [`HandoverRequest`][botcopy_handover.HandoverRequest] (Step One: a trigger fired, with
        history) or a
        [`CustomerMessage`][botcopy_handover.CustomerMessage] (Step Two: the customer wrote while
        paused).

    Raises:
        PayloadTooLargeError: The body is over ``max_bytes``.
        InvalidPayloadError: The body is empty, not UTF-8 (for a ``str``: holds a
            lone surrogate), not JSON, not an object, too deep, or misses or
            mistypes a required field; ``errors`` names each field by its wire path.

    Examples:
        >>> event = parse_webhook(b'{"userId": "u1", "botId": "b1", '
        ...     b'"queryInput": {"text": {"text": "hello", "languageCode": "en"}}}')
        >>> event.text
        'hello'

    """
    # The common call, a request body as bytes with the default depth limit:
    # straight to the decoder, no ABC check on the way.
    if (
        type(body) is bytes
        and max_depth is None
        and 0 < len(body) <= max_bytes
        and not body.isspace()
    ):
        return _validate(body)
    if isinstance(body, Mapping):
        return _parse_decoded(body, max_depth)
    if not isinstance(body, (bytes, bytearray, memoryview, str)):
        raise InvalidPayloadError(
            f"Request body must be bytes, str or a JSON object, not {type(body).__name__}"
        )
    data = body if type(body) is bytes or isinstance(body, str) else bytes(body)
    if len(data) > max_bytes:
        raise PayloadTooLargeError(max_bytes)
    # A str's UTF-8 form can be up to 4 bytes a character: count exactly only
    # when it could matter.
    if (
        type(data) is str
        and len(data) * 4 > max_bytes
        and len(data.encode("utf-8", "surrogatepass")) > max_bytes
    ):
        raise PayloadTooLargeError(max_bytes)
    if not data or data.isspace():
        raise InvalidPayloadError("Request body is empty")
    if max_depth is not None and max_depth < DECODER_MAX_DEPTH:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        if _depth_exceeds(raw, max_depth):
            raise InvalidPayloadError(f"Request body nests deeper than the limit of {max_depth}")
    return _validate(data)


def _validate(data: bytes | str) -> HandoverRequest | CustomerMessage:
    """Decode ``data`` and validate the object: the typed event, or why not.

    A body of a kilobyte or more is decoded first (``pydantic_core.from_json``)
    and then validated as Python objects: ``validate_json`` builds the ``Any``
    values (the history, the Dialogflow response) through an intermediate JSON
    tree, and takes 1.3-1.8x as long on a body with a history. Below that
    size ``validate_json`` is the faster (docs/performance.md, "Parsing webhook
    bodies"). Both use the same decoder (jiter): what is accepted and refused
    does not depend on the size.
    """
    if len(data) < _DECODE_FIRST:
        try:
            if _surely_step_two(data):
                return _validators.customer_message_json(data)
            return _validators.event_json(data)
        except ValidationError:
            # Explained from the decoded body (the same decoder: it fails
            # alike), without validating it once more.
            raise _explain_object(_decode(data)) from None
    return _validate_object(_decode(data))


def _decode(data: bytes | str) -> Any:
    """The JSON value of ``data``, or the ``InvalidPayloadError`` saying why it is none."""
    try:
        return pydantic_core.from_json(data)
    except (ValueError, TypeError) as exc:  # TypeError: a str holding a lone surrogate
        raise _not_json(data, str(exc)) from None


def _surely_step_two(data: bytes | str) -> bool:
    """Whether ``data`` cannot hold a ``dialogflowResponse``, which Step One requires.

    Then the union's first try, ``HandoverRequest``, must fail, and building
    its errors costs as much as the whole parse: a Step Two body (every
    message a customer sends while paused) goes to ``CustomerMessage``
    directly, with the union's outcome. Either spelling of the key holds
    ``dialogflow``; only a backslash-u escape could spell it otherwise, so a
    body holding one goes through the union.
    """
    if isinstance(data, bytes):
        return b"dialogflow" not in data and b"\\u" not in data
    return "dialogflow" not in data and "\\u" not in data


def _validate_object(obj: Any) -> HandoverRequest | CustomerMessage:
    """The decoded body, validated: Step Two directly when it holds no Dialogflow response."""
    try:
        if type(obj) is dict and not any(key in obj for key in _STEP_ONE_KEYS):
            return _validators.customer_message_python(obj)
        return _validators.event_python(obj)
    except ValidationError:
        raise _explain_object(obj) from None


def _parse_decoded(
    data: Mapping[str, Any], max_depth: int | None
) -> HandoverRequest | CustomerMessage:
    limit = DECODER_MAX_DEPTH if max_depth is None else min(max_depth, DECODER_MAX_DEPTH)
    _check_decoded(data, limit)
    obj = data if isinstance(data, dict) else dict(data)
    return _validate_object(obj)


def _not_json(data: bytes | str, reason: str) -> InvalidPayloadError:
    """Why the decoder refused ``data``, in the body's terms."""
    if isinstance(data, str):
        # pydantic-core cannot read a str that is not valid UTF-8 (a lone
        # surrogate): say so before anything else.
        _check_text(data)
    if "recursion limit" in reason:
        limit = DECODER_MAX_DEPTH
        return InvalidPayloadError(f"Request body nests deeper than the limit of {limit}")
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return InvalidPayloadError("Request body is not valid UTF-8")
    return InvalidPayloadError(f"Request body is not valid JSON ({reason or 'invalid JSON'})")


def _explain_object(obj: Any) -> InvalidPayloadError:
    if not isinstance(obj, dict):
        kind = type(obj).__name__.replace("dict", "object").replace("list", "array")
        return InvalidPayloadError(f"Request body must be a JSON object, not {kind}")
    is_handover = "dialogflowResponse" in obj or "messageHistory" in obj
    adapter: TypeAdapter[Any] = _HANDOVER if is_handover else _CUSTOMER_MESSAGE
    kind = "Step One (handover) body" if is_handover else "Step Two (customer message) body"
    try:
        adapter.validate_python(obj)
    except ValidationError as inner:
        return InvalidPayloadError(f"Invalid {kind}", error_details(inner))
    # The union refused what its member accepts: cannot happen, but say so plainly.
    return InvalidPayloadError(  # pragma: no cover
        "Invalid webhook body", (ErrorDetail("", "does not match any webhook body", "union"),)
    )
