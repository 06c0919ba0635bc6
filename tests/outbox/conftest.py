"""Outboxes on each queue backend, the local emulator to deliver to, and helpers to wait.

The Redis cases need a real redis-server and a real Redis Cluster:
``scripts/with-services.sh`` starts both and exports ``REDIS_URL`` and
``REDIS_CLUSTER_URL``. Without them they skip, unless ``CI`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from botcopy_handover import AsyncClient, MemoryStore
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import AsyncOutbox, DeliveryPolicy, MemoryQueue
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.outbox.helpers import (
    REDIS_BACKENDS,
    Failures,
    OutboxFactory,
    async_redis,
    open_sync_redis,
)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key namespace of its own for each test, removed afterwards (server and cluster)."""
    name = f"test:{uuid.uuid4().hex[:12]}:"
    yield name
    for variable, backend in (("REDIS_URL", "redis"), ("REDIS_CLUSTER_URL", "cluster")):
        if os.environ.get(variable):
            with open_sync_redis(backend) as client:
                for key in list(client.scan_iter(match=f"*{name}*")):
                    client.delete(key)


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


@pytest.fixture
def failures() -> Failures:
    return Failures()


@pytest.fixture(params=["memory", *REDIS_BACKENDS])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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
        """An outbox on the shared store and queue; ``options`` are policy fields,
        ``client`` and ``on_failure``."""
        push = options.pop("client", client)
        on_failure = options.pop("on_failure", failures)
        policy = DeliveryPolicy(
            **{
                "lease": timedelta(seconds=5),
                "initial_backoff": 0.01,
                "max_backoff": 0.05,
                "in_flight": timedelta(seconds=1),
                **options,
            }
        )
        return AsyncOutbox(
            push, shared["store"], queue=shared["queue"], on_failure=on_failure, policy=policy
        )

    make.store = shared["store"]  # type: ignore[attr-defined]
    make.queue = shared["queue"]  # type: ignore[attr-defined]
    yield make
    for closer in closers:
        await closer.aclose()
