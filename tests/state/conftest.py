"""Stores for the contract suite: memory, Redis and Redis Cluster (sync and async), on a fake clock.

The Redis stores need a real redis-server: ``scripts/with-services.sh`` starts
one and exports ``REDIS_URL``, and starts a three-master Redis Cluster and
exports ``REDIS_CLUSTER_URL``. Without them the Redis cases skip, unless
``CI`` is set, where a missing Redis is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from botcopy_handover import MemoryStore
from botcopy_handover.state import AsyncConversationStore, ConversationStore
from tests.helpers import FakeClock, close_redis, cluster_url, redis_url


class KeyCleaner:
    """Removes a test's keys from the Redis and the cluster the tests use.

    One client each for the whole session: a cluster client maps the cluster
    when it is made, which is too slow to repeat for every test.
    """

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, variable: str) -> Any:
        url = os.environ.get(variable)
        if not url:
            return None
        if variable not in self._clients:
            import redis
            import redis.cluster

            kind = redis.cluster.RedisCluster if variable == "REDIS_CLUSTER_URL" else redis.Redis
            self._clients[variable] = kind.from_url(url)
        return self._clients[variable]

    def drop(self, prefix: str, *, cluster: bool) -> None:
        client = self._client("REDIS_URL")
        if client is not None:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
        if not cluster:
            return
        client = self._client("REDIS_CLUSTER_URL")
        if client is not None:
            for key in client.scan_iter(match=f"{prefix}*", target_nodes=client.PRIMARIES):
                client.delete(key)

    def close(self) -> None:
        for client in self._clients.values():
            close_redis(client)


@pytest.fixture(scope="session")
def key_cleaner() -> Iterator[KeyCleaner]:
    cleaner = KeyCleaner()
    yield cleaner
    cleaner.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prefix(request: pytest.FixtureRequest, key_cleaner: KeyCleaner) -> Iterator[str]:
    """A key namespace of its own for each test, removed afterwards when Redis is there."""
    name = f"test:{uuid.uuid4().hex}:"
    yield name
    # The cluster is scanned only after tests that may have used it.
    uses_cluster = "cluster" in request.node.nodeid
    key_cleaner.drop(name, cluster=uses_cluster)


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
