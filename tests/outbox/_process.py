"""A sender or a runner in a process of its own, for the tests that kill one with SIGKILL.

python tests/outbox/_process.py send REDIS_URL PREFIX BASE_URL COUNT
python tests/outbox/_process.py run REDIS_URL PREFIX BASE_URL LEASE_SECONDS [NAME]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import timedelta

import redis
import redis.asyncio

from botcopy_handover import AsyncClient, Client
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import (
    AsyncOutbox,
    AsyncRedisQueue,
    DeliveryPolicy,
    Outbox,
    OutboxFailure,
    RedisQueue,
)
from botcopy_handover.state.redis import AsyncRedisStore, RedisStore

API_KEY = "outbox-key"
PARTITIONS = 4


def send(url: str, prefix: str, base_url: str, count: int) -> None:
    """Send ``count`` messages over 5 customers; print each once ``send`` returned."""
    client = redis.Redis.from_url(url)
    with Client(api_key=API_KEY, base_url=base_url) as push:
        outbox = Outbox(
            push,
            RedisStore(client, prefix=prefix),
            queue=RedisQueue(client, prefix=prefix, partitions=PARTITIONS),
        )
        for i in range(count):
            text = f"{i}"
            outbox.send_message(f"user-{i % 5}", "bot-1", text)
            print(text, flush=True)
    time.sleep(3600)


async def run(url: str, prefix: str, base_url: str, lease: float, name: str | None) -> None:
    """Deliver until killed (as runner ``name``); failures go to the list ``<prefix>failures``."""
    client = redis.asyncio.Redis.from_url(url)

    async def report(failure: OutboxFailure) -> None:
        record = {"text": getattr(failure.event, "text", None), "reason": failure.reason}
        await client.rpush(f"{prefix}failures", json.dumps(record))

    async with AsyncClient(
        api_key=API_KEY, base_url=base_url, retry=RetryPolicy(max_retries=0), timeout=2.0
    ) as push:
        outbox = AsyncOutbox(
            push,
            AsyncRedisStore(client, prefix=prefix),
            queue=AsyncRedisQueue(client, prefix=prefix, partitions=PARTITIONS),
            on_failure=report,
            policy=DeliveryPolicy(lease=timedelta(seconds=lease), in_flight=timedelta(seconds=1)),
        )
        print("running", flush=True)
        await outbox.run(name=name)


if __name__ == "__main__":
    role, url, prefix, base_url, number = sys.argv[1:6]
    if role == "send":
        send(url, prefix, base_url, int(number))
    else:
        name = sys.argv[6] if len(sys.argv) > 6 else None
        asyncio.run(run(url, prefix, base_url, float(number), name))
