"""Record an accepted push in the client's store, within a bound.

The push has already reached the customer when the store is called, so the
store can neither fail nor delay the result: an error becomes
``PushResult.store_error``, and a store that does not answer within
``store_timeout`` seconds (a Redis paused, failing over, or behind a
blackholed network) is treated like one that is down.

An async store call is cancelled at the bound. A sync call cannot be
interrupted, so it runs on a small pool of daemon threads and is abandoned at
the bound: it may still complete later, and a hung one never keeps the
process from exiting. A plain [`MemoryStore`][botcopy_handover.MemoryStore] is called directly: it
does no I/O and cannot hang.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from queue import SimpleQueue
from typing import Any, Final

from botcopy_handover._errors import ConfigurationError, StoreError, StoreUnavailableError
from botcopy_handover.client._base import PushResult, store_failed
from botcopy_handover.models.push import PushEvent
from botcopy_handover.state._adapt import as_async_store, as_sync_store
from botcopy_handover.state._record import arecord_push, record_push
from botcopy_handover.state._store import AsyncConversationStore, ConversationStore
from botcopy_handover.state.memory import MemoryStore

__all__ = ["DEFAULT_STORE_TIMEOUT", "AsyncRecorder", "SyncRecorder", "check_store_timeout"]

DEFAULT_STORE_TIMEOUT: Final = 1.0
"""Seconds a push waits for its store record before reporting it as failed."""

_MAX_THREADS = 8
_MAX_WAITING = 64  # records queued behind busy threads; beyond, a record fails at once


def check_store_timeout(value: float | None) -> float | None:
    """``value`` as a store timeout: seconds above zero, or ``None`` for no bound."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError("store_timeout must be seconds above 0, or None")
    if value == float("inf"):
        return None
    return float(value)


def _too_slow(timeout: float) -> StoreUnavailableError:
    return StoreUnavailableError(f"the store did not answer within {timeout:g} s")


def _unexpected(exc: Exception) -> StoreUnavailableError:
    # A store's own message may hold a URL with a password: name the type only.
    error = StoreUnavailableError(f"the store raised {type(exc).__name__}")
    error.__cause__ = exc
    return error


class _DaemonThreads:
    """Runs calls on up to ``_MAX_THREADS`` daemon threads, started as needed.

    ``concurrent.futures.ThreadPoolExecutor`` joins its threads at exit, so a
    store call that hangs forever would keep the process alive. At most
    ``_MAX_WAITING`` calls wait for a thread (given-up ones included, until a
    thread skips them), so a store that hangs for good costs bounded memory.
    """

    def __init__(self) -> None:
        self._queue: SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._waiting = 0

    def submit(self, call: Callable[[], Any]) -> Future[Any] | None:
        """Queue ``call``; ``None`` when too many calls already wait for a thread."""
        future: Future[Any] = Future()
        with self._lock:
            if self._waiting >= _MAX_WAITING:
                return None
            self._waiting += 1
            self._queue.put((future, call))
            if self._idle == 0 and self._threads < _MAX_THREADS:
                self._threads += 1
                threading.Thread(target=self._work, name="botcopy-store", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                if item is not None:
                    self._waiting -= 1
            if item is None:
                with self._lock:
                    self._threads -= 1
                return
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue  # given up before it started: never run it late
            try:
                future.set_result(call())
            except BaseException as exc:  # handed to the waiting push, if it still waits
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Let idle threads end; a thread stuck in a store call ends when the call does."""
        with self._lock:
            count = self._threads
        for _ in range(count):
            self._queue.put(None)


class SyncRecorder:
    """Records pushes in a sync store within ``timeout`` seconds (``None``: no bound)."""

    def __init__(self, store: ConversationStore, timeout: float | None) -> None:
        self._store = store
        self._timeout = timeout
        direct = timeout is None or type(store) is MemoryStore
        self._threads: _DaemonThreads | None = None if direct else _DaemonThreads()

    @classmethod
    def for_client(
        cls, store: ConversationStore | None, store_timeout: float | None
    ) -> SyncRecorder | None:
        """The recorder of a client's ``store=`` (``None`` without one); checks the bound first."""
        bound = check_store_timeout(store_timeout)
        return None if store is None else cls(as_sync_store(store), bound)

    def record(self, event: PushEvent) -> StoreError | None:
        """Record ``event``; the error, if the store failed or was too slow."""
        try:
            if self._threads is None:
                record_push(self._store, event)
                return None
            assert self._timeout is not None
            future = self._threads.submit(lambda: record_push(self._store, event))
            if future is None:
                return StoreUnavailableError(
                    f"the store has not finished {_MAX_WAITING} earlier records"
                )
            try:
                future.result(self._timeout)
            except FutureTimeout:
                future.cancel()
                return _too_slow(self._timeout)
        except StoreError as error:
            return error
        except Exception as exc:
            return _unexpected(exc)
        return None

    def recorded(self, result: PushResult) -> PushResult:
        """``result`` once recorded: with its `store_error` if the store failed."""
        error = self.record(result.event)
        return result if error is None else store_failed(result, error)

    def close(self) -> None:
        """Stop the idle threads."""
        if self._threads is not None:
            self._threads.shutdown()


class AsyncRecorder:
    """Records pushes in an async store within ``timeout`` seconds (``None``: no bound)."""

    def __init__(self, store: AsyncConversationStore, timeout: float | None) -> None:
        self._store = store
        self._timeout = timeout

    @classmethod
    def for_client(
        cls, store: AsyncConversationStore | MemoryStore | None, store_timeout: float | None
    ) -> AsyncRecorder | None:
        """As ``SyncRecorder.for_client``, for an async client."""
        bound = check_store_timeout(store_timeout)
        return None if store is None else cls(as_async_store(store), bound)

    async def record(self, event: PushEvent) -> StoreError | None:
        """Record ``event``; the error, if the store failed or was too slow."""
        timeout = self._timeout
        try:
            if timeout is None:
                await arecord_push(self._store, event)
            elif sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout):
                    await arecord_push(self._store, event)
            else:  # pragma: no cover - Python 3.10
                await asyncio.wait_for(arecord_push(self._store, event), timeout)
        except asyncio.TimeoutError as exc:
            return _too_slow(timeout) if timeout is not None else _unexpected(exc)
        except StoreError as error:
            return error
        except Exception as exc:
            return _unexpected(exc)
        return None

    async def recorded(self, result: PushResult) -> PushResult:
        """``result`` once recorded: with its `store_error` if the store failed."""
        error = await self.record(result.event)
        return result if error is None else store_failed(result, error)
