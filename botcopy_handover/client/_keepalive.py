"""Keep the typing indicator up while an agent types.

Botcopy hides the indicator 10 s after each ``user_typing`` event, so it is
re-sent every 9 s until the agent's block ends or a message goes out. Sync
code gets a background thread, async code a task; both stop at the first
failure, log it, and are always joined or awaited before the block is left,
so nothing outlives the ``with``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Generic, TypeVar

from typing_extensions import Self

from botcopy_handover._errors import BotcopyError, ConfigurationError
from botcopy_handover.client._base import PushResult

__all__ = ["DEFAULT_TYPING_INTERVAL", "AsyncTypingKeepalive", "TypingKeepalive"]

logger = logging.getLogger("botcopy_handover")

DEFAULT_TYPING_INTERVAL = 9.0
"""Seconds between typing indicators: Botcopy hides one after 10 s."""


def _check_interval(interval: float) -> float:
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
        raise ConfigurationError("interval must be a number of seconds above 0")
    return float(interval)


_SendT = TypeVar("_SendT", Callable[[], PushResult], Callable[[], Awaitable[PushResult]])


class _KeepaliveBase(Generic[_SendT]):
    """State both keepalives share: the settings, the first result and the first error.

    ``send`` pushes one indicator (blocking, or a coroutine to await);
    ``registry`` is the conversation's set of running keepalives, which a
    message stops.
    """

    def __init__(
        self, send: _SendT, *, interval: float, raise_errors: bool, registry: set[Self]
    ) -> None:
        self._send: _SendT = send
        self._registry: set[Self] = registry
        self.interval: float = _check_interval(interval)
        self.raise_errors: bool = raise_errors
        self.result: PushResult | None = None
        """The last successful push, if any."""
        self.error: Exception | None = None
        """The failure that stopped the keepalive, if any."""
        self.sent: int = 0
        """How many indicators Botcopy confirmed.

        One cancelled in flight when the keepalive stops is not counted, though
        it may have arrived.
        """
        self._begin()

    def _begin(self) -> None:
        """What a keepalive does once made (the blocking one sends its first indicator)."""

    @property
    def active(self) -> bool:
        """Whether the keepalive is still re-sending the indicator."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(interval={self.interval:g}, sent={self.sent}, "
            f"active={self.active})"
        )

    def _succeeded(self, result: PushResult) -> None:
        self.result = result
        self.sent += 1

    def _failed(self, exc: Exception, first: bool) -> None:
        self.error = exc
        if isinstance(exc, BotcopyError):
            logger.warning("Typing indicator failed, keepalive stopped: %s", exc)
        else:
            logger.error("Typing keepalive crashed", exc_info=exc)
        if first and self.raise_errors:
            raise exc

    def _raise_late_error(self, exc_type: type[BaseException] | None) -> None:
        if self.raise_errors and self.error is not None and exc_type is None:
            raise self.error


class TypingKeepalive(_KeepaliveBase[Callable[[], PushResult]]):
    """A typing indicator that was sent; as a context manager, kept up by a thread.

    Returned by [`Conversation.typing`][botcopy_handover.Conversation.typing]. Attributes
    ``result``, ``error``
    and ``sent`` say how it went.
    """

    def _begin(self) -> None:
        # The first indicator goes out at once, before any ``with``.
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            self._succeeded(self._send())
        except Exception as exc:
            self._failed(exc, first=True)

    @property
    def active(self) -> bool:
        """Whether the background thread is still running."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop re-sending; the thread ends after any push in flight."""
        self._stop.set()

    def __enter__(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("a typing keepalive can be entered only once")
        self._thread = threading.Thread(
            target=self._run, name="botcopy-typing-keepalive", daemon=True
        )
        if self.error is None:
            self._registry.add(self)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._registry.discard(self)
        if self._thread is not None and self._thread.ident is not None:
            self._thread.join()
        self._raise_late_error(exc_type)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._succeeded(self._send())
            except Exception as exc:  # a thread must not die silently
                self._failed(exc, first=False)
                return


class AsyncTypingKeepalive(_KeepaliveBase[Callable[[], Awaitable[PushResult]]]):
    """A typing indicator to await once, or to keep up with ``async with`` (a task).

    Returned by [`AsyncConversation.typing`][botcopy_handover.AsyncConversation.typing]: ``await
    chat.typing()``
    sends one indicator; ``async with chat.typing():`` sends one at once and
    re-sends it every ``interval`` seconds until the block ends or a message
    is sent on the conversation.
    """

    _task: asyncio.Task[None] | None = None
    _used = False

    @property
    def active(self) -> bool:
        """Whether the background task is still running."""
        return self._task is not None and not self._task.done()

    async def _send_first(self) -> Self:
        if self._used:
            raise RuntimeError("a typing keepalive can be awaited or entered only once")
        self._used = True
        try:
            self._succeeded(await self._send())
        except Exception as exc:
            self._failed(exc, first=True)
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self._send_first().__await__()

    async def stop(self) -> None:
        """Stop re-sending and wait for the task to end (a push in flight is cancelled)."""
        self._registry.discard(self)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})

    async def __aenter__(self) -> Self:
        await self._send_first()
        if self.error is None:
            self._registry.add(self)
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        self._raise_late_error(exc_type)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self._succeeded(await self._send())
            except Exception as exc:  # a task must not die silently
                self._failed(exc, first=False)
                return
