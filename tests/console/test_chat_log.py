"""The console's chat log: the same behaviour in memory and in Redis, and news across processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from botcopy_handover.console._log import (
    ChatLine,
    ChatLog,
    ChatUpdate,
    MemoryChatLog,
    RedisChatLog,
)


@pytest.fixture(params=["memory", "redis"])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[ChatLog]:
    if request.param == "memory":
        yield MemoryChatLog()
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-chatlog-{uuid.uuid4().hex[:8]}:"
    shared = RedisChatLog(url, prefix=prefix)
    await shared.connect()
    try:
        yield shared
    finally:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(url)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await shared.aclose()


async def test_a_handover_waits_and_keeps_its_lines_in_order(log: ChatLog) -> None:
    await log.start("bot:1", "user:1", "<p>history</p>")
    await log.add_line("bot:1", "user:1", ChatLine("customer", "hi", 1))
    await log.add_line("bot:1", "user:1", ChatLine("agent", "hello", 2, "Dana"))
    record = await log.get("bot:1", "user:1")
    assert record is not None
    assert (record.status, record.history_html) == ("waiting", "<p>history</p>")
    assert [(line.sender, line.text, line.name) for line in record.lines] == [
        ("customer", "hi", None),
        ("agent", "hello", "Dana"),
    ]
    # A ":" in an id never mixes two customers up.
    assert await log.get("bot", "1:user:1") is None


async def test_status_agent_and_warning_change_and_closed_chats_leave_the_list(
    log: ChatLog,
) -> None:
    await log.start("b", "first", "")
    await log.start("b", "second", "")
    await log.update("b", "first", ChatUpdate(status="active", agent="Dana", warning="soon"))
    record = await log.get("b", "first")
    assert record is not None and (record.status, record.agent, record.warning) == (
        "active",
        "Dana",
        "soon",
    )
    await log.update("b", "first", ChatUpdate(clear_warning=True))
    record = await log.get("b", "first")
    assert record is not None and record.warning is None and record.agent == "Dana"
    assert [r.user_id for r in await log.open_conversations()] == ["first", "second"]
    await log.update("b", "first", ChatUpdate(status="closed"))
    assert [r.user_id for r in await log.open_conversations()] == ["second"]


async def test_a_new_handover_starts_a_fresh_chat(log: ChatLog) -> None:
    await log.start("b", "u", "old")
    await log.add_line("b", "u", ChatLine("customer", "old line", 1))
    await log.update("b", "u", ChatUpdate(status="closed"))
    await log.start("b", "u", "new")
    record = await log.get("b", "u")
    assert record is not None
    assert (record.status, record.history_html, record.lines) == ("waiting", "new", [])


async def test_a_change_published_reaches_every_listener(log: ChatLog) -> None:
    changes = log.changes()
    waiting = asyncio.ensure_future(changes.__anext__())
    await asyncio.sleep(0.05)
    await log.publish("b", "u")
    assert await asyncio.wait_for(waiting, 5) == ("b", "u")
    await changes.aclose()  # type: ignore[attr-defined]


async def test_redis_news_reaches_another_process(redis_url: str) -> None:
    prefix = f"test-chatlog-{uuid.uuid4().hex[:8]}:"
    a, b = RedisChatLog(redis_url, prefix=prefix), RedisChatLog(redis_url, prefix=prefix)
    await a.connect()
    await b.connect()
    try:
        changes = b.changes()
        waiting = asyncio.ensure_future(changes.__anext__())
        await asyncio.sleep(0.05)
        await a.start("b", "u", "")
        await a.publish("b", "u")
        assert await asyncio.wait_for(waiting, 5) == ("b", "u")
        assert await b.get("b", "u") is not None
        await changes.aclose()  # type: ignore[attr-defined]
    finally:
        await a.update("b", "u", ChatUpdate(status="closed"))
        await a.aclose()
        await b.aclose()
