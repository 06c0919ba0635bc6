"""Script calls made in one turn of the event loop, sent to Redis in one pipeline.

An outbox runner's lanes each mark their next entry started, acknowledge the
last one and record it in the store, with a script call each; with a hundred
customers, many of those calls are made at once. redis-py spends 150-210 µs
of CPU on each call alone, and 45-52 µs on each of 20 sent in one pipeline
(docs/performance.md, "Through the outbox"), so `ScriptBatch` gathers the
calls made before the event loop next runs its callbacks and sends them in
one non-transactional pipeline: each call still runs as its own script, with
its own fence and its own answer; only the round trip is shared. Used by
`AsyncRedisQueue` on one Redis server (a cluster's pipeline would span nodes;
there each call goes alone), and by an `AsyncRedisStore` an `AsyncOutbox`
shares that client with (`AsyncRedisStore._pipeline_with`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from botcopy_handover._errors import StoreUnavailableError
from botcopy_handover.state import _redis_base as base

__all__ = ["ScriptBatch"]

_Call = tuple[base.AsyncScript, Sequence[str], Sequence[str | int], "asyncio.Future[Any]"]


class ScriptBatch:
    """Gathers script calls until the event loop's next turn, then sends them in one pipeline.

    Args:
        client: An asyncio ``redis.asyncio.Redis`` (one server).
        failed: Turns a redis-py error into the error callers see.

    """

    def __init__(
        self, client: Any, failed: Callable[[BaseException], StoreUnavailableError]
    ) -> None:
        self._client = client
        self._failed = failed
        self._waiting: list[_Call] = []
        self._sending: set[asyncio.Task[None]] = set()

    def call(
        self, script: base.AsyncScript, keys: Sequence[str], args: Sequence[str | int]
    ) -> asyncio.Future[Any]:
        """The answer of ``script`` (registered on this client), once the batch it joins has been sent."""  # noqa: E501 - the summary line
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)
        self._waiting.append((script, keys, args, future))
        return future

    def _flush(self) -> None:
        # A caller cancelled before its call left (a runner stopping) is not sent.
        calls = [call for call in self._waiting if not call[3].done()]
        self._waiting = []
        if calls:
            task = asyncio.ensure_future(self._send(calls))
            self._sending.add(task)  # held until done: the loop keeps only a weak reference
            task.add_done_callback(self._sending.discard)

    async def _send(self, calls: list[_Call]) -> None:
        try:
            answers = await self._pipeline(calls)
            unloaded = [i for i, a in enumerate(answers) if isinstance(a, base.NoScriptError)]
            if unloaded:
                # Not loaded yet, or flushed (a Redis restart): those calls did not
                # run. Load each script once and send them again, still together.
                for script in {calls[i][0] for i in unloaded}:
                    await self._client.script_load(script.script)
                again = await self._pipeline([calls[i] for i in unloaded])
                for i, answer in zip(unloaded, again, strict=True):
                    answers[i] = answer
        except base.REDIS_ERRORS as exc:
            _fail(calls, self._failed(exc), exc)
            return
        except Exception as exc:  # a bug: its callers see it rather than wait forever
            _fail(calls, exc, None)
            return
        except BaseException:
            for *_, future in calls:
                future.cancel()
            raise
        for call, answer in zip(calls, answers, strict=True):
            if call[3].done():
                continue
            if isinstance(answer, Exception):
                _fail([call], self._failed(answer), answer)
            else:
                call[3].set_result(answer)

    async def _pipeline(self, calls: list[_Call]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for script, keys, args, _ in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            answers: list[Any] = await pipe.execute(raise_on_error=False)
        return answers


def _fail(calls: list[_Call], error: Exception, cause: BaseException | None) -> None:
    """Every call not yet answered fails with ``error`` (caused by ``cause``)."""
    if cause is not None:
        error.__cause__ = cause
    for *_, future in calls:
        if not future.done():
            future.set_exception(error)
