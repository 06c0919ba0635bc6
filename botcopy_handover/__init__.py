"""botcopy-handover: connect a Botcopy chatbot to a human live-chat desk.

The root holds what an ordinary proxy writes: receiving and parsing a webhook
call, the models it reads and matches on, the replies and push events it
builds, the clients that push them, the store and outbox it picks,
transcripts, and the errors it catches. Tools for tuning or extending the SDK
live in the subpackages that own them: ``webhook`` (the serving core and
adapters), ``client`` (retry policy, results, keepalives, log filter),
``state`` (store protocols, expiry watchers, deduplication), ``outbox``
(failures, receipts, queue protocols), ``models`` (every model and parser),
``testing`` (request builders, the emulator), ``cli`` and ``console``.

    >>> from botcopy_handover import parse_webhook, HandoverRequest, Pause, Client

Names are imported on first use (PEP 562), so ``import botcopy_handover``
costs about what importing httpx and pydantic does, and a proxy that only
receives webhooks never imports the push client, asyncio or the state layer.
"""

import typing as _typing

from botcopy_handover._lazy import install as _install
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
        ErrorDetail,
        InvalidEventError,
        InvalidPayloadError,
        MissingDependencyError,
        PayloadTooLargeError,
        RateLimitError,
        StoreError,
        StoreUnavailableError,
        WebhookAuthenticationError,
        WebhookError,
    )
    from botcopy_handover.client import (
        AsyncClient,
        AsyncConversation,
        Client,
        Conversation,
    )
    from botcopy_handover.models import (
        AgentMessage,
        BotPlatform,
        BotResponse,
        Card,
        CardButton,
        CardMessage,
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
        PayloadMessage,
        PushEvent,
        QuickReplies,
        QuickRepliesMessage,
        Reply,
        ResumeEvent,
        TextMessage,
        TypingEvent,
        UnknownHistoryItem,
        UnknownMessage,
        WebhookEvent,
    )
    from botcopy_handover.outbox import (
        AsyncOutbox,
        MemoryQueue,
        Outbox,
    )
    from botcopy_handover.outbox.redis import (
        AsyncRedisQueue,
        RedisQueue,
    )
    from botcopy_handover.state import (
        MemoryStore,
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
        AsyncHandlerContext,
        HandlerContext,
        Webhook,
        parse_webhook,
    )

# The rule for this list (also on the "API reference" page of the docs): a name
# is here if an ordinary proxy writes it -- constructs it, matches on it,
# annotates a handler with it, or catches it. Names for tuning or extending
# the SDK (the endpoint core and adapter apps, store protocols, watchers and
# their notices, dedupers, retry policies, push results, outbox failures,
# HTTP-level request errors) are public in their subpackage's __all__ only,
# and test-only names in botcopy_handover.testing. tests/test_exported_members.py
# keeps every package's __all__ and namespace in step.
__all__ = [
    "__version__",
    # receiving webhooks
    "Webhook",
    "parse_webhook",
    "HandlerContext",
    "AsyncHandlerContext",
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
    # dialogflow views: match on the DialogflowMessage members
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
    # webhook replies
    "Reply",
    "Pause",
    "Continue",
    "End",
    # push events
    "PushEvent",
    "MessageEvent",
    "PauseEvent",
    "ResumeEvent",
    "TypingEvent",
    # push clients
    "Client",
    "AsyncClient",
    "Conversation",
    "AsyncConversation",
    # conversation stores (the Redis ones import redis-py on first use)
    "MemoryStore",
    "RedisStore",
    "AsyncRedisStore",
    # the durable outbox (the Redis queues import redis-py on first use)
    "Outbox",
    "AsyncOutbox",
    "MemoryQueue",
    "RedisQueue",
    "AsyncRedisQueue",
    # transcripts for agents
    "render_transcript",
    "TranscriptFormat",
    # errors a proxy catches
    "BotcopyError",
    "ConfigurationError",
    "MissingDependencyError",
    "ErrorDetail",
    "InvalidEventError",
    "WebhookError",
    "WebhookAuthenticationError",
    "InvalidPayloadError",
    "PayloadTooLargeError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "AuthenticationError",
    "RateLimitError",
    "StoreError",
    "StoreUnavailableError",
]

# Where each public name lives, for the lazy import below; a test checks it
# against the imports above, which are what type checkers read.
_SOURCES: dict[str, str] = {
    "Webhook": "botcopy_handover.webhook",
    "parse_webhook": "botcopy_handover.webhook",
    "HandlerContext": "botcopy_handover.webhook",
    "AsyncHandlerContext": "botcopy_handover.webhook",
    "HandoverRequest": "botcopy_handover.models",
    "CustomerMessage": "botcopy_handover.models",
    "WebhookEvent": "botcopy_handover.models",
    "HistoryItem": "botcopy_handover.models",
    "CustomerQuery": "botcopy_handover.models",
    "CustomerEvent": "botcopy_handover.models",
    "BotResponse": "botcopy_handover.models",
    "AgentMessage": "botcopy_handover.models",
    "CustomerToAgentMessage": "botcopy_handover.models",
    "UnknownHistoryItem": "botcopy_handover.models",
    "BotPlatform": "botcopy_handover.models",
    "DialogflowResponse": "botcopy_handover.models",
    "DialogflowMessage": "botcopy_handover.models",
    "TextMessage": "botcopy_handover.models",
    "QuickRepliesMessage": "botcopy_handover.models",
    "CardMessage": "botcopy_handover.models",
    "PayloadMessage": "botcopy_handover.models",
    "UnknownMessage": "botcopy_handover.models",
    "OutputContext": "botcopy_handover.models",
    "QuickReplies": "botcopy_handover.models",
    "Card": "botcopy_handover.models",
    "CardButton": "botcopy_handover.models",
    "Reply": "botcopy_handover.models",
    "Pause": "botcopy_handover.models",
    "Continue": "botcopy_handover.models",
    "End": "botcopy_handover.models",
    "PushEvent": "botcopy_handover.models",
    "MessageEvent": "botcopy_handover.models",
    "PauseEvent": "botcopy_handover.models",
    "ResumeEvent": "botcopy_handover.models",
    "TypingEvent": "botcopy_handover.models",
    "Client": "botcopy_handover.client",
    "AsyncClient": "botcopy_handover.client",
    "Conversation": "botcopy_handover.client",
    "AsyncConversation": "botcopy_handover.client",
    "MemoryStore": "botcopy_handover.state",
    "RedisStore": "botcopy_handover.state.redis",
    "AsyncRedisStore": "botcopy_handover.state.redis",
    "Outbox": "botcopy_handover.outbox",
    "AsyncOutbox": "botcopy_handover.outbox",
    "MemoryQueue": "botcopy_handover.outbox",
    "RedisQueue": "botcopy_handover.outbox.redis",
    "AsyncRedisQueue": "botcopy_handover.outbox.redis",
    "render_transcript": "botcopy_handover.transcript",
    "TranscriptFormat": "botcopy_handover.transcript",
    "BotcopyError": "botcopy_handover._errors",
    "ConfigurationError": "botcopy_handover._errors",
    "MissingDependencyError": "botcopy_handover._errors",
    "ErrorDetail": "botcopy_handover._errors",
    "InvalidEventError": "botcopy_handover._errors",
    "WebhookError": "botcopy_handover._errors",
    "WebhookAuthenticationError": "botcopy_handover._errors",
    "InvalidPayloadError": "botcopy_handover._errors",
    "PayloadTooLargeError": "botcopy_handover._errors",
    "APIError": "botcopy_handover._errors",
    "APIConnectionError": "botcopy_handover._errors",
    "APITimeoutError": "botcopy_handover._errors",
    "APIStatusError": "botcopy_handover._errors",
    "AuthenticationError": "botcopy_handover._errors",
    "RateLimitError": "botcopy_handover._errors",
    "StoreError": "botcopy_handover._errors",
    "StoreUnavailableError": "botcopy_handover._errors",
}


_install(globals(), _SOURCES)
