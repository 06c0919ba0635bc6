"""Two runners on real Redis, one outliving its lease: every event still arrives in order.

Regression for the order violations of the 10,000-message soak (docs/replicas.md,
"Order after a takeover"): the lease is made to lapse under a live runner by
deleting it, the way a long pause would, and a second runner takes over.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from botcopy_handover import AsyncClient, AsyncRedisStore
from botcopy_handover.outbox import AsyncOutbox, AsyncRedisQueue, DeliveryPolicy, OutboxFailure
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.outbox.helpers import REDIS_BACKENDS, async_redis, running, texts, until


@pytest.mark.parametrize("backend", REDIS_BACKENDS)
async def test_a_runner_outliving_its_lease_does_not_hold_back_the_next_owners_events(
    backend: str, prefix: str, emulator: BotcopyEmulator, client: AsyncClient
) -> None:
    redis_client = async_redis(backend)
    queue = AsyncRedisQueue(redis_client, prefix=prefix, partitions=1)
    store = AsyncRedisStore(redis_client, prefix=prefix)
    failures: list[OutboxFailure] = []

    def outbox() -> AsyncOutbox:
        # A long lease: the first runner would not notice the loss for 10 s.
        policy = DeliveryPolicy(lease=timedelta(seconds=30))
        return AsyncOutbox(client, store, queue=queue, on_failure=failures.append, policy=policy)

    lease = f"{{{prefix}outbox:0}}:lease"
    first, second = outbox(), outbox()
    try:
        async with running(first):
            await until(lambda: True)
            while not await redis_client.get(lease):  # noqa: ASYNC110 - a key to poll
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # the first runner now waits for new entries
            await redis_client.delete(lease)  # its lease lapses; it lives on
            async with running(second):
                while await redis_client.get(lease) in (None,):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.2)  # both runners wait for new entries
                for i in range(6):
                    await second.send_message("user-1", "bot-1", str(i))
                    await asyncio.sleep(0.05)
                await until(lambda: len(texts(emulator, "user-1")) == 6, timeout=8)
    finally:
        await redis_client.aclose()

    assert texts(emulator, "user-1") == [str(i) for i in range(6)]
    assert failures == []
