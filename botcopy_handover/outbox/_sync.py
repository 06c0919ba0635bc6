"""``Outbox``: the durable outbox for threaded code (``Client``, ``RedisStore``)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from botcopy_handover._errors import ConfigurationError, StoreError
from botcopy_handover.client._sync import Client
from botcopy_handover.models.push import PushEvent, TypingEvent
from botcopy_handover.outbox._core import (
    DeliveryPolicy,
    Entry,
    FailureHandler,
    OutboxFailure,
    OutboxReceipt,
)
from botcopy_handover.outbox._methods import Build, OutboxMethods
from botcopy_handover.outbox._queue import OutboxQueue, RawEntry
from botcopy_handover.outbox._runner import Delivery, OutboxCore, PartitionCore, RunnerCore
from botcopy_handover.outbox.memory import MemoryQueue
from botcopy_handover.state._adapt import as_sync_store
from botcopy_handover.state._record import record_push
from botcopy_handover.state._store import ConversationState, ConversationStore
from botcopy_handover.state.memory import MemoryStore

__all__ = ["Outbox"]

logger = logging.getLogger("botcopy_handover.outbox")


def _default_queue(store: object) -> OutboxQueue:
    if isinstance(store, MemoryStore):
        return MemoryQueue()
    if type(store).__name__ == "RedisStore":
        from botcopy_handover.outbox.redis import RedisQueue
        from botcopy_handover.state.redis import RedisStore

        if isinstance(store, RedisStore):
            # The store's own client and namespace: one Redis for state and outbox.
            return RedisQueue(store.client, prefix=store.prefix)
    raise ConfigurationError("Give the outbox a queue= for this store (RedisQueue or MemoryQueue)")


class Outbox(OutboxCore[Client, ConversationStore, OutboxQueue], OutboxMethods[OutboxReceipt]):
    """Agent messages that survive restarts and arrive in order, for threaded code.

    The same guarantees and arguments as [`AsyncOutbox`][botcopy_handover.AsyncOutbox], with a
    [`Client`][botcopy_handover.Client], a ``RedisStore`` or ``MemoryStore``,
    and a [`RedisQueue`][botcopy_handover.outbox.RedisQueue] or
    [`MemoryQueue`][botcopy_handover.outbox.MemoryQueue]. [`run`][botcopy_handover.Outbox.run]
    blocks until
    [`stop`][botcopy_handover.Outbox.stop] is called (from another thread); customers are served by
    a pool of up to ``workers`` threads.

    Args:
        client: The push client.
        store: The conversation store (see [`AsyncOutbox`][botcopy_handover.AsyncOutbox]).
        queue: Where events wait; by default from the store.
        on_failure: Called with an [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure] for each
            event given up on; by default the failure is logged at ERROR.
        policy: How it delivers: a
            [`DeliveryPolicy`][botcopy_handover.outbox.DeliveryPolicy] (see
            [`AsyncOutbox`][botcopy_handover.AsyncOutbox]).
        workers: Most customers served at once by one runner.

    Example::

        outbox = Outbox(client, store, on_failure=report)
        threading.Thread(target=outbox.run, daemon=True).start()
        outbox.send_message(user_id, bot_id, "Hi, I'm Dana", minutes_paused=30)
        ...
        outbox.stop()

    """

    def __init__(
        self,
        client: Client,
        store: ConversationStore,
        *,
        queue: OutboxQueue | None = None,
        on_failure: FailureHandler | None = None,
        policy: DeliveryPolicy | None = None,
        workers: int = 32,
    ) -> None:
        if not isinstance(client, Client):
            raise ConfigurationError("Outbox takes a Client (use AsyncOutbox with an AsyncClient)")
        self.workers: int = self._pool("workers", workers)
        self.client: Client = client
        self.store: ConversationStore = as_sync_store(store)
        if queue is not None and not isinstance(queue, OutboxQueue):
            raise ConfigurationError("Outbox takes a RedisQueue or a MemoryQueue as queue=")
        self.queue: OutboxQueue = _default_queue(store) if queue is None else queue
        self._configure(on_failure, policy)
        self._stop = threading.Event()

    # -- sending ------------------------------------------------------------------

    def send(self, event: PushEvent) -> OutboxReceipt:
        """Store ``event`` durably for delivery (see [`AsyncOutbox.send`][botcopy_handover.AsyncOutbox.send])."""  # noqa: E501 - a link in the summary
        route = self._route(event, self.queue.partitions, self.store.clock())
        if not isinstance(route, TypingEvent):
            return route.receipt(self.queue.append(route.partition, route.fields))
        result = self.client.send(route)  # pushed at once, never queued
        self._record(route)
        return OutboxReceipt(route, None, None, result)

    def _submit(self, build: Build) -> OutboxReceipt:
        return self.send(build(self.client.minutes_paused))

    def backlog(self) -> int:
        """Events stored and not yet delivered or reported, over every partition."""
        return self.queue.backlog()

    def _record(self, event: PushEvent) -> ConversationState | None:
        try:
            return record_push(self.store, event)
        except StoreError as exc:
            logger.warning("The outbox could not record a delivered push: %s", exc)
            return None

    # -- delivering ---------------------------------------------------------------

    def run(self, *, name: str | None = None) -> None:
        """Deliver queued events until [`stop`][botcopy_handover.Outbox.stop] is called (see [`AsyncOutbox.run`][botcopy_handover.AsyncOutbox.run])."""  # noqa: E501 - a link in the summary
        _Runner(self, name).run()

    def stop(self) -> None:
        """Ask every [`run`][botcopy_handover.Outbox.run] of this outbox to hand its partitions back and return."""  # noqa: E501 - a link in the summary
        self._stop.set()


class _Runner(RunnerCore["_Partition", threading.Thread]):
    """One ``run()``: its partitions' threads, and a pool of lane threads."""

    def __init__(self, outbox: Outbox, name: str | None) -> None:
        super().__init__(name, outbox.queue.partitions, outbox.settings)
        self.outbox = outbox
        self.queue = outbox.queue
        self.pool = ThreadPoolExecutor(outbox.workers, thread_name_prefix="outbox-lane")

    def run(self) -> None:
        stop = self.outbox._stop
        try:
            while not stop.is_set():
                with self.logged("the queue failed"):
                    self._tick()
                stop.wait(self.pause)
        finally:
            for part in self.parts.values():
                part.stopping.set()  # all at once, then wait for each
            for p in list(self.parts):
                self._drop(p)
            for thread in list(self.dropping.values()):
                thread.join()
            # Alive for 0 ms: gone. The other runners take its share at their
            # next tick, not when its heartbeat would have lapsed (a lease).
            with self.logged("could not withdraw its heartbeat"):
                self.queue.heartbeat(self.name, 0)
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _tick(self) -> None:
        queue, runner, lease_ms = self.queue, self.id, self.lease_ms
        if self.reclaiming:
            taken = [p for p in range(self.partitions)
                     if queue.reclaim(p, runner, self.previous, lease_ms)]  # fmt: skip
            self.reclaiming = False
            for p in taken:
                self._hold(p)
        alive = queue.heartbeat(self.name, lease_ms)
        renewed = {
            p: part.thread.is_alive() and queue.renew(p, runner, lease_ms)
            for p, part in self.parts.items()
        }
        plan = self.plan(alive, renewed)
        for p in plan.drop:
            self._drop(p)
        for p in self.wanted(plan):
            if queue.acquire(p, runner, lease_ms):
                self._hold(p)

    def _hold(self, p: int) -> None:
        self.parts[p] = part = _Partition(self, p)
        part.thread.start()

    def _drop(self, p: int) -> None:
        # In a thread of its own: the other partitions' renewals must not wait
        # for this one's pushes in flight (see AsyncOutbox).
        part = self.parts.pop(p)
        part.stopping.set()
        thread = threading.Thread(
            target=self._dropped, args=(p, part), name=f"outbox-drop-{p}", daemon=True
        )
        self.dropping[p] = thread
        thread.start()

    def _dropped(self, p: int, part: _Partition) -> None:
        with self.handing_back(p):
            part.stop(self.outbox.shutdown_grace)
            self.queue.release(p, self.id)
            if not self.outbox._stop.is_set():
                # Not taken again by this run until its reader is gone: a reader
                # still in a blocking read holds this run's id, and its next
                # fenced read would take entries for a partition stopped.
                # When the run ends, nothing takes the partition under its id
                # again, so the run does not wait (see _Partition.stop).
                part.thread.join(self.outbox.shutdown_grace)


class _Partition(PartitionCore[OutboxQueue, ConversationStore, Client]):
    """One held partition: a thread reads its entries; lanes run in the runner's pool."""

    def __init__(self, runner: _Runner, partition: int) -> None:
        super().__init__(partition, runner.id, runner.outbox)
        self.runner = runner
        self.outbox = runner.outbox
        self.lock = threading.Condition()
        self.busy = 0  # lanes being worked by a pool thread
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"outbox-partition-{partition}", daemon=True
        )

    def run(self) -> None:
        with self.runner.logged(f"partition {self.p}: the queue failed"):
            try:
                self._read()
            except Exception:
                # Once the run is stopped, its leases are (being) released and
                # the reader may outlive it (see stop): a read cut short then,
                # as by the client being closed, changes nothing.
                if not self.outbox._stop.is_set():
                    raise
        self.stopping.set()

    def _read(self) -> None:
        self._start(self.queue.claim_pending(self.p, self.runner_id))
        while not self.stopping.is_set():
            with self.lock:
                while not self.room() and not self.stopping.is_set():
                    self.lock.wait(0.1)
                room = self.room()
            if self.stopping.is_set():
                break
            found = self.queue.read_new(self.p, self.runner_id, room, self.block_ms)
            if found is None:  # the lease is lost: the next owner claims what is left
                break
            self._start(found)

    def _start(self, found: list[RawEntry]) -> None:
        with self.lock:
            if self.stopping.is_set():
                # Read just as the partition stopped: left pending, under this
                # run's id, for the partition's next owner to claim (as after a
                # crash). Checked under the lock `stop` waits for lanes with,
                # so a lane is either counted before that wait or never started.
                return
            new = self.take(found)
            self.busy += len(new)
        for customer in new:
            self.runner.pool.submit(self._lane, customer)

    def _lane(self, customer: tuple[str, str]) -> None:
        try:
            while not self.stopping.is_set():
                with self.lock:
                    entry = self.head(customer)
                if entry is None:
                    return
                if not self._deliver(entry):
                    self.stopping.set()  # later entries must not overtake it: see AsyncOutbox
                    return
                with self.lock:
                    self.delivered(customer)
                    self.lock.notify_all()
        finally:
            with self.lock:
                self.busy -= 1
                self.lock.notify_all()

    def stop(self, grace: float) -> None:
        """Start no more pushes; wait up to ``grace`` for those in flight.

        The reader thread is not waited for: it may be in a blocking read
        (``XREAD BLOCK``, up to a second) that a thread cannot cut short. Once
        the lease is released its fenced reads take nothing (`MemoryQueue`
        wakes it at once), and what it read just before is left pending.
        """
        self.stopping.set()
        with self.lock:
            self.lock.wait_for(lambda: self.busy == 0, timeout=grace)
        # A lane still busy after the grace is left to finish its push on its own;
        # its next Start is refused since the lease is released.

    def _deliver(self, entry: Entry) -> bool:
        delivery = Delivery(entry, self)
        for step in delivery:
            try:
                delivery.answer = delivery.call(step)()
            except Exception as exc:
                delivery.answer = delivery.failed(step, exc)
        return delivery.finished

    # The runner's own steps (see `step_call`).
    def is_stopping(self) -> bool:
        return self.stopping.is_set()

    def refuse(self) -> bool:
        return False

    def sleep(self, seconds: float, until_stopped: bool) -> None:
        (self.stopping if until_stopped else threading.Event()).wait(seconds)

    def report(self, failure: OutboxFailure) -> None:
        with self.reporting(failure):
            self.outbox.on_failure(failure)

    def record(self, event: PushEvent) -> None:
        self.remember(event, self.outbox._record(event))

    def check(self, event: PushEvent) -> ConversationState | None:
        state = self.recalled(event)
        if state is not None:
            return state
        return self.store.get(event.bot_id, event.user_id)
