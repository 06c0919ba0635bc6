"""Client(store=...) and AsyncClient(store=...): accepted pushes, and only those, are recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    Client,
    ConfigurationError,
    MemoryStore,
    StoreUnavailableError,
)
from botcopy_handover.state import ConversationState
from tests.client.pushserver import PushServer, Reply
from tests.helpers import FakeClock, redis_url

KEY = "store-wiring-key"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def client(server: PushServer, store: MemoryStore) -> Iterator[Client]:
    with Client(KEY, base_url=server.url, store=store, sleep=lambda _: None) as client:
        yield client


def state(store: MemoryStore, user: str = "u1") -> ConversationState:
    found = store.get("b1", user)
    assert found is not None
    return found


def test_a_pause_records_the_pause_and_the_agent(
    client: Client, store: MemoryStore, clock: FakeClock
) -> None:
    client.pause("u1", "b1", minutes_paused=30, agent_name="Dana")
    recorded = state(store)
    assert recorded.paused and recorded.minutes_paused == 30
    assert recorded.agent_name == "Dana"
    assert recorded.expires_at == clock.now + timedelta(minutes=30)


def test_a_message_pushes_the_expiry_back(
    client: Client, store: MemoryStore, clock: FakeClock
) -> None:
    client.pause("u1", "b1", minutes_paused=10)
    clock.advance(minutes=8)
    client.send_message("u1", "b1", "still here", minutes_paused=10)
    assert state(store).expires_at == clock.now + timedelta(minutes=10)


def test_typing_keeps_the_pause_alive(client: Client, store: MemoryStore, clock: FakeClock) -> None:
    client.typing("u1", "b1", minutes_paused=5)
    assert state(store).expires_at == clock.now + timedelta(minutes=5)


def test_a_resume_ends_the_pause(client: Client, store: MemoryStore) -> None:
    client.pause("u1", "b1")
    client.resume("u1", "b1", unpause_event="none")
    assert not state(store).paused


def test_the_typing_keepalive_records_through_the_client(
    client: Client, store: MemoryStore
) -> None:
    chat = client.conversation("u7", "b1", minutes_paused=12)
    with chat.typing(interval=60):
        pass
    assert state(store, "u7").minutes_paused == 12


@pytest.mark.parametrize("status", [400, 401, 500])
def test_a_refused_push_records_nothing(
    client: Client, server: PushServer, store: MemoryStore, status: int
) -> None:
    server.reply(Reply(status=status))
    with pytest.raises(APIStatusError):
        client.send_message("u1", "b1", "lost")
    assert store.get("b1", "u1") is None


def test_a_push_that_could_not_be_sent_records_nothing(
    closed_port_url: str, store: MemoryStore
) -> None:
    with (
        Client(KEY, base_url=closed_port_url, store=store, max_retries=0) as client,
        pytest.raises(APIConnectionError),
    ):
        client.typing("u1", "b1")
    assert store.get("b1", "u1") is None


def test_a_retried_push_is_recorded_once(
    client: Client, server: PushServer, store: MemoryStore, clock: FakeClock
) -> None:
    server.reply(Reply(status=503, headers={"Retry-After": "0"}))
    result = client.pause("u1", "b1", minutes_paused=15)
    assert result.attempts == 2
    assert state(store).minutes_paused == 15
    assert result.store_error is None


class BrokenStore(MemoryStore):
    def record_pause(self, *args: object, **kwargs: object) -> ConversationState:
        raise StoreUnavailableError("redis at 127.0.0.1:1 is down")


def test_a_store_failure_keeps_the_push_and_reports_it(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    with Client(KEY, base_url=server.url, store=BrokenStore()) as client:
        result = client.send_message("u1", "b1", "delivered anyway")
    assert result.status_code == 200
    assert isinstance(result.store_error, StoreUnavailableError)
    assert len(server.received) == 1
    assert "the store could not record it: redis at 127.0.0.1:1 is down" in caplog.text
    assert KEY not in caplog.text


def test_an_async_store_is_refused_by_the_sync_client() -> None:
    class AsyncOnly:
        async def get(self, bot_id: str, user_id: str) -> None:
            return None

    with pytest.raises(ConfigurationError, match="asynchronous"):
        Client(KEY, base_url="http://127.0.0.1:9", store=AsyncOnly())  # type: ignore[arg-type]


async def test_the_async_client_records_in_a_memory_store(
    server: PushServer, store: MemoryStore
) -> None:
    async with AsyncClient(KEY, base_url=server.url, store=store) as client:
        await client.pause("u1", "b1", minutes_paused=20, agent_name="Sam")
        await client.send_message("u1", "b1", "hello", minutes_paused=20)
    recorded = state(store)
    assert (recorded.minutes_paused, recorded.agent_name) == (20, "Sam")


async def test_the_aiohttp_transport_records_too(server: PushServer, store: MemoryStore) -> None:
    async with AsyncClient(KEY, base_url=server.url, store=store, transport="aiohttp") as client:
        await client.resume("u1", "b1")
    assert not state(store).paused


async def test_an_async_store_failure_keeps_the_push(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with AsyncClient(KEY, base_url=server.url, store=BrokenStore()) as client:
        result = await client.typing("u1", "b1")
    assert isinstance(result.store_error, StoreUnavailableError)


def test_a_sync_redis_store_is_refused_by_the_async_client() -> None:
    from botcopy_handover import RedisStore

    store = RedisStore(url="redis://127.0.0.1:1/0")
    try:
        with pytest.raises(ConfigurationError, match="block the event loop"):
            # An untyped caller: the type checkers refuse this call (tests/typing).
            AsyncClient(KEY, base_url="http://127.0.0.1:9", store=store)  # type: ignore[arg-type]
    finally:
        store.close()


async def test_the_async_client_records_in_a_real_async_redis_store(server: PushServer) -> None:
    from botcopy_handover import AsyncRedisStore

    store = AsyncRedisStore(url=redis_url(), prefix="test:client-wiring:")
    try:
        async with AsyncClient(KEY, base_url=server.url, store=store) as client:
            await client.pause("u-redis", "b1", minutes_paused=9)
        recorded = await store.get("b1", "u-redis")
        assert recorded is not None and recorded.minutes_paused == 9
        await store.delete("b1", "u-redis")
    finally:
        await store.aclose()


def test_the_client_records_in_a_real_redis_store(server: PushServer) -> None:
    from botcopy_handover import RedisStore

    store = RedisStore(url=redis_url(), prefix="test:client-wiring:")
    try:
        with Client(KEY, base_url=server.url, store=store) as client:
            client.send_message("u-redis-sync", "b1", "hi", minutes_paused=6)
        recorded = store.get("b1", "u-redis-sync")
        assert recorded is not None and recorded.minutes_paused == 6
        store.delete("b1", "u-redis-sync")
    finally:
        store.close()
