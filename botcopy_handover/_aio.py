"""asyncio helpers shared by the SDK's long-lived tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["one_step"]

_T = TypeVar("_T")


async def one_step(coro: Coroutine[Any, Any, _T]) -> _T:
    """Await ``coro`` in a task of its own, so that a cancellation of the caller is never lost.

    A long-lived loop (the outbox runner, the expiry watcher) is stopped by
    cancelling its task. On Python 3.10 and 3.11, `asyncio.wait_for` loses a
    cancellation that arrives just as what it waits for finishes (CPython
    gh-86296, fixed in 3.12), and redis-py wraps the sending of every command
    in it: a loop awaiting a Redis call directly could go on after being
    cancelled, and whoever waits for it to stop would wait forever. Awaited
    through `asyncio.shield`, the loop's own task waits on a plain future,
    which a cancellation always reaches; the step is then cancelled too and
    waited for (a cancellation the step loses only lets it finish its call).
    """
    step = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        step.cancel()
        await asyncio.wait([step])
        if not step.cancelled():
            step.exception()  # retrieved: the caller's cancellation wins
        raise
