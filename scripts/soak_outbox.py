#!/usr/bin/env python
"""Soak the durable outbox: many messages, faults, a runner killed with SIGKILL.

Run through ``scripts/with-services.sh`` (it exports ``REDIS_URL``)::

    scripts/with-services.sh .venv/bin/python scripts/soak_outbox.py \
        --messages 10000 --customers 200

Two phases against one local Botcopy emulator with faults injected on ~20%
of pushes (429, 503, 500 and dropped connections):

1. *direct*: two runner processes push every message straight through
   ``AsyncClient`` (its default retries), customers concurrently, each
   customer's messages one after another;
2. *outbox*: the messages are queued in an ``AsyncOutbox`` on Redis, two
   runner processes deliver them; one is killed with SIGKILL mid-run and
   restarted under its name (so it takes its partitions back at once).

Printed per phase: delivered once, twice or more, reported failures, silent
losses (neither delivered nor reported), customers with an order violation,
throughput, and the CPU seconds the runners, the emulator and Redis spent;
then the outbox's throughput as a share of direct pushes.
``--json`` prints the figures as one JSON object instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from typing import Any

import redis

from botcopy_handover import AsyncClient
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import AsyncOutbox, DeliveryPolicy, OutboxFailure
from botcopy_handover.outbox.redis import AsyncRedisQueue
from botcopy_handover.state.redis import AsyncRedisStore
from botcopy_handover.testing.emulator import BotcopyEmulator, Fault

BOT = "bot-soak"
TIMEOUT = 2.0  # seconds, per push, for both phases
FAULTS = [
    Fault("rate_limit", rate=0.08, retry_after=0.05),
    Fault("server_error", rate=0.08, status=503, retry_after=0.05),
    Fault("server_error", rate=0.02, status=500, retry_after=None),
    Fault("drop", rate=0.03),
]


def user(customer: int) -> str:
    """The user id of customer number ``customer``."""
    return f"user-{customer:04d}"


def text(customer: int, index: int) -> str:
    """The text of message ``index`` to customer ``customer``."""
    return f"c{customer}-m{index}"


# -- the runner processes -------------------------------------------------------


async def run_direct(args: argparse.Namespace) -> None:
    """Push this runner's customers' messages directly, each customer in order."""
    redis_client = redis.asyncio.Redis.from_url(args.redis, max_connections=256)
    store = AsyncRedisStore(redis_client, prefix=args.prefix)
    mine = [c for c in range(args.customers) if c % args.runners == args.index]
    failures = 0
    async with AsyncClient(
        api_key=args.api_key,
        base_url=args.base_url,
        store=store,
        retry=RetryPolicy(max_retries=4, initial_backoff=0.05, max_backoff=0.5),
        timeout=TIMEOUT,
    ) as client:

        async def customer(c: int) -> None:
            nonlocal failures
            for i in range(args.per_customer):
                try:
                    await client.send_message(user(c), BOT, text(c, i), minutes_paused=30)
                except Exception:  # the direct path reports by raising
                    failures += 1
                    record = json.dumps({"text": text(c, i)})
                    await redis_client.rpush(f"{args.prefix}soak:direct-reported", record)

        await asyncio.gather(*(customer(c) for c in mine))
    await redis_client.rpush(f"{args.prefix}soak:direct-failures", failures)
    await redis_client.aclose()


async def run_outbox(args: argparse.Namespace) -> None:
    """Deliver from the outbox until killed; failures go to a Redis list."""
    redis_client = redis.asyncio.Redis.from_url(args.redis, max_connections=256)
    store = AsyncRedisStore(redis_client, prefix=args.prefix)
    queue = AsyncRedisQueue(redis_client, prefix=args.prefix, partitions=args.partitions)

    async def report(failure: OutboxFailure) -> None:
        event = failure.event
        record = {
            "text": getattr(event, "text", None),
            "reason": failure.reason,
            "maybe_delivered": failure.maybe_delivered,
        }
        await redis_client.rpush(f"{args.prefix}soak:failures", json.dumps(record))

    async with AsyncClient(
        api_key=args.api_key,
        base_url=args.base_url,
        retry=RetryPolicy(max_retries=0),
        timeout=TIMEOUT,
    ) as client:
        outbox = AsyncOutbox(
            client,
            store,
            queue=queue,
            on_failure=report,
            policy=DeliveryPolicy(
                lease=timedelta(seconds=args.lease),
                initial_backoff=0.05,
                max_backoff=0.5,
                in_flight=timedelta(seconds=args.in_flight),
            ),
            # As many pushes at once as one direct runner makes (its customers), which
            # also keeps them within httpx's pool of 100 connections.
            concurrency=max(1, args.customers // args.runners),
        )
        # A name of its own per runner: the one restarted after the SIGKILL takes
        # back at once what its killed run held, instead of waiting out the lease.
        await outbox.run(name=f"soak-runner-{args.index}")


# -- the coordinator --------------------------------------------------------------


@dataclass
class Figures:
    """What one phase achieved."""

    messages: int
    delivered_once: int
    delivered_twice_or_more: int
    reported: int
    reported_and_delivered: int
    silent_losses: int
    order_violations: int
    seconds: float
    per_second: float
    cpu_runners: float
    cpu_emulator: float
    cpu_redis: float


class CpuMeter:
    """CPU seconds spent during a phase by its runners, the emulator and Redis.

    The runners are this process's children (counted once waited for), the
    emulator runs in a thread of this process (with the coordinator's own
    polling), and Redis reports its own CPU. Both cores are busy in both phases,
    so these say where the time goes.
    """

    def __init__(self, r: redis.Redis) -> None:
        self._redis = r
        self._start = self._read()

    def _read(self) -> tuple[float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        info: dict[str, Any] = self._redis.info("cpu")  # type: ignore[assignment]
        return (
            children.ru_utime + children.ru_stime,
            own.ru_utime + own.ru_stime,
            float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
        )

    def spent(self) -> tuple[float, float, float]:
        """Seconds of CPU since this meter was made: runners, emulator, Redis."""
        now = self._read()
        runners, emulator, redis_cpu = (
            round(b - a, 1) for a, b in zip(self._start, now, strict=True)
        )
        return runners, emulator, redis_cpu


def judge(
    emulator: BotcopyEmulator,
    args: argparse.Namespace,
    reported: set[str],
    seconds: float,
    cpu: tuple[float, float, float],
) -> Figures:
    """Count, from what the emulator accepted, deliveries, losses and order violations."""
    seen: dict[str, list[int]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for event in emulator.events:
        body = getattr(event, "text", None)
        if body is None:
            continue
        counts[body] += 1
        seen[event.user_id].append(int(body.rsplit("-m", 1)[1]))
    once = twice = lost = both = 0
    for c in range(args.customers):
        for i in range(args.per_customer):
            t = text(c, i)
            n = counts[t]
            once += n == 1
            twice += n >= 2
            both += n >= 1 and t in reported
            lost += n == 0 and t not in reported
    violations = sum(1 for order in seen.values() if order != sorted(order))
    total = args.customers * args.per_customer
    delivered = sum(1 for c in counts.values() if c >= 1)
    return Figures(
        total,
        once,
        twice,
        len(reported),
        both,
        lost,
        violations,
        round(seconds, 2),
        round(delivered / seconds, 1) if seconds else 0.0,
        *cpu,
    )


def spawn(
    args: argparse.Namespace, mode: str, index: int, base_url: str
) -> subprocess.Popen[bytes]:
    """Start one runner process of ``mode`` (direct or outbox)."""
    command = [
        sys.executable, __file__, mode,
        "--redis", args.redis, "--prefix", args.prefix, "--base-url", base_url,
        "--api-key", args.api_key, "--customers", str(args.customers),
        "--per-customer", str(args.per_customer), "--runners", str(args.runners),
        "--index", str(index), "--lease", str(args.lease), "--partitions", str(args.partitions),
        "--in-flight", str(args.in_flight),
    ]  # fmt: skip
    return subprocess.Popen(command)  # noqa: S603 - this script, fixed arguments


def wait_for(condition: Any, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; give up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"soak: timed out waiting for {what}")
        time.sleep(0.05)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the runner processes by pid, killing any that lingers."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def phase_direct(emulator: BotcopyEmulator, args: argparse.Namespace, r: redis.Redis) -> Figures:
    """Push every message directly from the runner processes."""
    emulator.reset()
    for fault in FAULTS:
        emulator.inject_fault(Fault(**asdict(fault)))
    meter = CpuMeter(r)
    started = time.monotonic()
    processes = [spawn(args, "direct", i, emulator.url) for i in range(args.runners)]
    for process in processes:
        process.wait(args.timeout)
    seconds = time.monotonic() - started
    cpu = meter.spent()
    # Raised to the caller, who must decide what to do: counted as reported.
    key = f"{args.prefix}soak:direct-reported"
    reported = {json.loads(x)["text"] for x in r.lrange(key, 0, -1)}
    return judge(emulator, args, reported, seconds, cpu)


def phase_outbox(emulator: BotcopyEmulator, args: argparse.Namespace, r: redis.Redis) -> Figures:
    """Queue every message, deliver through the outbox, SIGKILL a runner midway."""
    emulator.reset()

    async def enqueue() -> None:
        client = redis.asyncio.Redis.from_url(args.redis)
        store = AsyncRedisStore(client, prefix=args.prefix)
        queue = AsyncRedisQueue(client, prefix=args.prefix, partitions=args.partitions)
        async with AsyncClient(api_key=args.api_key, base_url=emulator.url) as push:
            outbox = AsyncOutbox(push, store, queue=queue)
            for i in range(args.per_customer):
                for first in range(0, args.customers, 50):  # within the connection pool
                    await asyncio.gather(
                        *(outbox.send_message(user(c), BOT, text(c, i), minutes_paused=30)
                          for c in range(first, min(first + 50, args.customers)))
                    )  # fmt: skip
        await client.aclose()

    asyncio.run(enqueue())
    for fault in FAULTS:
        emulator.inject_fault(Fault(**asdict(fault)))
    total = args.customers * args.per_customer
    failures_key = f"{args.prefix}soak:failures"

    def reported() -> set[str]:
        return {json.loads(x)["text"] for x in r.lrange(failures_key, 0, -1)}

    def settled() -> bool:
        # Polled in the emulator's process: count first (cheap), and build the sets
        # only once the counts say every message may be in, so that the polling does
        # not take the emulator's CPU during the run (the direct phase has none).
        if len(emulator.received) + int(r.llen(failures_key)) < total:  # type: ignore[arg-type]
            return False
        done = {getattr(event, "text", None) for event in emulator.events} | reported()
        return bool(len(done) >= total)

    meter = CpuMeter(r)
    started = time.monotonic()
    processes = [spawn(args, "outbox", i, emulator.url) for i in range(args.runners)]
    try:
        if args.kill_at > 0:
            wait_for(
                lambda: len(emulator.received) >= total * args.kill_at,
                args.timeout,
                "the kill point",
            )
            victim = processes[0]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            processes[0] = spawn(args, "outbox", 0, emulator.url)
        wait_for(settled, args.timeout, "every message to be delivered or reported")
        seconds = time.monotonic() - started
    finally:
        stop(processes)
    return judge(emulator, args, reported(), seconds, meter.spent())


def coordinate(args: argparse.Namespace) -> None:
    """Run both phases and print the figures."""
    args.redis = args.redis or os.environ.get("REDIS_URL")
    if not args.redis:
        raise SystemExit("soak: set REDIS_URL (run through scripts/with-services.sh)")
    args.per_customer = max(1, args.messages // args.customers)
    args.prefix = f"soak-{uuid.uuid4().hex[:8]}:"
    r = redis.Redis.from_url(args.redis)
    with BotcopyEmulator(api_key=args.api_key, fault_seed=7) as emulator:
        direct = None if args.outbox_only else phase_direct(emulator, args, r)
        outbox = phase_outbox(emulator, args, r)
    for key in r.scan_iter(f"*{args.prefix}*"):
        r.delete(key)
    if direct is None:
        print(json.dumps({"outbox": asdict(outbox)}))
        return
    ratio = outbox.per_second / direct.per_second if direct.per_second else 0.0
    if args.json:
        print(
            json.dumps(
                {"direct": asdict(direct), "outbox": asdict(outbox), "ratio": round(ratio, 2)}
            )
        )
        return
    kill = (f"outbox runner 0 SIGKILLed at {args.kill_at:.0%} and restarted" if args.kill_at > 0
            else "no runner killed")  # fmt: skip
    print(f"{args.customers * args.per_customer} messages over {args.customers} customers, "
          f"{args.runners} runners, ~20% faults; {kill}")  # fmt: skip
    print(f"{'':28}{'direct':>10}{'outbox':>10}")
    for name in [f.name for f in fields(Figures) if f.name != "messages"]:
        print(f"{name:28}{getattr(direct, name):>10}{getattr(outbox, name):>10}")
    print(f"outbox throughput / direct: {ratio:.2f}x")


def main() -> None:
    """Coordinate a soak, or be one of its runner processes."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", default="soak", choices=["soak", "direct", "outbox"])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="share delivered before the kill; 0: no kill"
    )
    parser.add_argument("--lease", type=float, default=5.0, help="seconds")
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument(
        "--in-flight",
        type=float,
        default=3.0,
        help="seconds the outbox allows a push to take: the client's 2 s timeout and a second"
        " (a heavily loaded host delays pushes past that: give it 10; order violations say so)",
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--outbox-only", action="store_true", help="skip the direct phase; JSON")
    parser.add_argument("--redis", default=None)
    parser.add_argument("--api-key", default="soak-key")
    # Set by the coordinator for the runner processes.
    parser.add_argument("--prefix", default="soak:")
    parser.add_argument("--base-url", default="")
    parser.add_argument("--per-customer", type=int, default=0)
    parser.add_argument("--index", type=int, default=0)
    args = parser.parse_args()
    # Faults are the point here: keep retries and dropped connections out of the output.
    logging.getLogger("botcopy_handover").setLevel(logging.ERROR)
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    if args.mode == "direct":
        asyncio.run(run_direct(args))
    elif args.mode == "outbox":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_outbox(args))
    else:
        coordinate(args)


if __name__ == "__main__":
    main()
