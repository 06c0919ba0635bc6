"""A read-only, typed view over a Dialogflow detectIntent response.

Botcopy passes Dialogflow's detectIntent response on "unchanged", which in
practice means one of three spellings of the same data:

* the REST JSON form (camelCase: ``queryResult.fulfillmentMessages``);
* the same with snake_case keys (``query_result.fulfillment_messages``), as some
  Python callers write it;
* the Node.js client form, where every protobuf ``Struct`` is
  ``{"fields": {"k": {"stringValue": "v", "kind": "stringValue"}}}`` and every
  oneof carries a sibling naming its set member (``"message": "text"``).

:class:`DialogflowResponse` reads all three, for Dialogflow ES (v2) and CX (v3),
into the same views::

    >>> view = DialogflowResponse({"queryResult": {
    ...     "fulfillmentMessages": [{"text": {"text": ["Connecting you to an agent."]}}],
    ...     "outputContexts": [{"name": "projects/p/agent/sessions/s/contexts/bc-human-handover",
    ...                         "lifespanCount": 1}],
    ... }})
    >>> view.texts
    ('Connecting you to an agent.',)
    >>> view.is_handover("BC-Human-Handover")
    True

The view never raises on odd input: a field of the wrong type is skipped or read
as ``None``, and a message it cannot read becomes an :class:`UnknownMessage`.
One odd payload must not fail a webhook.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar, overload

from typing_extensions import TypeIs

from botcopy_handover.models._base import BotPlatform

__all__ = [
    "DialogflowResponse",
    "DialogflowMessage",
    "TextMessage",
    "QuickRepliesMessage",
    "CardMessage",
    "PayloadMessage",
    "UnknownMessage",
    "OutputContext",
    "QuickReplies",
    "Card",
    "CardButton",
    "decode_struct",
    "JsonValue",
    "JsonObject",
    "DEFAULT_CX_TRIGGER",
]

JsonValue: TypeAlias = Any
"""A decoded JSON value: ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``."""

JsonObject: TypeAlias = dict[str, JsonValue]
"""A decoded JSON object."""

DEFAULT_CX_TRIGGER = "bcHumanHandover"
"""The CX session parameter Botcopy watches to start a handover."""


# --- speed -------------------------------------------------------------------
# The view is read on every webhook call, so its primitives avoid the two
# costs that dominated it: ``isinstance(x, Mapping)`` (an ABC check, several
# times slower than a type test) and ``functools.cached_property`` (a lock on
# Python 3.10/3.11). Parsed JSON is made of plain dicts, so they go first.

_T = TypeVar("_T")
_R = TypeVar("_R")


def _is_map(obj: object) -> TypeIs[Mapping[str, object]]:
    """Whether *obj* is a mapping; a plain ``dict`` is answered without the ABC check."""
    return type(obj) is dict or isinstance(obj, Mapping)


class _cached(Generic[_T, _R]):  # noqa: N801 - used as a decorator, like cached_property
    """``functools.cached_property`` without its lock: the value lands in ``__dict__``.

    Two threads computing the same view at once both get equal values; the
    view is pure, so that is harmless, and cheaper than a lock on every first read.
    """

    def __init__(self, func: Callable[[_T], _R]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type[_T], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[_T] | None = None) -> _cached[_T, _R]: ...
    @overload
    def __get__(self, instance: _T, owner: type[_T] | None = None) -> _R: ...
    def __get__(self, instance: _T | None, owner: type[_T] | None = None) -> _R | _cached[_T, _R]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


# --- the typed pieces ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutputContext:
    """An ES output context."""

    name: str
    """The full resource name, ``projects/<p>/agent/sessions/<s>/contexts/<short_name>``."""
    short_name: str
    """The last path segment of :attr:`name` as written (Dialogflow lower-cases it)."""
    lifespan_count: int | None
    """Turns left before the context expires; ``0`` means it has expired.

    ``None`` when the response does not say: REST JSON omits zero values, so an
    absent count cannot be told from a missing one, and is not read as expired.
    """
    parameters: JsonObject
    """The context's parameters, decoded to plain Python."""


@dataclass(frozen=True, slots=True)
class QuickReplies:
    """A set of reply chips offered to the customer."""

    title: str | None
    """Text shown above the chips, if any."""
    replies: tuple[str, ...]
    """The chip labels, in order."""


@dataclass(frozen=True, slots=True)
class CardButton:
    """A button on a :class:`Card`."""

    text: str
    """The button label."""
    postback: str | None
    """What pressing it does: a URL, or the text or event sent to the bot; ``None`` if unsaid."""


@dataclass(frozen=True, slots=True)
class Card:
    """A card: title, subtitle, image and buttons, each optional."""

    title: str | None
    """The card title."""
    subtitle: str | None
    """The subtitle or body text."""
    image_url: str | None
    """The card image's URL."""
    buttons: tuple[CardButton, ...]
    """The card's buttons, in order."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One line of text the bot said."""

    kind: ClassVar[str] = "text"
    text: str
    """The line."""


@dataclass(frozen=True, slots=True)
class QuickRepliesMessage:
    """An ES ``quickReplies`` (or Actions on Google ``suggestions``) message."""

    kind: ClassVar[str] = "quick_replies"
    quick_replies: QuickReplies
    """The chips."""


@dataclass(frozen=True, slots=True)
class CardMessage:
    """An ES ``card`` or ``basicCard`` message."""

    kind: ClassVar[str] = "card"
    card: Card
    """The card."""


@dataclass(frozen=True, slots=True)
class PayloadMessage:
    """A custom payload message (ES or CX), decoded to plain Python."""

    kind: ClassVar[str] = "payload"
    payload: JsonObject
    """The payload, a ``Struct`` decoded to plain Python."""


@dataclass(frozen=True, slots=True)
class UnknownMessage:
    """A message this view does not read (an image, a CX ``liveAgentHandoff``, ...)."""

    kind: ClassVar[str] = "unknown"
    raw: JsonObject
    """The message exactly as received."""


DialogflowMessage: TypeAlias = (
    TextMessage | QuickRepliesMessage | CardMessage | PayloadMessage | UnknownMessage
)
"""Any one response message; tell them apart with ``match`` or ``kind``."""


# --- the view ----------------------------------------------------------------


class DialogflowResponse:
    """A read-only, typed view over a detectIntent response (ES or CX, any form).

    Construction only stores *raw*; every view is computed on first access and
    cached, so a view made for each history item costs next to nothing until
    it is read. No view ever raises: fields of the wrong type are skipped.

    *raw* is the detectIntent response as received; a ``dict`` is kept as it
    is, not copied.
    """

    def __init__(self, raw: Mapping[str, JsonValue]) -> None:
        # Parsed JSON is a dict with string keys: kept as it is, unchecked
        # (only ``.get`` with string keys ever reads it).
        received = raw if type(raw) is dict else _as_object(raw)
        self.raw: JsonObject = {} if received is None else received
        """The response as received."""
        result = _get(received, "queryResult")
        self._query_result: Mapping[str, object] = result if _is_map(result) else {}

    def __repr__(self) -> str:
        platform = self.platform.value if self.platform else None
        return f"DialogflowResponse(platform={platform!r}, intent_name={self.intent_name!r})"

    # -- shape ---------------------------------------------------------------

    @_cached
    def platform(self) -> BotPlatform | None:
        """ES or CX, told from the response's shape; ``None`` if it cannot tell."""
        # One pass over the keys; each marker is a bit, so a marker written in
        # both spellings still counts once.
        seen = 0
        for key, value in self._query_result.items():
            bit = _MARKER_BITS.get(key)
            if bit is not None and value is not None:
                seen |= bit
        es = (seen & _ES_BITS).bit_count()
        cx = (seen & ~_ES_BITS).bit_count()
        if es > cx:
            return BotPlatform.DIALOGFLOW_ES
        if cx > es:
            return BotPlatform.DIALOGFLOW_CX
        return None

    # -- messages ------------------------------------------------------------

    @_cached
    def _raw_messages(self) -> list[Mapping[str, object]]:
        # ES messages for a named platform usually repeat the default ones.
        result = self._query_result
        es = [m for m in _items(_get(result, "fulfillmentMessages")) if _is_map(m)]
        chosen = [m for m in es if _is_default_platform(m.get("platform"))] or es
        chosen.extend(m for m in _items(_get(result, "responseMessages")) if _is_map(m))
        return chosen

    @_cached
    def messages(self) -> tuple[DialogflowMessage, ...]:
        """Every response message, in order, typed.

        ES messages meant for a named platform (``FACEBOOK``, ``SLACK``, ...)
        usually repeat the default ones, so when any message has no platform
        only those are kept; otherwise all are. A text message with several
        lines gives one :class:`TextMessage` per line; empty lines are dropped.
        """
        out: list[DialogflowMessage] = []
        for message in self._raw_messages:
            out.extend(_parse_message(message))
        return tuple(out)

    @_cached
    def texts(self) -> tuple[str, ...]:
        """All text lines the bot said, in order.

        Falls back to ES ``fulfillmentText`` when no message holds text.
        """
        # The lines of messages' TextMessages, read without building every
        # message: this is the question nearly every proxy asks.
        texts: list[str] = []
        for message in self._raw_messages:
            member = _oneof_member(message)
            if member == "text":
                body = message.get("text")
                if _is_map(body) and (lines := _text_lines(body.get("text"))):
                    texts.extend(lines)
            elif member == "simpleResponses":
                texts.extend(_simple_response_lines(_get(message, member)))
        if texts:
            return tuple(texts)
        fallback = _text(_get(self._query_result, "fulfillmentText"))
        return (fallback,) if fallback else ()

    @_cached
    def quick_replies(self) -> tuple[QuickReplies, ...]:
        """Reply chips, in order.

        From ES ``quickReplies`` and ``suggestions`` messages, ``richContent``
        chips in custom payloads, and Botcopy payload ``suggestions``.
        """
        out: list[QuickReplies] = []
        for message in self.messages:
            if isinstance(message, QuickRepliesMessage):
                out.append(message.quick_replies)
            elif isinstance(message, PayloadMessage):
                out.extend(_payload_quick_replies(message.payload))
        return tuple(out)

    @_cached
    def cards(self) -> tuple[Card, ...]:
        """Cards, in order.

        From ES ``card`` and ``basicCard`` messages, ``richContent`` ``info`` and
        ``description`` items in custom payloads (a ``button`` item joins the
        card before it), and Botcopy payload ``card`` and ``carousel`` items.
        """
        out: list[Card] = []
        for message in self.messages:
            if isinstance(message, CardMessage):
                out.append(message.card)
            elif isinstance(message, PayloadMessage):
                out.extend(_payload_cards(message.payload))
        return tuple(out)

    @_cached
    def payloads(self) -> tuple[JsonObject, ...]:
        """Custom payloads (ES and CX ``payload`` messages), decoded to plain Python."""
        return tuple(m.payload for m in self.messages if isinstance(m, PayloadMessage))

    # -- intent --------------------------------------------------------------

    @_cached
    def _intent(self) -> Mapping[str, object]:
        # CX fills ``match.intent`` and deprecates ``intent``; ES has only ``intent``.
        for candidate in (
            _get(_get(self._query_result, "match"), "intent"),
            _get(self._query_result, "intent"),
        ):
            intent = _mapping(candidate)
            if intent and (_text(_get(intent, "displayName")) or _text(_get(intent, "name"))):
                return intent
        return {}

    @_cached
    def intent_name(self) -> str | None:
        """The matched intent's display name."""
        return _text(_get(self._intent, "displayName"))

    @_cached
    def intent_id(self) -> str | None:
        """The matched intent's id: the last path segment of its resource name."""
        name = _text(_get(self._intent, "name"))
        if name is None:
            return None
        return _last_segment(name) or None

    @_cached
    def confidence(self) -> float | None:
        """Intent detection confidence, 0.0 to 1.0 (CX ``match.confidence`` first)."""
        for value in (
            _get(_get(self._query_result, "match"), "confidence"),
            _get(self._query_result, "intentDetectionConfidence"),
        ):
            number = _number(value)
            if number is not None:
                return number
        return None

    # -- state ---------------------------------------------------------------

    @_cached
    def parameters(self) -> JsonObject:
        """ES query parameters or CX session parameters, decoded to plain Python."""
        return decode_struct(_get(self._query_result, "parameters"))

    @_cached
    def output_contexts(self) -> tuple[OutputContext, ...]:
        """ES output contexts, in order (always empty for CX)."""
        if self.platform is BotPlatform.DIALOGFLOW_CX:
            return ()
        out: list[OutputContext] = []
        for item in _items(_get(self._query_result, "outputContexts")):
            context = _mapping(item)
            name = _text(_get(context, "name"))
            if context is None or name is None:
                continue
            out.append(
                OutputContext(
                    name=name,
                    short_name=_last_segment(name),
                    lifespan_count=_integer(_get(context, "lifespanCount")),
                    parameters=decode_struct(_get(context, "parameters")),
                )
            )
        return tuple(out)

    @_cached
    def query_text(self) -> str | None:
        """What the customer said (ES ``queryText``, CX ``text`` or ``transcript``)."""
        for key in ("queryText", "text", "transcript"):
            text = _text(_get(self._query_result, key))
            if text:
                return text
        return None

    @_cached
    def language_code(self) -> str | None:
        """The query's language code, e.g. ``en``."""
        return _text(_get(self._query_result, "languageCode"))

    @_cached
    def current_page(self) -> str | None:
        """The CX page the session is on, by display name."""
        return _text(_get(_get(self._query_result, "currentPage"), "displayName"))

    # -- trigger -------------------------------------------------------------

    def is_handover(self, trigger: str | None = None) -> bool:
        """Whether this response asks for a human, the way Botcopy decides it.

        ES: an output context whose name's last path segment equals *trigger*,
        ignoring case, and that has not expired (``lifespanCount`` 0). ES needs
        *trigger*, the context name set in the Botcopy portal; without it the
        answer is ``False``.

        CX: the session parameter ``bcHumanHandover`` (or the one *trigger*
        names) is truthy: ``True``, a non-zero number, or a non-empty string
        other than ``"false"`` (any case).

        When the platform cannot be told, either rule may answer ``True``.

        Example::

            if response.is_handover("bc-human-handover"):
                ...
        """
        name = trigger if isinstance(trigger, str) else None
        platform = self.platform
        if platform is not BotPlatform.DIALOGFLOW_CX and name and self._has_live_context(name):
            return True
        if platform is BotPlatform.DIALOGFLOW_ES:
            return False
        return _truthy(self._parameter(name or DEFAULT_CX_TRIGGER))

    def _has_live_context(self, trigger: str) -> bool:
        wanted = _last_segment(trigger).casefold()
        if not wanted:
            return False
        return any(
            context.short_name.casefold() == wanted
            and (context.lifespan_count is None or context.lifespan_count > 0)
            for context in self.output_contexts
        )

    def _parameter(self, name: str) -> JsonValue:
        parameters = self.parameters
        if name in parameters:
            return parameters[name]
        folded = name.casefold()
        for key, value in parameters.items():
            if key.casefold() == folded:
                return value
        return None


# Keys that only one of ES and CX puts in ``queryResult``; the majority decides.
_ES_MARKERS = (
    "fulfillmentMessages",
    "fulfillmentText",
    "outputContexts",
    "queryText",
    "allRequiredParamsPresent",
    "webhookSource",
)
_CX_MARKERS = (
    "responseMessages",
    "currentPage",
    "currentFlow",
    "match",
    "webhookStatuses",
    "triggerIntent",
    "triggerEvent",
    "transcript",
    "text",
    "dtmf",
)


def _marker_bits() -> dict[str, int]:
    """Each marker key, in both spellings, to a bit of its own (ES bits first)."""
    bits: dict[str, int] = {}
    for index, key in enumerate((*_ES_MARKERS, *_CX_MARKERS)):
        bits[key] = bits[_snake(key)] = 1 << index
    return bits


_ES_BITS = (1 << len(_ES_MARKERS)) - 1


# --- reading loosely typed JSON ---------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Each key's snake_case spelling, or None when it is the same word; filled on
# first use. Nearly every key is this module's own constant; the cap keeps
# keys taken from a payload (a Node-form oneof name) from growing it.
_SNAKES: dict[str, str | None] = {}
_SNAKES_MAX = 512


def _get(obj: object, key: str) -> object:
    """``obj[key]`` under its camelCase or snake_case name; ``None`` if absent."""
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return None
    value = obj.get(key)
    if value is None:
        try:
            snake = _SNAKES[key]
        except KeyError:
            spelled = _snake(key)
            snake = None if spelled == key else spelled
            if len(_SNAKES) < _SNAKES_MAX:
                _SNAKES[key] = snake
        if snake is not None:
            value = obj.get(snake)
    return value


_MARKER_BITS = _marker_bits()


def _mapping(obj: object) -> Mapping[str, object] | None:
    return obj if _is_map(obj) else None


def _items(obj: object) -> list[object] | tuple[object, ...]:
    return obj if isinstance(obj, (list, tuple)) else ()


def _text(obj: object) -> str | None:
    # Empty reads as absent: the Node form writes "" where REST omits the field.
    return obj if isinstance(obj, str) and obj else None


def _number(obj: object) -> float | None:
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return None
    return float(obj)


def _integer(obj: object) -> int | None:
    if isinstance(obj, bool):
        return None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    # proto3 JSON may write integers as strings.
    if isinstance(obj, str) and re.fullmatch(r"-?[0-9]{1,18}", obj):
        return int(obj)
    return None


def _last_segment(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def _as_object(obj: object) -> JsonObject | None:
    """*obj* as a ``dict`` with string keys: itself if it already is one."""
    if not _is_map(obj):
        return None
    if isinstance(obj, dict) and all(isinstance(key, str) for key in obj):
        return obj
    return {key: value for key, value in obj.items() if isinstance(key, str)}


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        return bool(folded) and folded != "false"
    return False


# --- protobuf Struct, Node.js client form -------------------------------------

_VALUE_KINDS = frozenset(
    {"nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"}
)


def _value_kind(obj: object) -> str | None:
    """Name the set member of a Node-form ``google.protobuf.Value``; ``None`` if not one."""
    if not _is_map(obj) or not obj:
        return None
    members = []
    for key in obj:
        if key in _VALUE_KINDS:
            members.append(key)
        elif key != "kind":
            return None
    named = obj.get("kind")
    if named is not None:
        if not isinstance(named, str) or named not in members:
            return None
        kind = named
    elif len(members) == 1:
        kind = members[0]
    else:
        return None
    return kind if _fits(kind, obj[kind]) else None


def _fits(kind: str, value: object) -> bool:
    if kind == "stringValue":
        return isinstance(value, str)
    if kind == "boolValue":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "numberValue":
        return isinstance(value, (int, float, str))
    if kind == "nullValue":
        return value is None or value == 0 or value == "NULL_VALUE"
    return _is_map(value)  # structValue, listValue


def _struct_fields(obj: object) -> Mapping[str, object] | None:
    """Return the ``fields`` of a Node-form ``Struct``; ``None`` if *obj* is not one.

    A REST payload may well have a key named ``fields``; it is a Struct only if
    ``fields`` is its sole key and every value under it is ``Value``-shaped.
    """
    if not _is_map(obj) or len(obj) != 1:
        return None
    fields = obj.get("fields")
    if not _is_map(fields):
        return None
    if all(_value_kind(value) is not None for value in fields.values()):
        return fields
    return None


def decode_struct(obj: object) -> JsonObject:
    """Read a protobuf ``Struct`` in any form as a plain ``dict``.

    A Node.js client-form Struct (``{"fields": {"k": {"stringValue": "v"}}}``)
    is decoded to ``{"k": "v"}``; a plain JSON object (REST form) is returned
    as it is; anything else gives ``{}``. Never raises, however deep the input.

    Example::

        >>> decode_struct({"fields": {"n": {"numberValue": 2, "kind": "numberValue"}}})
        {'n': 2.0}
    """
    fields = _struct_fields(obj)
    if fields is not None:
        return _decode_struct(fields)
    return _as_object(obj) or {}


# A slot to fill in a decoded container: (container, key or index, encoded Value).
_Slot: TypeAlias = tuple[dict[str, Any] | list[Any], Any, object]


def _decode_struct(fields: Mapping[str, object]) -> JsonObject:
    """Decode a Struct's ``fields`` without recursion, so depth cannot overflow the stack.

    Containers already decoded are remembered by identity, so a shared (or,
    from Python callers, cyclic) structure is decoded once and cannot loop.
    """
    todo: list[_Slot] = []
    memo: dict[int, Any] = {}
    root = _open_struct(fields, todo)
    memo[id(fields)] = root
    while todo:
        container, key, encoded = todo.pop()
        container[key] = _decode_value(encoded, todo, memo)
    return root


def _open_struct(fields: Mapping[str, object], todo: list[_Slot]) -> JsonObject:
    out: JsonObject = {}
    for key, value in fields.items():
        if isinstance(key, str):
            out[key] = None  # keep the key order; the value is filled in later
            todo.append((out, key, value))
    return out


def _decode_value(encoded: object, todo: list[_Slot], memo: dict[int, Any]) -> JsonValue:
    kind = _value_kind(encoded)
    if kind is None or not _is_map(encoded):
        # Not Value-shaped: a caller mixed plain JSON in; keep it as it is.
        return encoded
    value = encoded[kind]
    if kind == "stringValue" or kind == "boolValue":
        return value
    if kind == "nullValue":
        return None
    if kind == "numberValue":
        return _decode_number(value)
    if kind == "structValue":
        fields = _get(value, "fields")
        if not _is_map(fields):
            # protobufjs may drop an empty ``fields``; anything else is plain JSON.
            return _as_object(value) or {}
        if id(fields) not in memo:
            memo[id(fields)] = _open_struct(fields, todo)
        return memo[id(fields)]
    values = _get(value, "values")  # listValue
    if not isinstance(values, (list, tuple)):
        return []
    if id(values) not in memo:
        out: list[Any] = [None] * len(values)
        todo.extend((out, index, item) for index, item in enumerate(values))
        memo[id(values)] = out
    return memo[id(values)]


def _decode_number(value: object) -> JsonValue:
    if isinstance(value, (int, float)):
        return float(value)
    # proto3 JSON writes non-finite doubles as "NaN", "Infinity", "-Infinity".
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(str(value))
    return value


# --- response messages ------------------------------------------------------

# Message kinds this view reads, by their oneof member name.
_READ_MEMBERS = (
    "text",
    "quickReplies",
    "card",
    "basicCard",
    "payload",
    "simpleResponses",
    "suggestions",
)


def _is_default_platform(platform: object) -> bool:
    if platform is None:
        return True
    return platform in ("", "PLATFORM_UNSPECIFIED", 0) and not isinstance(platform, bool)


def _oneof_member(message: Mapping[str, object]) -> str | None:
    # The Node form names the set member; trust it when it points at a value.
    named = message.get("message")
    if named is None:
        # The common case, first: a REST message, "text" the first member read.
        if message.get("text") is not None:
            return "text"
    elif isinstance(named, str) and named and _get(message, named) is not None:
        return named
    for member in _READ_MEMBERS:
        if _get(message, member) is not None:
            return member
    return None


def _parse_message(message: Mapping[str, object]) -> list[DialogflowMessage]:
    member = _oneof_member(message)
    body = _get(message, member) if member else None
    parsed: list[DialogflowMessage] | None = None
    if member == "text":
        lines = _text_lines(_get(body, "text")) if _is_map(body) else None
        parsed = None if lines is None else [TextMessage(line) for line in lines]
    elif member == "payload":
        fields = _struct_fields(body)
        if fields is not None:
            parsed = [PayloadMessage(_decode_struct(fields))]
        elif (payload := _as_object(body)) is not None:
            parsed = [PayloadMessage(payload)]
    elif member == "quickReplies":
        replies = _quick_replies(body)
        parsed = [QuickRepliesMessage(replies)] if replies else None
    elif member == "card":
        card = _es_card(body)
        parsed = [CardMessage(card)] if card else None
    elif member == "basicCard":
        card = _basic_card(body)
        parsed = [CardMessage(card)] if card else None
    elif member == "simpleResponses":
        parsed = _simple_responses(body)
    elif member == "suggestions":
        titles = _labels(_get(body, "suggestions"), "title")
        parsed = [QuickRepliesMessage(QuickReplies(None, titles))] if titles else None
    if parsed is None:
        return [UnknownMessage(_as_object(message) or {})]
    return parsed


def _text_lines(obj: object) -> list[str] | None:
    if isinstance(obj, str):
        return [obj] if obj else []
    if isinstance(obj, (list, tuple)):
        return [line for line in obj if isinstance(line, str) and line]
    return None


def _labels(obj: object, key: str) -> tuple[str, ...]:
    """Collect the non-empty ``key`` strings of a list of objects."""
    return tuple(label for item in _items(obj) if (label := _text(_get(item, key))) is not None)


def _quick_replies(obj: object) -> QuickReplies | None:
    if not _is_map(obj):
        return None
    replies = tuple(r for r in _items(_get(obj, "quickReplies")) if isinstance(r, str) and r)
    return QuickReplies(_text(_get(obj, "title")), replies)


def _es_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    buttons = []
    for item in _items(_get(obj, "buttons")):
        text = _text(_get(item, "text"))
        if text is not None:
            buttons.append(CardButton(text, _text(_get(item, "postback"))))
    return Card(
        title=_text(_get(obj, "title")),
        subtitle=_text(_get(obj, "subtitle")),
        image_url=_text(_get(obj, "imageUri")),
        buttons=tuple(buttons),
    )


def _basic_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    buttons = []
    for item in _items(_get(obj, "buttons")):
        title = _text(_get(item, "title"))
        if title is not None:
            buttons.append(CardButton(title, _text(_get(_get(item, "openUriAction"), "uri"))))
    return Card(
        title=_text(_get(obj, "title")),
        subtitle=_text(_get(obj, "subtitle")) or _text(_get(obj, "formattedText")),
        image_url=_text(_get(_get(obj, "image"), "imageUri")),
        buttons=tuple(buttons),
    )


def _simple_responses(obj: object) -> list[DialogflowMessage] | None:
    if not _is_map(obj):
        return None
    return [TextMessage(line) for line in _simple_response_lines(obj)]


def _simple_response_lines(obj: object) -> list[str]:
    lines = []
    for item in _items(_get(obj, "simpleResponses")):
        text = _text(_get(item, "displayText")) or _text(_get(item, "textToSpeech"))
        if text is not None:
            lines.append(text)
    return lines


# --- rich content inside custom payloads ------------------------------------


def _rich_content_groups(payload: JsonObject) -> Iterator[list[object] | tuple[object, ...]]:
    """Dialogflow Messenger ``richContent``: a list of cards, each a list of items."""
    for group in _items(payload.get("richContent")):
        # Tolerate a flat list of items as well as the documented list of lists.
        yield group if isinstance(group, (list, tuple)) else (group,)


def _botcopy_items(payload: JsonObject) -> Iterator[Mapping[str, object]]:
    """Botcopy's own rich responses: ``{"botcopy": [{"suggestions": ...}, ...]}``."""
    for item in _items(payload.get("botcopy")):
        if _is_map(item):
            yield item


def _payload_quick_replies(payload: JsonObject) -> list[QuickReplies]:
    out = []
    for group in _rich_content_groups(payload):
        for item in group:
            if _get(item, "type") == "chips":
                replies = _labels(_get(item, "options"), "text")
                if replies:
                    out.append(QuickReplies(None, replies))
    for item in _botcopy_items(payload):
        replies = _labels(item.get("suggestions"), "title")
        if replies:
            out.append(QuickReplies(None, replies))
    return out


def _payload_cards(payload: JsonObject) -> list[Card]:
    out: list[Card] = []
    for group in _rich_content_groups(payload):
        card: Card | None = None
        for item in group:
            kind = _get(item, "type")
            if kind == "info":
                card = _info_card(item)
                out.append(card)
            elif kind == "description":
                card = _description_card(item)
                out.append(card)
            elif kind == "button" and (button := _rich_button(item)) is not None:
                # A button item belongs to the card it follows in the same group.
                if card is None:
                    card = Card(None, None, None, (button,))
                    out.append(card)
                else:
                    out[-1] = card = dataclasses.replace(card, buttons=(*card.buttons, button))
    for item in _botcopy_items(payload):
        single = _botcopy_card(item.get("card"))
        if single is not None:
            out.append(single)
        for entry in _items(item.get("carousel")):
            carousel_card = _botcopy_card(entry)
            if carousel_card is not None:
                out.append(carousel_card)
    return out


def _info_card(item: object) -> Card:
    title = _text(_get(item, "title"))
    link = _text(_get(item, "actionLink"))
    # The whole info card is a link; show it as the card's one button.
    buttons = (CardButton(title or link, link),) if link else ()
    return Card(
        title=title,
        subtitle=_text(_get(item, "subtitle")),
        image_url=_text(_get(_get(_get(item, "image"), "src"), "rawUrl")),
        buttons=buttons,
    )


def _description_card(item: object) -> Card:
    lines = _text_lines(_get(item, "text")) or []
    return Card(
        title=_text(_get(item, "title")),
        subtitle="\n".join(lines) or None,
        image_url=None,
        buttons=(),
    )


def _rich_button(item: object) -> CardButton | None:
    text = _text(_get(item, "text"))
    if text is None:
        return None
    postback = _text(_get(item, "link")) or _text(_get(_get(item, "event"), "name"))
    return CardButton(text, postback)


def _botcopy_action(action: object) -> str | None:
    """Where a Botcopy ``action`` leads: a link's URL or a message's command."""
    return _text(_get(_get(action, "link"), "url")) or _text(
        _get(_get(action, "message"), "command")
    )


def _botcopy_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    title = _text(obj.get("title"))
    action = obj.get("action")
    buttons = []
    for item in _items(_get(action, "buttons")):
        label = _text(_get(item, "title"))
        if label is not None:
            buttons.append(CardButton(label, _botcopy_action(_get(item, "action")) or label))
    target = _botcopy_action(action)
    if not buttons and target is not None:
        # The card itself is the button; its message command defaults to the title.
        buttons.append(CardButton(title or target, target))
    elif not buttons and isinstance(_get(action, "message"), Mapping) and title:
        buttons.append(CardButton(title, title))
    return Card(
        title=title,
        subtitle=_text(obj.get("subtitle")) or _text(obj.get("body")),
        image_url=_text(_get(obj.get("image"), "url")),
        buttons=tuple(buttons),
    )
