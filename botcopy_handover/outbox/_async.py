"""``AsyncOutbox``: the durable outbox for asyncio code."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from botcopy_handover._aio import one_step
from botcopy_handover._errors import ConfigurationError, StoreError
from botcopy_handover.client._async import AsyncClient
from botcopy_handover.models.push import PushEvent, TypingEvent
from botcopy_handover.outbox._core import (
    DeliveryPolicy,
    Entry,
    FailureHandler,
    OutboxFailure,
    OutboxReceipt,
)
from botcopy_handover.outbox._methods import Build, OutboxMethods
from botcopy_handover.outbox._queue import AsyncOutboxQueue, OutboxQueue, RawEntry
from botcopy_handover.outbox._runner import Delivery, OutboxCore, PartitionCore, RunnerCore
from botcopy_handover.outbox.memory import MemoryQueue
from botcopy_handover.state._adapt import as_async_store
from botcopy_handover.state._record import arecord_push
from botcopy_handover.state._store import (
    AsyncConversationStore,
    ConversationState,
    ConversationStore,
)
from botcopy_handover.state.memory import MemoryStore

__all__ = ["AsyncOutbox"]

logger = logging.getLogger("botcopy_handover.outbox")

_MEMORY_POLL = 0.005


class _MemoryAsAsync:
    """A [`MemoryQueue`][botcopy_handover.MemoryQueue] seen as an async queue: calls go straight through."""  # noqa: E501 - a link in the summary

    def __init__(self, queue: MemoryQueue) -> None:
        self.queue = queue

    def __repr__(self) -> str:
        return repr(self.queue)

    @property
    def partitions(self) -> int:
        return self.queue.partitions

    async def append(self, partition: int, fields: Mapping[str, str]) -> str:
        return self.queue.append(partition, fields)

    async def heartbeat(self, runner: str, ttl_ms: int) -> int:
        return self.queue.heartbeat(runner, ttl_ms)

    async def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        return self.queue.acquire(partition, runner, lease_ms)

    async def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        return self.queue.reclaim(partition, runner, previous, lease_ms)

    async def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        return self.queue.renew(partition, runner, lease_ms)

    async def release(self, partition: int, runner: str) -> None:
        self.queue.release(partition, runner)

    async def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        return self.queue.claim_pending(partition, runner)

    async def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        # Never block the event loop: poll briefly instead.
        waited = 0.0
        while True:
            found = self.queue.read_new(partition, runner, count, 0)
            if found is None or found or waited * 1000 >= block_ms:
                return found
            await asyncio.sleep(_MEMORY_POLL)
            waited += _MEMORY_POLL

    async def pending(self, partition: int, entry_id: str) -> bool:
        return self.queue.pending(partition, entry_id)

    async def start(self, partition: int, runner: str, entry_id: str) -> bool:
        return self.queue.start(partition, runner, entry_id)

    async def unstart(self, partition: int, entry_id: str) -> None:
        self.queue.unstart(partition, entry_id)

    async def done(self, partition: int, runner: str, entry_id: str) -> None:
        self.queue.done(partition, runner, entry_id)

    async def backlog(self) -> int:
        return self.queue.backlog()


def _default_async_queue(store: object) -> AsyncOutboxQueue:
    if isinstance(store, MemoryStore):
        return _MemoryAsAsync(MemoryQueue())
    if type(store).__name__ == "AsyncRedisStore":
        from botcopy_handover.outbox.redis import AsyncRedisQueue
        from botcopy_handover.state.redis import AsyncRedisStore

        if isinstance(store, AsyncRedisStore):
            # The store's own client and namespace: one Redis for state and outbox.
            return AsyncRedisQueue(store.client, prefix=store.prefix)
    raise ConfigurationError(
        "Give the outbox a queue= for this store (AsyncRedisQueue or MemoryQueue)"
    )


def _share_pipeline(store: object, queue: object) -> None:
    """Let a Redis store's records ride the queue's pipeline when both use one client.

    On one server the queue sends the marks and acknowledgements made at the
    same time in one pipeline; the store's record of each delivered push
    joins it rather than costing a round trip of its own (a cluster, or a
    store and queue on different clients, are left as they are).
    """
    if type(store).__name__ != "AsyncRedisStore" or type(queue).__name__ != "AsyncRedisQueue":
        return  # checked by name first: without the redis extra, nothing to import
    from botcopy_handover.outbox.redis import AsyncRedisQueue
    from botcopy_handover.state.redis import AsyncRedisStore

    if (
        isinstance(store, AsyncRedisStore)
        and isinstance(queue, AsyncRedisQueue)
        and store.client is queue.client
    ):
        store._pipeline_with(queue._pipeline())


def _as_async_queue(queue: AsyncOutboxQueue | OutboxQueue) -> AsyncOutboxQueue:
    if isinstance(queue, MemoryQueue):
        return _MemoryAsAsync(queue)
    if isinstance(queue, AsyncOutboxQueue) and inspect.iscoroutinefunction(queue.append):
        return queue
    raise ConfigurationError("AsyncOutbox takes an AsyncRedisQueue or a MemoryQueue as queue=")


class AsyncOutbox(
    OutboxCore[AsyncClient, AsyncConversationStore, AsyncOutboxQueue],
    OutboxMethods[Coroutine[Any, Any, OutboxReceipt]],
):
    """Agent messages that survive restarts and arrive in order, for asyncio.

    [`send`][botcopy_handover.AsyncOutbox.send] stores an event durably and returns;
    [`run`][botcopy_handover.AsyncOutbox.run] delivers
    stored events until cancelled. Run as many runners as you like, in as
    many processes as you like: each customer's events are pushed one at a
    time, in the order sent; customers never wait on each other.

    An event is either delivered or handed to ``on_failure`` with the last
    error and whether it may have been delivered. Failures that surely did
    not reach Botcopy (connection refused, 429, 503) are retried with
    back-off until the give-up deadline; one that may have reached it is
    reported, not retried (no duplicates), unless ``at_least_once``.

    Args:
        client: The push client.
        store: The conversation store: messages for a customer whose chat
            ended are reported instead of sent, and every delivered event is
            recorded. With an ``AsyncRedisStore`` the queue defaults to an
            [`AsyncRedisQueue`][botcopy_handover.outbox.AsyncRedisQueue] on the same
            Redis; with a ``MemoryStore`` to a
            [`MemoryQueue`][botcopy_handover.outbox.MemoryQueue].
        queue: Where events wait: an ``AsyncRedisQueue`` (durable, shared by
            replicas) or a ``MemoryQueue`` (this process only).
        on_failure: Called with an [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure] for each
            event given up on (a function or a coroutine function); by default the
            failure is logged at ERROR.
        policy: How it delivers: the lease, the give-up deadline,
            ``at_least_once``, the retries' back-off, how long an interrupted
            push holds its customer (``in_flight``) and the shutdown grace; a
            [`DeliveryPolicy`][botcopy_handover.outbox.DeliveryPolicy], whose defaults apply
            when ``None``.
        concurrency: Most pushes and queue calls one runner makes at once
            (keep it under the Redis and HTTP connection pools' sizes, 100
            by default).

    Example::

        outbox = AsyncOutbox(client, store, on_failure=report)
        await outbox.send_message(user_id, bot_id, "Hi, I'm Dana", minutes_paused=30)
        await outbox.run()   # in a task of its own, in one or more processes

    """

    def __init__(
        self,
        client: AsyncClient,
        store: AsyncConversationStore | ConversationStore,
        *,
        queue: AsyncOutboxQueue | OutboxQueue | None = None,
        on_failure: FailureHandler | None = None,
        policy: DeliveryPolicy | None = None,
        concurrency: int = 64,
    ) -> None:
        if not isinstance(client, AsyncClient):
            raise ConfigurationError("AsyncOutbox takes an AsyncClient")
        self.client: AsyncClient = client
        self.store: AsyncConversationStore = as_async_store(store)
        self.queue: AsyncOutboxQueue = (
            _default_async_queue(store) if queue is None else _as_async_queue(queue)
        )
        self._configure(on_failure, policy)
        self.concurrency: int = self._pool("concurrency", concurrency)
        _share_pipeline(self.store, self.queue)

    # -- sending ------------------------------------------------------------------

    async def send(self, event: PushEvent) -> OutboxReceipt:
        """Store ``event`` durably for delivery; returns once it is stored.

        A [`TypingEvent`][botcopy_handover.TypingEvent] is not queued: it is pushed at once (and a
        failure raised here), so it never waits behind a message.

        Raises:
            InvalidEventError: ``event`` is not a push event.
            StoreUnavailableError: the queue's backend (Redis) failed; the
                event is not stored.

        """
        route = self._route(event, self.queue.partitions, self.store.clock())
        if not isinstance(route, TypingEvent):
            return route.receipt(await self.queue.append(route.partition, route.fields))
        result = await self.client.send(route)  # pushed at once, never queued
        await self._record(route)
        return OutboxReceipt(route, None, None, result)

    async def _submit(self, build: Build) -> OutboxReceipt:
        return await self.send(build(self.client.minutes_paused))

    async def backlog(self) -> int:
        """Events stored and not yet delivered or reported, over every partition."""
        return await self.queue.backlog()

    async def _record(self, event: PushEvent) -> ConversationState | None:
        try:
            return await arecord_push(self.store, event)
        except StoreError as exc:
            logger.warning("The outbox could not record a delivered push: %s", exc)
            return None

    # -- delivering ---------------------------------------------------------------

    async def run(self, *, name: str | None = None) -> None:
        """Deliver queued events until cancelled.

        Takes a fair share of the queue's partitions (more when other runners
        stop), renews their leases, and hands them back on cancellation
        after letting pushes in flight finish (``shutdown_grace``); then it
        withdraws from the queue's count of runners, so the others take its
        share at once rather than when its heartbeat would have lapsed.

        Args:
            name: The runner's name in the queue; unique per run by default.
                Give each runner process a stable name of its own (``"worker-0"``,
                a pod's name in a StatefulSet; no ``#``) and a restarted runner
                takes back at once the partitions its crashed or killed run held,
                instead of their waiting out the lease. Two live runners must
                never share a name: the later one takes the other's partitions.

        """
        await _Runner(self, name).run()


class _Runner(RunnerCore["_Partition", "asyncio.Task[None]"]):
    """One ``run()``: the partitions it holds and their delivery tasks."""

    def __init__(self, outbox: AsyncOutbox, name: str | None) -> None:
        super().__init__(name, outbox.queue.partitions, outbox.settings)
        self.outbox = outbox
        self.queue = outbox.queue
        self.slots = asyncio.Semaphore(outbox.concurrency)

    async def run(self) -> None:
        try:
            while True:
                with self.logged("the queue failed"):
                    await one_step(self._tick())  # so that a cancellation stops the runner
                await asyncio.sleep(self.pause)
        finally:
            for p in list(self.parts):
                self._drop(p)
            await asyncio.gather(*self.dropping.values(), return_exceptions=True)
            # Alive for 0 ms: gone. The other runners take its share at their
            # next tick, not when its heartbeat would have lapsed (a lease).
            with self.logged("could not withdraw its heartbeat"):
                await self.queue.heartbeat(self.name, 0)

    async def _tick(self) -> None:
        queue, runner, lease_ms = self.queue, self.id, self.lease_ms
        if self.reclaiming:
            every = range(self.partitions)
            taken = await asyncio.gather(
                *(queue.reclaim(p, runner, self.previous, lease_ms) for p in every)
            )
            self.reclaiming = False
            for p in (p for p, ok in zip(every, taken, strict=True) if ok):
                self._hold(p)
        held = list(self.parts)
        # All at once: a late renewal costs a takeover, and reports for what was in flight.
        alive, *renewed = await asyncio.gather(
            queue.heartbeat(self.name, lease_ms), *(queue.renew(p, runner, lease_ms) for p in held)
        )
        still = dict(zip(held, renewed, strict=True))
        plan = self.plan(alive, {p: not self.parts[p].task.done() and bool(still[p]) for p in held})
        for p in plan.drop:
            self._drop(p)
        for p in self.wanted(plan):
            if await queue.acquire(p, runner, lease_ms):
                self._hold(p)

    def _hold(self, p: int) -> None:
        self.parts[p] = part = _Partition(self, p)
        part.task = asyncio.create_task(part.run(), name=f"outbox-partition-{p}")

    def _drop(self, p: int) -> None:
        # In the background: a drop waits up to shutdown_grace for pushes in
        # flight, and the other partitions' renewals must not wait with it (a
        # lease lapsing meanwhile hands a live partition to another runner).
        part = self.parts.pop(p)
        self.dropping[p] = asyncio.create_task(self._dropped(p, part))

    async def _dropped(self, p: int, part: _Partition) -> None:
        with self.handing_back(p):
            await part.stop(grace=0.0 if part.task.done() else self.outbox.shutdown_grace)
            await self.queue.release(p, self.id)


class _Partition(PartitionCore[AsyncOutboxQueue, AsyncConversationStore, AsyncClient]):
    """One held partition: reads its entries and runs one lane (a task) per customer."""

    def __init__(self, runner: _Runner, partition: int) -> None:
        super().__init__(partition, runner.id, runner.outbox)
        self.runner = runner
        self.outbox = runner.outbox
        self.lane_tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.room_made = asyncio.Event()
        self.stopping = False
        self.reading = False  # waiting for new entries, nothing of its own in flight
        self.task: asyncio.Task[None]

    async def run(self) -> None:
        with self.runner.logged(f"partition {self.p}: the queue failed"):
            self._start(await self.queue.claim_pending(self.p, self.runner_id))
            while not self.stopping:
                while not self.room():
                    self.room_made.clear()
                    await self.room_made.wait()
                self.reading = True
                try:
                    found = await self.queue.read_new(
                        self.p, self.runner_id, self.room(), self.block_ms
                    )
                finally:
                    self.reading = False
                if found is None:  # the lease is lost: the next owner claims what is left
                    self.stopping = True
                    break
                self._start(found)
        # Lanes may still be busy; the runner waits for them when it drops the partition.
        if self.lane_tasks:
            await asyncio.gather(*self.lane_tasks.values(), return_exceptions=True)

    def _start(self, found: list[RawEntry]) -> None:
        for customer in self.take(found):
            self.lane_tasks[customer] = asyncio.create_task(self._lane(customer))

    async def _lane(self, customer: tuple[str, str]) -> None:
        try:
            while not self.stopping and (entry := self.head(customer)) is not None:
                if not await self._deliver(entry):
                    # An entry could not be carried through (lease lost, queue failing):
                    # later entries of its customer must not overtake it, so the whole
                    # partition stops; its next owner claims every pending entry again,
                    # in order.
                    self.stopping = True
                    return
                self.delivered(customer)
                self.room_made.set()
        finally:
            self.lanes.pop(customer, None)
            self.lane_tasks.pop(customer, None)

    async def stop(self, grace: float) -> None:
        self.stopping = True
        if self.reading:
            # Waiting for new entries (up to a second): that wait needs no
            # grace, so a stopped runner with nothing in flight returns at once.
            # Cancelling it loses nothing: the blocking part (XREAD) takes no
            # entry, and one the fenced read took is pending for the next owner.
            self.task.cancel()
        busy = [self.task, *self.lane_tasks.values()]
        if grace and not all(task.done() for task in busy):
            await asyncio.wait(busy, timeout=grace)
        for task in [*self.lane_tasks.values(), self.task]:
            task.cancel()
        await asyncio.gather(*self.lane_tasks.values(), self.task, return_exceptions=True)

    async def _deliver(self, entry: Entry) -> bool:
        """Carry one entry through; ``False`` when it was abandoned."""
        delivery = Delivery(entry, self)
        slots = self.runner.slots
        holding = False
        try:
            for step in delivery:
                if Delivery.holds_slot(step) and not holding:
                    await slots.acquire()
                    holding = True
                try:
                    delivery.answer = await delivery.call(step)()
                except Exception as exc:
                    delivery.answer = delivery.failed(step, exc)
                if holding and not Delivery.keeps_slot(step, delivery.answer):
                    slots.release()
                    holding = False
        finally:
            if holding:
                slots.release()
        return delivery.finished

    # The runner's own steps (see `step_call`).
    def is_stopping(self) -> bool:
        return self.stopping

    async def refuse(self) -> bool:
        return False

    async def sleep(self, seconds: float, until_stopped: bool) -> None:
        await asyncio.sleep(seconds)  # cancelled by stop() after the grace

    async def report(self, failure: OutboxFailure) -> None:
        with self.reporting(failure):
            outcome = self.outbox.on_failure(failure)
            if inspect.isawaitable(outcome):
                await outcome

    async def record(self, event: PushEvent) -> None:
        self.remember(event, await self.outbox._record(event))

    async def check(self, event: PushEvent) -> ConversationState | None:
        state = self.recalled(event)
        if state is not None:
            return state
        return await self.store.get(event.bot_id, event.user_id)
