"""The deadline guard: run a handler with a time budget, never cancel it.

Botcopy ignores a reply that comes after 5 seconds, and then silently does
not pause (Step One) or gives the customer's message to the bot (Step Two).
So the endpoint must answer in time whatever the handler does: the guard
waits for the handler at most ``budget`` seconds and then lets the endpoint
answer a fallback reply, while the handler runs on.

* ``async def`` handlers run as tasks on the server's event loop (eager
  tasks on Python 3.12+: a handler that never suspends costs no loop turn); one that
  overruns keeps running as a background task (a strong reference is held
  until it ends, and its result or exception is logged).
* Plain functions run in a bounded pool of worker threads, with the caller's
  ``contextvars``; one that overruns keeps its thread until it returns.
  Threads cannot be interrupted, so a handler that never returns holds a
  worker for good: give your desk calls their own timeouts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = ["DeadlineGuard", "Outcome", "Overran", "Raised", "Returned"]

logger = logging.getLogger("botcopy_handover.webhook")

_EAGER_TASKS = sys.version_info >= (3, 12)


@dataclass(frozen=True, slots=True)
class Returned:
    """The handler returned ``value`` within the budget (not yet checked to be a reply)."""

    value: object


@dataclass(frozen=True, slots=True)
class Raised:
    """The handler raised ``error`` within the budget."""

    error: BaseException


@dataclass(frozen=True, slots=True)
class Overran:
    """The handler did not finish within the budget; it runs on in the background."""


Outcome: TypeAlias = Returned | Raised | Overran

LateCallback: TypeAlias = Callable[[Returned | Raised], None]
"""Told how an overrunning handler ended, to log it."""


def is_async_callable(handler: Callable[..., Any]) -> bool:
    """Whether calling ``handler`` gives a coroutine (``async def``, or an object with one)."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an object with async __call__
    )


async def _await(awaitable: Awaitable[object]) -> object:
    return await awaitable


def _call_in_thread(
    handler: Callable[..., object],
    args: tuple[object, ...],
    runner: Callable[[Awaitable[object]], object] | None = None,
) -> object:
    result = handler(*args)
    if inspect.isawaitable(result):
        # A plain function that returned an awaitable (an async handler behind
        # functools.partial, or async code called from a sync server). With a
        # runner (a handler that pushes), it runs on the endpoint's own loop,
        # where its push client lives.
        if runner is not None:
            return runner(result)
        return asyncio.run(_await(result))
    return result


def _start(coro: Coroutine[Any, Any, object]) -> asyncio.Future[object]:
    """The handler as a task; on Python 3.12+ an eager one.

    An eager task runs its first step at once, as a real task (so task-bound
    code such as anyio's cancel scopes works). Most handlers finish in that
    step: no loop turn, timer or waiter is spent, and the request's objects
    are freed before the next request is read, which keeps the garbage
    collector from promoting them (a long history allocates thousands).
    """
    if _EAGER_TASKS:
        loop = asyncio.get_running_loop()
        return asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
    return asyncio.ensure_future(coro)


class DeadlineGuard:
    """Runs handlers with a time budget; shared by every adapter of one endpoint.

    Args:
        budget: Seconds to wait for a handler.
        threads: The most worker threads for plain-function handlers.

    """

    def __init__(self, budget: float, threads: int) -> None:
        self.budget = budget
        self._threads = threads
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        # Overrunning handlers, each with its label (handler and session).
        self._background: dict[asyncio.Future[object], str] = {}
        self._running_threads: dict[concurrent.futures.Future[object], str] = {}

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        self._threads, thread_name_prefix="botcopy-handler"
                    )
        return self._pool

    def run(
        self,
        handler: Callable[..., object],
        event: object,
        late: LateCallback,
        *,
        budget: float | None = None,
        label: str = "handler",
        extra: tuple[object, ...] = (),
        runner: Callable[[Awaitable[object]], object] | None = None,
    ) -> Outcome:
        """Run ``handler(event, *extra)`` in a worker thread and wait at most ``budget`` seconds.

        ``budget`` defaults to the guard's; ``label`` names the handler and its
        session in the shutdown report; ``runner`` runs an awaitable the
        handler returns (default: ``asyncio.run``).
        """
        context = contextvars.copy_context()
        future = self._executor().submit(
            context.run, _call_in_thread, handler, (event, *extra), runner
        )
        # wait(), not future.result(timeout=...): a handler's own TimeoutError
        # must not be mistaken for the budget running out.
        wait = self.budget if budget is None else max(budget, 0.0)
        done, _ = concurrent.futures.wait((future,), timeout=wait)
        if not done:
            with self._pool_lock:
                self._running_threads[future] = label

            def finished(f: concurrent.futures.Future[object]) -> None:
                with self._pool_lock:
                    self._running_threads.pop(f, None)
                late(_settled(f))

            future.add_done_callback(finished)
            return Overran()
        return _settled(future)

    async def arun(
        self,
        handler: Callable[..., object],
        event: object,
        late: LateCallback,
        *,
        budget: float | None = None,
        label: str = "handler",
        extra: tuple[object, ...] = (),
    ) -> Outcome:
        """Run ``handler(event, *extra)`` on the loop (async) or in a thread, waiting ``budget``."""
        future: asyncio.Future[object]
        if is_async_callable(handler):
            future = _start(handler(event, *extra))  # type: ignore[arg-type]
            if future.done():
                return _settled(future)
        else:
            loop = asyncio.get_running_loop()
            context = contextvars.copy_context()
            future = loop.run_in_executor(
                self._executor(), context.run, _call_in_thread, handler, (event, *extra)
            )
        wait = self.budget if budget is None else max(budget, 0.0)
        try:
            done, _ = await asyncio.wait((future,), timeout=wait)
        except asyncio.CancelledError:
            # The request went away (client disconnect, server shutdown): the
            # handler still finishes, as it would after an overrun.
            self._keep(future, late, label)
            raise
        if not done:
            self._keep(future, late, label)
            return Overran()
        return _settled(future)

    def _keep(self, future: asyncio.Future[object], late: LateCallback, label: str) -> None:
        self._background[future] = label

        def finished(f: asyncio.Future[object]) -> None:
            self._background.pop(f, None)
            # A cancelled handler is reported too: the server (or the loop's
            # end) cancelled it before it could finish its work.
            late(_settled(f))

        future.add_done_callback(finished)

    @property
    def pending(self) -> int:
        """How many overrunning handlers (async and in threads) are still running."""
        return len(self._background) + len(self._running_threads)

    async def drain(self, timeout: float) -> list[str]:
        """Wait up to ``timeout`` s for overrunning async handlers (at server shutdown).

        Returns:
            The labels of the handlers still running when the time ran out.

        """
        if self._background:
            await asyncio.wait(tuple(self._background), timeout=timeout)
        return list(self._background.values())

    def close(self, *, wait: bool = False) -> list[str]:
        """Release the worker threads once their handlers return.

        Returns:
            The labels of the handlers still running in a thread.

        """
        with self._pool_lock:
            running = list(self._running_threads.values())
        if self._pool is not None:
            self._pool.shutdown(wait=wait)
        return running


def _settled(
    future: concurrent.futures.Future[object] | asyncio.Future[object],
) -> Returned | Raised:
    if future.cancelled():
        return Raised(asyncio.CancelledError())
    error = future.exception()
    if error is not None:
        return Raised(error)
    return Returned(future.result())
