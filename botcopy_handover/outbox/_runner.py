"""What both runners share: the bookkeeping and decisions of a run, no I/O.

A run (`Outbox.run`, `AsyncOutbox.run`) ticks: it renews its leases, then
follows `plan_tick` (drop the partitions lost and its surplus, acquire up to
a fair share). Each partition it holds (`PartitionCore`) reads entries into
one lane per customer, and a lane carries its head entry through `Delivery`
(the steps of `deliver`, acknowledgements retried), making each step's one
call (`step_call`). The twins only wait, await, and run their threads or
tasks; ``OutboxCore`` is what both outboxes keep (their settings, repr and
how ``send`` routes an event).
"""

from __future__ import annotations

import logging
import math
import os
import random as _random
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from botcopy_handover._errors import ConfigurationError, StoreError
from botcopy_handover.models.push import MessageEvent, PushEvent, TypingEvent
from botcopy_handover.outbox._core import (
    Answer,
    DeliveryPolicy,
    Done,
    Entry,
    FailureHandler,
    OutboxFailure,
    OutboxReceipt,
    OutboxSettings,
    Pending,
    Push,
    Record,
    Report,
    Sleep,
    Start,
    Step,
    Unstart,
    check_event,
    decode_entry,
    deliver,
    encode_entry,
    handler_raised,
    log_failure,
    partition_of,
)
from botcopy_handover.outbox._queue import RawEntry
from botcopy_handover.state._store import ConversationState

__all__ = [
    "READ_BATCH",
    "RECALL",
    "Delivery",
    "OutboxCore",
    "PartitionCore",
    "Queued",
    "RunnerCore",
    "TickPlan",
    "Wait",
    "plan_tick",
    "retry_unsafe",
    "route",
    "runner_name",
    "step_call",
    "step_failed",
]

logger = logging.getLogger("botcopy_handover.outbox")

READ_BATCH = 256
"""The most entries one read of a partition asks for."""

RECALL = 0.05
"""Seconds for which the state a delivery recorded stands in for the next check's read."""

C = TypeVar("C")
"""The push client: ``Client`` or ``AsyncClient``."""
S = TypeVar("S")
"""The conversation store, sync or async."""
Q = TypeVar("Q")
"""The queue, sync or async."""
P = TypeVar("P", bound="PartitionCore[Any, Any, Any]")
"""A twin's partition."""
H = TypeVar("H")
"""What a twin waits on while a partition is dropped: a thread or a task."""


def runner_name() -> str:
    """A name for one runner, unique across hosts, processes and runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


# -- The outbox itself -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    """Where ``send`` stores an event: its partition and the entry's fields."""

    event: PushEvent
    partition: int
    fields: dict[str, str]

    def receipt(self, entry_id: str) -> OutboxReceipt:
        """The receipt once the queue stored it as ``entry_id``."""
        return OutboxReceipt(self.event, entry_id, self.partition)


def route(
    event: object, partitions: int, now: datetime, give_up_after: timedelta | None
) -> TypingEvent | Queued:
    """``event`` checked: a typing event to push at once, or where to queue it."""
    event = check_event(event)
    if isinstance(event, TypingEvent):
        return event
    partition = partition_of(event.bot_id, event.user_id, partitions)
    return Queued(event, partition, encode_entry(event, now, give_up_after))


class OutboxCore(Generic[C, S, Q]):
    """What ``Outbox`` and ``AsyncOutbox`` keep alike: the parts they were given, their settings."""

    client: C
    store: S
    queue: Q

    def _configure(self, on_failure: FailureHandler | None, policy: DeliveryPolicy | None) -> None:
        if policy is not None and not isinstance(policy, DeliveryPolicy):
            raise ConfigurationError("policy must be a DeliveryPolicy")
        self.on_failure: FailureHandler = log_failure if on_failure is None else on_failure
        self.policy: DeliveryPolicy = DeliveryPolicy() if policy is None else policy
        self.settings: OutboxSettings = OutboxSettings.of(self.policy)

    @property
    def shutdown_grace(self) -> float:
        """Seconds a stopped or cancelled runner lets pushes in flight finish (from ``policy``)."""
        return self.policy.shutdown_grace

    @staticmethod
    def _pool(name: str, size: object) -> int:
        """``size`` if it is a positive int (``workers``, ``concurrency``); a typed error if not."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"{name} must be a positive int")
        return size

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.client!r}, queue={self.queue!r})"

    def _route(self, event: object, partitions: int, now: datetime) -> TypingEvent | Queued:
        return route(event, partitions, now, self.settings.give_up_after)


# -- A run: its partitions, and each tick's plan ---------------------------------------


@dataclass(frozen=True, slots=True)
class TickPlan:
    """What a runner does on one tick, after renewing: drop, then acquire up to ``share``."""

    drop: list[int]
    share: int
    candidates: list[int]


def plan_tick(
    held: Mapping[int, int],
    lost: Iterable[int],
    dropping: Iterable[int],
    alive: int,
    partitions: int,
) -> TickPlan:
    """The fair share of ``partitions`` among ``alive`` runners, and which to drop or try.

    ``held`` maps each partition held to the entries it holds in memory; the
    surplus goes to newcomers least busy first (what is pending stays queued
    for the next owner, in order).
    """
    lost = set(lost)
    kept = [p for p in held if p not in lost]
    share = math.ceil(partitions / max(alive, 1))
    surplus = sorted(kept, key=lambda p: -held[p])[share:] if len(kept) > share else []
    busy = set(held) | set(dropping)
    candidates = [p for p in range(partitions) if p not in busy]
    _random.shuffle(candidates)
    return TickPlan([*lost, *surplus], share, candidates)


class RunnerCore(Generic[P, H]):
    """One ``run()``'s bookkeeping: the partitions it holds, those being handed back."""

    def __init__(self, name: str | None, partitions: int, settings: OutboxSettings) -> None:
        if name is not None and (not isinstance(name, str) or not name or "#" in name):
            raise ConfigurationError("name must be a non-empty string without '#'")
        # The name says which runner this is (its heartbeat); the id, which run of
        # it holds a lease. A named run takes its partitions back from an earlier
        # run of the same name on its first tick (`reclaim`): that run is gone
        # (crashed, killed, restarted), so its customers need not wait out the lease.
        self.name = name or runner_name()
        self.id = f"{self.name}#{uuid.uuid4().hex[:12]}"
        self.previous = f"{self.name}#"
        self.reclaiming = name is not None
        self.partitions = partitions
        self.settings = settings
        self.lease_ms = settings.lease_ms
        self.pause = settings.lease.total_seconds() / 3  # leases renewed thrice a lease
        self.parts: dict[int, P] = {}
        self.dropping: dict[int, H] = {}

    def plan(self, alive: int, renewed: Mapping[int, bool]) -> TickPlan:
        """The tick's plan, given the runners alive and which leases were renewed."""
        return plan_tick(
            {p: part.held for p, part in self.parts.items()},
            [p for p, still in renewed.items() if not still],
            self.dropping,
            alive,
            self.partitions,
        )

    def wanted(self, plan: TickPlan) -> Iterator[int]:
        """The partitions to try to acquire, while fewer than the share are held."""
        for p in plan.candidates:
            if len(self.parts) >= plan.share:
                return
            yield p

    @contextmanager
    def logged(self, what: str) -> Iterator[None]:
        """Log a queue failure and carry on (the next tick tries again)."""
        try:
            yield
        except StoreError as exc:
            logger.warning("Outbox runner %s: %s: %s", self.name, what, exc)
        except Exception:
            # Not a failure the queue reports (a fault in its client or the
            # transport beneath it, such as Python 3.12.1's TypeError writing to
            # a connection just lost): a runner that died of it would deliver
            # nothing more, silently. Logged with its traceback, and the next
            # tick tries again.
            logger.exception("Outbox runner %s: %s (unexpected error)", self.name, what)

    @contextmanager
    def handing_back(self, p: int) -> Iterator[None]:
        """Around a drop: its failure logged, the partition no longer being dropped after."""
        try:
            with self.logged(f"could not release partition {p}"):
                yield
        finally:
            self.dropping.pop(p, None)


# -- A partition: a lane per customer ----------------------------------------------


class PartitionCore(Generic[Q, S, C]):
    """One held partition's entries in memory: a lane (queue) per customer.

    Also what the steps see of it (`step_call`): its queue, store, client,
    settings and the runner's name.
    """

    def __init__(self, p: int, runner_id: str, outbox: OutboxCore[C, S, Q]) -> None:
        self.p = p
        self.runner_id = runner_id
        self.queue: Q = outbox.queue
        self.store: S = outbox.store
        self.client: C = outbox.client
        self.settings = outbox.settings
        self.lanes: dict[tuple[str, str], deque[Entry]] = {}
        self.recorded: dict[tuple[str, str], tuple[ConversationState, float]] = {}
        self.held = 0
        self.block_ms = min(1000, self.settings.lease_ms // 3)

    def take(self, found: Iterable[RawEntry]) -> list[tuple[str, str]]:
        """Put each entry in its customer's lane; the customers whose lane is new (to start)."""
        new: list[tuple[str, str]] = []
        for raw in found:
            entry = decode_entry(*raw)
            lane = self.lanes.get(entry.customer)
            if lane is None:
                lane = self.lanes[entry.customer] = deque()
                new.append(entry.customer)
            lane.append(entry)
            self.held += 1
        return new

    def room(self) -> int:
        """How many entries the next read may take; 0: wait until lanes deliver some."""
        return max(0, min(READ_BATCH, self.settings.max_in_flight - self.held))

    def head(self, customer: tuple[str, str]) -> Entry | None:
        """The customer's next entry; ``None``, and the lane is closed, once it is empty."""
        lane = self.lanes[customer]
        if lane:
            return lane[0]
        del self.lanes[customer]
        self.recorded.pop(customer, None)
        return None

    def delivered(self, customer: tuple[str, str]) -> None:
        """The customer's head entry is done (delivered or reported, and acknowledged)."""
        self.lanes[customer].popleft()
        self.held -= 1

    def is_stopping(self) -> bool:
        """Whether the partition is being handed back."""
        raise NotImplementedError

    def refuse(self) -> Any:
        """A refused started mark (the partition is handed back): ``False`` or its awaitable."""
        raise NotImplementedError

    def sleep(self, seconds: float, until_stopped: bool) -> Any:
        """Wait ``seconds`` (or its awaitable); a stop cuts it short if ``until_stopped``."""
        raise NotImplementedError

    def report(self, failure: OutboxFailure) -> Any:
        """Hand ``failure`` to ``on_failure`` (or an awaitable that does), inside `reporting`."""
        raise NotImplementedError

    @staticmethod
    @contextmanager
    def reporting(failure: OutboxFailure) -> Iterator[None]:
        """Around ``on_failure``: if it raises, log it and carry on (the entry is acknowledged)."""
        try:
            yield
        except Exception:
            handler_raised(failure)

    def record(self, event: PushEvent) -> Any:
        """Record a delivered event in the store, and `remember` the state (or an awaitable)."""
        raise NotImplementedError

    def check(self, event: PushEvent) -> Any:
        """The customer's conversation state for the chat-ended check (or an awaitable of it).

        The twins answer with `recalled` when it has a state, else read the store.
        """
        raise NotImplementedError

    def remember(self, event: PushEvent, state: ConversationState | None) -> None:
        """Keep the state that recording ``event`` returned, for the customer's next check."""
        if state is not None:
            self.recorded[event.customer] = (state, time.monotonic())

    def recalled(self, event: PushEvent) -> ConversationState | None:
        """The state this partition recorded for the customer less than `RECALL` ago, once.

        A lane delivers a customer's events back to back: the record its last
        delivery just wrote (then, not a read later) is the state a read of the
        store would return, unless a resume or end was recorded elsewhere in
        between, which a read just before the push could equally miss. Older
        than `RECALL` (a lane that waited for a slot), the store is read.
        """
        found = self.recorded.pop(event.customer, None)
        if found is None or time.monotonic() - found[1] > RECALL:
            return None
        return found[0]


# -- One entry: its steps, and the one call each makes ----------------------------------


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait ``seconds`` before acknowledging again: unlike `Sleep`, a stop does not cut it short."""

    seconds: float


_ACK_RETRY_FIRST = 0.05
_ACK_RETRY_MAX = 2.0


class Delivery:
    """One entry's steps (`deliver`), as a lane makes them: iterate, and set each `answer`.

    An acknowledgement that failed (the queue is down) is made again after
    a `Wait`, doubling from 50 ms up to 2 s: until acknowledged, the entry
    would be taken over and reported again.
    """

    def __init__(self, entry: Entry, part: PartitionCore[Any, Any, Any]) -> None:
        self.entry = entry
        self.part = part
        self.answer: Answer = None
        self.finished = False
        """Whether the entry was delivered or reported; ``False``: abandoned (lease lost)."""

    def __iter__(self) -> Iterator[Step | Wait]:
        plan = deliver(self.entry, self.part.settings, self.part.store.clock)
        try:
            step = next(plan)
            while True:
                self.answer = None
                yield step
                if isinstance(step, Done):
                    self.finished = True
                    delay = _ACK_RETRY_FIRST
                    while self._not_acknowledged():
                        yield Wait(delay)
                        delay = min(delay * 2, _ACK_RETRY_MAX)
                        self.answer = None
                        yield step
                step = plan.send(self.answer)
        except StopIteration:
            return
        finally:
            plan.close()

    def call(self, step: Step | Wait) -> Callable[[], Any]:
        """The step's one call (`step_call`): its answer, or an awaitable of it."""
        return step_call(step, self.entry, self.part)

    def failed(self, step: Step | Wait, error: Exception) -> Answer:
        """The answer of a step whose call raised (`step_failed`)."""
        return step_failed(step, error, self.part.p)

    def _not_acknowledged(self) -> bool:
        return self.answer is False  # see step_failed

    @staticmethod
    def holds_slot(step: Step | Wait) -> bool:
        """Whether the step takes one of a runner's ``concurrency`` slots (a wait does not)."""
        return not isinstance(step, (Sleep, Wait))

    @staticmethod
    def keeps_slot(step: Step | Wait, answer: Answer) -> bool:
        """Whether the slot stays taken after the step: from a started mark to its push.

        The mark's time is then when the push left, give or take a round trip.
        """
        return isinstance(step, Start) and answer is True


def retry_unsafe(event: PushEvent, settings: OutboxSettings) -> bool | None:
    """The push's ``retry_unsafe``: the client retries idempotent updates, a message never."""
    if settings.at_least_once:
        return True
    return False if isinstance(event, MessageEvent) else None


def step_call(
    step: Step | Wait, entry: Entry, part: PartitionCore[Any, Any, Any]
) -> Callable[[], Any]:
    """The one call a step makes: its answer, or (async twin) an awaitable of it."""
    queue, event = part.queue, entry.event
    if isinstance(step, Push):
        unsafe = retry_unsafe(step.event, part.settings)
        return lambda: part.client.send(step.event, retry_unsafe=unsafe)
    if isinstance(step, Start):
        if part.is_stopping():
            return part.refuse  # the twin's: a plain False, or an awaitable of it
        return lambda: queue.start(part.p, part.runner_id, entry.id)
    if isinstance(step, Done):
        return lambda: queue.done(part.p, part.runner_id, entry.id)
    if isinstance(step, Sleep):
        # Woken early by a stop: the entry was unstarted, so the next owner retries it.
        return lambda: part.sleep(step.seconds, until_stopped=True)
    if isinstance(step, Wait):
        return lambda: part.sleep(step.seconds, until_stopped=False)
    if isinstance(step, Report):
        return lambda: part.report(step.failure)
    if isinstance(step, Record):
        return lambda: part.record(step.event)
    if isinstance(step, Pending):
        return lambda: queue.pending(part.p, entry.id)
    if isinstance(step, Unstart):
        return lambda: queue.unstart(part.p, entry.id)
    assert event is not None  # Check: only for a readable entry
    return lambda: part.check(event)


def step_failed(step: Step | Wait, error: Exception, partition: int) -> Answer:
    """The answer of a step whose call raised ``error`` (re-raised if it is not expected)."""
    if isinstance(step, Push):
        return error  # every failed push is judged by `deliver`
    if not isinstance(error, StoreError):
        raise error
    if isinstance(step, Pending):
        return True  # unknown: treat it as still owed, and report it
    if isinstance(step, Unstart):
        return None  # a stale mark only makes a report cautious
    if isinstance(step, Done):
        logger.warning("Outbox partition %d: could not acknowledge: %s", partition, error)
        return False  # made again after a Wait (see Delivery)
    logger.warning("Outbox partition %d: the queue or store failed: %s", partition, error)
    return False if isinstance(step, Start) else None
