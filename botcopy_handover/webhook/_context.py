"""What a handler may ask for besides its event: the conversation, and work for after the reply.

A handler that takes a second parameter gets a context bound to the call's
customer (``bot_id``, ``user_id``, session id):

* ``context.conversation``: push to that customer (pause with an agent's name,
  typing, messages, resume) through a push client the endpoint makes from the
  environment (``BOTCOPY_API_KEY``, ``BOTCOPY_BASE_URL``) and closes at shutdown;
* ``context.after_reply(work)``: run ``work`` once the reply has been sent to
  Botcopy, so that pushes never race the reply (a pause push sent before the
  reply that pauses, or the 5 seconds running out while an agent types).

``async def`` handlers get an [AsyncHandlerContext][botcopy_handover.AsyncHandlerContext]
(an ``AsyncConversation``, coroutines as work); plain functions get a
[HandlerContext][botcopy_handover.HandlerContext] (a ``Conversation``,
functions as work). The work runs in `AfterReply`:
bounded in number, errors logged with the session id, drained at shutdown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from botcopy_handover._errors import ConfigurationError

if TYPE_CHECKING:
    from botcopy_handover.client._async import AsyncConversation
    from botcopy_handover.client._sync import Conversation
    from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest

__all__ = ["DEFAULT_AFTER_REPLY_LIMIT", "AfterReply", "AsyncHandlerContext", "HandlerContext"]

logger = logging.getLogger("botcopy_handover.webhook")

DEFAULT_AFTER_REPLY_LIMIT = 64
"""The most after-reply jobs running at once per endpoint; the rest wait their turn."""

_Job = tuple[str, "Callable[[], object] | Coroutine[Any, Any, object]"]
_Conversation = TypeVar("_Conversation")
_Conversation_co = TypeVar("_Conversation_co", covariant=True)


class _PushClient(Protocol[_Conversation_co]):
    """What a context needs of a push client (``Client`` or ``AsyncClient``)."""

    def conversation(self, user_id: str, bot_id: str) -> _Conversation_co: ...


def _session(event: HandoverRequest | CustomerMessage) -> str:
    return event.session_id or event.session or "-"


def wants_context(handler: Callable[..., Any]) -> bool:
    """Whether ``handler`` takes a second positional parameter (the context)."""
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):
        return False
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            positional += 1
    return positional >= 2


class AfterReply:
    """Runs the work handlers hand off, once their reply has been sent.

    Owned by a [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint]. Coroutines
    run as tasks on the server's event loop (ASGI, aiohttp), or on one event
    loop thread of the endpoint's own under a sync server (WSGI, Flask,
    Django); plain functions run in a pool of threads. At most ``limit`` jobs
    run at once; the others wait. A job that raises is logged with its
    session id. At shutdown `drain`
    (asyncio servers) or `close`
    waits for them up to a timeout and logs those still running.

    Args:
        limit: The most jobs running at once.

    Raises:
        ConfigurationError: ``limit`` is below 1.

    """

    def __init__(self, limit: int = DEFAULT_AFTER_REPLY_LIMIT) -> None:
        if limit < 1:
            raise ConfigurationError("after_reply_limit must be at least 1")
        self.limit = limit
        self._lock = threading.Lock()
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._tasks: dict[asyncio.Future[object], str] = {}
        self._threads: dict[concurrent.futures.Future[object], str] = {}
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """How many jobs are started or waiting and not yet finished."""
        with self._lock:
            return len(self._tasks) + len(self._threads)

    # -- starting ----------------------------------------------------------------

    def start(self, label: str, work: Callable[[], object] | Coroutine[Any, Any, object]) -> None:
        """Start one job now: a coroutine, or a plain function (run in a thread)."""
        if inspect.iscoroutine(work):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None and loop is not self._loop:
                task: asyncio.Future[object] = loop.create_task(self._guarded(label, work))
                with self._lock:
                    self._tasks[task] = label
                task.add_done_callback(self._task_done)
                return
            future: concurrent.futures.Future[object] = asyncio.run_coroutine_threadsafe(
                self._guarded(label, work), self.background_loop()
            )
        else:
            future = self._executor().submit(self._run_function, label, work)  # type: ignore[arg-type]
        with self._lock:
            self._threads[future] = label
        future.add_done_callback(self._thread_done)

    async def _guarded(self, label: str, work: Coroutine[Any, Any, object]) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        try:
            async with semaphore:
                await work
        except asyncio.CancelledError:
            logger.error("after-reply work for %s was cancelled before it finished", label)
            raise
        except Exception:
            logger.exception("after-reply work for %s failed", label)

    def _run_function(self, label: str, work: Callable[[], object]) -> None:
        try:
            result = work()
            if inspect.isawaitable(result):
                asyncio.run_coroutine_threadsafe(
                    self._guarded(label, _await(result)), self.background_loop()
                ).result()
        except Exception:
            logger.exception("after-reply work for %s failed", label)

    def _task_done(self, task: asyncio.Future[object]) -> None:
        with self._lock:
            self._tasks.pop(task, None)

    def _thread_done(self, future: concurrent.futures.Future[object]) -> None:
        with self._lock:
            self._threads.pop(future, None)

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    self.limit, thread_name_prefix="botcopy-after-reply"
                )
            return self._pool

    def background_loop(self) -> asyncio.AbstractEventLoop:
        """The endpoint's own event loop thread, for async work under a sync server."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="botcopy-after-reply-loop", daemon=True
                )
                thread.start()
                self._loop, self._loop_thread = loop, thread
            return self._loop

    def run_coroutine(self, awaitable: Awaitable[object]) -> object:
        """Run ``awaitable`` on the background loop and wait for its result (from a thread)."""
        return asyncio.run_coroutine_threadsafe(_await(awaitable), self.background_loop()).result()

    # -- shutdown ----------------------------------------------------------------

    async def drain(self, timeout: float) -> list[str]:
        """Wait up to ``timeout`` s for every job; log and return the labels still running."""
        with self._lock:
            tasks = tuple(self._tasks)
            threads = tuple(self._threads)
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        if threads:
            await asyncio.to_thread(concurrent.futures.wait, threads, timeout)
        return self._report(timeout)

    def close(self, timeout: float = 0.0) -> list[str]:
        """Wait up to ``timeout`` s for jobs in threads and on the background loop, then stop.

        Returns:
            The labels of the jobs still running (each is logged); none
            with ``timeout=0``, as after `drain`.

        """
        with self._lock:
            threads = tuple(self._threads)
        left: list[str] = []
        if timeout > 0:
            # With no time given (after a drain, which has reported), nothing is logged again.
            if threads:
                concurrent.futures.wait(threads, timeout)
            left = self._report(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        return left

    def stop_loop(self) -> None:
        """Stop the background loop thread, if one was started."""
        loop, thread = self._loop, self._loop_thread
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5.0)
            if not thread.is_alive():
                loop.close()
            self._loop = self._loop_thread = None

    def _report(self, timeout: float) -> list[str]:
        with self._lock:
            left = [*self._tasks.values(), *self._threads.values()]
        for label in left:
            logger.error(
                "after-reply work for %s still running %.1f s into the shutdown: abandoned",
                label,
                timeout,
            )
        if left:
            logger.error("%d after-reply job(s) abandoned at shutdown", len(left))
        return left


async def _await(awaitable: Awaitable[object]) -> object:
    return await awaitable


class _ContextBase(Generic[_Conversation]):
    """The part of a handler's context that does no I/O, shared by the sync and async ones."""

    def __init__(
        self,
        event: HandoverRequest | CustomerMessage,
        runner: AfterReply,
        client: Callable[[], _PushClient[_Conversation]],
    ) -> None:
        self.event: HandoverRequest | CustomerMessage = event
        self.bot_id: str = event.bot_id
        self.user_id: str = event.user_id
        self.session_id: str = _session(event)
        self._runner = runner
        self._jobs: list[_Job] | None = []
        self._lock = threading.Lock()
        self._client = client
        self._conversation: _Conversation | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bot_id={self.bot_id!r}, user_id={self.user_id!r}, "
            f"session_id={self.session_id!r})"
        )

    def _add(self, work: Callable[[], object] | Coroutine[Any, Any, object]) -> None:
        label = f"session {self.session_id}"
        with self._lock:
            if self._jobs is not None:
                self._jobs.append((label, work))
                return
        # The reply is already out (the handler ran past its deadline): start now.
        self._runner.start(label, work)

    def _open_conversation(self) -> _Conversation:
        # The push client is made (from the environment) only when a handler first pushes.
        if self._conversation is None:
            self._conversation = self._client().conversation(self.user_id, self.bot_id)
        return self._conversation

    def reply_sent(self) -> None:
        """Start the work handed off so far; called by the adapter once the reply is out."""
        with self._lock:
            jobs, self._jobs = self._jobs or [], None
        for label, work in jobs:
            self._runner.start(label, work)

    def discard(self) -> None:
        """Drop the work handed off so far, never started (the reply was never sent)."""
        with self._lock:
            jobs, self._jobs = self._jobs or [], None
        for _, work in jobs:
            if inspect.iscoroutine(work):
                work.close()
        if jobs:
            logger.warning(
                "%d after-reply job(s) for session %s dropped: the reply was not sent",
                len(jobs),
                self.session_id,
            )


class AsyncHandlerContext(_ContextBase["AsyncConversation"]):
    """What an ``async def`` handler's second parameter gets: its customer, and after-reply work.

    It has the attributes of a [HandlerContext][botcopy_handover.HandlerContext]
    (``event``, ``bot_id``, ``user_id``, ``session_id``); its ``conversation``
    is an ``AsyncConversation`` and its work coroutines.

    Example::

        async def on_handover(event, context):
            context.after_reply(context.conversation.pause(agent_name="Dana"))
            return Pause(minutes=30)

    """

    @property
    def conversation(self) -> AsyncConversation:
        """Pushes to this customer, through the endpoint's ``AsyncClient`` (from the environment).

        Raises:
            ConfigurationError: No push client was given and ``BOTCOPY_API_KEY`` is not set.

        """
        return self._open_conversation()

    def after_reply(
        self,
        work: Coroutine[Any, Any, object] | Callable[..., Awaitable[object]],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        """Run ``work`` once the reply has been sent to Botcopy.

        ``work`` is a coroutine (``say_hello()``) or an async function and its
        arguments (``say_hello, name``). It starts after the response is sent
        (at once, if the handler already ran past its deadline), with at most
        the endpoint's ``after_reply_limit`` jobs at a time; an error is
        logged with the session id.

        Raises:
            ConfigurationError: ``work`` is neither a coroutine nor callable.

        """
        if inspect.iscoroutine(work):
            if args or kwargs:
                raise ConfigurationError(
                    "after_reply: pass arguments with a function, not a coroutine"
                )
            self._add(work)
        elif callable(work):
            self._add(work(*args, **kwargs))  # type: ignore[arg-type]
        else:
            raise ConfigurationError(
                f"after_reply takes a coroutine or an async function, not {type(work).__name__}"
            )


class HandlerContext(_ContextBase["Conversation"]):
    """What a plain-function handler's second parameter gets: its customer, and after-reply work.

    Attributes:
        event: The call's event.
        bot_id: The customer's bot id.
        user_id: The customer's user id.
        session_id: The session id (``"-"`` when Botcopy sent none), for logs.

    Example::

        def on_handover(event, context):
            context.after_reply(context.conversation.pause, agent_name="Dana")
            return Pause(minutes=30)

    """

    @property
    def conversation(self) -> Conversation:
        """Pushes to this customer, through the endpoint's ``Client`` (made from the environment).

        Raises:
            ConfigurationError: No push client was given and ``BOTCOPY_API_KEY`` is not set.

        """
        return self._open_conversation()

    def after_reply(self, work: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Run ``work(*args, **kwargs)`` in a worker thread once the reply has been sent.

        Bounded, logged and drained like
        [AsyncHandlerContext.after_reply][botcopy_handover.AsyncHandlerContext.after_reply].

        Raises:
            ConfigurationError: ``work`` is not callable.

        """
        if not callable(work):
            raise ConfigurationError(f"after_reply takes a function, not {type(work).__name__}")
        self._add(lambda: work(*args, **kwargs))
