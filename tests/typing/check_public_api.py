"""Type-checked, never run: proves the public API types well for users (mypy --strict)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from typing_extensions import assert_type

from botcopy_handover import (
    AsyncRedisStore,
    BotPlatform,
    CustomerMessage,
    DialogflowResponse,
    HandoverRequest,
    MemoryStore,
    MessageEvent,
    Pause,
    RedisStore,
    Reply,
    UnknownHistoryItem,
    parse_webhook,
)
from botcopy_handover.state import (
    AsyncConversationStore,
    AsyncExpiryWatcher,
    ConversationState,
    ConversationStore,
    ExpiryNotice,
    ExpiryWatcher,
)


def check_parse(body: bytes) -> None:
    event = parse_webhook(body)
    assert_type(event, HandoverRequest | CustomerMessage)
    if isinstance(event, HandoverRequest):
        assert_type(event.text, str | None)
        assert_type(event.dialogflow, DialogflowResponse)
        assert_type(event.dialogflow.texts, tuple[str, ...])
        for item in event.history:
            assert_type(item.bot_platform, BotPlatform | str | None)
            assert_type(item.created_at, datetime | None)
            if not isinstance(item, UnknownHistoryItem):
                assert_type(item.created_at, datetime)
                assert_type(item.payload, dict[str, Any])
    else:
        assert_type(event.text, str)
        assert_type(event.customer, tuple[str, str])


def check_replies(minutes: int) -> Reply:
    reply = Pause(minutes=minutes)
    assert_type(reply.to_json(), bytes)
    assert_type(MessageEvent(user_id="u", bot_id="b", text="hi").to_dict(), dict[str, Any])
    return reply


def check_stores(sync_store: ConversationStore, async_store: AsyncConversationStore) -> None:
    memory = MemoryStore()  # both modes: a ConversationStore-typed one is sync only
    redis_store: ConversationStore = RedisStore(url="redis://127.0.0.1:6379/0")
    async_redis: AsyncConversationStore = AsyncRedisStore(url="redis://127.0.0.1:6379/0")
    state = memory.record_pause("b", "u", minutes=10, agent_name="Dana")
    assert_type(state, ConversationState)
    assert_type(state.expires_at, datetime | None)
    assert_type(sync_store.get("b", "u"), ConversationState | None)
    assert_type(redis_store.remember_history("b", "u", ["a"]), list[str])
    assert_type(async_redis, AsyncConversationStore)

    def on_expiry(notice: ExpiryNotice) -> None:
        assert_type(notice.lapsed, bool)
        assert_type(notice.state, ConversationState)

    ExpiryWatcher(memory, on_expiry, warn_before=timedelta(minutes=2))
    AsyncExpiryWatcher(async_store, on_expiry)
    AsyncExpiryWatcher(memory, on_expiry)


async def check_async_store(store: AsyncConversationStore) -> None:
    state = await store.get("b", "u")
    assert_type(state, ConversationState | None)
    assert_type(await store.claim("t", timedelta(seconds=5)), bool)
