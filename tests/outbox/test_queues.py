"""The queue contract, on MemoryQueue and RedisQueue: leases, fencing, started marks, order."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from botcopy_handover import ConfigurationError
from botcopy_handover.outbox import MemoryQueue, OutboxQueue
from tests.outbox.helpers import redis_url

FIELDS = {"e": "{}", "t": "0", "d": "0"}


@pytest.fixture(params=["memory", "redis"])
def queue(request: pytest.FixtureRequest, prefix: str) -> Iterator[OutboxQueue]:
    if request.param == "memory":
        yield MemoryQueue(partitions=2)
        return
    import redis

    from botcopy_handover.outbox import RedisQueue

    with redis.Redis.from_url(redis_url()) as client:
        yield RedisQueue(client, prefix=prefix, partitions=2)


def test_one_runner_at_a_time_holds_a_partition(queue: OutboxQueue) -> None:
    assert queue.acquire(0, "a", 5000)
    assert not queue.acquire(0, "b", 5000)
    assert queue.acquire(1, "b", 5000)
    assert queue.renew(0, "a", 5000)
    assert not queue.renew(0, "b", 5000)
    queue.release(0, "b")  # not b's: nothing happens
    assert not queue.acquire(0, "b", 5000)
    queue.release(0, "a")
    assert queue.acquire(0, "b", 5000)


def test_a_lapsed_lease_goes_to_the_next_runner_and_fences_the_old_one(
    queue: OutboxQueue,
) -> None:
    entry = queue.append(0, FIELDS)
    assert queue.acquire(0, "a", 150)
    assert [e[0] for e in queue.read_new(0, "a", 10, 0)] == [entry]
    time.sleep(0.3)

    assert not queue.renew(0, "a", 150)
    assert queue.acquire(0, "b", 5000)
    assert not queue.start(0, "a", entry)  # a may not start a push b will also make
    assert [e[0] for e in queue.claim_pending(0, "b")] == [entry]
    assert queue.start(0, "b", entry)


def test_new_entries_come_once_and_in_order(queue: OutboxQueue) -> None:
    assert queue.acquire(0, "a", 5000)
    ids = [queue.append(0, {**FIELDS, "e": str(i)}) for i in range(5)]

    first = queue.read_new(0, "a", 3, 0)
    rest = queue.read_new(0, "a", 10, 0)

    assert [e[0] for e in first + rest] == ids
    assert [e[1]["e"] for e in first + rest] == ["0", "1", "2", "3", "4"]
    assert queue.read_new(0, "a", 10, 0) == []
    assert queue.backlog() == 5


def test_a_takeover_claims_every_unacknowledged_entry_in_order_with_its_started_mark(
    queue: OutboxQueue,
) -> None:
    assert queue.acquire(0, "a", 5000)
    ids = [queue.append(0, FIELDS) for _ in range(4)]
    queue.read_new(0, "a", 10, 0)
    queue.start(0, "a", ids[0])
    queue.done(0, "a", ids[0])
    before = time.time()
    assert queue.start(0, "a", ids[1])
    queue.release(0, "a")  # or a crash and a lapsed lease

    assert queue.acquire(0, "b", 5000)
    claimed = queue.claim_pending(0, "b")

    assert [e[0] for e in claimed] == ids[1:]
    started = claimed[0][2]
    assert started is not None and before - 1 <= started <= time.time() + 1
    assert [e[2] for e in claimed[1:]] == [None, None]
    assert queue.backlog() == 3


def test_an_acknowledgement_without_the_lease_keeps_the_started_mark(
    queue: OutboxQueue,
) -> None:
    entry = queue.append(0, FIELDS)
    other = queue.append(0, FIELDS)
    assert queue.acquire(0, "a", 5000)
    queue.read_new(0, "a", 10, 0)
    assert queue.start(0, "a", entry)
    queue.release(0, "a")
    assert queue.acquire(0, "b", 5000)
    claimed = queue.claim_pending(0, "b")  # b sees the entry before a acknowledges it

    queue.done(0, "a", entry)  # a's push came back after all

    assert claimed[0][0] == entry and claimed[0][2] is not None
    assert queue.backlog() == 1
    # A later claim finds only what is pending, and drops the stale mark.
    assert [e[0] for e in queue.claim_pending(0, "b")] == [other]


def test_unstart_clears_the_mark(queue: OutboxQueue) -> None:
    entry = queue.append(1, FIELDS)
    assert queue.acquire(1, "a", 5000)
    queue.read_new(1, "a", 10, 0)
    assert queue.start(1, "a", entry)
    queue.unstart(1, entry)
    queue.release(1, "a")
    assert queue.acquire(1, "b", 5000)
    assert queue.claim_pending(1, "b")[0][2] is None


def test_heartbeats_count_the_runners_alive(queue: OutboxQueue) -> None:
    assert queue.heartbeat("a", 5000) == 1
    assert queue.heartbeat("b", 150) == 2
    time.sleep(0.3)
    assert queue.heartbeat("a", 5000) == 1


def test_read_new_waits_for_an_entry(queue: OutboxQueue) -> None:
    assert queue.acquire(0, "a", 5000)
    started = time.monotonic()
    assert queue.read_new(0, "a", 10, 200) == []
    assert time.monotonic() - started >= 0.15


def test_partitions_must_be_positive() -> None:
    with pytest.raises(ConfigurationError):
        MemoryQueue(partitions=0)


def test_pending_says_whether_an_entry_is_still_owed(queue: OutboxQueue) -> None:
    entry = queue.append(0, FIELDS)
    assert queue.acquire(0, "a", 5000)
    queue.read_new(0, "a", 10, 0)
    assert queue.pending(0, entry)
    queue.done(0, "a", entry)
    assert not queue.pending(0, entry)
