"""Benchmark: RedisStore and AsyncRedisStore against raw redis-py sending the same commands.

For each operation the baseline sends exactly what the store sends (the same
Lua script by EVALSHA with the same keys and arguments, or the same HGETALL)
on the same kind of client, and only skips the store's own work: checking
arguments, building keys, reading the answer into a ``ConversationState``.
Rounds alternate between SDK and raw, best round kept, all in one run against
one throwaway redis-server on a loopback port.

Run: ``.venv/bin/python benchmarks/store.py`` (about half a minute). Without
``REDIS_URL`` the script re-runs itself under ``scripts/with-services.sh``,
which starts redis-server and stops it by pid afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
import redis.asyncio

from botcopy_handover import AsyncRedisStore, RedisStore
from botcopy_handover.state import _lua

ROOT = Path(__file__).resolve().parent.parent

URL = os.environ.get("REDIS_URL", "")
PREFIX = "bench:"
OPS = 2000  # per round and operation
ROUNDS = 7
BOT, USER = "bot-9a1c", "user-5f2b"
CONV = f"{PREFIX}conv:{BOT}:{USER}"
EXPIRING = f"{PREFIX}expiring"
MEMBER = f"{BOT}:{USER}"
RETENTION_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


def sync_ops(store: RedisStore, client: redis.Redis) -> dict[str, tuple[Callable[[], Any], ...]]:
    pause = client.register_script(_lua.PAUSE)
    touch = client.register_script(_lua.TOUCH)
    claim = client.register_script(_lua.CLAIM)
    ttl = timedelta(seconds=30)
    counter = iter(range(10**9))
    return {
        "record_pause": (
            lambda: store.record_pause(BOT, USER, minutes=10, agent_name="Dana"),
            lambda: pause(
                keys=[CONV, EXPIRING],
                args=[now_ms(), RETENTION_MS, BOT, USER, MEMBER, 10, "1", "Dana", "0", ""],
            ),
        ),
        "touch": (
            lambda: store.touch(BOT, USER),
            lambda: touch(keys=[CONV, EXPIRING], args=[now_ms(), RETENTION_MS, MEMBER]),
        ),
        "get": (
            lambda: store.get(BOT, USER),
            lambda: client.hgetall(CONV),
        ),
        "claim": (
            lambda: store.claim(f"body:{next(counter)}", ttl),
            lambda: claim(keys=[f"{PREFIX}claim:body:{next(counter)}"], args=[now_ms(), 30_000]),
        ),
    }


def async_ops(
    store: AsyncRedisStore, client: redis.asyncio.Redis
) -> dict[str, tuple[Callable[[], Awaitable[Any]], ...]]:
    pause = client.register_script(_lua.PAUSE)
    touch = client.register_script(_lua.TOUCH)
    return {
        "record_pause": (
            lambda: store.record_pause(BOT, USER, minutes=10, agent_name="Dana"),
            lambda: pause(
                keys=[CONV, EXPIRING],
                args=[now_ms(), RETENTION_MS, BOT, USER, MEMBER, 10, "1", "Dana", "0", ""],
            ),
        ),
        "touch": (
            lambda: store.touch(BOT, USER),
            lambda: touch(keys=[CONV, EXPIRING], args=[now_ms(), RETENTION_MS, MEMBER]),
        ),
        "get": (
            lambda: store.get(BOT, USER),
            lambda: client.hgetall(CONV),
        ),
    }


def time_sync(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    for _ in range(OPS):
        fn()
    return OPS / (time.perf_counter() - start)


async def time_async(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    for _ in range(OPS):
        await fn()
    return OPS / (time.perf_counter() - start)


def best_interleaved(pairs: dict[str, tuple[Any, ...]], timer: Callable[[Any], float]) -> None:
    for name, (sdk, raw) in pairs.items():
        timer(sdk), timer(raw)  # warm up: scripts loaded, connections open
        best_sdk = best_raw = 0.0
        for _ in range(ROUNDS):
            best_sdk = max(best_sdk, timer(sdk))
            best_raw = max(best_raw, timer(raw))
        print(f"| {name} | {best_raw:,.0f} | {best_sdk:,.0f} | {best_sdk / best_raw:.2f}x |")


def clean(client: redis.Redis) -> None:
    keys = list(client.scan_iter(match=f"{PREFIX}*"))
    if keys:
        client.delete(*keys)


async def run_async() -> None:
    client = redis.asyncio.Redis.from_url(URL)
    store = AsyncRedisStore(client, prefix=PREFIX)
    pairs = async_ops(store, client)
    for name, (sdk, raw) in pairs.items():
        await time_async(sdk), await time_async(raw)
        best_sdk = best_raw = 0.0
        for _ in range(ROUNDS):
            best_sdk = max(best_sdk, await time_async(sdk))
            best_raw = max(best_raw, await time_async(raw))
        print(f"| {name} | {best_raw:,.0f} | {best_sdk:,.0f} | {best_sdk / best_raw:.2f}x |")
    await client.aclose()


def main() -> None:
    client = redis.Redis.from_url(URL)
    clean(client)
    print(
        f"redis-server {client.info()['redis_version']}, redis-py {redis.__version__}, "
        f"Python {sys.version.split()[0]}; {OPS} sequential ops per round, best of {ROUNDS}\n"
    )
    print("RedisStore (sync), operations/s\n")
    print("| operation | raw redis-py | RedisStore | SDK / raw |\n|---|---:|---:|---:|")
    best_interleaved(sync_ops(RedisStore(client, prefix=PREFIX), client), time_sync)
    print("\nAsyncRedisStore, operations/s\n")
    print("| operation | raw redis.asyncio | AsyncRedisStore | SDK / raw |\n|---|---:|---:|---:|")
    asyncio.run(run_async())
    clean(client)
    client.close()


if __name__ == "__main__":
    if not URL:
        # Start Redis by pid through the same script the tests use, then come back.
        services = str(ROOT / "scripts" / "with-services.sh")
        os.execv(services, [services, sys.executable, *sys.argv])
    main()
