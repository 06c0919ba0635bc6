"""The typing keepalive: sent at once, re-sent on an interval, stopped cleanly, never leaked."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time

import pytest

from botcopy_handover import AsyncClient, AuthenticationError, Client, ConfigurationError
from botcopy_handover.client import AsyncTypingKeepalive, RetryPolicy, TypingKeepalive
from tests.client.pushserver import PushServer, Reply

INTERVAL = 0.05
NO_RETRY = RetryPolicy(max_retries=0)


def typing_events(server: PushServer) -> list[float]:
    return [r.at for r in server.received if r.json()["eventType"] == "user_typing"]


def is_active(keepalive: TypingKeepalive | AsyncTypingKeepalive) -> bool:
    return keepalive.active


def keepalive_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "botcopy-typing-keepalive"]


@pytest.fixture
def client(server: PushServer) -> Client:
    return Client("k", base_url=server.url, retry=NO_RETRY)


def test_plain_call_sends_one_indicator(server: PushServer, client: Client) -> None:
    with client:
        handle = client.conversation("u1", "b1", minutes_paused=20).typing()
    assert isinstance(handle, TypingKeepalive)
    assert handle.sent == 1
    assert handle.result is not None and handle.result.status_code == 200
    assert [r.json() for r in server.received] == [
        {
            "eventType": "user_typing",
            "userId": "u1",
            "botId": "b1",
            "paused": True,
            "minutesPaused": 20,
        }
    ]
    assert keepalive_threads() == []


def test_block_resends_on_the_interval(server: PushServer, client: Client) -> None:
    with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        time.sleep(INTERVAL * 3.5)
    times = typing_events(server)
    assert 3 <= len(times) <= 5
    assert typing.sent == len(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= INTERVAL * 0.8 for gap in gaps)


def test_first_indicator_is_sent_at_once(server: PushServer, client: Client) -> None:
    with client, client.conversation("u1", "b1").typing(interval=10):
        assert len(typing_events(server)) == 1


def test_thread_is_gone_when_the_block_ends(server: PushServer, client: Client) -> None:
    with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        assert is_active(typing)
        assert len(keepalive_threads()) == 1
    assert not typing.active
    assert keepalive_threads() == []


def test_thread_is_gone_when_the_block_raises(server: PushServer, client: Client) -> None:
    typing = client.conversation("u1", "b1").typing(interval=INTERVAL)
    with client, pytest.raises(ValueError, match="agent code"), typing:
        raise ValueError("agent code")
    assert keepalive_threads() == []


def test_sending_a_message_stops_the_indicator(server: PushServer, client: Client) -> None:
    with client:
        chat = client.conversation("u1", "b1")
        with chat.typing(interval=INTERVAL) as typing:
            chat.send_message("done")
            time.sleep(INTERVAL * 3)
            after = len(server.received)
    kinds = [r.json()["eventType"] for r in server.received]
    assert kinds[-1] == "message"
    assert after == len(server.received)
    assert typing.sent == 1


def test_message_on_another_conversation_does_not_stop_it(
    server: PushServer, client: Client
) -> None:
    with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        client.conversation("u2", "b1").send_message("hello other")
        time.sleep(INTERVAL * 2.5)
    assert typing.sent >= 2


def test_failure_is_logged_and_stops_without_raising(
    server: PushServer, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(200), Reply(401))
    with (
        caplog.at_level(logging.WARNING, "botcopy_handover"),
        client,
        client.conversation("u1", "b1").typing(interval=INTERVAL) as typing,
    ):
        time.sleep(INTERVAL * 4)
    assert isinstance(typing.error, AuthenticationError)
    assert typing.sent == 1
    assert len(server.received) == 2
    assert any("keepalive stopped" in r.getMessage() for r in caplog.records)
    assert keepalive_threads() == []


def test_first_failure_is_not_raised_by_default(server: PushServer, client: Client) -> None:
    server.reply(Reply(401))
    with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        time.sleep(INTERVAL * 2)
    assert isinstance(typing.error, AuthenticationError)
    assert len(server.received) == 1
    assert keepalive_threads() == []


def test_raise_errors_raises_the_first_failure(server: PushServer, client: Client) -> None:
    server.reply(Reply(401))
    with client, pytest.raises(AuthenticationError):
        client.conversation("u1", "b1").typing(raise_errors=True)


def test_raise_errors_raises_a_later_failure_when_the_block_ends(
    server: PushServer, client: Client
) -> None:
    server.reply(Reply(200), Reply(401))
    typing = client.conversation("u1", "b1").typing(interval=INTERVAL, raise_errors=True)
    with client, pytest.raises(AuthenticationError), typing:
        time.sleep(INTERVAL * 3)
    assert keepalive_threads() == []


def test_interval_must_be_positive(client: Client) -> None:
    with client, pytest.raises(ConfigurationError, match="interval"):
        client.conversation("u1", "b1").typing(interval=0)


async def test_async_await_sends_one_indicator(server: PushServer) -> None:
    async with AsyncClient("k", base_url=server.url) as client:
        handle = await client.conversation("u1", "b1").typing()
    assert isinstance(handle, AsyncTypingKeepalive)
    assert handle.sent == 1
    assert len(server.received) == 1


async def test_async_block_resends_on_the_interval(server: PushServer) -> None:
    client = AsyncClient("k", base_url=server.url)
    async with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        await asyncio.sleep(INTERVAL * 3.5)
    assert 3 <= typing.sent <= 5
    # stop() cancels a push in flight: it may have arrived without being counted.
    assert typing.sent <= len(typing_events(server)) <= typing.sent + 1


async def test_async_task_is_gone_when_the_block_ends(server: PushServer) -> None:
    before = asyncio.all_tasks()
    client = AsyncClient("k", base_url=server.url)
    async with client, client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
        assert is_active(typing)
        assert len(asyncio.all_tasks() - before) == 1
    assert not typing.active
    assert asyncio.all_tasks() == before


async def test_async_task_is_gone_when_the_block_raises(server: PushServer) -> None:
    before = asyncio.all_tasks()
    async with AsyncClient("k", base_url=server.url) as client:
        with pytest.raises(ValueError, match="agent code"):
            async with client.conversation("u1", "b1").typing(interval=INTERVAL):
                raise ValueError("agent code")
    assert asyncio.all_tasks() == before


async def test_async_sending_a_message_stops_the_indicator(server: PushServer) -> None:
    async with AsyncClient("k", base_url=server.url) as client:
        chat = client.conversation("u1", "b1")
        async with chat.typing(interval=INTERVAL) as typing:
            await chat.send_message("done")
            assert not typing.active
            await asyncio.sleep(INTERVAL * 3)
    assert [r.json()["eventType"] for r in server.received] == ["user_typing", "message"]


async def test_async_failure_is_logged_and_stops_without_raising(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(200), Reply(403))
    async with AsyncClient("k", base_url=server.url, retry=NO_RETRY) as client:
        with caplog.at_level(logging.WARNING, "botcopy_handover"):
            async with client.conversation("u1", "b1").typing(interval=INTERVAL) as typing:
                await asyncio.sleep(INTERVAL * 4)
    assert isinstance(typing.error, AuthenticationError)
    assert len(server.received) == 2
    assert any("keepalive stopped" in r.getMessage() for r in caplog.records)


async def test_async_raise_errors_raises_a_later_failure(server: PushServer) -> None:
    server.reply(Reply(200), Reply(403))
    async with AsyncClient("k", base_url=server.url, retry=NO_RETRY) as client:
        with pytest.raises(AuthenticationError):
            async with client.conversation("u1", "b1").typing(interval=INTERVAL, raise_errors=True):
                await asyncio.sleep(INTERVAL * 3)


async def test_async_cancelling_the_agent_cancels_the_keepalive(server: PushServer) -> None:
    before = asyncio.all_tasks()
    async with AsyncClient("k", base_url=server.url) as client:
        chat = client.conversation("u1", "b1")

        async def agent() -> None:
            async with chat.typing(interval=INTERVAL):
                await asyncio.sleep(10)

        task = asyncio.create_task(agent())
        await asyncio.sleep(INTERVAL * 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert asyncio.all_tasks() == before
