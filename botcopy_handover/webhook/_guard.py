"""The deadline guard: run a handler with a time budget, never cancel it.

Botcopy ignores a reply that comes after 5 seconds, and then silently does
not pause (Step One) or gives the customer's message to the bot (Step Two).
So the endpoint must answer in time whatever the handler does: the guard
waits for the handler at most ``budget`` seconds and then lets the endpoint
answer a fallback reply, while the handler runs on.

* ``async def`` handlers run as *eager* tasks on the server's event loop: the
  handler's first step runs at once, inside the request's own call, as a real
  task of its own. A handler that never suspends is done before the loop
  turns, with no timer or waiter spent; one that suspends goes on as that
  same task, and only then does a timer (``asyncio.wait``'s) bound the wait.
  One that overruns keeps running as a background task (a strong reference
  is held until it ends, and its result or exception is logged).
* Plain functions run in a bounded pool of worker threads, with the caller's
  ``contextvars``; one that overruns keeps its thread until it returns.
  Threads cannot be interrupted, so a handler that never returns holds a
  worker for good: give your desk calls their own timeouts.

Why eager: a handler started as an ordinary task runs a loop turn later,
after other requests' work, so a request's objects (a long history allocates
thousands) are still alive while the next bodies are decoded; the garbage
collector then finds them alive, promotes them, and full collections follow
(0.45x a bare route at 100 items and concurrency 50 on Python 3.11). Python
3.12+ has eager tasks built in; on 3.10 and 3.11 `_eager_task` does what
they do: it makes the task first, makes it the loop's current task while the
first step runs by hand, and gives the task the rest of the coroutine. The
handler is never moved from one task to another, so task-bound code (anyio
cancel scopes inside httpx, ``asyncio.timeout``) sees one task throughout.
The handler cannot simply be awaited by the request: the answer has to go
out at the deadline while an overrunning handler goes on, and the request's
own frames are above the handler's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import logging
import sys
import threading
from asyncio import tasks as _tasks
from collections.abc import Awaitable, Callable, Coroutine, Generator
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
    """``coro`` as an eager task: its first step runs now, as a real task.

    Most handlers (and store calls on a memory store) finish in that step: the
    future returned is then already done, no loop turn, timer or waiter is
    spent, and the request's objects are freed before the next request is
    read. Otherwise it is the task that goes on running ``coro``.
    """
    loop = asyncio.get_running_loop()
    if _EAGER_TASKS:
        return asyncio.Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
    return _eager_task(loop, coro)


def _eager_task(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, object]
) -> asyncio.Future[object]:
    """Python 3.10/3.11: what ``asyncio.Task(coro, eager_start=True)`` does on 3.12+.

    The task is made first (an ordinary one, whose first step comes a loop
    turn later) and made the loop's current task while ``coro``'s first step
    runs here, in a context copied from the caller's as a task's is. If the
    step finishes ``coro``, its outcome is returned as a done future and the
    task's own first step is an empty one; if ``coro`` suspends, the task's
    first step hands the task the future ``coro`` waits on, and the task
    drives ``coro`` from then on. Either way ``asyncio.current_task()`` is
    that one task for every step of ``coro``.
    """
    context = contextvars.copy_context()
    rest = _Rest(coro, context)
    task: asyncio.Task[object] = loop.create_task(rest)
    outer = _tasks.current_task(loop)
    if outer is not None:
        _tasks._leave_task(loop, outer)
    _tasks._enter_task(loop, task)
    try:
        rest.first_step_yielded(context.run(coro.send, None))
    except StopIteration as stop:
        rest.first_step_finished()
        done: asyncio.Future[object] = loop.create_future()
        done.set_result(stop.value)
        return done
    except asyncio.CancelledError:
        rest.first_step_finished()
        done = loop.create_future()
        done.cancel()
        return done
    except (KeyboardInterrupt, SystemExit):
        rest.first_step_finished()
        raise
    except BaseException as error:
        rest.first_step_finished()
        done = loop.create_future()
        done.set_exception(error)
        return done
    finally:
        _tasks._leave_task(loop, task)
        if outer is not None:
            _tasks._enter_task(loop, outer)
    return task


class _Rest(Coroutine[Any, Any, object]):
    """What the task of `_eager_task` drives: a coroutine whose first step already ran.

    The task's first ``send`` gets back what that step yielded (the future the
    coroutine waits on, which the task then waits on as it would have); every
    later ``send`` or ``throw`` goes to the coroutine, in its context. If the
    first step finished the coroutine, the task's first step ends the task.
    """

    __slots__ = ("_context", "_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, object], context: contextvars.Context) -> None:
        self._coro: Coroutine[Any, Any, object] | None = coro
        self._context: contextvars.Context = context
        self._yielded: tuple[object] | None = None  # what the first step yielded, until handed on

    def first_step_yielded(self, value: object) -> None:
        self._yielded = (value,)

    def first_step_finished(self) -> None:
        self._coro = None  # nothing of the handler is kept until the task's empty step

    def send(self, value: Any) -> Any:
        if self._coro is None:
            raise StopIteration
        if self._yielded is not None:
            (yielded,), self._yielded = self._yielded, None
            return yielded
        return self._context.run(self._coro.send, value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        error = typ if val is None else val
        if self._coro is None:
            raise error  # cancelled before its first step; the coroutine was already done
        if self._yielded is not None:
            (yielded,), self._yielded = self._yielded, None
            if asyncio.isfuture(yielded):
                # As a task cancels the future it waits on before waking its coroutine.
                yielded.cancel()
        return self._context.run(self._coro.throw, error)

    def close(self) -> None:
        if self._coro is not None:
            self._coro.close()

    # What inspect.getcoroutinestate, Task.get_stack and anyio read of a
    # task's coroutine: the handler's own.
    @property
    def cr_running(self) -> bool:
        return bool(getattr(self._coro, "cr_running", False))

    @property
    def cr_suspended(self) -> bool:
        return bool(getattr(self._coro, "cr_suspended", False))

    @property
    def cr_frame(self) -> Any:
        return getattr(self._coro, "cr_frame", None)

    @property
    def cr_code(self) -> Any:
        return getattr(self._coro, "cr_code", None)

    @property
    def cr_await(self) -> Any:
        return getattr(self._coro, "cr_await", None)

    def __await__(self) -> Generator[Any, None, object]:
        return self

    def __iter__(self) -> _Rest:
        return self

    def __next__(self) -> Any:
        return self.send(None)


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
        label: str | Callable[[], str] = "handler",
        extra: tuple[object, ...] = (),
        runner: Callable[[Awaitable[object]], object] | None = None,
    ) -> Outcome:
        """Run ``handler(event, *extra)`` in a worker thread and wait at most ``budget`` seconds.

        ``budget`` defaults to the guard's; ``label`` names the handler and its
        session in the shutdown report (or makes that name: asked for only
        when the handler overruns); ``runner`` runs an awaitable the handler
        returns (default: ``asyncio.run``).
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
                self._running_threads[future] = _text(label)

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
        label: str | Callable[[], str] = "handler",
        extra: tuple[object, ...] = (),
        is_async: bool | None = None,
    ) -> Outcome:
        """Run ``handler(event, *extra)`` on the loop (async) or in a thread, waiting ``budget``.

        ``is_async``: whether ``handler`` is async, when the caller knows it
        already (the endpoint tells once per handler); ``None``: look.
        """
        future: asyncio.Future[object]
        if is_async_callable(handler) if is_async is None else is_async:
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

    def _keep(
        self, future: asyncio.Future[object], late: LateCallback, label: str | Callable[[], str]
    ) -> None:
        self._background[future] = _text(label)

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


def _text(label: str | Callable[[], str]) -> str:
    return label if isinstance(label, str) else label()


def _settled(
    future: concurrent.futures.Future[object] | asyncio.Future[object],
) -> Returned | Raised:
    if future.cancelled():
        return Raised(asyncio.CancelledError())
    error = future.exception()
    if error is not None:
        return Raised(error)
    return Returned(future.result())
