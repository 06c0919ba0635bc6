"""The queue contract, on MemoryQueue and RedisQueue: leases, fencing, started marks, order."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from botcopy_handover import ConfigurationError
from botcopy_handover.outbox import MemoryQueue, OutboxQueue
from tests.outbox.helpers import REDIS_BACKENDS, open_sync_redis

FIELDS = {"e": "{}", "t": "0", "d": "0"}


@pytest.fixture(params=["memory", *REDIS_BACKENDS])
def queue(request: pytest.FixtureRequest, prefix: str) -> Iterator[OutboxQueue]:
    if request.param == "memory":
        yield MemoryQueue(partitions=2)
        return
    from botcopy_handover.outbox import RedisQueue

    with open_sync_redis(request.param) as client:
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
    assert [e[0] for e in queue.read_new(0, "a", 10, 0) or []] == [entry]
    time.sleep(0.3)

    assert not queue.renew(0, "a", 150)
    assert queue.acquire(0, "b", 5000)
    assert not queue.start(0, "a", entry)  # a may not start a push b will also make
    assert [e[0] for e in queue.claim_pending(0, "b")] == [entry]
    assert queue.start(0, "b", entry)


def test_a_later_run_of_the_same_runner_reclaims_its_partition_at_once(
    queue: OutboxQueue,
) -> None:
    entry = queue.append(0, FIELDS)
    assert queue.acquire(0, "w#run1", 60_000)  # a lease far from lapsing
    queue.read_new(0, "w#run1", 10, 0)
    before = time.time()
    assert queue.start(0, "w#run1", entry)
    assert queue.acquire(1, "w1#run1", 60_000)  # another runner whose name starts alike

    assert not queue.reclaim(0, "v#run1", "v#", 5000)  # not v's
    assert not queue.reclaim(1, "w#run2", "w#", 5000)  # w1 is not w
    assert queue.reclaim(0, "w#run2", "w#", 5000)
    assert queue.reclaim(0, "w#run2", "w#", 5000)  # its own: taken again (a half-done reclaim)

    assert not queue.renew(0, "w#run1", 60_000)  # the earlier run is fenced out
    assert not queue.start(0, "w#run1", entry)
    [(claimed, _, started)] = queue.claim_pending(0, "w#run2")
    assert claimed == entry
    assert started is not None and before - 1 <= started <= time.time() + 1
    assert queue.renew(0, "w#run2", 5000)


def test_reclaim_leaves_a_free_partition_to_acquire(queue: OutboxQueue) -> None:
    assert not queue.reclaim(0, "w#run2", "w#", 5000)
    assert queue.acquire(0, "x#run1", 5000)


def test_new_entries_come_once_and_in_order(queue: OutboxQueue) -> None:
    assert queue.acquire(0, "a", 5000)
    ids = [queue.append(0, {**FIELDS, "e": str(i)}) for i in range(5)]

    first = queue.read_new(0, "a", 3, 0) or []
    rest = queue.read_new(0, "a", 10, 0) or []

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


def test_a_runner_that_lost_its_lease_takes_no_new_entries_from_the_next_owner(
    queue: OutboxQueue,
) -> None:
    # Regression: the 10,000-message soak saw 2 customers out of order. A runner
    # whose lease lapsed while it lived on kept reading with XREADGROUP, moving
    # new entries into its own pending list; the next owner, which claims only
    # when it takes the lease, never saw them and pushed the customer's later
    # entries first. Reads are fenced by the lease now.
    first = queue.append(0, {**FIELDS, "e": "1"})
    assert queue.acquire(0, "a", 150)
    assert [e[0] for e in queue.read_new(0, "a", 10, 0) or []] == [first]
    time.sleep(0.3)  # a's lease lapses; a does not know yet
    assert queue.acquire(0, "b", 5000)
    assert [e[0] for e in queue.claim_pending(0, "b")] == [first]
    second = queue.append(0, {**FIELDS, "e": "2"})
    third = queue.append(0, {**FIELDS, "e": "3"})

    assert queue.read_new(0, "a", 1, 0) is None  # a is told, and takes nothing
    assert queue.claim_pending(0, "a") == []

    assert [e[0] for e in queue.read_new(0, "b", 10, 0) or []] == [second, third]


def test_a_waiting_read_wakes_for_an_entry_appended_meanwhile(queue: OutboxQueue) -> None:
    import threading

    assert queue.acquire(0, "a", 5000)
    assert queue.read_new(0, "a", 10, 0) == []
    later = threading.Timer(0.1, lambda: queue.append(0, {**FIELDS, "e": "late"}))
    later.start()
    started = time.monotonic()
    found = queue.read_new(0, "a", 10, 2000)
    later.join()
    assert [e[1]["e"] for e in found or []] == ["late"]
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("backend", REDIS_BACKENDS)
def test_a_queue_made_from_a_url_works_and_closes_its_client(backend: str, prefix: str) -> None:
    from botcopy_handover.outbox import RedisQueue
    from tests.helpers import cluster_url, redis_url

    url = cluster_url() if backend == "cluster" else redis_url()
    with RedisQueue(url=url, cluster=backend == "cluster", prefix=prefix, partitions=2) as queue:
        entry = queue.append(1, FIELDS)
        assert queue.acquire(1, "a", 5000)
        assert [e[0] for e in queue.read_new(1, "a", 10, 0) or []] == [entry]
        assert "cluster" in repr(queue) or backend == "redis"


def test_a_queue_needs_a_client_or_a_valid_url() -> None:
    from botcopy_handover.outbox import RedisQueue

    with pytest.raises(ConfigurationError):
        RedisQueue()
    with pytest.raises(ConfigurationError):
        RedisQueue(url="http://user:secret@example.test")


@pytest.mark.parametrize("backend", REDIS_BACKENDS)
def test_the_default_queue_shares_the_stores_client_and_prefix(backend: str, prefix: str) -> None:
    from botcopy_handover import Client, Outbox, RedisStore

    with open_sync_redis(backend) as client, Client(api_key="k") as push:
        store = RedisStore(client, prefix=prefix)
        outbox = Outbox(push, store)
        receipt = outbox.send_message("user-1", "bot-1", "hi")
        assert store.client is client
        assert client.xlen(f"{{{prefix}outbox:{receipt.partition}}}:events") == 1
