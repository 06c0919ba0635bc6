"""What only the memory store does: forget on its own clock, serve threads and asyncio."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from botcopy_handover import ConfigurationError, MemoryStore
from botcopy_handover.state._adapt import as_async_store, as_sync_store
from tests.helpers import FakeClock


def test_a_record_is_forgotten_retention_after_its_pause_ends(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock, retention=timedelta(hours=1))
    store.record_pause("bot-1", "user-1", minutes=10)
    store.link_ticket("bot-1", "user-1", "T-1")
    clock.advance(minutes=69)
    assert store.get("bot-1", "user-1") is not None
    clock.advance(minutes=1)
    assert store.get("bot-1", "user-1") is None
    assert store.find_by_ticket("T-1") is None


def test_threads_updating_one_conversation_lose_no_update() -> None:
    store = MemoryStore()
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        barrier.wait()
        for n in range(200):
            store.remember_history("bot-1", "user-1", [f"{index}-{n}"])
            store.record_pause("bot-1", "user-1", minutes=5)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every_id = [f"{i}-{n}" for i in range(8) for n in range(200)]
    assert store.remember_history("bot-1", "user-1", every_id) == []


async def test_async_code_takes_a_memory_store_as_is(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    async_view = as_async_store(store)
    await async_view.record_pause("bot-1", "user-1", minutes=3)
    assert store.get("bot-1", "user-1") == await async_view.get("bot-1", "user-1")
    assert async_view.clock is clock


def test_the_async_view_of_a_memory_store_awaits_every_operation() -> None:
    import inspect

    from botcopy_handover.state import AsyncConversationStore, ConversationStore

    async_view = as_async_store(MemoryStore())
    assert isinstance(async_view, AsyncConversationStore)
    operations = [
        name
        for name, member in vars(ConversationStore).items()
        if callable(member) and not name.startswith("_")
    ]
    assert len(operations) == 11
    for name in operations:
        assert inspect.iscoroutinefunction(getattr(async_view, name)), name


def test_async_code_refuses_a_blocking_store() -> None:
    class BlockingStore:
        def get(self, bot_id: str, user_id: str) -> None:
            return None

    with pytest.raises(ConfigurationError, match="would block the event loop"):
        as_async_store(BlockingStore())  # type: ignore[arg-type]


def test_sync_code_refuses_an_async_store() -> None:
    class AsyncStore:
        async def get(self, bot_id: str, user_id: str) -> None:
            return None

    with pytest.raises(ConfigurationError, match="is asynchronous"):
        as_sync_store(AsyncStore())  # type: ignore[arg-type]


def test_repr_counts_conversations() -> None:
    store = MemoryStore()
    store.record_resume("bot-1", "user-1")
    assert repr(store) == "MemoryStore(conversations=1)"
