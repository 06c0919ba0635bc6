"""Redis outboxes survive SIGKILL: of a process sending, and of a process delivering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio

from botcopy_handover import AsyncClient
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import (
    AsyncOutbox,
    AsyncRedisQueue,
    DeliveryPolicy,
    FailureHandler,
    OutboxFailure,
)
from botcopy_handover.state.redis import AsyncRedisStore
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.outbox.helpers import redis_url, running, texts, until

PROCESS = Path(__file__).with_name("_process.py")
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def start(processes: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(  # noqa: S603 - our own helper, fixed arguments
        [sys.executable, str(PROCESS), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    processes.append(process)
    return process


def local_outbox(
    client: redis.asyncio.Redis,
    prefix: str,
    push: AsyncClient,
    on_failure: FailureHandler | None = None,
    **policy: Any,
) -> AsyncOutbox:
    return AsyncOutbox(
        push,
        AsyncRedisStore(client, prefix=prefix),
        queue=AsyncRedisQueue(client, prefix=prefix, partitions=4),
        on_failure=on_failure,
        policy=DeliveryPolicy(
            **{"lease": timedelta(seconds=1.5), "in_flight": timedelta(seconds=1), **policy}
        ),
    )


async def queue_messages(outbox: AsyncOutbox, customers: int, per_customer: int) -> set[str]:
    """Queue ``per_customer`` messages ``"c:i"`` for each customer, round-robin; their texts."""
    for i in range(per_customer):
        for c in range(customers):
            await outbox.send_message(f"user-{c}", "bot-1", f"{c}:{i}")
    return {f"{c}:{i}" for c in range(customers) for i in range(per_customer)}


def assert_each_customer_in_order(emulator: BotcopyEmulator, customers: int) -> None:
    for c in range(customers):
        mine = [int(t.split(":")[1]) for t in texts(emulator, f"user-{c}")]
        assert mine == sorted(mine), f"user-{c} got {mine}"


async def test_every_event_send_returned_for_survives_a_sigkill_of_the_sender(
    emulator: BotcopyEmulator, prefix: str, spawn: list[subprocess.Popen[str]]
) -> None:
    url = redis_url()
    sender = start(spawn, "send", url, prefix, emulator.url, "100000")
    assert sender.stdout is not None
    acknowledged = [sender.stdout.readline().strip() for _ in range(60)]
    os.kill(sender.pid, signal.SIGKILL)
    sender.wait()
    # Whatever was printed after the 60th line was acknowledged too.
    acknowledged += [line.strip() for line in sender.stdout.read().splitlines() if line.strip()]

    client = redis.asyncio.Redis.from_url(url)
    failures: list[OutboxFailure] = []
    async with AsyncClient(api_key=emulator.api_key, base_url=emulator.url) as push:
        outbox = local_outbox(client, prefix, push, on_failure=failures.append)
        async with running(outbox):
            await until(lambda: len(texts(emulator)) >= len(acknowledged))
            await until(lambda: True)
            while await outbox.backlog():  # noqa: ASYNC110 - a count to poll, no event
                await asyncio.sleep(0.05)
    await client.aclose()

    delivered = texts(emulator)
    assert failures == []
    assert set(acknowledged) <= set(delivered)
    assert max(Counter(delivered).values()) == 1
    for user in range(5):
        mine = [int(t) for t in texts(emulator, f"user-{user}")]
        assert mine == sorted(mine)


async def test_a_killed_runner_is_taken_over_in_order_without_duplicates(
    emulator: BotcopyEmulator, prefix: str, spawn: list[subprocess.Popen[str]]
) -> None:
    url = redis_url()
    client = redis.asyncio.Redis.from_url(url)
    customers, per_customer = 10, 12
    async with AsyncClient(
        api_key=emulator.api_key, base_url=emulator.url, retry=RetryPolicy(max_retries=0)
    ) as push:
        everything = await queue_messages(
            local_outbox(client, prefix, push), customers, per_customer
        )
        # Slow pushes, so that the kill lands on some in flight.
        emulator.inject_fault(kind="latency", rate=1.0, seconds=0.05)

        runner = start(spawn, "run", url, prefix, emulator.url, "1.5")
        assert runner.stdout is not None and runner.stdout.readline().strip() == "running"
        await until(lambda: len(texts(emulator)) >= 30, timeout=60)
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        killed_at = len(texts(emulator))

        failures: list[OutboxFailure] = []
        survivor = local_outbox(client, prefix, push, on_failure=failures.append)

        async def reported() -> list[dict[str, str]]:
            raw = await client.lrange(f"{prefix}failures", 0, -1)
            return [json.loads(x) for x in raw]

        async with running(survivor):
            await until(
                lambda: len(texts(emulator)) + len(failures) >= customers * per_customer,
                timeout=60,
            )
            await asyncio.sleep(0.3)
        assert await survivor.backlog() == 0
        assert await reported() == []  # the killed runner reported nothing
    await client.aclose()

    delivered = texts(emulator)
    assert len(delivered) > killed_at  # the survivor took over
    assert max(Counter(delivered).values()) == 1, "a message was delivered twice"
    assert_each_customer_in_order(emulator, customers)
    reported_texts = {f.event.text for f in failures if f.event is not None}  # type: ignore[union-attr]
    assert everything == set(delivered) | reported_texts, "a message was lost silently"
    # Only a push in flight at the kill is reported, as interrupted and maybe delivered.
    assert all(f.reason == "interrupted" and f.maybe_delivered for f in failures)
    assert len(failures) <= customers


async def test_a_killed_runner_restarted_under_its_name_goes_on_without_waiting_out_the_lease(
    emulator: BotcopyEmulator, prefix: str, spawn: list[subprocess.Popen[str]]
) -> None:
    url = redis_url()
    client = redis.asyncio.Redis.from_url(url)
    customers, per_customer = 10, 12
    async with AsyncClient(api_key=emulator.api_key, base_url=emulator.url) as push:
        everything = await queue_messages(
            local_outbox(client, prefix, push), customers, per_customer
        )
    emulator.inject_fault(kind="latency", rate=1.0, seconds=0.05)  # some pushes in flight

    lease = "60"  # far longer than the test waits: only taking it back can go on
    runner = start(spawn, "run", url, prefix, emulator.url, lease, "desk-1")
    assert runner.stdout is not None and runner.stdout.readline().strip() == "running"
    await until(lambda: len(texts(emulator)) >= 30, timeout=60)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    killed_at = len(texts(emulator))

    restarted = start(spawn, "run", url, prefix, emulator.url, lease, "desk-1")
    assert restarted.stdout is not None and restarted.stdout.readline().strip() == "running"

    async def reported() -> set[str]:
        return {json.loads(x)["text"] for x in await client.lrange(f"{prefix}failures", 0, -1)}

    done: set[str] = set()
    for _ in range(300):  # 15 s
        done = set(texts(emulator)) | await reported()
        if done >= everything:
            break
        await asyncio.sleep(0.05)
    await client.aclose()

    assert done >= everything, "the restarted runner did not take the partitions back"
    delivered = texts(emulator)
    assert len(delivered) > killed_at
    assert max(Counter(delivered).values()) == 1, "a message was delivered twice"
    assert_each_customer_in_order(emulator, customers)
