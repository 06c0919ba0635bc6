"""Benchmark: the outbox's own CPU per message, against pushing directly.

The push endpoint is an ``httpx.MockTransport`` in the same process that
answers every push 200 at once, so what is measured is the client side
alone (no server, no network, no faults): the CPU time (``process_time``)
to deliver ``customers x messages`` agent messages,

* *direct*: ``AsyncClient(store=...)`` pushing each customer's messages one
  after another, customers concurrently, every push recorded in the store;
* *outbox*: the same messages queued first (not timed), then delivered by one
  ``AsyncOutbox.run()`` on the same client and store (order per customer,
  the chat-ended check, started marks, acknowledgements, the record).

On the ``memory`` backend (``MemoryStore`` and ``MemoryQueue``) and, with
``REDIS_URL`` set (``scripts/with-services.sh``), on ``redis``
(``AsyncRedisStore`` and ``AsyncRedisQueue``). Rounds are interleaved; the
table shows the median CPU per message and the median of the per-round
ratios (direct / outbox: 1.0x means the outbox costs nothing extra).

Run: ``scripts/with-services.sh .venv/bin/python benchmarks/outbox.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from botcopy_handover import AsyncClient, MemoryStore
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import AsyncOutbox, DeliveryPolicy, MemoryQueue

BOT = "bot-bench"
KEY = "bench-api-key"


class _Count:
    """Pushes answered so far; ``reached`` is set once there are ``target`` of them."""

    def __init__(self, target: int) -> None:
        self.n = 0
        self.target = target
        self.reached = asyncio.Event()

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.n += 1
        if self.n >= self.target:
            self.reached.set()
        return httpx.Response(200, json={"ok": True})


def _client(count: _Count, store: Any = None) -> AsyncClient:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(count.answer), headers={"Authorization": KEY}
    )
    return AsyncClient(
        KEY,
        base_url="http://botcopy.test",
        http_client=http,
        retry=RetryPolicy(max_retries=0),
        store=store,
    )


async def _nothing() -> None:
    return None


async def _parts(backend: str) -> tuple[Any, Any, Callable[[], Awaitable[None]]]:
    """A fresh store and queue on ``backend``, and how to close them."""
    if backend == "memory":
        return MemoryStore(), MemoryQueue(), _nothing
    import redis.asyncio

    from botcopy_handover import AsyncRedisStore
    from botcopy_handover.outbox import AsyncRedisQueue

    client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"], max_connections=256)
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"

    async def close() -> None:
        async for key in client.scan_iter(match=f"*{prefix}*"):
            await client.delete(key)
        await client.aclose()

    return AsyncRedisStore(client, prefix=prefix), AsyncRedisQueue(client, prefix=prefix), close


async def direct(backend: str, customers: int, messages: int) -> float:
    """CPU seconds per message, pushing directly."""
    store, _, close = await _parts(backend)
    count = _Count(customers * messages)
    async with _client(count, store) as client:

        async def customer(c: int) -> None:
            for i in range(messages):
                await client.send_message(f"user-{c}", BOT, f"m{i}", minutes_paused=30)

        started = time.process_time()
        await asyncio.gather(*(customer(c) for c in range(customers)))
        spent = time.process_time() - started
    await close()
    assert count.n == customers * messages
    return spent / count.n


async def outbox(backend: str, customers: int, messages: int) -> float:
    """CPU seconds per message, delivering through an outbox."""
    store, queue, close = await _parts(backend)
    total = customers * messages
    count = _Count(total)
    async with _client(count) as client:  # the outbox records each delivery itself
        box = AsyncOutbox(
            client,
            store,
            queue=queue,
            policy=DeliveryPolicy(lease=timedelta(seconds=5)),
            concurrency=min(customers, 100),
        )
        for i in range(messages):
            await asyncio.gather(
                *(
                    box.send_message(f"user-{c}", BOT, f"m{i}", minutes_paused=30)
                    for c in range(customers)
                )
            )
        started = time.process_time()
        runner = asyncio.create_task(box.run())
        await count.reached.wait()
        spent = time.process_time() - started
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    await close()
    return spent / total


def main() -> None:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    backends = ["memory"] + (["redis"] if os.environ.get("REDIS_URL") else [])
    print(f"{args.customers} customers x {args.messages} messages, {args.rounds} rounds")
    print(f"{'backend':8} {'direct µs/msg':>14} {'outbox µs/msg':>14} {'direct/outbox':>14}")
    for backend in backends:
        d: list[float] = []
        o: list[float] = []
        for _ in range(args.rounds):
            d.append(asyncio.run(direct(backend, args.customers, args.messages)))
            o.append(asyncio.run(outbox(backend, args.customers, args.messages)))
        ratio = statistics.median(x / y for x, y in zip(d, o, strict=True))
        print(
            f"{backend:8} {statistics.median(d) * 1e6:14.0f} "
            f"{statistics.median(o) * 1e6:14.0f} {ratio:13.2f}x"
        )


if __name__ == "__main__":
    main()
