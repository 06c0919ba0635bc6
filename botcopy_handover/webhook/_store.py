"""The conversation store on the webhook path: every call bounded by the time left to answer.

Two store calls surround a handler: the duplicate check before it and the
record of the reply after it. Botcopy's 5 seconds cover all three, so each
store call gets at most ``store_timeout`` seconds and never more than what
is left of the reply budget. A store that does not answer in time is treated
as one that is down: the check counts the body as new (better to pass a body
on twice than to drop a customer's message) and the reply still goes out; a
record that is still running goes on in the background and its outcome is
logged. Nothing the store does, raises or fails to do stops the answer.

Synchronous stores are called in a small pool of their own threads (a
handler that never returns must not starve the store, nor a hung store the
handlers); a [`MemoryStore`][botcopy_handover.MemoryStore] never blocks and is
called directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from botcopy_handover._errors import StoreError
from botcopy_handover.models.replies import Reply
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.state._adapt import as_async_store
from botcopy_handover.state._dedupe import AsyncDeduplicator, Deduplicator
from botcopy_handover.state._record import arecord_reply, record_reply
from botcopy_handover.state._store import AsyncConversationStore, ConversationStore
from botcopy_handover.state.memory import MemoryStore
from botcopy_handover.webhook._guard import _start

__all__ = ["AsyncWebhookStore", "WebhookStore"]

logger = logging.getLogger("botcopy_handover.webhook")

T = TypeVar("T")

_STORE_THREADS = 8


def _session(event: HandoverRequest | CustomerMessage) -> str:
    return event.session_id or event.session or "-"


def _time_left(deadline: float, limit: float) -> float:
    return max(0.0, min(limit, deadline - time.monotonic()))


def _describe(error: BaseException) -> str:
    # A StoreError's message is written by the SDK and holds no secret; any
    # other exception is named by type only (a custom store's text may not be safe).
    return str(error) if isinstance(error, StoreError) else type(error).__name__


class WebhookStore:
    """The store calls of a synchronous endpoint, each bounded in time.

    Args:
        store: A synchronous store (``MemoryStore``, ``RedisStore``).
        window: How long a body counts as already seen.
        timeout: The most seconds one store call may take.

    Raises:
        ConfigurationError: The store is an async store.

    """

    def __init__(self, store: ConversationStore, window: timedelta, timeout: float) -> None:
        self._dedupe = Deduplicator(store, window=window)
        self.timeout = timeout
        self._direct = isinstance(store, MemoryStore)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        _STORE_THREADS, thread_name_prefix="botcopy-store"
                    )
        return self._pool

    def _call(
        self, call: Callable[[], T], deadline: float
    ) -> tuple[concurrent.futures.Future[T] | None, T | None, BaseException | None]:
        """``(still running, result, error)`` of ``call`` within the time left."""
        if self._direct:
            try:
                return None, call(), None
            except Exception as error:
                return None, None, error
        future = self._executor().submit(call)
        done, _ = concurrent.futures.wait((future,), timeout=_time_left(deadline, self.timeout))
        if not done:
            return future, None, None
        failure = future.exception()
        return None, (None if failure else future.result()), failure

    def is_duplicate(self, event: HandoverRequest | CustomerMessage, deadline: float) -> bool:
        """Whether the body was seen before; ``False`` when the store fails or is slow."""
        running, duplicate, error = self._call(lambda: self._dedupe.is_duplicate(event), deadline)
        if running is not None:
            # Not started yet (every store thread busy): it never will be.
            running.cancel()
        return _judge_duplicate(event, self.timeout, running is not None, duplicate, error)

    def record(
        self, event: HandoverRequest | CustomerMessage, reply: Reply, deadline: float
    ) -> None:
        """Record the reply; a store that fails or is slow is logged, never fatal."""
        store = self._dedupe.store
        running, _, error = self._call(lambda: record_reply(store, event, reply), deadline)
        if running is not None:
            if running.cancel():
                logger.warning(
                    "The store was too busy to record the reply for session %s: not recorded",
                    _session(event),
                )
                return
            _report_slow_record(event, self.timeout)
            running.add_done_callback(lambda f: _report_late_record(event, f.exception()))
            return
        if error is not None:
            # The reply still goes to Botcopy: the conversation must not
            # break because the bookkeeping did.
            _report_record_error(event, error)

    def close(self) -> None:
        """Release the store threads once their calls return."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)


class AsyncWebhookStore:
    """The store calls of an asyncio endpoint, each bounded in time.

    Args:
        store: An async store (``AsyncRedisStore``) or a ``MemoryStore``.
        window: How long a body counts as already seen.
        timeout: The most seconds one store call may take.

    Raises:
        ConfigurationError: The store is synchronous I/O.

    """

    def __init__(
        self,
        store: AsyncConversationStore | ConversationStore,
        window: timedelta,
        timeout: float,
    ) -> None:
        # Checked at run time too, for callers the type checker does not see.
        self._dedupe = AsyncDeduplicator(as_async_store(store), window=window)
        self.timeout = timeout
        self._direct = isinstance(store, MemoryStore)
        self._background: set[asyncio.Future[Any]] = set()

    async def _call(
        self, coro: Coroutine[Any, Any, T], deadline: float
    ) -> tuple[asyncio.Future[T] | None, T | None, BaseException | None]:
        if self._direct:
            try:
                return None, await coro, None
            except Exception as error:
                return None, None, error
        task: asyncio.Future[T] = _start(coro)  # type: ignore[assignment]
        if not task.done():
            try:
                await asyncio.wait((task,), timeout=_time_left(deadline, self.timeout))
            except asyncio.CancelledError:
                task.cancel()
                raise
        if not task.done():
            return task, None, None
        failure = asyncio.CancelledError() if task.cancelled() else task.exception()
        return None, (None if failure else task.result()), failure

    async def is_duplicate(self, event: HandoverRequest | CustomerMessage, deadline: float) -> bool:
        """Whether the body was seen before; ``False`` when the store fails or is slow."""
        running, duplicate, error = await self._call(self._dedupe.is_duplicate(event), deadline)
        if running is not None:
            running.cancel()
        return _judge_duplicate(event, self.timeout, running is not None, duplicate, error)

    async def record(
        self, event: HandoverRequest | CustomerMessage, reply: Reply, deadline: float
    ) -> None:
        """Record the reply; a store that fails or is slow is logged, never fatal."""
        coro = arecord_reply(self._dedupe.store, event, reply)
        running, _, error = await self._call(coro, deadline)
        if running is not None:
            _report_slow_record(event, self.timeout)
            self._background.add(running)

            def finished(task: asyncio.Future[Any]) -> None:
                self._background.discard(task)
                if task.cancelled():
                    logger.warning(
                        "The record of the reply for session %s was cancelled: not recorded",
                        _session(event),
                    )
                else:
                    _report_late_record(event, task.exception())

            running.add_done_callback(finished)
            return
        if error is not None:
            _report_record_error(event, error)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for records still running in the background."""
        if self._background:
            await asyncio.wait(tuple(self._background), timeout=timeout)


def _judge_duplicate(
    event: HandoverRequest | CustomerMessage,
    timeout: float,
    timed_out: bool,
    duplicate: bool | None,
    error: BaseException | None,
) -> bool:
    """The duplicate check's answer: a store that is slow or fails counts the body as new."""
    if timed_out:
        logger.warning(
            "The store did not answer the duplicate check for session %s within %.2f s: "
            "the body is taken as new",
            _session(event),
            timeout,
        )
        return False
    if error is not None:
        # Better to pass a body on twice than to drop a customer's message.
        logger.warning("Could not check for a duplicate body: %s", _describe(error))
        return False
    return bool(duplicate)


def _report_slow_record(event: HandoverRequest | CustomerMessage, timeout: float) -> None:
    logger.warning(
        "The store did not record the reply for session %s within %.2f s: "
        "the reply is sent and the record goes on in the background",
        _session(event),
        timeout,
    )


def _report_record_error(event: HandoverRequest | CustomerMessage, error: BaseException) -> None:
    logger.warning(
        "Could not record the reply for session %s: %s", _session(event), _describe(error)
    )


def _report_late_record(
    event: HandoverRequest | CustomerMessage, error: BaseException | None
) -> None:
    if error is None:
        logger.info("The reply for session %s was recorded after the answer", _session(event))
    else:
        _report_record_error(event, error)
