"""``MemoryQueue``: the outbox's queue in this process's memory.

The same partitions, leases and started marks as the Redis queue, so any
number of runners in one process share it correctly; nothing survives the
process. Thread-safe; async runners use it too (its operations never block
but for [`MemoryQueue.read_new`][botcopy_handover.MemoryQueue.read_new], which they call without
waiting).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.outbox._core import DEFAULT_PARTITIONS
from botcopy_handover.outbox._queue import RawEntry

__all__ = ["MemoryQueue"]


@dataclass
class _Partition:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # insertion = id order
    owner_of: dict[str, str] = field(default_factory=dict)  # the pending-entry list
    unread: list[str] = field(default_factory=list)
    started: dict[str, float] = field(default_factory=dict)
    lease: tuple[str, float] | None = None  # (runner, monotonic expiry)


class MemoryQueue:
    """An outbox queue in memory, for one process (the default of ``MemoryStore`` outboxes).

    Args:
        partitions: How many partitions; the most runners delivering at once.

    """

    def __init__(self, partitions: int = DEFAULT_PARTITIONS) -> None:
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ConfigurationError("partitions must be a positive int")
        self._partitions = [_Partition() for _ in range(partitions)]
        self._runners: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()

    def __repr__(self) -> str:
        return f"MemoryQueue(partitions={len(self._partitions)})"

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        return len(self._partitions)

    def _part(self, partition: int) -> _Partition:
        return self._partitions[partition]

    def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """Store an entry at the end of ``partition``; its id."""
        with self._cond:
            entry_id = f"{next(self._ids)}-0"
            part = self._part(partition)
            part.entries[entry_id] = dict(fields)
            part.unread.append(entry_id)
            self._cond.notify_all()
            return entry_id

    def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """Say ``runner`` is alive for ``ttl_ms``; how many runners are alive."""
        now = time.monotonic()
        with self._cond:
            self._runners[runner] = now + ttl_ms / 1000
            for name, until in list(self._runners.items()):
                if until <= now:
                    del self._runners[name]
            return len(self._runners)

    def _holder(self, part: _Partition) -> str | None:
        if part.lease is None or part.lease[1] <= time.monotonic():
            return None
        return part.lease[0]

    def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Take ``partition``'s lease if nobody holds it."""
        with self._cond:
            part = self._part(partition)
            if self._holder(part) is not None:
                return False
            part.lease = (runner, time.monotonic() + lease_ms / 1000)
            return True

    def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        """Take ``partition``'s lease from an earlier run of ``runner`` (its id starts with ``previous``)."""  # noqa: E501 - the summary line
        with self._cond:
            part = self._part(partition)
            holder = self._holder(part)
            if holder is None or not holder.startswith(previous):
                return False
            part.lease = (runner, time.monotonic() + lease_ms / 1000)
            return True

    def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Extend ``runner``'s lease; ``False`` if it no longer holds it."""
        with self._cond:
            part = self._part(partition)
            if self._holder(part) != runner:
                return False
            part.lease = (runner, time.monotonic() + lease_ms / 1000)
            return True

    def release(self, partition: int, runner: str) -> None:
        """Give the lease up, if ``runner`` holds it."""
        with self._cond:
            part = self._part(partition)
            if self._holder(part) == runner:
                part.lease = None
            self._cond.notify_all()

    def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """Every entry read but not acknowledged, now ``runner``'s, oldest first (fenced)."""
        with self._cond:
            part = self._part(partition)
            if self._holder(part) != runner:
                return []
            found: list[RawEntry] = []
            for entry_id in sorted(part.owner_of, key=_order):
                part.owner_of[entry_id] = runner
                found.append((entry_id, part.entries[entry_id], part.started.get(entry_id)))
            # Marks left by a runner that acknowledged after losing its lease.
            for entry_id in set(part.started) - set(part.owner_of):
                del part.started[entry_id]
            return found

    def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        """Up to ``count`` entries never read before; waits up to ``block_ms`` for one.

        ``None`` once ``runner`` no longer holds the lease (fenced, as in Redis).
        """
        deadline = time.monotonic() + block_ms / 1000
        with self._cond:
            part = self._part(partition)
            while True:
                if self._holder(part) != runner:
                    return None
                if part.unread:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)
            taken, part.unread = part.unread[:count], part.unread[count:]
            for entry_id in taken:
                part.owner_of[entry_id] = runner
            return [(entry_id, part.entries[entry_id], None) for entry_id in taken]

    def pending(self, partition: int, entry_id: str) -> bool:
        """Whether the entry is still stored (not yet acknowledged and removed)."""
        with self._cond:
            return entry_id in self._part(partition).entries

    def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """Mark a push of the entry as started, if ``runner`` still holds the lease."""
        with self._cond:
            part = self._part(partition)
            if self._holder(part) != runner:
                return False
            part.started[entry_id] = time.time()
            return True

    def unstart(self, partition: int, entry_id: str) -> None:
        """Clear the started mark."""
        with self._cond:
            self._part(partition).started.pop(entry_id, None)

    def done(self, partition: int, runner: str, entry_id: str) -> None:
        """Acknowledge and remove the entry (and its started mark, if ``runner`` has the lease)."""
        with self._cond:
            part = self._part(partition)
            part.owner_of.pop(entry_id, None)
            part.entries.pop(entry_id, None)
            if self._holder(part) == runner:
                part.started.pop(entry_id, None)
            self._cond.notify_all()

    def backlog(self) -> int:
        """Entries stored and not yet acknowledged, over every partition."""
        with self._cond:
            return sum(len(part.entries) for part in self._partitions)


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
