"""Stores for the contract suite: memory, Redis and Redis Cluster (sync and async), on a fake clock.

The Redis stores need a real redis-server: ``scripts/with-services.sh`` starts
one and exports ``REDIS_URL``, and starts a three-master Redis Cluster and
exports ``REDIS_CLUSTER_URL``. Without them the Redis cases skip, unless
``CI`` is set, where a missing Redis is a failure.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import pytest

from botcopy_handover import AsyncConversationStore, ConversationStore, MemoryStore

T = TypeVar("T")

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


async def run(value: Awaitable[T] | T) -> T:
    """The result of a store call, sync or async."""
    if inspect.isawaitable(value):
        return await value
    return value


def _service_url(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set; run the tests through scripts/with-services.sh")
        pytest.skip(f"{variable} is not set (run through scripts/with-services.sh)")
    return url


def redis_url() -> str:
    """The throwaway redis-server's URL, or skip (fail under CI)."""
    return _service_url("REDIS_URL")


def cluster_url() -> str:
    """A node of the throwaway Redis Cluster, or skip (fail under CI)."""
    return _service_url("REDIS_CLUSTER_URL")


def drop_keys(prefix: str) -> None:
    """Remove every key under ``prefix`` from the Redis and the cluster the tests use."""
    import redis
    import redis.cluster

    url = os.environ.get("REDIS_URL")
    if url:
        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
    url = os.environ.get("REDIS_CLUSTER_URL")
    if url:
        with redis.cluster.RedisCluster.from_url(url) as cluster:
            for key in cluster.scan_iter(match=f"{prefix}*", target_nodes=cluster.PRIMARIES):
                cluster.delete(key)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key namespace of its own for each test, removed afterwards when Redis is there."""
    name = f"test:{uuid.uuid4().hex}:"
    yield name
    drop_keys(name)


@pytest.fixture(params=["memory", "redis", "async_redis", "redis_cluster", "async_redis_cluster"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, prefix: str
) -> AsyncIterator[ConversationStore | AsyncConversationStore]:
    """Each backend in turn, on the fake clock."""
    if request.param == "memory":
        yield MemoryStore(clock=clock)
        return
    cluster = request.param.endswith("_cluster")
    url = cluster_url() if cluster else redis_url()
    from botcopy_handover import AsyncRedisStore, RedisStore

    if request.param.startswith("redis"):
        with RedisStore(url=url, cluster=cluster, prefix=prefix, clock=clock) as sync_store:
            yield sync_store
    else:
        async with AsyncRedisStore(
            url=url, cluster=cluster, prefix=prefix, clock=clock
        ) as async_store:
            yield async_store
