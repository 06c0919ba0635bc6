"""Outboxes on each queue backend, the local emulator to deliver to, and helpers to wait.

The Redis cases need a real redis-server and a real Redis Cluster:
``scripts/with-services.sh`` starts both and exports ``REDIS_URL`` and
``REDIS_CLUSTER_URL``. Without them they skip, unless ``CI`` is set.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from botcopy_handover import AsyncClient, MemoryStore, MessageEvent
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import AsyncOutbox, MemoryQueue, OutboxFailure
from botcopy_handover.testing.emulator import BotcopyEmulator

REDIS_BACKENDS = ["redis", "cluster"]
"""The Redis backends every Redis test runs on: one server, and a 3-master cluster."""


def _service(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set; run the tests through scripts/with-services.sh")
        pytest.skip(f"{variable} is not set (run through scripts/with-services.sh)")
    return url


def redis_url() -> str:
    """The throwaway Redis server, or skip (fail under CI)."""
    return _service("REDIS_URL")


def cluster_url() -> str:
    """A node of the throwaway Redis Cluster, or skip (fail under CI)."""
    return _service("REDIS_CLUSTER_URL")


def sync_redis(backend: str) -> Any:
    """A ``redis.Redis`` (``backend="redis"``) or ``redis.cluster.RedisCluster`` client."""
    import redis
    import redis.cluster

    if backend == "cluster":
        return redis.cluster.RedisCluster.from_url(cluster_url())
    return redis.Redis.from_url(redis_url())


def async_redis(backend: str) -> Any:
    """The asyncio twin of [sync_redis][]."""
    import redis.asyncio
    import redis.asyncio.cluster

    if backend == "cluster":
        return redis.asyncio.cluster.RedisCluster.from_url(cluster_url())
    return redis.asyncio.Redis.from_url(redis_url())


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key namespace of its own for each test, removed afterwards (server and cluster)."""
    name = f"test:{uuid.uuid4().hex[:12]}:"
    yield name
    for variable, backend in (("REDIS_URL", "redis"), ("REDIS_CLUSTER_URL", "cluster")):
        if os.environ.get(variable):
            client = sync_redis(backend)
            try:
                for key in list(client.scan_iter(match=f"*{name}*")):
                    client.delete(key)
            finally:
                client.close()


@pytest.fixture
def emulator() -> Iterator[BotcopyEmulator]:
    with BotcopyEmulator(api_key="outbox-key", fault_seed=3) as botcopy:
        yield botcopy


@pytest.fixture
async def client(emulator: BotcopyEmulator) -> AsyncIterator[AsyncClient]:
    # No retries of its own: the outbox decides what is retried.
    async with AsyncClient(
        api_key=emulator.api_key, base_url=emulator.url, retry=RetryPolicy(max_retries=0)
    ) as push:
        yield push


class Failures(list[OutboxFailure]):
    """An ``on_failure`` that keeps what it is given."""

    def __call__(self, failure: OutboxFailure) -> None:
        self.append(failure)


@pytest.fixture
def failures() -> Failures:
    return Failures()


@pytest.fixture(params=["memory", *REDIS_BACKENDS])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


OutboxFactory = Callable[..., Any]


@pytest.fixture
async def make_outbox(
    backend: str, prefix: str, client: AsyncClient, failures: Failures
) -> AsyncIterator[OutboxFactory]:
    """``make_outbox(**options)``: outboxes sharing one store and queue on ``backend``."""
    closers: list[Any] = []
    shared: dict[str, Any] = {}
    if backend == "memory":
        shared["store"] = MemoryStore()
        shared["queue"] = MemoryQueue(partitions=4)
    else:
        from botcopy_handover import AsyncRedisStore
        from botcopy_handover.outbox import AsyncRedisQueue

        redis_client = async_redis(backend)
        closers.append(redis_client)
        shared["store"] = AsyncRedisStore(redis_client, prefix=prefix)
        shared["queue"] = AsyncRedisQueue(redis_client, prefix=prefix, partitions=4)

    def make(**options: Any) -> AsyncOutbox:
        push = options.pop("client", client)
        settings: dict[str, Any] = {
            "queue": shared["queue"],
            "on_failure": failures,
            "lease": timedelta(seconds=5),
            "initial_backoff": 0.01,
            "max_backoff": 0.05,
            "in_flight": timedelta(seconds=1),
            **options,
        }
        return AsyncOutbox(push, shared["store"], **settings)

    make.store = shared["store"]  # type: ignore[attr-defined]
    yield make
    for closer in closers:
        await closer.aclose()


@asynccontextmanager
async def running(*outboxes: AsyncOutbox) -> AsyncIterator[None]:
    """Run each outbox's runner in a task for the block, then cancel them."""
    tasks = [asyncio.create_task(outbox.run()) for outbox in outboxes]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``condition()`` holds, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)


def texts(emulator: BotcopyEmulator, user_id: str | None = None) -> list[str]:
    """The message texts Botcopy accepted, in order, for one customer or all."""
    return [
        e.text
        for e in emulator.events
        if isinstance(e, MessageEvent) and (user_id is None or e.user_id == user_id)
    ]
