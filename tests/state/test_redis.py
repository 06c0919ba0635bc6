"""What only the Redis stores do: shared keys, expiring keys, errors without secrets, replicas."""

from __future__ import annotations

import multiprocessing
import socket
from datetime import timedelta

import pytest
import redis
import redis.asyncio

from botcopy_handover import (
    AsyncRedisStore,
    ConfigurationError,
    RedisStore,
    StoreUnavailableError,
)
from tests.helpers import FakeClock, redis_url


@pytest.fixture
def url() -> str:
    return redis_url()


@pytest.fixture
def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_every_key_lives_under_the_prefix(url: str, prefix: str, client: redis.Redis) -> None:
    with RedisStore(url=url, prefix=prefix) as store:
        store.record_pause("bot-1", "user-1", minutes=5)
        store.link_ticket("bot-1", "user-1", "T-1")
        store.remember_history("bot-1", "user-1", ["a"])
        store.claim("token", timedelta(seconds=5))
    keys = sorted(client.scan_iter(match=f"{prefix}*"))
    assert keys == sorted(
        f"{prefix}{k}"
        for k in (
            "conv:bot-1:user-1",
            "conv:bot-1:user-1:history",
            "ticket:T-1",
            "expiring",
            "claim:token",
        )
    )


def test_keys_expire_retention_after_the_pause_ends(
    url: str, prefix: str, client: redis.Redis
) -> None:
    with RedisStore(url=url, prefix=prefix, retention=timedelta(minutes=30)) as store:
        store.record_pause("bot-1", "user-1", minutes=10)
        store.link_ticket("bot-1", "user-1", "T-1")
        store.remember_history("bot-1", "user-1", ["a"])
        for key in ("conv:bot-1:user-1", "conv:bot-1:user-1:history", "ticket:T-1"):
            assert 39 * 60_000 < client.pttl(f"{prefix}{key}") <= 40 * 60_000, key
        store.record_resume("bot-1", "user-1")
        assert 29 * 60_000 < client.pttl(f"{prefix}conv:bot-1:user-1") <= 30 * 60_000


def test_a_record_dropped_by_redis_leaves_the_expiring_list(
    url: str, prefix: str, client: redis.Redis, clock: FakeClock
) -> None:
    with RedisStore(url=url, prefix=prefix, clock=clock) as store:
        store.record_pause("bot-1", "user-1", minutes=1)
        client.delete(f"{prefix}conv:bot-1:user-1")
        clock.advance(minutes=2)
        assert store.expiring(timedelta(0)) == []
        assert client.zcard(f"{prefix}expiring") == 0


def test_sync_and_async_stores_share_one_view(url: str, prefix: str) -> None:
    async def read() -> object:
        async with AsyncRedisStore(url=url, prefix=prefix) as store:
            return await store.find_by_ticket("T-1")

    import asyncio

    with RedisStore(url=url, prefix=prefix) as store:
        written = store.link_ticket("bot-1", "user-1", "T-1")
    assert asyncio.run(read()) == written


def test_a_client_decoding_responses_works_too(url: str, prefix: str) -> None:
    with redis.Redis.from_url(url, decode_responses=True) as client:
        store = RedisStore(client, prefix=prefix)
        state = store.record_pause("bot-1", "user-1", minutes=5, agent_name="Dana")
        assert store.get("bot-1", "user-1") == state
        assert store.remember_history("bot-1", "user-1", ["a"]) == ["a"]


class ClosingRecorder(redis.Redis):
    """A real redis-py client that counts its ``close()`` calls.

    redis-py still answers ``ping()`` after ``close()`` (it reconnects), so
    only a record of the call tells whether the store closed the client.
    """

    closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


class AsyncClosingRecorder(redis.asyncio.Redis):
    """The async twin of ``ClosingRecorder``, counting ``aclose()`` calls."""

    closes = 0

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        self.closes += 1
        await super().aclose(close_connection_pool)


def test_an_injected_client_is_not_closed(url: str, prefix: str) -> None:
    client = ClosingRecorder(connection_pool=redis.ConnectionPool.from_url(url))
    with RedisStore(client, prefix=prefix) as store:
        store.claim("x", timedelta(seconds=1))
    assert client.closes == 0
    client.close()
    assert client.closes == 1  # the recorder records
    client.connection_pool.disconnect()


async def test_an_injected_async_client_is_not_closed(url: str, prefix: str) -> None:
    client = AsyncClosingRecorder(connection_pool=redis.asyncio.ConnectionPool.from_url(url))
    async with AsyncRedisStore(client, prefix=prefix) as store:
        await store.claim("x", timedelta(seconds=1))
    assert client.closes == 0
    await client.aclose()
    assert client.closes == 1  # the recorder records
    await client.connection_pool.disconnect()


def test_an_unreachable_redis_raises_a_typed_error_without_the_password() -> None:
    store = RedisStore(url=f"redis://:s3cret-pw@127.0.0.1:{closed_port()}/0")
    with pytest.raises(StoreUnavailableError) as caught:
        store.get("bot-1", "user-1")
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(caught.value)
    assert "127.0.0.1" in str(caught.value)
    store.close()


async def test_an_unreachable_redis_raises_a_typed_error_from_the_async_store() -> None:
    async with AsyncRedisStore(url=f"redis://:s3cret-pw@127.0.0.1:{closed_port()}/0") as store:
        with pytest.raises(StoreUnavailableError) as caught:
            await store.record_pause("bot-1", "user-1", minutes=5)
    assert "s3cret-pw" not in str(caught.value)


def test_repr_never_shows_the_password() -> None:
    store = RedisStore(url="redis://user:s3cret-pw@127.0.0.1:6390/2", prefix="app:")
    assert repr(store) == "RedisStore('redis://127.0.0.1:6390/2', prefix='app:')"
    store.close()


def test_a_bad_url_is_a_configuration_error_without_the_url() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisStore(url="http://:s3cret-pw@example.invalid")
    assert "s3cret-pw" not in str(caught.value)


def test_a_store_needs_a_client_or_a_url() -> None:
    with pytest.raises(ConfigurationError, match="client= or a url="):
        RedisStore()


# Several processes, one conversation: every update must survive.

PROCESSES = 4
ROUNDS = 60


def _replica(url: str, prefix: str, index: int, wins: multiprocessing.Queue[int]) -> None:
    won = 0
    with RedisStore(url=url, prefix=prefix) as store:
        for n in range(ROUNDS):
            store.record_pause("bot-1", "user-1", minutes=10, agent_name=f"agent-{index}")
            store.remember_history("bot-1", "user-1", [f"p{index}-{n}", f"shared-{n}"])
            if index == 0:
                store.link_ticket("bot-1", "user-1", f"T-{n}")
            else:
                store.touch("bot-1", "user-1")
            won += store.claim(f"token-{n}", timedelta(minutes=5))
    wins.put(won)


def test_replicas_updating_one_conversation_lose_no_update(url: str, prefix: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    wins: multiprocessing.Queue[int] = ctx.Queue()
    replicas = [ctx.Process(target=_replica, args=(url, prefix, i, wins)) for i in range(PROCESSES)]
    for p in replicas:
        p.start()
    for p in replicas:
        p.join(60)
        assert p.exitcode == 0
    total_wins = sum(wins.get(timeout=5) for _ in replicas)

    with RedisStore(url=url, prefix=prefix) as store:
        state = store.get("bot-1", "user-1")
        assert state is not None
        assert state.paused and state.minutes_paused == 10
        assert state.ticket_id == f"T-{ROUNDS - 1}"
        assert store.find_by_ticket(f"T-{ROUNDS - 1}") == state
        assert store.find_by_ticket("T-0") is None
        # Every id any replica remembered is known; none is new again.
        every_id = [f"p{i}-{n}" for i in range(PROCESSES) for n in range(ROUNDS)]
        every_id += [f"shared-{n}" for n in range(ROUNDS)]
        assert store.remember_history("bot-1", "user-1", every_id) == []
    assert total_wins == ROUNDS  # each token claimed by exactly one replica


# A Redis that accepts connections but never answers must not hang a webhook.


def test_a_silent_redis_fails_the_call_inside_the_webhook_budget() -> None:
    import threading

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepted by the kernel, never answered
        port = listener.getsockname()[1]
        store = RedisStore(url=f"redis://:s3cret-pw@127.0.0.1:{port}/0")
        outcome: list[BaseException | object] = []

        def call() -> None:
            try:
                outcome.append(store.get("bot-1", "user-1"))
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(4.0)  # Botcopy waits 5 s for the whole webhook
        assert not worker.is_alive(), "the store call hung on a silent Redis"
        (error,) = outcome
        assert isinstance(error, StoreUnavailableError)
        assert "s3cret-pw" not in str(error)
        store.close()


async def test_an_async_store_from_a_url_has_the_same_timeouts() -> None:
    from botcopy_handover.state.redis import URL_SOCKET_TIMEOUT

    async with AsyncRedisStore(url="redis://127.0.0.1:6390/0") as store:
        assert isinstance(store._client, redis.asyncio.Redis)
        kwargs = store._client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == URL_SOCKET_TIMEOUT


def test_each_store_exposes_the_client_it_talks_through(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    with RedisStore(client, prefix=prefix) as store:
        assert store.client is client
    client.close()


async def test_the_async_store_exposes_its_client_too(url: str, prefix: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    async with AsyncRedisStore(client, prefix=prefix) as store:
        assert store.client is client
    await client.aclose()
