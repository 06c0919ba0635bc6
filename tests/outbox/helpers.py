"""Helpers for the outbox tests: a failure recorder, running outboxes, waiting, reading texts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

from botcopy_handover import MessageEvent
from botcopy_handover.outbox import AsyncOutbox, OutboxFailure
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.helpers import close_redis, cluster_url, redis_url

__all__ = [
    "REDIS_BACKENDS",
    "Failures",
    "OutboxFactory",
    "async_redis",
    "redis_url",
    "running",
    "sync_redis",
    "texts",
    "until",
]

REDIS_BACKENDS = ["redis", "cluster"]
"""The Redis backends every Redis test runs on: one server, and a 3-master cluster."""


def sync_redis(backend: str) -> Any:
    """A ``redis.Redis`` (``backend="redis"``) or ``redis.cluster.RedisCluster`` client."""
    import redis
    import redis.cluster

    if backend == "cluster":
        return redis.cluster.RedisCluster.from_url(cluster_url())
    return redis.Redis.from_url(redis_url())


@contextmanager
def open_sync_redis(backend: str) -> Iterator[Any]:
    """``sync_redis(backend)``, closed with every connection it made (``close_redis``)."""
    client = sync_redis(backend)
    try:
        yield client
    finally:
        close_redis(client)


def async_redis(backend: str) -> Any:
    """The asyncio twin of ``sync_redis``."""
    import redis.asyncio
    import redis.asyncio.cluster

    if backend == "cluster":
        return redis.asyncio.cluster.RedisCluster.from_url(cluster_url())
    return redis.asyncio.Redis.from_url(redis_url())


class Failures(list[OutboxFailure]):
    """An ``on_failure`` that keeps what it is given."""

    def __call__(self, failure: OutboxFailure) -> None:
        self.append(failure)


OutboxFactory = Callable[..., Any]


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
