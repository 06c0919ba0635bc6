"""The view: ``DialogflowResponse``, computed lazily over the raw response."""

from __future__ import annotations

from collections.abc import Mapping

from botcopy_handover.models._base import BotPlatform
from botcopy_handover.models.dialogflow._json import (
    _as_object,
    _cached,
    _get,
    _integer,
    _is_map,
    _items,
    _last_segment,
    _mapping,
    _number,
    _snake,
    _text,
    _truthy,
)
from botcopy_handover.models.dialogflow._messages import (
    _is_default_platform,
    _oneof_member,
    _parse_message,
    _payload_cards,
    _payload_quick_replies,
    _simple_response_lines,
    _text_lines,
)
from botcopy_handover.models.dialogflow._struct import decode_struct
from botcopy_handover.models.dialogflow._values import (
    DEFAULT_CX_TRIGGER,
    Card,
    CardMessage,
    DialogflowMessage,
    JsonObject,
    JsonValue,
    OutputContext,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
)

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
        # (only ``.get`` with string keys ever reads it). The REST form, the
        # commonest, is read without a helper call.
        result: object
        if type(raw) is dict and type(result := raw.get("queryResult")) is dict:
            received: JsonObject | None = raw
        else:
            received = raw if type(raw) is dict else _as_object(raw)
            result = _get(received, "queryResult")
        self.raw: JsonObject = {} if received is None else received
        """The response as received."""
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
        # One loop, no helper calls per message: this runs on every read of
        # ``texts``. ``_query_result`` is always a mapping.
        result = self._query_result
        es: list[Mapping[str, object]] = []
        named_platform = False
        listed = result.get("fulfillmentMessages")
        if listed is None:
            listed = result.get("fulfillment_messages")
        if isinstance(listed, (list, tuple)):
            for m in listed:
                if type(m) is dict or isinstance(m, Mapping):
                    es.append(m)
                    if m.get("platform") is not None:
                        named_platform = True
        chosen = es
        if named_platform:
            chosen = [m for m in es if _is_default_platform(m.get("platform"))] or es
        cx = result.get("responseMessages")
        if cx is None:
            cx = result.get("response_messages")
        if cx:
            chosen.extend(m for m in _items(cx) if _is_map(m))
        return chosen

    @_cached
    def messages(self) -> tuple[DialogflowMessage, ...]:
        """Every response message, in order, typed.

        ES messages meant for a named platform (``FACEBOOK``, ``SLACK``, ...)
        usually repeat the default ones, so when any message has no platform
        only those are kept; otherwise all are. A text message with several
        lines gives one `TextMessage` per line; empty lines are dropped.
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
        # message: this is the question nearly every proxy asks. First the
        # form nearly every ES response takes (REST JSON, no platforms, no CX
        # messages) in one loop; anything else, the general reading below.
        result = self._query_result
        listed = result.get("fulfillmentMessages")
        if (
            type(listed) is list
            and result.get("responseMessages") is None
            and result.get("response_messages") is None
            and (lines := _rest_text_lines(listed)) is not None
        ):
            return tuple(lines) if lines else self._or_fulfillment_text(lines)
        return self._general_texts()

    def _general_texts(self) -> tuple[str, ...]:
        """``texts`` read in every form (REST, snake_case, protobuf, CX, platforms)."""
        texts: list[str] = []
        for message in self._raw_messages:
            if type(message) is dict and "message" not in message:
                # A REST message: "text" is the first member read, and a
                # message of another kind holds lines only as simpleResponses.
                body = message.get("text")
                if body is not None:
                    if _is_map(body) and (lines := _text_lines(body.get("text"))):
                        texts.extend(lines)
                    continue
                if "simpleResponses" not in message and "simple_responses" not in message:
                    continue
            member = _oneof_member(message)
            if member == "text":
                body = message.get("text")
                if _is_map(body) and (lines := _text_lines(body.get("text"))):
                    texts.extend(lines)
            elif member == "simpleResponses":
                texts.extend(_simple_response_lines(_get(message, member)))
        return self._or_fulfillment_text(texts)

    def _or_fulfillment_text(self, lines: list[str]) -> tuple[str, ...]:
        """``lines``, or ES ``fulfillmentText`` when no message held a line."""
        if lines:
            return tuple(lines)
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


_MARKER_BITS = _marker_bits()


def _rest_text_lines(listed: list[object]) -> list[str] | None:
    """The text lines of ES messages in the plain REST form; ``None``: not that form.

    Gives exactly what ``_general_texts`` gives for such messages (each a
    ``dict`` with no ``message`` wrapper, no ``platform`` and no simple
    responses), in one loop with no calls per message.
    """
    lines: list[str] = []
    for message in listed:
        if type(message) is not dict or "message" in message or message.get("platform") is not None:
            return None
        body = message.get("text")
        if body is None:
            if "simpleResponses" in message or "simple_responses" in message:
                return None
            continue
        if type(body) is not dict:
            return None
        text = body.get("text")
        if type(text) is list:
            for line in text:
                if isinstance(line, str) and line:
                    lines.append(line)
        elif type(text) is str:
            if text:
                lines.append(text)
        elif text is not None:
            return None
    return lines
