"""``MemoryStore``: conversation state in this process's memory.

The default store: nothing to install or run, right for one process. It is
lost on restart and not shared between replicas; use
[`RedisStore`][botcopy_handover.RedisStore] for those.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from typing_extensions import Unpack

from botcopy_handover.state._core import (
    check_customer,
    check_duration,
    check_ids,
    check_minutes_arg,
    check_profile,
    check_text,
    decode_fields,
    to_ms,
)
from botcopy_handover.state._store import (
    DEFAULT_RETENTION,
    AgentProfile,
    Clock,
    ConversationState,
    utc_now,
)

__all__ = ["MemoryStore"]

_Customer = tuple[str, str]


class _Record:
    __slots__ = ("fields", "history", "purge_at")

    def __init__(self, bot_id: str, user_id: str) -> None:
        self.fields: dict[str, str] = {"bot_id": bot_id, "user_id": user_id, "paused": "0"}
        self.history: set[str] = set()
        self.purge_at: datetime | None = None


class MemoryStore:
    """Conversation state in memory: one process, thread- and task-safe.

    Every operation holds one lock for a few dictionary operations and never
    waits on I/O, so the same instance serves threads and asyncio code alike:
    async code (``AsyncClient``, async webhook handlers, the async watcher)
    accepts it directly.

    Records are kept while paused and for ``retention`` after the pause lapses
    or ends, then dropped (lazily, on the next operation that meets them).

    Args:
        clock: Returns the current aware time; inject one in tests.
        retention: How long a record outlives its pause.

    Examples:
        >>> store = MemoryStore()
        >>> store.record_pause("bot-1", "user-1", minutes=10).paused
        True

    """

    def __init__(self, *, clock: Clock = utc_now, retention: timedelta = DEFAULT_RETENTION) -> None:
        self.clock: Clock = clock
        self.retention: timedelta = check_duration(retention, "retention")
        self._lock = threading.Lock()
        self._records: dict[_Customer, _Record] = {}
        self._tickets: dict[str, _Customer] = {}
        self._claims: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(conversations={len(self._records)})"

    # Helpers below run with the lock held.

    def _now_ms(self) -> int:
        return to_ms(self.clock())

    def _live(self, customer: _Customer, now: datetime) -> _Record | None:
        record = self._records.get(customer)
        if record is not None and record.purge_at is not None and record.purge_at <= now:
            self._drop(customer, record)
            return None
        return record

    def _drop(self, customer: _Customer, record: _Record) -> None:
        del self._records[customer]
        ticket = record.fields.get("ticket_id")
        if ticket and self._tickets.get(ticket) == customer:
            del self._tickets[ticket]

    def _record(self, customer: _Customer, now: datetime) -> _Record:
        record = self._live(customer, now)
        if record is None:
            record = self._records[customer] = _Record(*customer)
        return record

    def _save(self, record: _Record, now: datetime) -> ConversationState:
        record.fields["updated_ms"] = str(to_ms(now))
        state = decode_fields(record.fields)
        end = state.expires_at if state.paused and state.expires_at else now
        record.purge_at = max(end, now) + self.retention
        return state

    # ConversationStore

    def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        customer = check_customer(bot_id, user_id)
        with self._lock:
            record = self._live(customer, self.clock())
            return decode_fields(record.fields) if record else None

    def record_pause(
        self, bot_id: str, user_id: str, *, minutes: int, **agent: Unpack[AgentProfile]
    ) -> ConversationState:
        """Record that the bot is paused for ``minutes`` from now (see the protocol)."""
        customer = check_customer(bot_id, user_id)
        minutes = check_minutes_arg(minutes)
        agent_name, agent_avatar_url = check_profile(agent)
        with self._lock:
            now = self.clock()
            record = self._record(customer, now)
            fields = record.fields
            fields.update(
                paused="1",
                minutes=str(minutes),
                expires_ms=str(to_ms(now) + minutes * 60_000),
            )
            if agent_name is not None:
                fields["agent_name"] = agent_name
            if agent_avatar_url is not None:
                fields["agent_avatar_url"] = agent_avatar_url
            return self._save(record, now)

    def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``; ``None`` if not paused."""
        customer = check_customer(bot_id, user_id)
        with self._lock:
            now = self.clock()
            record = self._live(customer, now)
            if record is None or record.fields["paused"] != "1":
                return None
            now_ms = to_ms(now)
            if int(record.fields["expires_ms"]) <= now_ms:
                return None
            minutes = int(record.fields["minutes"])
            record.fields["expires_ms"] = str(now_ms + minutes * 60_000)
            return self._save(record, now)

    def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again."""
        customer = check_customer(bot_id, user_id)
        with self._lock:
            now = self.clock()
            record = self._record(customer, now)
            record.fields.update(paused="0", minutes="0", expires_ms="")
            return self._save(record, now)

    def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record a lapsed pause, once, if it still ends at ``expires_at`` and that is past."""
        customer = check_customer(bot_id, user_id)
        expected = str(to_ms(expires_at))
        with self._lock:
            now = self.clock()
            record = self._live(customer, now)
            if (
                record is None
                or record.fields["paused"] != "1"
                or record.fields["expires_ms"] != expected
                or int(expected) > to_ms(now)
            ):
                return False
            record.fields.update(paused="0", minutes="0", expires_ms="")
            self._save(record, now)
            return True

    def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket id to this customer (replacing any earlier link)."""
        customer = check_customer(bot_id, user_id)
        ticket_id = check_text(ticket_id, "ticket_id")
        with self._lock:
            now = self.clock()
            record = self._record(customer, now)
            old = record.fields.get("ticket_id")
            if old and old != ticket_id and self._tickets.get(old) == customer:
                del self._tickets[old]
            previous_owner = self._tickets.get(ticket_id)
            if previous_owner is not None and previous_owner != customer:
                other = self._records.get(previous_owner)
                if other is not None:
                    other.fields.pop("ticket_id", None)
            self._tickets[ticket_id] = customer
            record.fields["ticket_id"] = ticket_id
            return self._save(record, now)

    def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        ticket_id = check_text(ticket_id, "ticket_id")
        with self._lock:
            customer = self._tickets.get(ticket_id)
            if customer is None:
                return None
            record = self._live(customer, self.clock())
            return decode_fields(record.fields) if record else None

    def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history ids; return those not seen before, in the order given."""
        customer = check_customer(bot_id, user_id)
        wanted = check_ids(ids)
        with self._lock:
            now = self.clock()
            record = self._record(customer, now)
            new = [i for i in wanted if i not in record.history]
            record.history.update(new)
            if wanted:
                record.fields["last_history_id"] = wanted[-1]
            self._save(record, now)
            return new

    def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within``, or has ended; soonest first."""
        within = check_duration(within, "within")
        with self._lock:
            now = self.clock()
            horizon = to_ms(now + within)
            found = []
            for customer in list(self._records):
                record = self._live(customer, now)
                if record is None or record.fields["paused"] != "1":
                    continue
                if int(record.fields["expires_ms"]) <= horizon:
                    found.append(decode_fields(record.fields))
        found.sort(key=lambda s: (s.expires_at, s.bot_id, s.user_id))
        return found

    def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed."""
        token = check_text(token, "token")
        ttl = check_duration(ttl, "ttl")
        with self._lock:
            now_ms = self._now_ms()
            if len(self._claims) > 1024:
                # Expired claims are dropped in bulk now and then, not per call.
                self._claims = {k: v for k, v in self._claims.items() if v > now_ms}
            held_until = self._claims.get(token)
            if held_until is not None and held_until > now_ms:
                return False
            self._claims[token] = now_ms + int(ttl.total_seconds() * 1000)
            return True

    def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation; ``True`` if it existed."""
        customer = check_customer(bot_id, user_id)
        with self._lock:
            record = self._live(customer, self.clock())
            if record is None:
                return False
            self._drop(customer, record)
            return True
