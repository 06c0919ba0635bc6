"""botcopy-handover: connect a Botcopy chatbot to a human live-chat desk.

The public API lives here; everything else is private (``_name``) or in the
named subpackages: ``models``, ``webhook``, ``client``, ``state``,
``outbox``, ``testing``, ``cli``.

    >>> from botcopy_handover import parse_webhook, HandoverRequest, Pause, Client

Names are imported on first use (PEP 562), so ``import botcopy_handover``
costs about what importing httpx and pydantic does, and a proxy that only
receives webhooks never imports the push client, asyncio or the state layer.
"""

import typing as _typing

from botcopy_handover._version import __version__

if _typing.TYPE_CHECKING:
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
        LengthRequiredError,
        MethodNotAllowedError,
        MissingDependencyError,
        PayloadTooLargeError,
        RateLimitError,
        StoreError,
        StoreUnavailableError,
        UnsupportedMediaTypeError,
        WebhookAuthenticationError,
        WebhookError,
    )
    from botcopy_handover.client import (
        AsyncClient,
        AsyncConversation,
        AsyncTypingKeepalive,
        Client,
        Conversation,
        PushResult,
        RedactingFilter,
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
    from botcopy_handover.outbox.redis import AsyncRedisQueue, RedisQueue
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
    from botcopy_handover.state.redis import (
        AsyncRedisStore,
        RedisStore,
    )
    from botcopy_handover.transcript import (
        TranscriptFormat,
        render_transcript,
    )
    from botcopy_handover.webhook import (
        ASGIApp,
        AsyncHandlerContext,
        HandlerContext,
        Webhook,
        WebhookEndpoint,
        WebhookResponse,
        WSGIApp,
        parse_webhook,
    )

__all__ = [
    "__version__",
    # receiving webhooks
    "Webhook",
    "WebhookEndpoint",
    "WebhookResponse",
    "AsyncHandlerContext",
    "HandlerContext",
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
    "RedactingFilter",
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
    "LengthRequiredError",
    "MissingDependencyError",
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

# Where each public name lives, for the lazy import below; a test checks it
# against the imports above, which are what type checkers read.
_SOURCES: dict[str, str] = {
    "AsyncOutbox": "botcopy_handover.outbox",
    "ChatEndedError": "botcopy_handover.outbox",
    "DeliveryExpiredError": "botcopy_handover.outbox",
    "MemoryQueue": "botcopy_handover.outbox",
    "Outbox": "botcopy_handover.outbox",
    "OutboxError": "botcopy_handover.outbox",
    "OutboxFailure": "botcopy_handover.outbox",
    "OutboxReceipt": "botcopy_handover.outbox",
    "PushInterruptedError": "botcopy_handover.outbox",
    "AsyncRedisQueue": "botcopy_handover.outbox.redis",
    "RedisQueue": "botcopy_handover.outbox.redis",
    "APIConnectionError": "botcopy_handover._errors",
    "APIError": "botcopy_handover._errors",
    "APIStatusError": "botcopy_handover._errors",
    "APITimeoutError": "botcopy_handover._errors",
    "AuthenticationError": "botcopy_handover._errors",
    "BotcopyError": "botcopy_handover._errors",
    "ConfigurationError": "botcopy_handover._errors",
    "EmulatorTimeoutError": "botcopy_handover._errors",
    "ErrorDetail": "botcopy_handover._errors",
    "HandlerError": "botcopy_handover._errors",
    "InvalidEventError": "botcopy_handover._errors",
    "InvalidPayloadError": "botcopy_handover._errors",
    "LengthRequiredError": "botcopy_handover._errors",
    "MissingDependencyError": "botcopy_handover._errors",
    "MethodNotAllowedError": "botcopy_handover._errors",
    "PayloadTooLargeError": "botcopy_handover._errors",
    "RateLimitError": "botcopy_handover._errors",
    "StoreError": "botcopy_handover._errors",
    "StoreUnavailableError": "botcopy_handover._errors",
    "UnsupportedMediaTypeError": "botcopy_handover._errors",
    "WebhookAuthenticationError": "botcopy_handover._errors",
    "WebhookError": "botcopy_handover._errors",
    "AsyncClient": "botcopy_handover.client",
    "AsyncConversation": "botcopy_handover.client",
    "AsyncTypingKeepalive": "botcopy_handover.client",
    "Client": "botcopy_handover.client",
    "Conversation": "botcopy_handover.client",
    "PushResult": "botcopy_handover.client",
    "RedactingFilter": "botcopy_handover.client",
    "RetryPolicy": "botcopy_handover.client",
    "TypingKeepalive": "botcopy_handover.client",
    "DEFAULT_MINUTES_PAUSED": "botcopy_handover.models",
    "AgentMessage": "botcopy_handover.models",
    "BotPlatform": "botcopy_handover.models",
    "BotResponse": "botcopy_handover.models",
    "Card": "botcopy_handover.models",
    "CardButton": "botcopy_handover.models",
    "Continue": "botcopy_handover.models",
    "CustomerEvent": "botcopy_handover.models",
    "CustomerMessage": "botcopy_handover.models",
    "CustomerQuery": "botcopy_handover.models",
    "CustomerToAgentMessage": "botcopy_handover.models",
    "DialogflowMessage": "botcopy_handover.models",
    "DialogflowResponse": "botcopy_handover.models",
    "End": "botcopy_handover.models",
    "HandoverRequest": "botcopy_handover.models",
    "HistoryItem": "botcopy_handover.models",
    "MessageEvent": "botcopy_handover.models",
    "OutputContext": "botcopy_handover.models",
    "Pause": "botcopy_handover.models",
    "PauseEvent": "botcopy_handover.models",
    "PushEvent": "botcopy_handover.models",
    "QuickReplies": "botcopy_handover.models",
    "Reply": "botcopy_handover.models",
    "ResumeEvent": "botcopy_handover.models",
    "TypingEvent": "botcopy_handover.models",
    "UnknownHistoryItem": "botcopy_handover.models",
    "WebhookEvent": "botcopy_handover.models",
    "parse_push_event": "botcopy_handover.models",
    "parse_reply": "botcopy_handover.models",
    "AsyncConversationStore": "botcopy_handover.state",
    "AsyncDeduplicator": "botcopy_handover.state",
    "AsyncExpiryWatcher": "botcopy_handover.state",
    "ConversationState": "botcopy_handover.state",
    "ConversationStore": "botcopy_handover.state",
    "Deduplicator": "botcopy_handover.state",
    "ExpiryNotice": "botcopy_handover.state",
    "ExpiryWatcher": "botcopy_handover.state",
    "MemoryStore": "botcopy_handover.state",
    "body_fingerprint": "botcopy_handover.state",
    "TranscriptFormat": "botcopy_handover.transcript",
    "render_transcript": "botcopy_handover.transcript",
    "ASGIApp": "botcopy_handover.webhook",
    "AsyncHandlerContext": "botcopy_handover.webhook",
    "HandlerContext": "botcopy_handover.webhook",
    "Webhook": "botcopy_handover.webhook",
    "WebhookEndpoint": "botcopy_handover.webhook",
    "WebhookResponse": "botcopy_handover.webhook",
    "WSGIApp": "botcopy_handover.webhook",
    "parse_webhook": "botcopy_handover.webhook",
    "AsyncRedisStore": "botcopy_handover.state.redis",
    "RedisStore": "botcopy_handover.state.redis",
}


def _load(name: str) -> object:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


if not _typing.TYPE_CHECKING:
    # Hidden from type checkers, so a misspelt name is an error for them, not Any.
    __getattr__ = _load


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
