"""Type-checked, never run: the push clients type well for users (mypy --strict)."""

from __future__ import annotations

import httpx
from typing_extensions import assert_type

from botcopy_handover import (
    AsyncClient,
    AsyncConversation,
    Client,
    Conversation,
    MessageEvent,
    PushEvent,
)
from botcopy_handover.client import AsyncTypingKeepalive, PushResult, TypingKeepalive


def check_sync(http: httpx.Client) -> None:
    with Client("key", http_client=http, timeout=2.0, retry_unsafe=True) as client:
        result = client.send_message("u", "b", "hi", minutes_paused=5, timeout=None)
        assert_type(result, PushResult)
        assert_type(result.event, PushEvent)
        assert_type(result.attempts, int)
        assert_type(client.send(MessageEvent(user_id="u", bot_id="b", text="x")), PushResult)
        chat = client.conversation("u", "b", minutes_paused=30)
        assert_type(chat, Conversation)
        with chat.typing(interval=1.5) as typing:
            assert_type(typing, TypingKeepalive)
        assert_type(chat.resume(unpause_event="none"), PushResult)


async def check_async() -> None:
    async with AsyncClient(transport="aiohttp", timeout=httpx.Timeout(3.0)) as client:
        assert_type(await client.pause("u", "b", agent_name="Dana"), PushResult)
        chat = client.conversation("u", "b")
        assert_type(chat, AsyncConversation)
        async with chat.typing() as typing:
            assert_type(typing, AsyncTypingKeepalive)
        assert_type(await chat.typing(), AsyncTypingKeepalive)
        assert_type(await chat.send_message("done"), PushResult)


def check_store_argument() -> None:
    from botcopy_handover import AsyncRedisStore, MemoryStore, RedisStore, StoreError

    memory = MemoryStore()
    with Client(api_key="k", store=memory) as client:
        result = client.typing("u", "b")
        assert_type(result.store_error, StoreError | None)
    Client(api_key="k", store=RedisStore(url="redis://127.0.0.1:6379/0"))
    AsyncClient(api_key="k", store=AsyncRedisStore(url="redis://127.0.0.1:6379/0"))
    AsyncClient(api_key="k", store=memory)
    Client(api_key="k", store=memory, store_timeout=0.5)
    AsyncClient(api_key="k", store=memory, store_timeout=None)


def check_errors_and_logging() -> None:
    import logging

    from botcopy_handover import APIError, APIStatusError
    from botcopy_handover.client import RedactingFilter

    try:
        Client("k").send_message("u", "b", "hi")
    except APIStatusError as exc:
        assert_type(exc.maybe_delivered, bool)
        assert_type(exc.status_code, int)
    except APIError as exc:
        assert_type(exc.maybe_delivered, bool)
    logging.getLogger().handlers[0].addFilter(RedactingFilter("k", "token"))
