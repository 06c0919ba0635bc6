"""Replicas sharing one conversation store on Redis Cluster.

Replica A (threads, ``RedisStore``) takes 30 handovers and links a desk
ticket; replica B (asyncio, ``AsyncRedisStore``) finds the customer by that
ticket. The conversations spread over the cluster's masters. Then the pauses
lapse, both replicas run an expiry watcher, and every lapse is noticed once.
Time is simulated, so the run takes a moment.

Run: ``REDIS_CLUSTER_URL=redis://127.0.0.1:7000 python examples/replicas_cluster.py``
(any one node of the cluster). ``scripts/with-services.sh`` starts a
throwaway three-master cluster and sets ``REDIS_CLUSTER_URL``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import redis.cluster

from botcopy_handover import AsyncRedisStore, RedisStore
from botcopy_handover.state import AsyncExpiryWatcher, ExpiryNotice, ExpiryWatcher

BOT = "bot-shop"
CUSTOMERS = [f"customer-{n:02}" for n in range(30)]


class SimulatedClock:
    """Stands in for the wall clock so the example need not wait for pauses to lapse."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def masters_holding(url: str, prefix: str) -> Counter[str]:
    """How many conversation records each master of the cluster holds."""
    with redis.cluster.RedisCluster.from_url(url, decode_responses=True) as cluster:
        records = [
            key
            for key in cluster.scan_iter(match=f"{prefix}conv:*", target_nodes=cluster.PRIMARIES)
            if not str(key).endswith(":history")
        ]
        return Counter(cluster.get_node_from_key(key).name for key in records)  # type: ignore[no-untyped-call]


async def replica_b(url: str, prefix: str, clock: SimulatedClock, seen: list[ExpiryNotice]) -> None:
    async with AsyncRedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as store:
        state = await store.find_by_ticket("TICKET-1042")
        assert state is not None
        print(f"replica B: ticket TICKET-1042 is {state.user_id}, paused={state.paused}")
        watcher = AsyncExpiryWatcher(store, seen.append, warn_before=timedelta(0))
        await watcher.poll()


def main() -> int:
    url = os.environ.get("REDIS_CLUSTER_URL")
    if not url:
        print("Set REDIS_CLUSTER_URL to a node of a Redis Cluster (see the docstring).")
        return 2
    prefix = f"example:{uuid.uuid4().hex[:8]}:"
    clock = SimulatedClock()
    seen: list[ExpiryNotice] = []

    with RedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as store:
        for user in CUSTOMERS:
            store.record_pause(BOT, user, minutes=15, agent_name="Dana")
        store.link_ticket(BOT, CUSTOMERS[7], "TICKET-1042")
        spread = masters_holding(url, prefix)
        per_master = sorted(spread.values())
        print(f"replica A: {len(CUSTOMERS)} handovers, on {len(spread)} masters: {per_master}")

        asyncio.run(replica_b(url, prefix, clock, seen))  # nothing has lapsed yet
        clock.now += timedelta(minutes=16)
        # Both replicas watch; each lapse is recorded, and noticed, once.
        ExpiryWatcher(store, seen.append, warn_before=timedelta(0)).poll()
        asyncio.run(replica_b(url, prefix, clock, seen))

        lapsed = Counter(n.state.user_id for n in seen if n.lapsed)
        once = all(count == 1 for count in lapsed.values())
        print(f"lapses noticed: {len(lapsed)} of {len(CUSTOMERS)}, each once: {once}")
        for user in CUSTOMERS:
            store.delete(BOT, user)
    return 0 if len(lapsed) == len(CUSTOMERS) and once else 1


if __name__ == "__main__":
    sys.exit(main())
