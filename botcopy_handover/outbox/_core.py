"""The outbox's one core, shared by ``Outbox`` and ``AsyncOutbox``: no I/O.

What is decided here, once: which partition a customer's events go to, how an
event is written into a queue entry and read back, whether a failed push may
have reached Botcopy, how long to wait before the next attempt, and the whole
life of one entry as a small generator (`deliver`) that yields *steps*
("mark the push as started", "push", "report", "acknowledge") and receives
what happened. How a runner holds partitions and steps its entries through
`deliver` is `botcopy_handover.outbox._runner`; the sync and async outboxes
only perform the steps.
"""

from __future__ import annotations

import json
import logging
import random as _random
import zlib
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Literal

import httpx

from botcopy_handover._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    BotcopyError,
    ConfigurationError,
    InvalidEventError,
)
from botcopy_handover.client._base import PushResult
from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
    parse_push_event,
)
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
from botcopy_handover.outbox._errors import (
    ChatEndedError,
    DeliveryExpiredError,
    PushInterruptedError,
)
from botcopy_handover.state._store import ConversationState

__all__ = [
    "DEFAULT_PARTITIONS",
    "Answer",
    "Check",
    "DeliveryPolicy",
    "Done",
    "Entry",
    "FailureHandler",
    "FailureReason",
    "OutboxFailure",
    "OutboxReceipt",
    "OutboxSettings",
    "Pending",
    "Push",
    "Record",
    "Report",
    "Sleep",
    "Start",
    "Step",
    "Unstart",
    "check_event",
    "decode_entry",
    "deliver",
    "encode_entry",
    "handler_raised",
    "is_retryable",
    "log_failure",
    "may_still_land",
    "maybe_delivered",
    "partition_of",
]

DEFAULT_PARTITIONS = 16
"""How many partitions a queue has: the most runners that deliver at once."""

FailureReason = Literal["refused", "maybe_delivered", "expired", "interrupted", "chat_ended"]
"""Why an event was handed to ``on_failure`` (see [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure])."""  # noqa: E501 - a link in the summary


def maybe_delivered(error: BaseException) -> bool:
    """Whether a failed push may nonetheless have reached Botcopy.

    The push client says so on every error it raises
    ([APIError.maybe_delivered][botcopy_handover.APIError]); an invalid event
    was never sent; anything else is assumed to have maybe arrived.
    """
    if isinstance(error, APIError):
        return error.maybe_delivered
    return not isinstance(error, InvalidEventError)


_GATEWAY_STATUSES = (502, 504)


def may_still_land(error: BaseException) -> bool:
    """Whether a push that failed maybe delivered could still land later.

    An answer from Botcopy itself ends its handling of the request: a 500, or
    a 2xx status line whose body then broke off (the connection dropped
    mid-answer). Whatever it did is done, so the customer's next push cannot
    overtake it. A timeout, a connection dropped before any answer, or a
    gateway's 502/504 says nothing of a request a server may still be working on.
    """
    if isinstance(error, APIStatusError):
        return error.status_code in _GATEWAY_STATUSES
    if isinstance(error, APIConnectionError):
        return error.status_code is None
    return True


def is_retryable(error: BaseException) -> bool:
    """Whether a push that surely did not arrive is worth trying again.

    Connection failures, 429 and 5xx are; a refusal that a retry cannot fix
    (401, 403, 400, an invalid event, a bad URL) is not.
    """
    if isinstance(error, APIStatusError):
        return error.status_code in (408, 429) or error.status_code >= 500
    if isinstance(error, APIConnectionError):
        return not isinstance(
            error.__cause__, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
        )
    return False


def partition_of(bot_id: str, user_id: str, partitions: int) -> int:
    """The partition of a customer: stable across processes and Python versions."""
    return zlib.crc32(f"{bot_id}\x00{user_id}".encode()) % partitions


def _to_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


@dataclass(frozen=True, slots=True)
class Entry:
    """One queued event as a runner reads it back.

    Attributes:
        id: The queue's id of the entry (a Redis stream id), increasing per partition.
        event: The event, or ``None`` when the stored entry could not be read.
        enqueued_at: When [`send`][botcopy_handover.AsyncClient.send] stored it.
        deadline: When the outbox stops trying and reports it.
        started_at: When a push of it started under a runner that then
            stopped (crash, lost lease): Botcopy may have it already.
            ``None`` when no push is known to have started.

    """

    id: str
    event: PushEvent | None
    enqueued_at: datetime
    deadline: datetime
    started_at: datetime | None = None

    @property
    def customer(self) -> tuple[str, str]:
        """``(bot_id, user_id)``, or ``("", id)`` for an unreadable entry (a lane of its own)."""
        return self.event.customer if self.event is not None else ("", self.id)


def encode_entry(
    event: PushEvent, now: datetime, give_up_after: timedelta | None
) -> dict[str, str]:
    """The fields one queue entry stores: the wire JSON, when it was queued, its deadline."""
    if give_up_after is None:
        minutes = getattr(event, "minutes_paused", DEFAULT_MINUTES_PAUSED)
        give_up_after = timedelta(minutes=minutes)
    return {
        "e": event.to_json().decode(),
        "t": str(_to_ms(now)),
        "d": str(_to_ms(now + give_up_after)),
    }


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def decode_entry(
    entry_id: str | bytes,
    fields: Mapping[str, str] | Mapping[bytes, bytes],
    started_at: float | None,
) -> Entry:
    """Read an entry back; an unreadable one keeps its id and has ``event=None``."""
    data = {_text(k): _text(v) for k, v in fields.items()}
    try:
        enqueued = _from_ms(int(data.get("t", "0")))
        deadline = _from_ms(int(data.get("d", "0")))
    except ValueError:
        enqueued = deadline = _from_ms(0)
    event: PushEvent | None
    try:
        event = parse_push_event(json.loads(data.get("e", "")))
    except (ValueError, BotcopyError):
        event = None
    started = None if started_at is None else datetime.fromtimestamp(started_at, tz=timezone.utc)
    return Entry(_text(entry_id), event, enqueued, deadline, started)


@dataclass(frozen=True, slots=True)
class OutboxFailure:
    """An event the outbox could not deliver, as handed to ``on_failure``.

    Attributes:
        event: The event (``None`` only for a queue entry that could not be read).
        error: The last error: the push's own (``RateLimitError``,
            ``APITimeoutError``...), or one of the outbox's
            ([`ChatEndedError`][botcopy_handover.outbox.ChatEndedError],
            [`DeliveryExpiredError`][botcopy_handover.outbox.DeliveryExpiredError],
            [`PushInterruptedError`][botcopy_handover.outbox.PushInterruptedError]).
        maybe_delivered: Botcopy may have shown it to the customer: do not
            resend it blindly.
        reason: ``refused`` (Botcopy refused it, a retry cannot help),
            ``maybe_delivered`` (the push may have arrived, so it was not
            retried), ``expired`` (retried until the give-up deadline),
            ``interrupted`` (its runner stopped mid-push), ``chat_ended``
            (the chat had ended, it was not sent).
        attempts: Pushes tried by the runner that gave up.
        entry_id: The queue entry's id.
        enqueued_at: When it was sent to the outbox.

    """

    event: PushEvent | None
    error: BotcopyError
    maybe_delivered: bool
    reason: FailureReason
    attempts: int
    entry_id: str
    enqueued_at: datetime


FailureHandler = Callable[[OutboxFailure], Awaitable[None] | None]
"""``on_failure``: a function of an [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure] (``AsyncOutbox``: or a coroutine one)."""  # noqa: E501 - a link in the summary


@dataclass(frozen=True)
class DeliveryPolicy:
    """How an outbox delivers: leases, retries, the give-up deadline, holds.

    Given to [`AsyncOutbox`][botcopy_handover.AsyncOutbox] or
    [`Outbox`][botcopy_handover.Outbox] as ``policy=``, as a
    [`RetryPolicy`][botcopy_handover.client.RetryPolicy] is given to a client. Every field
    has a default that suits a proxy talking to Botcopy; a value out of range
    is a [`ConfigurationError`][botcopy_handover.ConfigurationError] here, when the policy is made.

    Examples:
        >>> from datetime import timedelta
        >>> policy = DeliveryPolicy(lease=timedelta(seconds=5), at_least_once=True)
        >>> policy.max_backoff
        30.0

    """

    lease: timedelta = timedelta(seconds=10)
    """How long a runner holds its partitions without renewing; a crashed
    runner's events are taken over after this (at least 100 ms)."""

    give_up_after: timedelta | None = None
    """How long to keep retrying an event; ``None``: its pause length
    (``minutes_paused``; 10 minutes for a resume)."""

    at_least_once: bool = False
    """Retry what may have arrived too: nothing is lost or reported as maybe
    delivered, but a customer may see a duplicate."""

    initial_backoff: float = 0.5
    """Seconds before the first retry (Botcopy's ``Retry-After`` wins when given)."""

    max_backoff: float = 30.0
    """The longest wait between retries, in seconds."""

    in_flight: timedelta = timedelta(seconds=15)
    """The longest a push can take (the client's timeout and its own retries),
    or sit at Botcopy after the client gave up on it: after a crash or a lost
    lease, and after a push reported as maybe delivered that may still land (a
    timeout, a connection dropped before any answer, a gateway's 502/504; not
    a 500 from Botcopy, nor a 2xx answer that broke off), a customer's next
    events wait this long after that push started, so that it cannot land
    after the next one."""

    shutdown_grace: float = 5.0
    """Seconds a stopped or cancelled runner lets pushes in flight finish."""

    def __post_init__(self) -> None:
        if not isinstance(self.lease, timedelta) or self.lease < timedelta(milliseconds=100):
            raise ConfigurationError("lease must be a timedelta of at least 100 ms")
        if self.give_up_after is not None and (
            not isinstance(self.give_up_after, timedelta) or self.give_up_after <= timedelta(0)
        ):
            raise ConfigurationError("give_up_after must be a positive timedelta or None")
        if not isinstance(self.at_least_once, bool):
            raise ConfigurationError("at_least_once must be True or False")
        if not (
            _seconds(self.initial_backoff)
            and _seconds(self.max_backoff)
            and 0 <= self.initial_backoff <= self.max_backoff
        ):
            raise ConfigurationError("initial_backoff must be between 0 and max_backoff seconds")
        if not isinstance(self.in_flight, timedelta) or self.in_flight < timedelta(0):
            raise ConfigurationError("in_flight must be a timedelta of zero or more")
        if not (_seconds(self.shutdown_grace) and self.shutdown_grace >= 0):
            raise ConfigurationError("shutdown_grace must be zero or more seconds")


def _seconds(value: object) -> bool:
    """Whether ``value`` is a number of seconds (an int or float, not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class OutboxSettings(DeliveryPolicy):
    """A delivery policy and the runner's own limits; checked once, shared by every runner.

    Args:
        max_in_flight: Most entries a runner holds in memory per partition.
        random: Returns a float in ``[0, 1)`` for the back-off's jitter.

    """

    max_in_flight: int = 1000
    random: Callable[[], float] = field(default=_random.random, repr=False)

    @classmethod
    def of(cls, policy: DeliveryPolicy) -> OutboxSettings:
        """The settings a runner uses for ``policy``."""
        return cls(**{name: getattr(policy, name) for name in _POLICY_FIELDS})

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.max_in_flight, bool) or not (
            isinstance(self.max_in_flight, int) and self.max_in_flight >= 1
        ):
            raise ConfigurationError("max_in_flight must be a positive int")

    @property
    def lease_ms(self) -> int:
        """The lease in whole milliseconds."""
        return int(self.lease.total_seconds() * 1000)

    def backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry ``retry`` (1-based): Botcopy's ``Retry-After``, else exponential."""
        if retry_after is not None:
            return retry_after
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (retry - 1))
        return base * (1 - 0.5 * self.random())


# Steps of one entry's life; the runner performs each and sends back the answer.


@dataclass(frozen=True, slots=True)
class Check:
    """Read the customer's conversation state; answer with it (or ``None``)."""


@dataclass(frozen=True, slots=True)
class Pending:
    """Ask whether the entry is still in the queue; answer ``True`` or ``False``."""


@dataclass(frozen=True, slots=True)
class Start:
    """Mark the entry's push as started (fenced by the lease); answer whether it was."""


@dataclass(frozen=True, slots=True)
class Push:
    """Push ``event``; answer with the ``PushResult`` or the exception raised."""

    event: PushEvent


@dataclass(frozen=True, slots=True)
class Unstart:
    """Clear the started mark: the push surely did not arrive and will be tried again."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` before the next attempt."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Report:
    """Hand ``failure`` to ``on_failure`` (before the entry is acknowledged)."""

    failure: OutboxFailure


@dataclass(frozen=True, slots=True)
class Done:
    """Acknowledge and remove the entry: it is delivered or reported."""


@dataclass(frozen=True, slots=True)
class Record:
    """Record the delivered event in the conversation store."""

    event: PushEvent


Step = Check | Pending | Start | Push | Unstart | Sleep | Report | Done | Record
Answer = ConversationState | PushResult | BaseException | bool | None


def _chat_ended(state: object) -> bool:
    return isinstance(state, ConversationState) and not state.paused


def deliver(
    entry: Entry, settings: OutboxSettings, now: Callable[[], datetime]
) -> Generator[Step, Answer, None]:
    """The life of one entry: yields steps until it is delivered, reported, or abandoned.

    Abandoned (the generator just ends, nothing acknowledged) only when the
    runner lost its lease: the next owner takes the entry over.
    """

    def failure(error: BotcopyError, maybe: bool, reason: FailureReason, attempts: int) -> Report:
        return Report(
            OutboxFailure(entry.event, error, maybe, reason, attempts, entry.id, entry.enqueued_at)
        )

    event = entry.event
    if event is None:
        yield failure(
            InvalidEventError("A queued entry could not be read back"), False, "refused", 0
        )
        yield Done()
        return
    if entry.started_at is not None:
        # Its push may still be on its way (a runner that lost its lease, a
        # cancelled request the server already read): the customer's next
        # event waits until it surely landed or failed, or order could break.
        wait = (entry.started_at + settings.in_flight - now()).total_seconds()
        if wait > 0:
            yield Sleep(wait)
        # A runner that lost its lease but lived on may have finished it meanwhile
        # (delivered or reported, then acknowledged): nothing is left to do.
        if not (yield Pending()):
            yield Done()
            return
    if entry.started_at is not None and not settings.at_least_once:
        yield failure(
            PushInterruptedError(
                "The runner pushing this event stopped before it knew the outcome"
            ),
            True,
            "interrupted",
            0,
        )
        yield Done()
        return
    if isinstance(event, (MessageEvent, TypingEvent)):
        state = yield Check()
        if _chat_ended(state):
            yield failure(
                ChatEndedError("The chat had ended (resumed, ended or lapsed); not sent"),
                False,
                "chat_ended",
                0,
            )
            yield Done()
            return
    attempts = 0
    last: BotcopyError | None = None
    while True:
        if now() >= entry.deadline:
            error = last or DeliveryExpiredError("The give-up deadline passed before a push")
            yield failure(error, False, "expired", attempts)
            yield Done()
            return
        if not (yield Start()):
            return
        attempts += 1
        pushed_at = now()
        outcome = yield Push(event)
        if isinstance(outcome, PushResult):
            yield Done()
            yield Record(event)
            return
        error = (
            outcome
            if isinstance(outcome, BotcopyError)
            else BotcopyError(f"The push failed: {type(outcome).__name__}")
        )
        maybe = maybe_delivered(error)
        if maybe and not settings.at_least_once:
            yield failure(error, True, "maybe_delivered", attempts)
            yield Done()
            # A push given up on (a read timeout) may still be on its way, or
            # queued at Botcopy: the customer's next event waits until it
            # surely landed, as after a takeover, or it could land first.
            wait = (pushed_at + settings.in_flight - now()).total_seconds()
            if wait > 0 and may_still_land(error):
                yield Sleep(wait)
            return
        if not maybe and not is_retryable(error):
            yield failure(error, False, "refused", attempts)
            yield Done()
            return
        delay = settings.backoff(attempts, getattr(error, "retry_after", None))
        if now() + timedelta(seconds=delay) >= entry.deadline:
            yield failure(error, maybe, "expired", attempts)
            yield Done()
            return
        last = error
        if not maybe:
            yield Unstart()
        yield Sleep(delay)


def check_event(event: object) -> PushEvent:
    """``event`` if it is a push event model; a typed error otherwise."""
    if not isinstance(event, (MessageEvent, PauseEvent, ResumeEvent, TypingEvent)):
        raise InvalidEventError(
            "The outbox sends a MessageEvent, PauseEvent, ResumeEvent or TypingEvent"
        )
    return event


# -- What both outboxes report --

logger = logging.getLogger("botcopy_handover.outbox")


@dataclass(frozen=True, slots=True)
class OutboxReceipt:
    """What [`AsyncOutbox.send`][botcopy_handover.AsyncOutbox.send] (or `Outbox.send`) did with an event.

    Attributes:
        event: The event.
        entry_id: The queue entry's id; ``None`` for a typing event, which
            is pushed at once instead of queued.
        partition: The partition holding it (``None`` for a typing event).
        result: For a typing event, the push's result.

    """  # noqa: E501 - a link in the summary

    event: PushEvent
    entry_id: str | None
    partition: int | None
    result: PushResult | None = None


def log_failure(failure: OutboxFailure) -> None:
    """The default ``on_failure``: log the failure at ERROR (ids and the reason, no text)."""
    event = failure.event
    logger.error(
        "Outbox gave up on %s for user %s on bot %s (%s, maybe delivered: %s): %s",
        event.event_type if event else "an unreadable entry",
        event.user_id if event else "?",
        event.bot_id if event else "?",
        failure.reason,
        failure.maybe_delivered,
        failure.error,
    )


def handler_raised(failure: OutboxFailure) -> None:
    """Log that ``on_failure`` raised (the outbox carries on: the entry is acknowledged)."""
    logger.exception("The outbox's on_failure handler raised; the failure was: %s", failure.error)


_POLICY_FIELDS = tuple(f.name for f in fields(DeliveryPolicy))
