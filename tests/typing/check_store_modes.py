"""Type-checked, never run: each client, watcher and deduplicator takes only stores of its mode.

A blocking store in async code would stall the event loop on every call; the
types refuse it at the call site (the runtime ``ConfigurationError`` remains
for untyped callers). ``warn_unused_ignores`` (on under ``mypy --strict``)
turns each ``# type: ignore[arg-type]`` below into an assertion: were the call
accepted, the ignore would be unused and mypy would fail.
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from __future__ import annotations

from botcopy_handover import (
    AsyncClient,
    AsyncRedisStore,
    Client,
    CustomerMessage,
    HandoverRequest,
    MemoryStore,
    Pause,
    RedisStore,
    Reply,
    Webhook,
)
from botcopy_handover.models.push import TypingEvent
from botcopy_handover.state import (
    AsyncDeduplicator,
    AsyncExpiryWatcher,
    Deduplicator,
    ExpiryNotice,
    ExpiryWatcher,
    arecord_push,
    record_push,
)
from botcopy_handover.webhook.asgi import asgi_app


def on_expiry(notice: ExpiryNotice) -> None: ...


async def aon_expiry(notice: ExpiryNotice) -> None: ...


def check_sync_code(
    blocking: RedisStore, nonblocking: AsyncRedisStore, memory: MemoryStore
) -> None:
    Client(api_key="k", store=blocking)
    Client(api_key="k", store=memory)
    Client(api_key="k", store=nonblocking)  # type: ignore[arg-type]
    ExpiryWatcher(blocking, on_expiry)
    ExpiryWatcher(nonblocking, on_expiry)  # type: ignore[arg-type]
    Deduplicator(memory)
    Deduplicator(nonblocking)  # type: ignore[arg-type]
    record_push(blocking, TypingEvent(user_id="u", bot_id="b"))


async def check_async_code(
    blocking: RedisStore, nonblocking: AsyncRedisStore, memory: MemoryStore
) -> None:
    AsyncClient(api_key="k", store=nonblocking)
    AsyncClient(api_key="k", store=memory)
    AsyncClient(api_key="k", store=blocking)  # type: ignore[arg-type]
    AsyncExpiryWatcher(nonblocking, aon_expiry)
    AsyncExpiryWatcher(memory, aon_expiry)
    AsyncExpiryWatcher(blocking, aon_expiry)  # type: ignore[arg-type]
    AsyncDeduplicator(memory)
    AsyncDeduplicator(blocking)  # type: ignore[arg-type]
    await arecord_push(memory, TypingEvent(user_id="u", bot_id="b"))
    await arecord_push(blocking, TypingEvent(user_id="u", bot_id="b"))  # type: ignore[arg-type]


def check_asgi_endpoint(
    webhook: Webhook, blocking: RedisStore, nonblocking: AsyncRedisStore, memory: MemoryStore
) -> None:
    def on_handover(event: HandoverRequest) -> Reply:
        return Pause()

    def on_message(event: CustomerMessage) -> Reply:
        return Pause()

    asgi_app(webhook, on_handover, on_message, store=nonblocking)
    asgi_app(webhook, on_handover, on_message, store=memory)
    asgi_app(webhook, on_handover, on_message, store=blocking)  # type: ignore[arg-type]
