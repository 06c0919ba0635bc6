"""What an outbox queue backend does: the operations the runners need.

A queue is split into partitions; each customer's events go to one
partition (`partition_of`), and one
runner at a time holds a partition's lease and delivers its events. Every
operation touches one partition only, so on Redis Cluster each partition's
keys share one hash slot and nothing spans slots.

Entries come back as ``(id, fields, started_at)``: ``fields`` as written by
`encode_entry`, ``started_at`` (epoch
seconds) when a push of the entry had begun under an earlier owner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["AsyncOutboxQueue", "OutboxQueue", "RawEntry"]

RawEntry = tuple[str, Mapping[str, str], float | None]
"""``(id, fields, started_at)`` of one entry as a queue hands it back (epoch seconds)."""


@runtime_checkable
class OutboxQueue(Protocol):
    """The operations of a synchronous outbox queue ([`MemoryQueue`][botcopy_handover.MemoryQueue], [`RedisQueue`][botcopy_handover.RedisQueue])."""  # noqa: E501 - a link in the summary

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        ...

    def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """Store an entry durably at the end of ``partition``; its id."""
        ...

    def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """Say ``runner`` is alive for ``ttl_ms``; how many runners are alive."""
        ...

    def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Take ``partition``'s lease if nobody holds it."""
        ...

    def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        """Take ``partition``'s lease from an earlier run of ``runner``.

        Only if its holder's id starts with ``previous`` (the runner's name and
        ``#``): a run of the same runner, gone since (or this one, after a
        reclaim that failed half-way). A free partition is left to `acquire`.
        """
        ...

    def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Extend ``runner``'s lease; ``False`` if it no longer holds it."""
        ...

    def release(self, partition: int, runner: str) -> None:
        """Give the lease up, if ``runner`` holds it."""
        ...

    def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """Every entry read but not acknowledged (by any runner), now ``runner``'s, oldest first.

        Fenced: empty unless ``runner`` holds the lease.
        """
        ...

    def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        """Up to ``count`` entries never read before, oldest first; waits up to ``block_ms``.

        Fenced: ``None`` once ``runner`` no longer holds the lease, and then
        nothing was taken (another runner's claim would miss it).
        """
        ...

    def pending(self, partition: int, entry_id: str) -> bool:
        """Whether the entry is still stored (not yet acknowledged and removed)."""
        ...

    def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """Mark a push of the entry as started, if ``runner`` still holds the lease."""
        ...

    def unstart(self, partition: int, entry_id: str) -> None:
        """Clear the started mark."""
        ...

    def done(self, partition: int, runner: str, entry_id: str) -> None:
        """Acknowledge and remove the entry (and its started mark, if ``runner`` has the lease)."""
        ...

    def backlog(self) -> int:
        """Entries stored and not yet acknowledged, over every partition."""
        ...


@runtime_checkable
class AsyncOutboxQueue(Protocol):
    """`OutboxQueue`'s operations, awaitable ([`AsyncRedisQueue`][botcopy_handover.AsyncRedisQueue])."""  # noqa: E501 - a link in the summary

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        ...

    async def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """See `OutboxQueue.append`."""
        ...

    async def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """See `OutboxQueue.heartbeat`."""
        ...

    async def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See `OutboxQueue.acquire`."""
        ...

    async def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        """See `OutboxQueue.reclaim`."""
        ...

    async def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See `OutboxQueue.renew`."""
        ...

    async def release(self, partition: int, runner: str) -> None:
        """See `OutboxQueue.release`."""
        ...

    async def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """See `OutboxQueue.claim_pending`."""
        ...

    async def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        """See `OutboxQueue.read_new`."""
        ...

    async def pending(self, partition: int, entry_id: str) -> bool:
        """See `OutboxQueue.pending`."""
        ...

    async def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """See `OutboxQueue.start`."""
        ...

    async def unstart(self, partition: int, entry_id: str) -> None:
        """See `OutboxQueue.unstart`."""
        ...

    async def done(self, partition: int, runner: str, entry_id: str) -> None:
        """See `OutboxQueue.done`."""
        ...

    async def backlog(self) -> int:
        """See `OutboxQueue.backlog`."""
        ...
