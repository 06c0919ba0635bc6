"""Typed models for every payload Botcopy sends or accepts.

* `webhook` — the two webhook bodies.
* `history` — message-history items.
* `dialogflow` — views over detectIntent responses.
* `replies` — what the webhook answers.
* `push` — events for the push endpoint.
"""

from botcopy_handover.models._base import BotPlatform, Timestamp
from botcopy_handover.models.dialogflow import (
    Card,
    CardButton,
    CardMessage,
    DialogflowMessage,
    DialogflowResponse,
    OutputContext,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
    TextMessage,
    UnknownMessage,
)
from botcopy_handover.models.history import (
    AgentMessage,
    BotResponse,
    CustomerEvent,
    CustomerQuery,
    CustomerToAgentMessage,
    HistoryItem,
    HistoryKind,
    UnknownHistoryItem,
)
from botcopy_handover.models.push import (
    EventType,
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
    parse_push_event,
)
from botcopy_handover.models.replies import (
    DEFAULT_MINUTES_PAUSED,
    MAX_MINUTES_PAUSED,
    Continue,
    End,
    Pause,
    Reply,
    parse_reply,
)
from botcopy_handover.models.webhook import (
    CustomerMessage,
    HandoverRequest,
    QueryInput,
    QueryParams,
    TextInput,
    WebhookEvent,
)

__all__ = [
    # webhook bodies
    "CustomerMessage",
    "HandoverRequest",
    "QueryInput",
    "QueryParams",
    "TextInput",
    "WebhookEvent",
    # history
    "AgentMessage",
    "BotResponse",
    "CustomerEvent",
    "CustomerQuery",
    "CustomerToAgentMessage",
    "HistoryItem",
    "HistoryKind",
    "UnknownHistoryItem",
    "BotPlatform",
    "Timestamp",
    # dialogflow
    "Card",
    "CardButton",
    "CardMessage",
    "DialogflowMessage",
    "DialogflowResponse",
    "OutputContext",
    "PayloadMessage",
    "QuickReplies",
    "QuickRepliesMessage",
    "TextMessage",
    "UnknownMessage",
    # replies
    "DEFAULT_MINUTES_PAUSED",
    "MAX_MINUTES_PAUSED",
    "Continue",
    "End",
    "Pause",
    "Reply",
    "parse_reply",
    # push events
    "EventType",
    "MessageEvent",
    "PauseEvent",
    "PushEvent",
    "ResumeEvent",
    "TypingEvent",
    "parse_push_event",
]
