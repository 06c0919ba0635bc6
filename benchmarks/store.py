"""Benchmark: RedisStore and AsyncRedisStore against raw redis-py sending the same commands.

For each operation the baseline sends exactly what the store sends (the same
Lua script by EVALSHA with the same keys and arguments, or the same HGETALL)
on the same kind of client, and only skips the store's own work: checking
arguments, building keys, reading the answer into a ``ConversationState``.
Short rounds alternate between SDK and raw (which goes first alternates too);
the ratio is the median of the paired rounds' ratios, the ops/s the best
round of each. All in one run: once against one throwaway redis-server on a
loopback port (``redis.Redis``), once against a throwaway three-master Redis
Cluster (``redis.cluster.RedisCluster``, the cluster scripts and hash-tagged
keys).

Run: ``.venv/bin/python benchmarks/store.py`` (a few minutes); ``--quick``
for a smoke run. Without ``REDIS_URL`` and ``REDIS_CLUSTER_URL`` the script
re-runs itself under ``scripts/with-services.sh``, which starts redis-server
and the cluster and stops them by pid afterwards.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

from botcopy_handover import AsyncRedisStore, RedisStore
from botcopy_handover.state import _lua, _lua_cluster
from botcopy_handover.state._redis_core import DEFAULT_SHARDS, ClusterCore
from botcopy_handover.state._store import utc_now

ROOT = Path(__file__).resolve().parent.parent

URL = os.environ.get("REDIS_URL", "")
CLUSTER_URL = os.environ.get("REDIS_CLUSTER_URL", "")
PREFIX = "bench:"
OPS = 250  # per round and operation
ROUNDS = 41
BOT, USER = "bot-9a1c", "user-5f2b"
CONV = f"{PREFIX}conv:{BOT}:{USER}"
EXPIRING = f"{PREFIX}expiring"
MEMBER = f"{BOT}:{USER}"
RETENTION_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


# The same customer's keys on the cluster: record, expiring shard, history.
_CLUSTER = ClusterCore(PREFIX, timedelta(days=1), utc_now, 1000, DEFAULT_SHARDS)
C_CONV = _CLUSTER.conv_key(MEMBER)
C_KEYS = [C_CONV, _CLUSTER.expiring_key(MEMBER), f"{C_CONV}:history"]
PAUSE_ARGS = [BOT, USER, MEMBER, 10, "1", "Dana", "0", ""]


def cluster_sync_ops(
    store: RedisStore, client: redis.cluster.RedisCluster
) -> dict[str, tuple[Callable[[], Any], ...]]:
    pause = client.register_script(_lua_cluster.PAUSE)
    touch = client.register_script(_lua_cluster.TOUCH)
    claim = client.register_script(_lua_cluster.CLAIM)
    ttl = timedelta(seconds=30)
    counter = iter(range(10**9))
    return {
        "record_pause": (
            lambda: store.record_pause(BOT, USER, minutes=10, agent_name="Dana"),
            lambda: pause(keys=C_KEYS, args=[now_ms(), RETENTION_MS, *PAUSE_ARGS]),
        ),
        "touch": (
            lambda: store.touch(BOT, USER),
            lambda: touch(keys=C_KEYS, args=[now_ms(), RETENTION_MS, MEMBER]),
        ),
        "get": (
            lambda: store.get(BOT, USER),
            lambda: client.hgetall(C_CONV),
        ),
        "claim": (
            lambda: store.claim(f"body:{next(counter)}", ttl),
            lambda: claim(keys=[f"{PREFIX}claim:body:{next(counter)}"], args=[now_ms(), 30_000]),
        ),
    }


def cluster_async_ops(
    store: AsyncRedisStore, client: redis.asyncio.cluster.RedisCluster
) -> dict[str, tuple[Callable[[], Awaitable[Any]], ...]]:
    pause = client.register_script(_lua_cluster.PAUSE)
    touch = client.register_script(_lua_cluster.TOUCH)
    return {
        "record_pause": (
            lambda: store.record_pause(BOT, USER, minutes=10, agent_name="Dana"),
            lambda: pause(keys=C_KEYS, args=[now_ms(), RETENTION_MS, *PAUSE_ARGS]),
        ),
        "touch": (
            lambda: store.touch(BOT, USER),
            lambda: touch(keys=C_KEYS, args=[now_ms(), RETENTION_MS, MEMBER]),
        ),
        "get": (
            lambda: store.get(BOT, USER),
            lambda: client.hgetall(C_CONV),
        ),
    }


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


def report(name: str, sdk_rounds: list[float], raw_rounds: list[float]) -> None:
    """One table row: best round of each, and the median of the paired rounds' ratios.

    Each SDK round runs next to a raw round (which goes first alternates), so
    a pair shares the machine's load of that moment; the median of the pairs'
    ratios is what a busy machine moves least.
    """
    ratio = statistics.median(s / r for s, r in zip(sdk_rounds, raw_rounds, strict=True))
    print(f"| {name} | {max(raw_rounds):,.0f} | {max(sdk_rounds):,.0f} | {ratio:.2f}x |")


def best_interleaved(pairs: dict[str, tuple[Any, ...]], timer: Callable[[Any], float]) -> None:
    for name, (sdk, raw) in pairs.items():
        timer(sdk), timer(raw)  # warm up: scripts loaded, connections open
        sdk_rounds, raw_rounds = [], []
        for n in range(ROUNDS):
            if n % 2:
                raw_rounds.append(timer(raw))
                sdk_rounds.append(timer(sdk))
            else:
                sdk_rounds.append(timer(sdk))
                raw_rounds.append(timer(raw))
        report(name, sdk_rounds, raw_rounds)


def clean(client: redis.Redis) -> None:
    keys = list(client.scan_iter(match=f"{PREFIX}*"))
    if keys:
        client.delete(*keys)


async def best_interleaved_async(pairs: dict[str, tuple[Any, ...]]) -> None:
    for name, (sdk, raw) in pairs.items():
        await time_async(sdk), await time_async(raw)
        sdk_rounds, raw_rounds = [], []
        for n in range(ROUNDS):
            if n % 2:
                raw_rounds.append(await time_async(raw))
                sdk_rounds.append(await time_async(sdk))
            else:
                sdk_rounds.append(await time_async(sdk))
                raw_rounds.append(await time_async(raw))
        report(name, sdk_rounds, raw_rounds)


async def run_async() -> None:
    client = redis.asyncio.Redis.from_url(URL)
    await best_interleaved_async(async_ops(AsyncRedisStore(client, prefix=PREFIX), client))
    await client.aclose()


async def run_cluster_async() -> None:
    client = redis.asyncio.cluster.RedisCluster.from_url(CLUSTER_URL)
    store = AsyncRedisStore(client, prefix=PREFIX)
    await best_interleaved_async(cluster_async_ops(store, client))
    await client.aclose()


def clean_cluster(client: redis.cluster.RedisCluster) -> None:
    for key in client.scan_iter(match=f"{PREFIX}*", target_nodes=client.PRIMARIES):
        client.delete(key)


def main_cluster() -> None:
    client = redis.cluster.RedisCluster.from_url(CLUSTER_URL)
    clean_cluster(client)
    masters = len(client.get_primaries())  # type: ignore[no-untyped-call]
    print(f"\nRedis Cluster of {masters} masters: RedisStore (sync), operations/s\n")
    print("| operation | raw RedisCluster | RedisStore | SDK / raw |\n|---|---:|---:|---:|")
    best_interleaved(cluster_sync_ops(RedisStore(client, prefix=PREFIX), client), time_sync)
    print(f"\nRedis Cluster of {masters} masters: AsyncRedisStore, operations/s\n")
    print(
        "| operation | raw asyncio RedisCluster | AsyncRedisStore | SDK / raw |\n"
        "|---|---:|---:|---:|"
    )
    asyncio.run(run_cluster_async())
    clean_cluster(client)
    client.close()


def main() -> None:
    client = redis.Redis.from_url(URL)
    clean(client)
    print(
        f"redis-server {client.info()['redis_version']}, redis-py {redis.__version__}, "
        f"Python {sys.version.split()[0]}; {OPS} sequential ops per round, {ROUNDS} rounds "
        "each, SDK and raw alternating; ops/s of the best round, SDK / raw the median "
        "of the paired rounds' ratios\n"
    )
    print("RedisStore (sync), operations/s\n")
    print("| operation | raw redis-py | RedisStore | SDK / raw |\n|---|---:|---:|---:|")
    best_interleaved(sync_ops(RedisStore(client, prefix=PREFIX), client), time_sync)
    print("\nAsyncRedisStore, operations/s\n")
    print("| operation | raw redis.asyncio | AsyncRedisStore | SDK / raw |\n|---|---:|---:|---:|")
    asyncio.run(run_async())
    clean(client)
    client.close()
    main_cluster()


if __name__ == "__main__":
    if "--quick" in sys.argv[1:]:
        OPS, ROUNDS = 50, 2
    if not URL or not CLUSTER_URL:
        # Start Redis by pid through the same script the tests use, then come back.
        services = str(ROOT / "scripts" / "with-services.sh")
        os.execv(services, [services, sys.executable, *sys.argv])
    main()
