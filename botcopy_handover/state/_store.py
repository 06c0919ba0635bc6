"""What a conversation store records, and the operations every backend offers.

Botcopy keeps a pause alive only while messages flow (every reply or push
carries ``minutesPaused`` and pushes the expiry back) and says nothing when it
lapses. A store remembers, per customer (``bot_id``, ``user_id``), what the
proxy last told Botcopy, so that any replica, after any restart, knows whether
the bot is paused and until when.

Times come from the store's ``clock`` (aware UTC), never from the Redis
server, so tests can move time by hand; replicas must keep their clocks in
sync (NTP), as they must anyway to agree with Botcopy on when a pause lapses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

from typing_extensions import TypedDict, Unpack

__all__ = [
    "DEFAULT_RETENTION",
    "AgentProfile",
    "AsyncConversationStore",
    "Clock",
    "ConversationState",
    "ConversationStore",
    "utc_now",
]

Clock = Callable[[], datetime]
"""A function returning the current time as an aware ``datetime``."""

DEFAULT_RETENTION = timedelta(days=1)
"""How long a record is kept after its pause lapses or ends (ticket links, history ids)."""


def utc_now() -> datetime:
    """The current time, aware, in UTC: the default clock of every store."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class ConversationState:
    """What the proxy last told Botcopy about one customer, as a store records it.

    Attributes:
        bot_id: The bot, as in the webhook body's ``botId``.
        user_id: The customer, as in ``userId``.
        paused: Whether the bot was left paused (a live agent has the chat).
            Stays ``True`` after ``expires_at`` until an
            [`ExpiryWatcher`][botcopy_handover.state.ExpiryWatcher] records the lapse; use
            [`is_paused`][botcopy_handover.state.ConversationState.is_paused] to ask about a given
            time.
        minutes_paused: The pause length last sent; each message in either
            direction pushes the expiry back by this much. 0 when not paused.
        expires_at: When Botcopy will un-pause the bot unless another message
            flows (aware, UTC); ``None`` when not paused.
        agent_name: The agent name last shown to the customer, if any.
        agent_avatar_url: The agent avatar last shown to the customer, if any.
        ticket_id: The desk's ticket or conversation id linked to this customer.
        last_history_id: The id of the newest history item seen in a handover.
        updated_at: When the record last changed (aware, UTC).

    """

    bot_id: str
    user_id: str
    paused: bool = False
    minutes_paused: int = 0
    expires_at: datetime | None = None
    agent_name: str | None = None
    agent_avatar_url: str | None = None
    ticket_id: str | None = None
    last_history_id: str | None = None
    updated_at: datetime | None = None

    @property
    def customer(self) -> tuple[str, str]:
        """``(bot_id, user_id)``: the key that names this conversation."""
        return (self.bot_id, self.user_id)

    def is_paused(self, now: datetime) -> bool:
        """Whether the bot is still paused at ``now`` (paused, and the pause has not lapsed)."""
        return self.paused and self.expires_at is not None and now < self.expires_at

    def remaining(self, now: datetime) -> timedelta:
        """How long the pause has left at ``now``; zero when lapsed or not paused."""
        if not self.paused or self.expires_at is None:
            return timedelta(0)
        return max(self.expires_at - now, timedelta(0))


class AgentProfile(TypedDict, total=False, closed=True):
    """The agent a pause shows the customer: ``record_pause``'s optional keywords.

    A key left out, or ``None``, keeps what the store has; a string replaces it.
    """

    agent_name: str | None
    """The agent's name, as ``PauseEvent.agent_name`` shows it."""
    agent_avatar_url: str | None
    """The agent's avatar, as ``PauseEvent.agent_avatar_url`` shows it."""


# ``record_pause`` takes the agent as ``**agent: Unpack[AgentProfile]`` rather
# than two spelt-out keywords: the same signature stands in both protocols and
# in every store, and this keeps it short there while type checkers and
# signature help still list ``agent_name`` and ``agent_avatar_url`` (both
# default to "keep", so no default is hidden). Closed (PEP 728, from
# typing_extensions): no other keyword may come, so a store written with the
# two keywords spelt out still satisfies the protocols for mypy and pyright.


@runtime_checkable
class ConversationStore(Protocol):
    """The operations of a synchronous conversation store.

    Implemented by [`MemoryStore`][botcopy_handover.MemoryStore] and
    [`RedisStore`][botcopy_handover.RedisStore]. Every write is atomic: replicas
    updating the same conversation at once lose no update.
    """

    @property
    def clock(self) -> Clock:
        """The store's clock: every time it records comes from here."""
        ...

    def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        ...

    def record_pause(
        self, bot_id: str, user_id: str, *, minutes: int, **agent: Unpack[AgentProfile]
    ) -> ConversationState:
        """Record that the bot is paused for ``minutes`` from now.

        Called for a ``Pause`` reply and for every push that carries
        ``paused: true``. An agent name or avatar given replaces the stored
        one; ``None`` keeps it.

        Args:
            bot_id: The bot.
            user_id: The customer.
            minutes: The pause length sent to Botcopy.
            **agent: ``agent_name`` and ``agent_avatar_url``: see
                [`AgentProfile`][botcopy_handover.state.AgentProfile].

        """
        ...

    def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``.

        For messages that flow without a reply or push of yours carrying
        ``minutesPaused``. Returns ``None`` (and changes nothing) when the
        conversation is not paused or its pause has already lapsed.
        """
        ...

    def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again (``End`` or ``Continue`` reply, resume push)."""
        ...

    def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record that a pause lapsed, if it still ends at ``expires_at`` and that time is past.

        Returns ``True`` for the one caller that made the change, ``False``
        when a message pushed the expiry back meanwhile, another replica got
        there first, or the time has not come.
        """
        ...

    def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket (or conversation) id to this customer."""
        ...

    def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        ...

    def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history item ids; return those not seen before, in the order given.

        The last id given becomes `ConversationState.last_history_id`.
        """
        ...

    def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within`` from now, or has ended.

        Soonest first. Lapsed pauses stay listed until recorded with
        [`record_lapse`][botcopy_handover.state.ConversationStore.record_lapse] (or resumed, or
        paused again).
        """
        ...

    def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed.

        Atomic across replicas; the basis of duplicate detection and of
        once-only expiry notices.
        """
        ...

    def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation (record, ticket link, history ids); ``True`` if it existed."""
        ...


@runtime_checkable
class AsyncConversationStore(Protocol):
    """The operations of [`ConversationStore`][botcopy_handover.state.ConversationStore], awaitable.

    Implemented by [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]; async code
    also accepts a [`MemoryStore`][botcopy_handover.MemoryStore], whose operations
    never block. See [`ConversationStore`][botcopy_handover.state.ConversationStore] for what each
    one does.
    """

    @property
    def clock(self) -> Clock:
        """The store's clock: every time it records comes from here."""
        ...

    async def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """See [`ConversationStore.get`][botcopy_handover.state.ConversationStore.get]."""
        ...

    async def record_pause(
        self, bot_id: str, user_id: str, *, minutes: int, **agent: Unpack[AgentProfile]
    ) -> ConversationState:
        """See [`ConversationStore.record_pause`][botcopy_handover.state.ConversationStore.record_pause]."""  # noqa: E501 - a link in the summary
        ...

    async def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """See [`ConversationStore.touch`][botcopy_handover.state.ConversationStore.touch]."""
        ...

    async def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """See [`ConversationStore.record_resume`][botcopy_handover.state.ConversationStore.record_resume]."""  # noqa: E501 - a link in the summary
        ...

    async def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """See [`ConversationStore.record_lapse`][botcopy_handover.state.ConversationStore.record_lapse]."""  # noqa: E501 - a link in the summary
        ...

    async def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """See [`link_ticket`][botcopy_handover.state.ConversationStore.link_ticket]."""
        ...

    async def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """See [`ConversationStore.find_by_ticket`][botcopy_handover.state.ConversationStore.find_by_ticket]."""  # noqa: E501 - a link in the summary
        ...

    async def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """See [`ConversationStore.remember_history`][botcopy_handover.state.ConversationStore.remember_history]."""  # noqa: E501 - a link in the summary
        ...

    async def expiring(self, within: timedelta) -> list[ConversationState]:
        """See [`ConversationStore.expiring`][botcopy_handover.state.ConversationStore.expiring]."""
        ...

    async def claim(self, token: str, ttl: timedelta) -> bool:
        """See [`ConversationStore.claim`][botcopy_handover.state.ConversationStore.claim]."""
        ...

    async def delete(self, bot_id: str, user_id: str) -> bool:
        """See [`ConversationStore.delete`][botcopy_handover.state.ConversationStore.delete]."""
        ...
