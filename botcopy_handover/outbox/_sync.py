"""``Outbox``: the durable outbox for threaded code (``Client``, ``RedisStore``)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from botcopy_handover._errors import ConfigurationError, StoreError
from botcopy_handover.client._sync import Client
from botcopy_handover.models.push import (
    PushEvent,
    TypingEvent,
)
from botcopy_handover.outbox._core import (
    Answer,
    Done,
    Entry,
    FailureHandler,
    OutboxFailure,
    OutboxReceipt,
    OutboxSettings,
    Record,
    Report,
    Sleep,
    Step,
    check_event,
    decode_entry,
    deliver,
    encode_entry,
    handler_raised,
    log_failure,
    partition_of,
    plan_tick,
    runner_name,
    step_call,
    step_failed,
)
from botcopy_handover.outbox._methods import Build, OutboxMethods
from botcopy_handover.outbox._queue import OutboxQueue, RawEntry
from botcopy_handover.outbox.memory import MemoryQueue
from botcopy_handover.state._adapt import as_sync_store
from botcopy_handover.state._record import record_push
from botcopy_handover.state._store import ConversationStore
from botcopy_handover.state.memory import MemoryStore

__all__ = ["Outbox"]

logger = logging.getLogger("botcopy_handover.outbox")

_READ_BATCH = 256


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


class Outbox(OutboxMethods[OutboxReceipt]):
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
        lease: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        give_up_after: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        at_least_once: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        initial_backoff: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        max_backoff: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        shutdown_grace: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
        in_flight: See [`AsyncOutbox`][botcopy_handover.AsyncOutbox].
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
        lease: timedelta = timedelta(seconds=10),
        give_up_after: timedelta | None = None,
        at_least_once: bool = False,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        shutdown_grace: float = 5.0,
        in_flight: timedelta = timedelta(seconds=15),
        workers: int = 32,
    ) -> None:
        if not isinstance(client, Client):
            raise ConfigurationError("Outbox takes a Client (use AsyncOutbox with an AsyncClient)")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigurationError("workers must be a positive int")
        self.client: Client = client
        self.store: ConversationStore = as_sync_store(store)
        if queue is not None and not isinstance(queue, OutboxQueue):
            raise ConfigurationError("Outbox takes a RedisQueue or a MemoryQueue as queue=")
        self.queue: OutboxQueue = _default_queue(store) if queue is None else queue
        self.on_failure: FailureHandler = log_failure if on_failure is None else on_failure
        self.settings: OutboxSettings = OutboxSettings(
            lease=lease,
            give_up_after=give_up_after,
            at_least_once=bool(at_least_once),
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
            in_flight=in_flight,
        )
        self.shutdown_grace: float = shutdown_grace
        self.workers: int = workers
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"Outbox({self.client!r}, queue={self.queue!r})"

    # -- sending ------------------------------------------------------------------

    def send(self, event: PushEvent) -> OutboxReceipt:
        """Store ``event`` durably for delivery (see [`AsyncOutbox.send`][botcopy_handover.AsyncOutbox.send])."""  # noqa: E501 - a link in the summary
        event = check_event(event)
        if isinstance(event, TypingEvent):
            result = self.client.send(event)
            self._record(event)
            return OutboxReceipt(event, None, None, result)
        partition = partition_of(event.bot_id, event.user_id, self.queue.partitions)
        fields = encode_entry(event, self.store.clock(), self.settings.give_up_after)
        return OutboxReceipt(event, self.queue.append(partition, fields), partition)

    def _submit(self, build: Build) -> OutboxReceipt:
        return self.send(build(self.client.minutes_paused))

    def backlog(self) -> int:
        """Events stored and not yet delivered or reported, over every partition."""
        return self.queue.backlog()

    def _record(self, event: PushEvent) -> None:
        try:
            record_push(self.store, event)
        except StoreError as exc:
            logger.warning("The outbox could not record a delivered push: %s", exc)

    # -- delivering ---------------------------------------------------------------

    def run(self, *, name: str | None = None) -> None:
        """Deliver queued events until [`stop`][botcopy_handover.Outbox.stop] is called (see [`AsyncOutbox.run`][botcopy_handover.AsyncOutbox.run])."""  # noqa: E501 - a link in the summary
        _Runner(self, name or runner_name()).run()

    def stop(self) -> None:
        """Ask every [`run`][botcopy_handover.Outbox.run] of this outbox to hand its partitions back and return."""  # noqa: E501 - a link in the summary
        self._stop.set()


class _Runner:
    def __init__(self, outbox: Outbox, name: str) -> None:
        self.outbox = outbox
        self.queue = outbox.queue
        self.name = name
        self.parts: dict[int, _Partition] = {}
        self.dropping: dict[int, threading.Thread] = {}
        self.pool = ThreadPoolExecutor(outbox.workers, thread_name_prefix="outbox-lane")

    def run(self) -> None:
        lease_ms = self.outbox.settings.lease_ms
        tick = self.outbox.settings.lease.total_seconds() / 3
        try:
            while not self.outbox._stop.is_set():
                try:
                    self._tick(lease_ms)
                except StoreError as exc:
                    logger.warning("Outbox runner %s: the queue failed: %s", self.name, exc)
                self.outbox._stop.wait(tick)
        finally:
            for part in self.parts.values():
                part.stopping.set()  # all at once, then wait for each
            for p in list(self.parts):
                self._drop(p)
            for thread in list(self.dropping.values()):
                thread.join()
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _tick(self, lease_ms: int) -> None:
        alive = self.queue.heartbeat(self.name, lease_ms)
        lost = [
            p
            for p, part in self.parts.items()
            if not part.thread.is_alive() or not self.queue.renew(p, self.name, lease_ms)
        ]
        plan = plan_tick(
            {p: part.held for p, part in self.parts.items()},
            lost,
            self.dropping,
            alive,
            self.queue.partitions,
        )
        for p in plan.drop:
            self._drop(p)
        for p in plan.candidates:
            if len(self.parts) >= plan.share:
                break
            if self.queue.acquire(p, self.name, lease_ms):
                part = _Partition(self, p)
                self.parts[p] = part
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
        try:
            part.stop(self.outbox.shutdown_grace)
            self.queue.release(p, self.name)
        except StoreError as exc:
            logger.warning(
                "Outbox runner %s: could not release partition %d: %s", self.name, p, exc
            )
        finally:
            self.dropping.pop(p, None)


class _Partition:
    def __init__(self, runner: _Runner, partition: int) -> None:
        self.runner = runner
        self.outbox = runner.outbox
        self.queue = runner.queue
        self.p = partition
        self.lock = threading.Condition()
        self.lanes: dict[tuple[str, str], deque[Entry]] = {}
        self.held = 0
        self.busy = 0  # lanes being worked by a pool thread
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"outbox-partition-{partition}", daemon=True
        )

    def run(self) -> None:
        name = self.runner.name
        try:
            for raw in self.queue.claim_pending(self.p, name):
                self._dispatch(raw)
            limit = self.outbox.settings.max_in_flight
            block = min(1000, self.outbox.settings.lease_ms // 3)
            while not self.stopping.is_set():
                with self.lock:
                    while self.held >= limit and not self.stopping.is_set():
                        self.lock.wait(0.1)
                    room = limit - self.held
                if self.stopping.is_set():
                    break
                found = self.queue.read_new(self.p, name, min(_READ_BATCH, room), block)
                if found is None:  # the lease is lost: the next owner claims what is left
                    break
                for raw in found:
                    self._dispatch(raw)
        except StoreError as exc:
            logger.warning("Outbox partition %d: the queue failed: %s", self.p, exc)
        self.stopping.set()

    def _dispatch(self, raw: RawEntry) -> None:
        entry = decode_entry(*raw)
        with self.lock:
            lane = self.lanes.get(entry.customer)
            self.held += 1
            if lane is not None:
                lane.append(entry)
                return
            self.lanes[entry.customer] = deque([entry])
            self.busy += 1
        self.runner.pool.submit(self._lane, entry.customer)

    def _lane(self, customer: tuple[str, str]) -> None:
        try:
            while not self.stopping.is_set():
                with self.lock:
                    lane = self.lanes[customer]
                    if not lane:
                        del self.lanes[customer]
                        return
                    entry = lane[0]
                if not self._deliver(entry):
                    self.stopping.set()  # later entries must not overtake it: see AsyncOutbox
                    return
                with self.lock:
                    lane.popleft()
                    self.held -= 1
                    self.lock.notify_all()
        finally:
            with self.lock:
                self.busy -= 1
                self.lock.notify_all()

    def stop(self, grace: float) -> None:
        self.stopping.set()
        self.thread.join(grace)
        with self.lock:
            self.lock.wait_for(lambda: self.busy == 0, timeout=grace)
        # A lane still busy after the grace is left to finish its push on its own;
        # its next Start is refused since the lease is released.

    def _deliver(self, entry: Entry) -> bool:
        plan = deliver(entry, self.outbox.settings, self.outbox.store.clock)
        answer: Answer = None
        finished = False
        try:
            while True:
                try:
                    step = plan.send(answer)
                except StopIteration:
                    return finished
                answer = self._perform(step, entry)
                if isinstance(step, Done):
                    finished = True
        finally:
            plan.close()

    # What the steps see of this partition (see `StepIO`).
    @property
    def runner_id(self) -> str:
        return self.runner.name

    @property
    def io(self) -> tuple[OutboxQueue, ConversationStore, Client, OutboxSettings]:
        return self.queue, self.outbox.store, self.outbox.client, self.outbox.settings

    def is_stopping(self) -> bool:
        return self.stopping.is_set()

    def _perform(self, step: Step, entry: Entry) -> Answer:
        call = step_call(step, entry, self)
        if call is not None:
            try:
                answer: Answer = call()
            except Exception as exc:
                return step_failed(step, exc, self.p)
            return answer
        if isinstance(step, Sleep):
            # Woken early by stop(): the entry was unstarted, so the next owner retries it.
            self.stopping.wait(step.seconds)
        elif isinstance(step, Report):
            _report(self.outbox.on_failure, step.failure)
        elif isinstance(step, Done):
            self._done(entry)
        elif isinstance(step, Record):
            self.outbox._record(step.event)
        return None

    def _done(self, entry: Entry) -> None:
        delay = 0.05
        while True:
            try:
                self.queue.done(self.p, self.runner.name, entry.id)
                return
            except StoreError as exc:
                logger.warning("Outbox partition %d: could not acknowledge: %s", self.p, exc)
                threading.Event().wait(delay)
                delay = min(delay * 2, 2.0)


def _report(handler: FailureHandler, failure: OutboxFailure) -> None:
    try:
        handler(failure)
    except Exception:
        handler_raised(failure)
