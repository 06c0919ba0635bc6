"""AsyncRedisQueue on a real Redis: calls made at once (and the outbox's records) share a trip."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from botcopy_handover import AsyncClient, AsyncRedisStore, StoreUnavailableError
from botcopy_handover.outbox import AsyncOutbox, AsyncRedisQueue
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.outbox.helpers import REDIS_BACKENDS, async_redis, redis_url, running, texts, until

FIELDS = {"e": "{}", "t": "0", "d": "0"}


@pytest.fixture(params=REDIS_BACKENDS)
def redis_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def queue(redis_backend: str, prefix: str) -> AsyncIterator[AsyncRedisQueue]:
    client = async_redis(redis_backend)
    yield AsyncRedisQueue(client, prefix=prefix, partitions=2)
    await client.aclose()


async def test_calls_made_at_once_each_get_their_own_fenced_answer(queue: AsyncRedisQueue) -> None:
    assert await queue.acquire(0, "a", 5000)
    ids = [await queue.append(0, FIELDS) for _ in range(20)]
    await queue.read_new(0, "a", 50, 0)

    mine = [queue.start(0, "a", entry) for entry in ids]
    not_mine = [queue.start(0, "b", entry) for entry in ids[:5]]  # b holds no lease
    assert await asyncio.gather(*mine, *not_mine) == [True] * 20 + [False] * 5

    await asyncio.gather(*(queue.done(0, "a", entry) for entry in ids))
    assert await queue.backlog() == 0
    assert await queue.claim_pending(0, "a") == []  # acknowledged, marks gone


async def test_on_one_server_they_share_one_connection(prefix: str) -> None:
    import redis.asyncio

    name = f"batch-{uuid.uuid4().hex[:8]}"
    client = redis.asyncio.Redis.from_url(redis_url(), client_name=name)
    try:
        queue = AsyncRedisQueue(client, prefix=prefix, partitions=1)
        assert await queue.acquire(0, "a", 5000)
        ids = [await queue.append(0, FIELDS) for _ in range(30)]
        await queue.read_new(0, "a", 50, 0)

        assert all(await asyncio.gather(*(queue.start(0, "a", entry) for entry in ids)))
        await asyncio.gather(*(queue.done(0, "a", entry) for entry in ids))

        # One call at a time per connection: thirty calls sent one by one at
        # once would have opened thirty connections; in one pipeline, one.
        listed = await client.client_list()
        assert sum(1 for c in listed if c.get("name") == name) == 1
        assert await queue.backlog() == 0
    finally:
        await client.aclose()


async def test_scripts_flushed_from_redis_are_loaded_again(
    queue: AsyncRedisQueue, redis_backend: str
) -> None:
    assert await queue.acquire(0, "a", 5000)
    entry = await queue.append(0, FIELDS)
    await queue.read_new(0, "a", 10, 0)
    other = async_redis(redis_backend)
    await other.script_flush()  # as after a restart of Redis without persistence
    await other.aclose()

    answers = await asyncio.gather(queue.start(0, "a", entry), queue.start(0, "b", entry))
    assert list(answers) == [True, False]
    await queue.done(0, "a", entry)
    assert await queue.backlog() == 0


async def test_when_redis_is_down_every_call_of_the_batch_fails_with_a_store_error(
    prefix: str,
) -> None:
    import redis.asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # No retries of redis-py's own (by default it backs off for about 3.5 s
    # here): what is under test is what the queue makes of the failure.
    client = redis.asyncio.Redis(
        host="127.0.0.1", port=port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    try:
        queue = AsyncRedisQueue(client, prefix=prefix, partitions=1)
        outcomes = await asyncio.gather(
            queue.start(0, "a", "1-0"), queue.done(0, "a", "1-0"), return_exceptions=True
        )
        assert all(isinstance(o, StoreUnavailableError) for o in outcomes), outcomes
        assert all("failed: ConnectionError" in str(o) for o in outcomes)
    finally:
        await client.aclose()


def counting_client() -> Any:
    """A ``redis.asyncio.Redis`` that counts the store's script calls sent on their own."""
    import redis.asyncio

    class Counting(redis.asyncio.Redis):
        store_calls_alone = 0

        async def execute_command(self, *args: Any, **options: Any) -> Any:
            if args and args[0] == "EVALSHA":
                keys = args[3 : 3 + int(args[2])]
                if not any("outbox" in str(key) for key in keys):
                    type(self).store_calls_alone += 1
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    return Counting.from_url(redis_url())


@pytest.mark.parametrize("shared", [True, False])
async def test_the_outbox_records_delivered_pushes_in_its_queues_pipeline(
    emulator: BotcopyEmulator, client: AsyncClient, prefix: str, shared: bool
) -> None:
    store_client = counting_client()
    queue_client = store_client if shared else async_redis("redis")
    store = AsyncRedisStore(store_client, prefix=prefix)
    outbox = AsyncOutbox(client, store, queue=AsyncRedisQueue(queue_client, prefix=prefix))
    try:
        for user in range(20):
            await outbox.send_message(f"user-{user}", "bot-1", "hello", minutes_paused=30)
        async with running(outbox):
            await until(lambda: len(texts(emulator)) == 20)
            for _ in range(200):  # every delivered message recorded: paused for 30 minutes
                states = [await store.get("bot-1", f"user-{user}") for user in range(20)]
                if all(s is not None and s.paused and s.minutes_paused == 30 for s in states):
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail(f"not every delivered message was recorded: {states}")
        # On one client, each record went in a pipeline with the queue's calls;
        # on a client of its own, each went alone.
        assert type(store_client).store_calls_alone == (0 if shared else 20)
    finally:
        await store_client.aclose()
        if not shared:
            await queue_client.aclose()


async def test_calls_made_at_once_on_a_new_cluster_client_each_reach_their_node(
    prefix: str,
) -> None:
    # A runner's first tick (a heartbeat, a reclaim per partition) and a send
    # made at the same moment, on a client that has not met the cluster yet:
    # redis-py would route them before it knows the slots (see AsyncRedis._ready).
    from tests.helpers import moved_replies

    client = async_redis("cluster")
    try:
        queue = AsyncRedisQueue(client, prefix=prefix, partitions=8)
        before = moved_replies()
        answers = await asyncio.gather(
            queue.heartbeat("a", 5000),
            *(queue.acquire(p, "a", 5000) for p in range(8)),
            *(queue.append(p, FIELDS) for p in range(8)),
        )
        assert answers[0] == 1
        assert answers[1:9] == [True] * 8
        assert all(isinstance(entry, str) for entry in answers[9:])
        assert moved_replies() == before
    finally:
        await client.aclose()
