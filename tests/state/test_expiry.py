"""The expiry watchers: one warning before a pause lapses, one notice when it has."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta

import pytest

from botcopy_handover import ConfigurationError, MemoryStore, StoreError
from botcopy_handover.state import (
    AsyncExpiryWatcher,
    ConversationState,
    ExpiryNotice,
    ExpiryWatcher,
)
from botcopy_handover.state._adapt import _MemoryAsAsync
from tests.helpers import START, FakeClock, LosesCancellation, redis_url


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


def summary(notices: list[ExpiryNotice]) -> list[tuple[str, bool]]:
    return [(n.state.user_id, n.lapsed) for n in notices]


def test_warns_once_when_a_pause_is_about_to_lapse(store: MemoryStore, clock: FakeClock) -> None:
    seen: list[ExpiryNotice] = []
    watcher = ExpiryWatcher(store, seen.append, warn_before=timedelta(minutes=2))
    store.record_pause("bot-1", "user-1", minutes=10)
    assert watcher.poll() == []
    clock.advance(minutes=8, seconds=30)
    assert summary(watcher.poll()) == [("user-1", False)]
    assert watcher.poll() == []
    assert summary(seen) == [("user-1", False)]
    assert seen[0].remaining == timedelta(minutes=1, seconds=30)
    assert seen[0].at == clock.now


def test_notifies_once_when_the_pause_has_lapsed_and_records_it(
    store: MemoryStore, clock: FakeClock
) -> None:
    seen: list[ExpiryNotice] = []
    watcher = ExpiryWatcher(store, seen.append, warn_before=timedelta(0))
    store.record_pause("bot-1", "user-1", minutes=10, agent_name="Dana")
    clock.advance(minutes=10)
    assert summary(watcher.poll()) == [("user-1", True)]
    assert watcher.poll() == []
    notice = seen[0]
    assert notice.state.agent_name == "Dana"
    assert notice.state.expires_at == START + timedelta(minutes=10)
    assert notice.remaining == timedelta(0)
    state = store.get("bot-1", "user-1")
    assert state is not None and not state.paused


def test_a_message_before_the_expiry_means_no_lapse_and_a_new_warning(
    store: MemoryStore, clock: FakeClock
) -> None:
    watcher = ExpiryWatcher(store, lambda notice: None, warn_before=timedelta(minutes=2))
    store.record_pause("bot-1", "user-1", minutes=10)
    clock.advance(minutes=9)
    assert summary(watcher.poll()) == [("user-1", False)]
    store.touch("bot-1", "user-1")
    clock.advance(minutes=2)
    assert watcher.poll() == []
    clock.advance(minutes=7)
    assert summary(watcher.poll()) == [("user-1", False)]
    clock.advance(minutes=1)
    assert summary(watcher.poll()) == [("user-1", True)]


def test_two_replicas_watching_one_store_notify_once(store: MemoryStore, clock: FakeClock) -> None:
    seen: list[ExpiryNotice] = []
    replicas = [ExpiryWatcher(store, seen.append, warn_before=timedelta(minutes=1)) for _ in "ab"]
    store.record_pause("bot-1", "user-1", minutes=2)
    clock.advance(minutes=1, seconds=30)
    for watcher in replicas:
        watcher.poll()
    clock.advance(minutes=1)
    for watcher in replicas:
        watcher.poll()
    assert summary(seen) == [("user-1", False), ("user-1", True)]


def test_a_failing_callback_is_logged_and_the_others_still_run(
    store: MemoryStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def callback(notice: ExpiryNotice) -> None:
        if notice.state.user_id == "user-1":
            raise RuntimeError("desk is down")
        seen.append(notice.state.user_id)

    watcher = ExpiryWatcher(store, callback, warn_before=timedelta(0))
    store.record_pause("bot-1", "user-1", minutes=1)
    store.record_pause("bot-1", "user-2", minutes=1)
    clock.advance(minutes=1)
    with caplog.at_level(logging.ERROR, logger="botcopy_handover"):
        assert len(watcher.poll()) == 2
    assert seen == ["user-2"]
    assert "expiry callback failed for bot bot-1 user user-1" in caplog.text


def test_the_thread_polls_until_stopped_and_leaves_no_thread(
    store: MemoryStore, clock: FakeClock
) -> None:
    got = threading.Event()
    store.record_pause("bot-1", "user-1", minutes=1)
    clock.advance(minutes=1)
    with ExpiryWatcher(store, lambda notice: got.set(), interval=0.01) as watcher:
        assert got.wait(5)
    assert not watcher.running
    assert not [t for t in threading.enumerate() if t.name == "botcopy-expiry-watcher"]


def test_the_thread_survives_a_store_error(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    polls = threading.Semaphore(0)

    class FlakyStore(MemoryStore):
        def expiring(self, within: timedelta) -> list:  # type: ignore[type-arg]
            polls.release()
            raise StoreError("backend down")

    with (
        caplog.at_level(logging.WARNING, logger="botcopy_handover"),
        ExpiryWatcher(FlakyStore(clock=clock), lambda n: None, interval=0.01) as watcher,
    ):
        assert polls.acquire(timeout=5) and polls.acquire(timeout=5)
        assert watcher.running
    assert "could not poll the store: backend down" in caplog.text


def test_a_sync_watcher_refuses_an_async_store() -> None:
    from botcopy_handover import AsyncRedisStore

    async_store = AsyncRedisStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="is asynchronous"):
        ExpiryWatcher(async_store, lambda n: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("interval", [0, -1.0, True])
def test_the_interval_must_be_positive(store: MemoryStore, interval: float) -> None:
    with pytest.raises(StoreError, match="interval"):
        ExpiryWatcher(store, lambda n: None, interval=interval)


async def test_two_async_replicas_notify_once_for_several_customers(
    store: MemoryStore, clock: FakeClock
) -> None:
    seen: list[ExpiryNotice] = []
    replicas = [
        AsyncExpiryWatcher(store, seen.append, warn_before=timedelta(minutes=1)) for _ in "ab"
    ]
    store.record_pause("bot-1", "user-1", minutes=2)
    store.record_pause("bot-1", "user-2", minutes=3)
    clock.advance(minutes=1, seconds=30)  # user-1 is due a warning
    for watcher in replicas:
        await watcher.poll()
    clock.advance(minutes=1)  # user-1 has lapsed, user-2 is due a warning
    for watcher in replicas:
        await watcher.poll()
    assert sorted(summary(seen)) == [("user-1", False), ("user-1", True), ("user-2", False)]
    assert summary(await replicas[0].poll()) == []


async def test_the_async_watcher_awaits_a_coroutine_callback(
    store: MemoryStore, clock: FakeClock
) -> None:
    seen: list[ExpiryNotice] = []

    async def callback(notice: ExpiryNotice) -> None:
        await asyncio.sleep(0)
        seen.append(notice)

    watcher = AsyncExpiryWatcher(store, callback, warn_before=timedelta(minutes=1))
    store.record_pause("bot-1", "user-1", minutes=1)
    assert summary(await watcher.poll()) == [("user-1", False)]
    clock.advance(minutes=1)
    assert summary(await watcher.poll()) == [("user-1", True)]
    assert summary(seen) == [("user-1", False), ("user-1", True)]


async def test_the_async_task_polls_until_stopped_and_leaves_no_task(
    store: MemoryStore, clock: FakeClock
) -> None:
    got = asyncio.Event()
    store.record_pause("bot-1", "user-1", minutes=1)
    clock.advance(minutes=1)
    async with AsyncExpiryWatcher(store, lambda notice: got.set(), interval=0.01) as watcher:
        await asyncio.wait_for(got.wait(), 5)
    assert not watcher.running
    names = [t.get_name() for t in asyncio.all_tasks()]
    assert "botcopy-expiry-watcher" not in names


async def test_the_async_watcher_works_over_redis(prefix: str, clock: FakeClock) -> None:
    from botcopy_handover import AsyncRedisStore

    seen: list[ExpiryNotice] = []
    async with AsyncRedisStore(url=redis_url(), prefix=prefix, clock=clock) as store:
        watcher = AsyncExpiryWatcher(store, seen.append, warn_before=timedelta(seconds=30))
        await store.record_pause("bot-1", "user-1", minutes=1)
        clock.advance(seconds=45)
        await watcher.poll()
        await watcher.poll()
        clock.advance(seconds=15)
        await watcher.poll()
        await watcher.poll()
    assert summary(seen) == [("user-1", False), ("user-1", True)]


def test_the_sync_watcher_works_over_redis(prefix: str, clock: FakeClock) -> None:
    from botcopy_handover import RedisStore

    seen: list[ExpiryNotice] = []
    with RedisStore(url=redis_url(), prefix=prefix, clock=clock) as store:
        replicas = [ExpiryWatcher(store, seen.append, warn_before=timedelta(0)) for _ in "ab"]
        store.record_pause("bot-1", "user-1", minutes=1)
        clock.advance(minutes=1)
        for watcher in replicas:
            watcher.poll()
    assert summary(seen) == [("user-1", True)]


class CancellationLosingStore(LosesCancellation, _MemoryAsAsync):
    """A MemoryStore whose ``expiring`` can lose a cancellation (see ``LosesCancellation``)."""

    async def expiring(self, within: timedelta) -> list[ConversationState]:
        return await self._answer(self.store.expiring(within))


async def test_the_async_watcher_stops_even_if_its_store_loses_the_cancellation(
    store: MemoryStore,
) -> None:
    losing = CancellationLosingStore(store)
    watcher = AsyncExpiryWatcher(losing, lambda notice: None, interval=0.01)  # type: ignore[arg-type]
    watcher.start()
    (task,) = [t for t in asyncio.all_tasks() if t.get_name() == "botcopy-expiry-watcher"]
    losing.lose_next_cancel_of = task  # cancelled as its next look answers
    done, _ = await asyncio.wait([task], timeout=5.0)
    assert losing.lost == 1
    assert done == {task}
    assert task.cancelled()
    assert not watcher.running
