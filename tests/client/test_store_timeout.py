"""A store that hangs never holds a push result back beyond ``store_timeout``.

The push has reached the customer when the store is called, so a slow store
is treated like a down one: reported in ``PushResult.store_error`` and
logged, never raised. The hanging stores here give up on their own after a
few seconds, so that without the bound these tests fail instead of hanging.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import pytest

from botcopy_handover import (
    AsyncClient,
    Client,
    ConfigurationError,
    MemoryStore,
    StoreUnavailableError,
)
from botcopy_handover.state import ConversationState
from tests.client.pushserver import PushServer

KEY = "store-timeout-key"
HANG = 5.0  # how long the hanging stores hang before they give up on their own
BOUND = 0.2


class HangingStore(MemoryStore):
    """A store whose writes block (a Redis paused, a lock never released) for ``HANG`` s."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def record_pause(self, *args: Any, **kwargs: Any) -> ConversationState:
        self.release.wait(HANG)
        return super().record_pause(*args, **kwargs)

    def record_resume(self, *args: Any, **kwargs: Any) -> ConversationState:
        self.release.wait(HANG)
        return super().record_resume(*args, **kwargs)


class AsyncHangingStore:
    """An async store whose writes never complete within ``HANG`` s."""

    def __init__(self) -> None:
        self.cancelled = 0

    async def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        return None

    async def record_pause(self, bot_id: str, user_id: str, **kwargs: Any) -> ConversationState:
        try:
            await asyncio.sleep(HANG)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        raise AssertionError("the store was not cancelled")

    record_resume = record_pause


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A Redis URL whose server accepts connections and never answers (for ``HANG`` s)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    timer = threading.Timer(HANG, stop.set)
    timer.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        stop.set()
        timer.cancel()
        thread.join()
        for sock in accepted:
            sock.close()
        listener.close()


def test_a_hanging_store_does_not_hold_the_push_back(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = HangingStore()
    with Client(KEY, base_url=server.url, store=store, store_timeout=BOUND) as client:
        started = time.monotonic()
        result = client.pause("u1", "b1")
        waited = time.monotonic() - started
    store.release.set()
    assert waited < HANG / 2
    assert result.status_code == 200
    assert isinstance(result.store_error, StoreUnavailableError)
    assert str(result.store_error) == "the store did not answer within 0.2 s"
    assert "the store could not record it: the store did not answer within 0.2 s" in caplog.text


def test_a_redis_that_never_answers_does_not_hold_the_push_back(
    server: PushServer, blackhole: str
) -> None:
    from botcopy_handover import RedisStore

    store = RedisStore(url=blackhole)
    with Client(KEY, base_url=server.url, store=store, store_timeout=BOUND) as client:
        started = time.monotonic()
        result = client.send_message("u1", "b1", "hello")
        waited = time.monotonic() - started
    assert waited < HANG / 2
    assert result.status_code == 200
    assert isinstance(result.store_error, StoreUnavailableError)
    assert len(server.received) == 1


async def test_an_async_redis_that_never_answers_does_not_hold_the_push_back(
    server: PushServer, blackhole: str
) -> None:
    from botcopy_handover import AsyncRedisStore

    store = AsyncRedisStore(url=blackhole)
    try:
        async with AsyncClient(
            KEY, base_url=server.url, store=store, store_timeout=BOUND
        ) as client:
            started = time.monotonic()
            result = await client.typing("u1", "b1")
            waited = time.monotonic() - started
    finally:
        await store.aclose()
    assert waited < HANG / 2
    assert isinstance(result.store_error, StoreUnavailableError)


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_hanging_async_store_is_cancelled_at_the_bound(
    server: PushServer, transport: Literal["httpx", "aiohttp"]
) -> None:
    store = AsyncHangingStore()
    hanging: Any = store  # implements what a push records, not the whole protocol
    async with AsyncClient(
        KEY, base_url=server.url, store=hanging, store_timeout=BOUND, transport=transport
    ) as client:
        started = time.monotonic()
        result = await client.pause("u1", "b1")
        waited = time.monotonic() - started
    assert waited < HANG / 2
    assert str(result.store_error) == "the store did not answer within 0.2 s"
    assert store.cancelled == 1


def test_the_default_bound_is_one_second() -> None:
    import inspect

    for cls in (Client, AsyncClient):
        default = inspect.signature(cls).parameters["store_timeout"].default
        assert default == 1.0


def test_without_a_bound_the_push_waits_for_the_store(server: PushServer) -> None:
    store = HangingStore()
    threading.Timer(0.3, store.release.set).start()
    with Client(KEY, base_url=server.url, store=store, store_timeout=None) as client:
        result = client.pause("u1", "b1", minutes_paused=7)
    assert result.store_error is None
    recorded = store.get("b1", "u1")
    assert recorded is not None and recorded.minutes_paused == 7


def test_a_slow_store_within_the_bound_records(server: PushServer) -> None:
    store = HangingStore()
    threading.Timer(0.05, store.release.set).start()
    with Client(KEY, base_url=server.url, store=store, store_timeout=HANG) as client:
        result = client.resume("u1", "b1")
    assert result.store_error is None
    recorded = store.get("b1", "u1")
    assert recorded is not None and not recorded.paused


def test_the_store_threads_never_keep_the_process_alive(server: PushServer) -> None:
    store = HangingStore()
    with Client(KEY, base_url=server.url, store=store, store_timeout=BOUND) as client:
        client.pause("u1", "b1")
        threads = [t for t in threading.enumerate() if t.name == "botcopy-store"]
    store.release.set()
    assert threads and all(t.daemon for t in threads)


class RaisingStore(MemoryStore):
    def record_pause(self, *args: Any, **kwargs: Any) -> ConversationState:
        raise RuntimeError("redis://:hunter2@cache:6379 said no")


@pytest.mark.parametrize("store_timeout", [BOUND, None])
def test_a_store_raising_anything_is_reported_not_raised(
    server: PushServer, caplog: pytest.LogCaptureFixture, store_timeout: float | None
) -> None:
    caplog.set_level(logging.WARNING)
    with Client(KEY, base_url=server.url, store=RaisingStore(), store_timeout=store_timeout) as c:
        result = c.pause("u1", "b1")
    assert isinstance(result.store_error, StoreUnavailableError)
    assert str(result.store_error) == "the store raised RuntimeError"
    assert isinstance(result.store_error.__cause__, RuntimeError)
    assert "hunter2" not in caplog.text


async def test_an_async_store_raising_anything_is_reported_not_raised(server: PushServer) -> None:
    async with AsyncClient(KEY, base_url=server.url, store=RaisingStore()) as client:
        result = await client.pause("u1", "b1")
    assert str(result.store_error) == "the store raised RuntimeError"


@pytest.mark.parametrize("bad", [0, -1, "1", True, float("nan")])
def test_store_timeout_must_be_positive_seconds(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="store_timeout"):
        Client(KEY, store=MemoryStore(), store_timeout=bad)
    with pytest.raises(ConfigurationError, match="store_timeout"):
        AsyncClient(KEY, store=MemoryStore(), store_timeout=bad)


def test_a_store_that_hangs_for_good_fails_records_at_once_and_holds_bounded_memory(
    server: PushServer,
) -> None:
    # Once 8 threads are stuck and 64 records wait behind them, nothing more is queued.
    # (How many pushes that takes depends on how fast threads skip given-up records.)
    busy = "the store has not finished 64 earlier records"
    store = HangingStore()
    with Client(KEY, base_url=server.url, store=store, store_timeout=0.01) as client:
        errors: list[str] = []
        while busy not in errors and len(errors) < 300:
            errors.append(str(client.typing("u1", "b1").store_error))
        started = time.monotonic()
        again = client.typing("u1", "b1").store_error
        waited = time.monotonic() - started
        store.release.set()
    assert errors[0] == "the store did not answer within 0.01 s"
    assert errors[-1] == busy
    assert len(errors) >= 8 + 64
    assert str(again) == busy
    assert waited < HANG / 2
