"""botcopy-handover: connect a Botcopy chatbot to a human live-chat desk.

The public API lives here; everything else is private (``_name``) or in the
named subpackages: ``models``, ``webhook``, ``client``, ``state``,
``outbox``, ``testing``, ``cli``.

    >>> from botcopy_handover import parse_webhook, HandoverRequest, Pause, Client
"""

from typing import TYPE_CHECKING, Any

from botcopy_handover._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BotcopyError,
    ConfigurationError,
    EmulatorTimeoutError,
    ErrorDetail,
    HandlerError,
    InvalidEventError,
    InvalidPayloadError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    RateLimitError,
    StoreError,
    StoreUnavailableError,
    UnsupportedMediaTypeError,
    WebhookAuthenticationError,
    WebhookError,
)
from botcopy_handover._version import __version__
from botcopy_handover.client import (
    AsyncClient,
    AsyncConversation,
    AsyncTypingKeepalive,
    Client,
    Conversation,
    PushResult,
    RetryPolicy,
    TypingKeepalive,
)
from botcopy_handover.models import (
    DEFAULT_MINUTES_PAUSED,
    AgentMessage,
    BotPlatform,
    BotResponse,
    Card,
    CardButton,
    Continue,
    CustomerEvent,
    CustomerMessage,
    CustomerQuery,
    CustomerToAgentMessage,
    DialogflowMessage,
    DialogflowResponse,
    End,
    HandoverRequest,
    HistoryItem,
    MessageEvent,
    OutputContext,
    Pause,
    PauseEvent,
    PushEvent,
    QuickReplies,
    Reply,
    ResumeEvent,
    TypingEvent,
    UnknownHistoryItem,
    WebhookEvent,
    parse_push_event,
    parse_reply,
)
from botcopy_handover.outbox import (
    AsyncOutbox,
    ChatEndedError,
    DeliveryExpiredError,
    MemoryQueue,
    Outbox,
    OutboxError,
    OutboxFailure,
    OutboxReceipt,
    PushInterruptedError,
)
from botcopy_handover.state import (
    AsyncConversationStore,
    AsyncDeduplicator,
    AsyncExpiryWatcher,
    ConversationState,
    ConversationStore,
    Deduplicator,
    ExpiryNotice,
    ExpiryWatcher,
    MemoryStore,
    body_fingerprint,
)
from botcopy_handover.transcript import TranscriptFormat, render_transcript
from botcopy_handover.webhook import (
    ASGIApp,
    Webhook,
    WebhookEndpoint,
    WebhookResponse,
    WSGIApp,
    parse_webhook,
)

if TYPE_CHECKING:
    from botcopy_handover.outbox.redis import AsyncRedisQueue, RedisQueue
    from botcopy_handover.state.redis import AsyncRedisStore, RedisStore

__all__ = [
    "__version__",
    # receiving webhooks
    "Webhook",
    "WebhookEndpoint",
    "WebhookResponse",
    "ASGIApp",
    "WSGIApp",
    # parsing
    "parse_webhook",
    "parse_reply",
    "parse_push_event",
    # webhook bodies
    "HandoverRequest",
    "CustomerMessage",
    "WebhookEvent",
    # message history
    "HistoryItem",
    "CustomerQuery",
    "CustomerEvent",
    "BotResponse",
    "AgentMessage",
    "CustomerToAgentMessage",
    "UnknownHistoryItem",
    "BotPlatform",
    # dialogflow views
    "DialogflowResponse",
    "DialogflowMessage",
    "OutputContext",
    "QuickReplies",
    "Card",
    "CardButton",
    # webhook replies
    "Reply",
    "Pause",
    "Continue",
    "End",
    "DEFAULT_MINUTES_PAUSED",
    # push events
    "PushEvent",
    "MessageEvent",
    "PauseEvent",
    "ResumeEvent",
    "TypingEvent",
    # push client
    "Client",
    "AsyncClient",
    "Conversation",
    "AsyncConversation",
    "PushResult",
    "RetryPolicy",
    "TypingKeepalive",
    "AsyncTypingKeepalive",
    # conversation state (RedisStore/AsyncRedisStore import redis-py on first use)
    "ConversationState",
    "ConversationStore",
    "AsyncConversationStore",
    "MemoryStore",
    "RedisStore",
    "AsyncRedisStore",
    "ExpiryWatcher",
    "AsyncExpiryWatcher",
    "ExpiryNotice",
    "Deduplicator",
    "AsyncDeduplicator",
    "body_fingerprint",
    # the durable outbox (RedisQueue/AsyncRedisQueue import redis-py on first use)
    "Outbox",
    "AsyncOutbox",
    "OutboxFailure",
    "OutboxReceipt",
    "MemoryQueue",
    "RedisQueue",
    "AsyncRedisQueue",
    # transcripts for agents
    "render_transcript",
    "TranscriptFormat",
    # errors
    "BotcopyError",
    "ConfigurationError",
    "EmulatorTimeoutError",
    "ErrorDetail",
    "InvalidEventError",
    "WebhookError",
    "WebhookAuthenticationError",
    "InvalidPayloadError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "MethodNotAllowedError",
    "HandlerError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "AuthenticationError",
    "RateLimitError",
    "StoreError",
    "StoreUnavailableError",
    "OutboxError",
    "ChatEndedError",
    "DeliveryExpiredError",
    "PushInterruptedError",
]


def __getattr__(name: str) -> Any:
    # The Redis stores import redis-py, an optional extra: only when asked for.
    if name in ("RedisStore", "AsyncRedisStore"):
        from botcopy_handover.state import redis as _redis

        return getattr(_redis, name)
    if name in ("RedisQueue", "AsyncRedisQueue"):
        from botcopy_handover.outbox import redis as _outbox_redis

        return getattr(_outbox_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
