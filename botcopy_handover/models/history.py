"""Message-history items: the conversation so far, sent with a handover.

Botcopy sends five kinds of item, told apart by ``direction`` and the shape of
``payload`` (see the spec's "Message History")::

    direction  payload has                 class
    in         query                       CustomerQuery           customer text to the bot
    in         event{name, data}           CustomerEvent           event sent to Dialogflow
    out        queryResult                 BotResponse             Dialogflow's reply
    out        text                        AgentMessage            live agent to customer
    out        query                       CustomerToAgentMessage  customer to live agent
    anything else                          UnknownHistoryItem      kept raw, never dropped

When an ``out`` payload fits more than one row, the earlier row wins. The kinds
are resolved inside pydantic-core (a tagged union on ``direction``, then a
left-to-right union on payload shape) so a long history parses at the speed of
the JSON decoder; only items that fit no kind take the slow path.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationError,
    model_validator,
    with_config,
)
from pydantic_core import core_schema
from typing_extensions import Required, TypedDict

from botcopy_handover.models._base import DEFERRED, BotPlatform, Timestamp, ValidateAs, WireModel
from botcopy_handover.models.dialogflow import DialogflowResponse

__all__ = [
    "AgentMessage",
    "BotResponse",
    "CustomerEvent",
    "CustomerQuery",
    "CustomerToAgentMessage",
    "HistoryItem",
    "HistoryKind",
    "UnknownHistoryItem",
]

HistoryKind = Literal[
    "customer_query",
    "customer_event",
    "bot_response",
    "agent_message",
    "customer_to_agent",
    "unknown",
]
"""The ``kind`` tag every history item carries, for ``match`` and serialisers."""

_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp, config=DEFERRED)

# Payloads are TypedDicts: pydantic-core checks the keys that tell the kinds
# apart and hands back plain dicts, with unknown keys kept.
_OPEN = ConfigDict(extra="allow")


@with_config(_OPEN)
class _QueryFields(TypedDict, total=False):
    query: Required[str]
    lang: str
    sessionId: str
    queryParameters: dict[str, Any]


@with_config(_OPEN)
class _NestedQueryPayload(TypedDict, total=False):
    # The document's own JSON nests the query fields one level down, under
    # ``queryParameters``; real traffic has been seen both ways.
    queryParameters: Required[_QueryFields]


@with_config(_OPEN)
class _EventInput(TypedDict, total=False):
    name: Required[str]
    data: dict[str, Any] | None


@with_config(_OPEN)
class _EventPayload(TypedDict, total=False):
    event: Required[_EventInput]
    lang: str
    sessionId: str
    queryParameters: dict[str, Any]


@with_config(_OPEN)
class _DetectIntentPayload(TypedDict, total=False):
    queryResult: Required[dict[str, Any]]


@with_config(_OPEN)
class _AgentPayload(TypedDict, total=False):
    text: Required[str]


# Customer-to-agent text has the same flat shape as a customer query.
_CustomerToAgentPayload = _QueryFields


class _HistoryItemBase(WireModel):
    """Fields every typed history item has."""

    kind: ClassVar[HistoryKind]

    id: str = Field(alias="_id")
    """The item's id (``_id`` on the wire)."""
    bot_platform: Annotated[BotPlatform | str, Field(union_mode="left_to_right")]
    """``BotPlatform.DIALOGFLOW_ES``/``DIALOGFLOW_CX``, or the raw string if unknown."""
    created_at: Timestamp
    """When Botcopy stored the item, timezone-aware."""


def _query_fields(payload: dict[str, Any]) -> dict[str, Any]:
    if "query" in payload:
        return payload
    nested: dict[str, Any] = payload["queryParameters"]
    return nested


class CustomerQuery(_HistoryItemBase):
    """Text the customer sent to the bot (forwarded to Dialogflow)."""

    kind: ClassVar[HistoryKind] = "customer_query"
    direction: Literal["in"]
    payload: Annotated[
        dict[str, Any],
        ValidateAs(
            Annotated[_QueryFields | _NestedQueryPayload, Field(union_mode="left_to_right")]
        ),
    ]
    """The payload as sent, in either of the two nestings Botcopy uses."""

    @property
    def text(self) -> str:
        """What the customer typed."""
        text: str = _query_fields(self.payload)["query"]
        return text

    @property
    def language_code(self) -> str | None:
        """The customer's language code, e.g. ``en``."""
        return _query_fields(self.payload).get("lang")

    @property
    def session_id(self) -> str | None:
        """The Dialogflow session id."""
        return _query_fields(self.payload).get("sessionId")

    @property
    def query_parameters(self) -> dict[str, Any]:
        """The query parameters sent to detectIntent."""
        return _query_fields(self.payload).get("queryParameters") or {}


class CustomerEvent(_HistoryItemBase):
    """An event sent to Dialogflow on the customer's behalf (a button, a welcome event)."""

    kind: ClassVar[HistoryKind] = "customer_event"
    direction: Literal["in"]
    payload: Annotated[dict[str, Any], ValidateAs(_EventPayload)]
    """The payload as sent: ``event{name, data}``, ``lang``, ``sessionId``, ..."""

    @property
    def event_name(self) -> str:
        """The Dialogflow event name."""
        name: str = self.payload["event"]["name"]
        return name

    @property
    def event_data(self) -> dict[str, Any]:
        """The event's data (``event.data``), empty if none."""
        return self.payload["event"].get("data") or {}

    @property
    def language_code(self) -> str | None:
        """The customer's language code, e.g. ``en``."""
        return self.payload.get("lang")

    @property
    def session_id(self) -> str | None:
        """The Dialogflow session id."""
        return self.payload.get("sessionId")


class BotResponse(_HistoryItemBase):
    """Dialogflow's detectIntent response, as the bot answered the customer."""

    kind: ClassVar[HistoryKind] = "bot_response"
    direction: Literal["out"]
    payload: Annotated[dict[str, Any], ValidateAs(_DetectIntentPayload)]
    """The detectIntent response, unchanged (REST JSON or Node.js client form)."""

    @cached_property
    def dialogflow(self) -> DialogflowResponse:
        """A typed view of the response: texts, quick replies, cards, intent, ..."""
        return DialogflowResponse(self.payload)

    @property
    def texts(self) -> tuple[str, ...]:
        """What the bot said, as text lines."""
        return self.dialogflow.texts


class AgentMessage(_HistoryItemBase):
    """Text a live agent sent to the customer."""

    kind: ClassVar[HistoryKind] = "agent_message"
    direction: Literal["out"]
    payload: Annotated[dict[str, Any], ValidateAs(_AgentPayload)]
    """The payload as sent: ``{"text": ...}``."""

    @property
    def text(self) -> str:
        """The agent's message."""
        text: str = self.payload["text"]
        return text


class CustomerToAgentMessage(_HistoryItemBase):
    """Text the customer sent to a live agent while the bot was paused.

    The spec documents ``direction: out`` for this kind (payload shaped like a
    Step Two ``queryParams``); an ``in`` item of this shape reads as a
    [`CustomerQuery`][botcopy_handover.CustomerQuery], as the two cannot be told apart.
    """

    kind: ClassVar[HistoryKind] = "customer_to_agent"
    direction: Literal["out"]
    payload: Annotated[dict[str, Any], ValidateAs(_CustomerToAgentPayload)]
    """The payload as sent: ``query``, ``lang``, ``sessionId``, ``queryParameters``."""

    @property
    def text(self) -> str:
        """What the customer wrote to the agent."""
        text: str = self.payload["query"]
        return text

    @property
    def language_code(self) -> str | None:
        """The customer's language code, e.g. ``en``."""
        return self.payload.get("lang")

    @property
    def session_id(self) -> str | None:
        """The Dialogflow session id."""
        return self.payload.get("sessionId")


class UnknownHistoryItem(WireModel):
    """A history item that fits none of the known kinds, kept whole.

    One odd item never fails a webhook: it lands here with its raw data, and
    the common fields are read from it where they are present and well-formed.
    """

    kind: ClassVar[HistoryKind] = "unknown"
    raw: Any
    """The item exactly as decoded from JSON (usually a dict)."""

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> dict[str, Any]:
        return {"raw": data}

    def _get(self, key: str) -> Any:
        return self.raw.get(key) if isinstance(self.raw, dict) else None

    @property
    def id(self) -> str | None:
        """The item's ``_id``, if it is a string."""
        value = self._get("_id")
        return value if isinstance(value, str) else None

    @property
    def direction(self) -> str | None:
        """The item's ``direction``, if it is a string."""
        value = self._get("direction")
        return value if isinstance(value, str) else None

    @property
    def bot_platform(self) -> BotPlatform | str | None:
        """The item's ``botPlatform``, if it is a string."""
        value = self._get("botPlatform")
        if not isinstance(value, str):
            return None
        try:
            return BotPlatform(value)
        except ValueError:
            return value

    @property
    def created_at(self) -> datetime | None:
        """The item's ``createdAt``, if it is a readable timestamp."""
        value = self._get("createdAt")
        if not isinstance(value, str):
            return None
        try:
            return _TIMESTAMP.validate_python(value)
        except ValidationError:
            return None

    @property
    def payload(self) -> Any:
        """The item's ``payload``, whatever it is."""
        return self._get("payload")


_InItem = Annotated[CustomerQuery | CustomerEvent, Field(union_mode="left_to_right")]
_OutItem = Annotated[
    BotResponse | AgentMessage | CustomerToAgentMessage, Field(union_mode="left_to_right")
]


class _ByDirection:
    """Pick the ``in`` or ``out`` union by the item's ``direction``, in pydantic-core.

    pydantic's own ``Discriminator("direction")`` refuses nested unions whose
    members share a tag value, so the tagged-union schema is built by hand.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.tagged_union_schema(
            {"in": handler.generate_schema(_InItem), "out": handler.generate_schema(_OutItem)},
            discriminator="direction",
        )


_KnownItem = Annotated[
    CustomerQuery | CustomerEvent | BotResponse | AgentMessage | CustomerToAgentMessage,
    _ByDirection(),
]

HistoryItem = Annotated[
    _KnownItem | UnknownHistoryItem,
    Field(union_mode="left_to_right"),
]
"""Any message-history item: one of the five kinds, or [`UnknownHistoryItem`][botcopy_handover.UnknownHistoryItem]."""  # noqa: E501 - a link in the summary
