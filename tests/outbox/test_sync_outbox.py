"""Outbox (threads) on each queue backend, delivering to the local emulator over loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from botcopy_handover import Client, ConfigurationError, MemoryStore, MessageEvent
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import DeliveryPolicy, MemoryQueue, Outbox, OutboxFailure
from botcopy_handover.outbox._runner import RECALL, PartitionCore
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.outbox.helpers import REDIS_BACKENDS, sync_redis, texts


def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.02)


@contextmanager
def running_thread(outbox: Outbox, name: str | None = None) -> Iterator[None]:
    """``outbox.run(name=name)`` in a thread for the block; then stopped, and joined."""
    thread = threading.Thread(target=outbox.run, kwargs={"name": name})
    thread.start()
    try:
        yield
    finally:
        outbox.stop()
        thread.join(15)


@pytest.fixture
def sync_client(emulator: BotcopyEmulator) -> Iterator[Client]:
    with Client(
        api_key=emulator.api_key, base_url=emulator.url, retry=RetryPolicy(max_retries=0)
    ) as client:
        yield client


@pytest.fixture(params=["memory", *REDIS_BACKENDS])
def shared(request: pytest.FixtureRequest, prefix: str) -> Iterator[dict[str, Any]]:
    if request.param == "memory":
        yield {"store": MemoryStore(), "queue": MemoryQueue(partitions=4)}
        return
    from botcopy_handover import RedisStore
    from botcopy_handover.outbox import RedisQueue

    with sync_redis(request.param) as client:
        yield {
            "store": RedisStore(client, prefix=prefix),
            "queue": RedisQueue(client, prefix=prefix, partitions=4),
        }


def make(client: Client, shared: dict[str, Any], failures: list[OutboxFailure]) -> Outbox:
    return Outbox(
        client,
        shared["store"],
        queue=shared["queue"],
        on_failure=failures.append,
        policy=DeliveryPolicy(
            lease=timedelta(seconds=5),
            initial_backoff=0.01,
            max_backoff=0.05,
            shutdown_grace=2.0,
            in_flight=timedelta(seconds=1),  # the hold after a push that may still land
        ),
    )


def test_two_runner_threads_deliver_each_customer_in_order(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    emulator.inject_fault(kind="server_error", rate=0.2, status=503, retry_after=0)
    failures: list[OutboxFailure] = []
    first, second = make(sync_client, shared, failures), make(sync_client, shared, failures)
    for i in range(10):
        for user in range(5):
            first.send_message(f"user-{user}", "bot-1", f"{user}/{i}")
    threads = [threading.Thread(target=o.run) for o in (first, second)]
    for thread in threads:
        thread.start()
    try:
        wait(lambda: len(texts(emulator)) >= 50)
    finally:
        first.stop()
        second.stop()
        for thread in threads:
            thread.join(15)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    for user in range(5):
        assert texts(emulator, f"user-{user}") == [f"{user}/{i}" for i in range(10)]
    assert first.backlog() == 0


def test_a_restarted_runner_thread_takes_its_partitions_back_at_once(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    queue = shared["queue"]
    for p in range(queue.partitions):  # an earlier run of "desk-1", killed with its leases
        assert queue.acquire(p, "desk-1#killed", 60_000)
    failures: list[OutboxFailure] = []
    outbox = make(sync_client, shared, failures)
    for user in range(4):
        outbox.send_message(f"user-{user}", "bot-1", f"to {user}")
    with running_thread(outbox, "desk-1"):
        wait(lambda: len(texts(emulator)) == 4, timeout=4)  # the lease is 60 s
    assert failures == []


def test_a_push_that_may_have_arrived_is_reported(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    emulator.inject_fault(kind="drop", count=1)
    failures: list[OutboxFailure] = []
    outbox = make(sync_client, shared, failures)
    outbox.send_message("user-1", "bot-1", "first")
    outbox.send_message("user-1", "bot-1", "second")
    with running_thread(outbox):
        wait(lambda: texts(emulator) == ["second"] and len(failures) == 1)
    assert failures[0].maybe_delivered and failures[0].reason == "maybe_delivered"


def test_typing_goes_straight_out(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    outbox = make(sync_client, shared, [])
    outbox.send_message("user-1", "bot-1", "waits for a runner")
    receipt = outbox.typing("user-1", "bot-1")
    assert receipt.entry_id is None
    assert [type(e).__name__ for e in emulator.events] == ["TypingEvent"]


def test_an_outbox_needs_a_sync_client(emulator: BotcopyEmulator) -> None:
    with pytest.raises(ConfigurationError):
        Outbox(object(), MemoryStore())  # type: ignore[arg-type]
    with Client(api_key="k", base_url=emulator.url) as client, pytest.raises(ConfigurationError):
        Outbox(client, MemoryStore(), workers=0)


class CountingStore(MemoryStore):
    """A store of the user's own that counts its reads (through the public protocol)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, bot_id: str, user_id: str) -> Any:
        self.reads += 1
        return super().get(bot_id, user_id)


def test_back_to_back_messages_read_the_conversation_once(
    sync_client: Client, emulator: BotcopyEmulator
) -> None:
    # The chat-ended check of a customer's next message uses the state its
    # previous delivery just recorded (RECALL), not one more read of the store.
    store = CountingStore()
    outbox = make(sync_client, {"store": store, "queue": MemoryQueue(partitions=1)}, [])
    for i in range(5):
        outbox.send_message("user-1", "bot-1", f"m{i}")
    with running_thread(outbox):
        wait(lambda: len(texts(emulator)) == 5)
    assert texts(emulator) == [f"m{i}" for i in range(5)]
    assert store.reads == 1


def test_a_recorded_state_stands_in_for_one_read_and_only_while_fresh(
    sync_client: Client,
) -> None:
    outbox = Outbox(sync_client, MemoryStore())
    part: PartitionCore[Any, Any, Any] = PartitionCore(0, "runner", outbox)
    event = MessageEvent(user_id="user-1", bot_id="bot-1", text="hi")
    state = MemoryStore().record_pause("bot-1", "user-1", minutes=5)

    part.remember(event, state)
    assert part.recalled(event) == state
    assert part.recalled(event) is None  # once

    part.remember(event, state)
    time.sleep(RECALL + 0.02)
    assert part.recalled(event) is None  # too old: the store is read

    part.remember(event, None)  # recording failed: nothing to recall
    assert part.recalled(event) is None


def test_a_stopped_runner_thread_leaves_the_count_of_runners_at_once(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    queue = shared["queue"]
    outbox = make(sync_client, shared, [])
    outbox.send_message("user-1", "bot-1", "hello")
    with running_thread(outbox, "desk-1"):
        wait(lambda: texts(emulator) == ["hello"], timeout=10)
        assert queue.heartbeat("probe", 1) == 2  # desk-1, and a probe alive for 1 ms
    time.sleep(0.01)  # the probe has lapsed
    assert queue.heartbeat("probe", 1) == 1


def test_a_stopped_runner_thread_returns_without_waiting_out_its_blocking_reads(
    sync_client: Client, shared: dict[str, Any], emulator: BotcopyEmulator
) -> None:
    # With a 5 s lease each partition's reader blocks up to a second for new
    # entries (XREAD BLOCK on Redis), which a thread cannot cut short. The run
    # still returns as soon as its pushes are done and its leases released.
    outbox = make(sync_client, shared, [])
    outbox.send_message("user-1", "bot-1", "first")
    thread = threading.Thread(target=outbox.run, kwargs={"name": "desk-1"})
    thread.start()
    try:
        wait(lambda: texts(emulator) == ["first"], timeout=10)
        time.sleep(0.1)  # every reader is blocked waiting for news
    finally:
        stopped = time.monotonic()
        outbox.stop()
        thread.join(15)
    assert time.monotonic() - stopped < 0.5

    # Nothing is left stuck: the next run takes the partitions over at once
    # and delivers what is sent while no runner runs.
    outbox.send_message("user-1", "bot-1", "second")
    after = make(sync_client, shared, [])
    with running_thread(after, "desk-2"):
        wait(lambda: texts(emulator) == ["first", "second"], timeout=10)
