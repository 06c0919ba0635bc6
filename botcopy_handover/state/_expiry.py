"""Watch pauses run out: Botcopy says nothing when one lapses, so we look.

A watcher polls the store's [`expiring`][botcopy_handover.state.ConversationStore.expiring]
and calls your callback with an [`ExpiryNotice`][botcopy_handover.state.ExpiryNotice]:

* once when a pause is about to lapse (within ``warn_before``): the desk may
  keep it alive (send a message or a pause push) or tell the agent;
* once when it has lapsed: the bot answers the customer again, so the desk
  should close or park its ticket.

"Once" holds across replicas: every replica may run a watcher, and the store
decides atomically which one notifies (a claim for warnings; the lapse is
recorded by exactly one
[`record_lapse`][botcopy_handover.state.AsyncConversationStore.record_lapse]). A
message that pushes the
expiry back makes a new warning possible for the new expiry. Notices are
delivered at most once: if your callback raises, the error is logged and the
notice is not repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar, Union

from typing_extensions import Self

from botcopy_handover._aio import one_step
from botcopy_handover._errors import BotcopyError, StoreError
from botcopy_handover.state._adapt import as_async_store, as_sync_store
from botcopy_handover.state._core import check_duration, to_ms
from botcopy_handover.state._store import (
    AsyncConversationStore,
    ConversationState,
    ConversationStore,
)
from botcopy_handover.state.memory import MemoryStore

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_WARN_BEFORE",
    "AsyncExpiryWatcher",
    "ExpiryNotice",
    "ExpiryWatcher",
]

logger = logging.getLogger("botcopy_handover")

DEFAULT_WARN_BEFORE = timedelta(minutes=1)
"""How long before a pause lapses the watcher warns, by default."""

DEFAULT_POLL_INTERVAL = 5.0
"""Seconds between two looks at the store, by default."""


@dataclass(frozen=True, slots=True)
class ExpiryNotice:
    """A pause is about to lapse, or has lapsed.

    Attributes:
        state: The conversation as recorded when the notice was decided (still
            ``paused``, with the ``expires_at`` the notice is about).
        lapsed: ``True`` once the pause has run out (the bot answers again);
            ``False`` for the warning before.
        at: When the watcher decided, by the store's clock.

    """

    state: ConversationState
    lapsed: bool
    at: datetime

    @property
    def remaining(self) -> timedelta:
        """How long the pause had left at `at` (zero once lapsed)."""
        return self.state.remaining(self.at)


SyncCallback = Callable[[ExpiryNotice], object]
AsyncCallback = Callable[[ExpiryNotice], Union[Awaitable[object], object]]  # noqa: UP007


class _Plan:
    """What to do about the conversations ``expiring()`` listed: decided once for both watchers."""

    def __init__(self, warn_before: timedelta, interval: float) -> None:
        self.warn_before = check_duration(warn_before, "warn_before")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval <= 0:
            raise StoreError("interval must be a positive number of seconds")
        self.interval = float(interval)
        # A warning claim outlives the warning window, so a later poll inside
        # the window does not warn again.
        self.claim_ttl = self.warn_before + timedelta(seconds=2 * self.interval + 60)

    @staticmethod
    def lapsed(state: ConversationState, now: datetime) -> bool:
        return state.expires_at is not None and state.expires_at <= now

    @staticmethod
    def warning_token(state: ConversationState) -> str:
        expires = to_ms(state.expires_at) if state.expires_at else 0
        return f"expiry-warning:{len(state.bot_id)}:{state.bot_id}:{state.user_id}:{expires}"

    def steps(
        self, due: list[ConversationState], clock: Callable[[], datetime]
    ) -> Generator[_Lapse | _Claim | ExpiryNotice, bool | None, None]:
        """The decisions of one poll over ``expiring()``'s answer, without I/O.

        Yields a ``_Lapse`` or ``_Claim`` for the store to decide (send back
        its ``bool``: whether this watcher won), then the ``ExpiryNotice`` to
        give when it did (send back ``None``).
        """
        for state in due:
            now = clock()
            lapsed = self.lapsed(state, now)
            if lapsed:
                assert state.expires_at is not None
                won = yield _Lapse(state.bot_id, state.user_id, state.expires_at)
            else:
                won = yield _Claim(self.warning_token(state), self.claim_ttl)
            if won:
                yield ExpiryNotice(state, lapsed, now)


@dataclass(frozen=True, slots=True)
class _Lapse:
    """Ask the store to record the lapse (``record_lapse``); only one replica wins."""

    bot_id: str
    user_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Claim:
    """Ask the store for the warning's claim (``claim``); only one replica wins."""

    token: str
    ttl: timedelta


_Step = Union[_Lapse, _Claim, ExpiryNotice]  # noqa: UP007


def _next(steps: Generator[_Step, bool | None, None], answer: bool | None) -> _Step | None:
    """Resume ``steps`` with ``answer`` (the first call must pass ``None``); ``None`` at the end."""
    try:
        return steps.send(answer)
    except StopIteration:
        return None


def _log_callback_error(notice: ExpiryNotice) -> None:
    logger.exception(
        "expiry callback failed for bot %s user %s (lapsed=%s)",
        notice.state.bot_id,
        notice.state.user_id,
        notice.lapsed,
    )


_In = TypeVar("_In")
_St = TypeVar("_St")
_Cb = TypeVar("_Cb")


class _Watcher(Generic[_In, _St, _Cb]):
    """What both watchers share: the store, the callback and the plan; each twin polls."""

    def __init__(
        self,
        store: _In,
        callback: _Cb,
        *,
        warn_before: timedelta = DEFAULT_WARN_BEFORE,
        interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.store: _St = self._adopt(store)
        self.callback: _Cb = callback
        self._plan = _Plan(warn_before, interval)
        self._begin()

    def _adopt(self, store: _In) -> _St:
        """``store`` checked (and, for a ``MemoryStore`` in async code, wrapped)."""
        raise NotImplementedError

    def _begin(self) -> None:
        """What a watcher sets up once made (the threaded one: its stop signal)."""


class ExpiryWatcher(_Watcher[ConversationStore, ConversationStore, SyncCallback]):
    """Calls ``callback`` when a pause is about to lapse and when it has lapsed (a thread).

    Args:
        store: A synchronous store; its clock is the watcher's clock.
        callback: Called with an [`ExpiryNotice`][botcopy_handover.state.ExpiryNotice], in the
            watcher's thread.
        warn_before: How long before the expiry to warn; ``timedelta(0)`` for
            lapse notices only.
        interval: Seconds between polls.

    Use it as a context manager, or call [`start`][botcopy_handover.state.ExpiryWatcher.start] and
    [`stop`][botcopy_handover.state.ExpiryWatcher.stop]; or
    call [`poll`][botcopy_handover.state.ExpiryWatcher.poll] yourself (from a scheduler, or in
    tests)::

        with ExpiryWatcher(store, on_expiry, warn_before=timedelta(minutes=2)):
            serve_forever()

    """

    _thread: threading.Thread | None = None

    def _adopt(self, store: ConversationStore) -> ConversationStore:
        return as_sync_store(store)

    def _begin(self) -> None:
        self._stop = threading.Event()

    def poll(self) -> list[ExpiryNotice]:
        """Look once: notify for each conversation due, return the notices given."""
        steps = self._plan.steps(self.store.expiring(self._plan.warn_before), self.store.clock)
        given: list[ExpiryNotice] = []
        answer: bool | None = None
        while (step := _next(steps, answer)) is not None:
            if isinstance(step, ExpiryNotice):
                try:
                    self.callback(step)
                except Exception:
                    _log_callback_error(step)
                given.append(step)
                answer = None
            elif isinstance(step, _Lapse):
                answer = self.store.record_lapse(step.bot_id, step.user_id, step.expires_at)
            else:
                answer = self.store.claim(step.token, step.ttl)
        return given

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except BotcopyError as exc:
                logger.warning("expiry watcher could not poll the store: %s", exc)
            self._stop.wait(self._plan.interval)

    @property
    def running(self) -> bool:
        """Whether the watcher's thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling in a daemon thread (a no-op if already running)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="botcopy-expiry-watcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop polling and wait for the thread to finish (a poll in progress completes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class AsyncExpiryWatcher(
    _Watcher[AsyncConversationStore | MemoryStore, AsyncConversationStore, AsyncCallback]
):
    """[`ExpiryWatcher`][botcopy_handover.state.ExpiryWatcher] as an asyncio task.

    Args:
        store: An async store, or a [`MemoryStore`][botcopy_handover.MemoryStore].
        callback: Called with an [`ExpiryNotice`][botcopy_handover.state.ExpiryNotice]; may be a
            coroutine function.
        warn_before: How long before the expiry to warn.
        interval: Seconds between polls.

    ::

        async with AsyncExpiryWatcher(store, on_expiry):
            await serve()

    """

    _task: asyncio.Task[None] | None = None

    def _adopt(self, store: AsyncConversationStore | MemoryStore) -> AsyncConversationStore:
        return as_async_store(store)

    async def poll(self) -> list[ExpiryNotice]:
        """Look once: notify for each conversation due, return the notices given."""
        due = await self.store.expiring(self._plan.warn_before)
        steps = self._plan.steps(due, self.store.clock)
        given: list[ExpiryNotice] = []
        answer: bool | None = None
        while (step := _next(steps, answer)) is not None:
            if isinstance(step, ExpiryNotice):
                try:
                    result = self.callback(step)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    _log_callback_error(step)
                given.append(step)
                answer = None
            elif isinstance(step, _Lapse):
                answer = await self.store.record_lapse(step.bot_id, step.user_id, step.expires_at)
            else:
                answer = await self.store.claim(step.token, step.ttl)
        return given

    async def _run(self) -> None:
        while True:
            try:
                await one_step(self.poll())  # so that stop()'s cancellation is never lost
            except BotcopyError as exc:
                logger.warning("expiry watcher could not poll the store: %s", exc)
            await asyncio.sleep(self._plan.interval)

    @property
    def running(self) -> bool:
        """Whether the watcher's task is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start polling in a task on the running loop (a no-op if already running)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="botcopy-expiry-watcher"
            )

    async def stop(self) -> None:
        """Cancel the task and wait until it has finished."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
