"""Stores for the contract suite: memory, Redis (sync and async), each on a fake clock.

The Redis stores need a real redis-server: ``scripts/with-services.sh`` starts
one and exports ``REDIS_URL``. Without it the Redis cases skip, unless ``CI``
is set, where a missing Redis is a failure.
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


def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key namespace of its own for each test, removed afterwards when Redis is there."""
    name = f"test:{uuid.uuid4().hex}:"
    yield name
    url = os.environ.get("REDIS_URL")
    if url:
        import redis

        with redis.Redis.from_url(url) as client:
            keys = list(client.scan_iter(match=f"{name}*"))
            if keys:
                client.delete(*keys)


@pytest.fixture(params=["memory", "redis", "async_redis"])
async def store(
    request: pytest.FixtureRequest, clock: FakeClock, prefix: str
) -> AsyncIterator[ConversationStore | AsyncConversationStore]:
    """Each backend in turn, on the fake clock."""
    if request.param == "memory":
        yield MemoryStore(clock=clock)
        return
    url = redis_url()
    from botcopy_handover import AsyncRedisStore, RedisStore

    if request.param == "redis":
        with RedisStore(url=url, prefix=prefix, clock=clock) as sync_store:
            yield sync_store
    else:
        async with AsyncRedisStore(url=url, prefix=prefix, clock=clock) as async_store:
            yield async_store
