"""What the sync and async Redis stores share: keys, script calls, answers.

Each operation is a *flow*: a generator that yields the script calls to make
(one ``(script, keys, args)``, or a list of them to make together) and
receives their answers, then returns the operation's result. The stores only
drive flows, with ``redis.Redis``/``redis.asyncio.Redis`` or their cluster
counterparts, so the two never differ in what they send.

On one server (or a primary with replicas), `RedisCore` makes every
operation one atomic script over the historical key layout. On Redis Cluster,
`ClusterCore` keeps each script's keys in one hash slot (see
`botcopy_handover.state._lua_cluster`) and takes the operations that span
slots (ticket links, ``expiring`` over the shards) in several steps.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from botcopy_handover._errors import ConfigurationError, StoreError, StoreUnavailableError
from botcopy_handover.state import _lua, _lua_cluster
from botcopy_handover.state._core import (
    check_customer,
    check_duration,
    check_ids,
    check_minutes_arg,
    check_text,
    decode_fields,
    to_ms,
)
from botcopy_handover.state._store import Clock, ConversationState

__all__ = ["DEFAULT_SHARDS", "Call", "ClusterCore", "Flow", "RedisCore", "shard_tags"]

_T = TypeVar("_T")

Call = tuple[str, list[str], list[str | int]]
"""One script call: (script name, keys, args)."""

Flow = Generator["Call | list[Call]", Any, _T]
"""An operation: yields calls (or lists of calls made together), returns the result."""

DEFAULT_SHARDS = 16
"""How many hash tags a cluster store spreads conversations over, by default."""

MAX_SHARDS = 1024


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(flat: Sequence[Any]) -> dict[str, str]:
    # HGETALL inside a script answers a flat [k1, v1, k2, v2, ...] list.
    items = [v.decode() if type(v) is bytes else str(v) for v in flat]
    return dict(zip(items[::2], items[1::2], strict=True))


# Ids made of these alone need no percent-encoding (the common case: skip quote()).
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def _quote(value: str) -> str:
    return value if _PLAIN.fullmatch(value) else quote(value, safe="")


def _state(raw: Any) -> ConversationState | None:
    if not raw:
        return None
    return decode_fields(_fields(raw))


def _required_state(raw: Any) -> ConversationState:
    state = _state(raw)
    if state is None:  # pragma: no cover - the scripts always return the record
        raise StoreUnavailableError("Redis returned no record after a write")
    return state


def _ids(raw: Any) -> list[str]:
    return [_text(v) for v in raw or ()]


def _states(raws: Iterable[Any]) -> list[ConversationState]:
    found = [decode_fields(_fields(r)) for r in raws]
    found.sort(key=lambda s: (s.expires_at or s.updated_at, s.bot_id, s.user_id))
    return found


def hash_fields(raw: Any) -> ConversationState | None:
    """A record read with ``HGETALL`` (a dict), or ``None`` if there is none."""
    if not raw:
        return None
    return decode_fields(
        {
            (k.decode() if type(k) is bytes else str(k)): (
                v.decode() if type(v) is bytes else str(v)
            )
            for k, v in raw.items()
        }
    )


@lru_cache(maxsize=8)
def shard_tags(shards: int) -> tuple[str, ...]:
    """The hash tags of ``shards`` shards, spread evenly over the cluster's 16384 slots.

    Shard ``i`` gets the first tag ``"{i}-{j}"`` whose slot lies in the
    ``i``-th of ``shards`` equal slot ranges, so masters that own contiguous
    slot ranges (as ``redis-cli --cluster create`` assigns them) share the
    shards evenly. Deterministic: every replica computes the same tags.
    """
    tags = []
    for i in range(shards):
        low = i * REDIS_CLUSTER_HASH_SLOTS // shards
        high = (i + 1) * REDIS_CLUSTER_HASH_SLOTS // shards
        j = 0
        while not low <= key_slot(f"{i}-{j}".encode()) < high:
            j += 1
        tags.append(f"{i}-{j}")
    return tuple(tags)


class RedisCore:
    """One Redis server: every operation one atomic script, keys as they always were."""

    scripts: ClassVar[dict[str, str]] = {
        "pause": _lua.PAUSE,
        "touch": _lua.TOUCH,
        "resume": _lua.RESUME,
        "lapse": _lua.LAPSE,
        "link": _lua.LINK_TICKET,
        "find": _lua.FIND_BY_TICKET,
        "history": _lua.HISTORY,
        "expiring": _lua.EXPIRING,
        "claim": _lua.CLAIM,
        "delete": _lua.DELETE,
    }

    def __init__(
        self, prefix: str, retention: timedelta, clock: Clock, expiring_limit: int
    ) -> None:
        self.prefix = check_text(prefix, "prefix")
        self.retention = check_duration(retention, "retention")
        self.clock: Clock = clock
        if (
            isinstance(expiring_limit, bool)
            or not isinstance(expiring_limit, int)
            or expiring_limit < 1
        ):
            raise StoreError("expiring_limit must be a positive int")
        self.expiring_limit = expiring_limit
        self._expiring_key = f"{self.prefix}expiring"

    def _retention_ms(self) -> int:
        return int(self.retention.total_seconds() * 1000)

    def member(self, bot_id: str, user_id: str) -> str:
        bot_id, user_id = check_customer(bot_id, user_id)
        return f"{_quote(bot_id)}:{_quote(user_id)}"

    def conv_prefix(self, member: str) -> str:
        """What precedes ``member`` in its record's key."""
        return f"{self.prefix}conv:"

    def conv_key(self, member: str) -> str:
        return self.conv_prefix(member) + member

    def record_key(self, bot_id: str, user_id: str) -> str:
        return self.conv_key(self.member(bot_id, user_id))

    def ticket_key(self, ticket_id: str) -> str:
        return f"{self.prefix}ticket:{_quote(ticket_id)}"

    def claim_key(self, token: str) -> str:
        return f"{self.prefix}claim:{_quote(token)}"

    def _head(self) -> list[str | int]:
        return [to_ms(self.clock()), self._retention_ms()]

    def _keys(self, member: str) -> list[str]:
        """The keys of a script writing the record and the expiring index."""
        return [self.conv_key(member), self._expiring_key]

    def _written(self, raw: Any, member: str) -> Flow[Any]:
        """What a writing script answered (one server: the answer itself, no more calls)."""
        yield from ()
        return raw

    # Each operation is a flow.

    def pause(
        self,
        bot_id: str,
        user_id: str,
        minutes: int,
        agent_name: str | None,
        agent_avatar_url: str | None,
    ) -> Flow[ConversationState]:
        member = self.member(bot_id, user_id)
        minutes = check_minutes_arg(minutes)
        args = [
            *self._head(),
            bot_id,
            user_id,
            member,
            minutes,
            "0" if agent_name is None else "1",
            agent_name or "",
            "0" if agent_avatar_url is None else "1",
            agent_avatar_url or "",
        ]
        raw = yield "pause", self._keys(member), args
        return _required_state((yield from self._written(raw, member)))

    def touch(self, bot_id: str, user_id: str) -> Flow[ConversationState | None]:
        member = self.member(bot_id, user_id)
        raw = yield "touch", self._keys(member), [*self._head(), member]
        return _state((yield from self._written(raw, member)) if raw else None)

    def resume(self, bot_id: str, user_id: str) -> Flow[ConversationState]:
        member = self.member(bot_id, user_id)
        args = [*self._head(), bot_id, user_id, member]
        raw = yield "resume", self._keys(member), args
        return _required_state((yield from self._written(raw, member)))

    def lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> Flow[bool]:
        member = self.member(bot_id, user_id)
        args = [*self._head(), member, to_ms(expires_at)]
        raw = yield "lapse", self._keys(member), args
        return bool(raw and (yield from self._written(raw, member)))

    def link(self, bot_id: str, user_id: str, ticket_id: str) -> Flow[ConversationState]:
        member = self.member(bot_id, user_id)
        ticket_id = check_text(ticket_id, "ticket_id")
        args = [*self._head(), bot_id, user_id, member, ticket_id, self.conv_prefix(member)]
        raw = yield "link", [self.conv_key(member), self.ticket_key(ticket_id)], args
        return _required_state(raw)

    def find(self, ticket_id: str) -> Flow[ConversationState | None]:
        ticket_id = check_text(ticket_id, "ticket_id")
        raw = yield "find", [self.ticket_key(ticket_id)], [f"{self.prefix}conv:", ticket_id]
        return _state(raw)

    def history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> Flow[list[str]]:
        member = self.member(bot_id, user_id)
        conv = self.conv_key(member)
        args = [*self._head(), bot_id, user_id, *check_ids(ids)]
        raw = yield "history", [conv, f"{conv}:history"], args
        return _ids((yield from self._written(raw, member)))

    def _horizon(self, within: timedelta) -> int:
        within = check_duration(within, "within")
        return to_ms(self.clock() + within)

    def expiring(self, within: timedelta) -> Flow[list[ConversationState]]:
        args: list[str | int] = [
            f"{self.prefix}conv:",
            self._horizon(within),
            self.expiring_limit,
        ]
        raw = yield "expiring", [self._expiring_key], args
        return _states(raw or ())

    def claim(self, token: str, ttl: timedelta) -> Flow[bool]:
        token = check_text(token, "token")
        ttl = check_duration(ttl, "ttl")
        args: list[str | int] = [to_ms(self.clock()), int(ttl.total_seconds() * 1000)]
        return bool((yield "claim", [self.claim_key(token)], args))

    def delete(self, bot_id: str, user_id: str) -> Flow[bool]:
        member = self.member(bot_id, user_id)
        conv = self.conv_key(member)
        return bool((yield "delete", [conv, self._expiring_key, f"{conv}:history"], [member]))


class ClusterCore(RedisCore):
    """Redis Cluster: each script's keys in one hash slot; cross-slot work in steps.

    A customer's record, history ids and shard of the expiring index share the
    hash tag of the customer's shard (``crc32`` of its ids, modulo
    ``shards``), so the per-customer writes stay single atomic scripts and the
    shards spread over the masters. ``expiring`` asks every shard and merges:
    each conversation is in exactly one shard, so it is listed exactly once.
    """

    scripts: ClassVar[dict[str, str]] = {
        "pause": _lua_cluster.PAUSE,
        "touch": _lua_cluster.TOUCH,
        "resume": _lua_cluster.RESUME,
        "lapse": _lua_cluster.LAPSE,
        "link": _lua_cluster.LINK,
        "set_ticket": _lua_cluster.SET_TICKET,
        "unlink": _lua_cluster.UNLINK,
        "drop_ticket": _lua_cluster.DROP_TICKET,
        "renew_ticket": _lua_cluster.RENEW_TICKET,
        "read_ticket": _lua_cluster.READ_TICKET,
        "find": _lua_cluster.FIND,
        "history": _lua_cluster.HISTORY,
        "expiring": _lua_cluster.EXPIRING,
        "claim": _lua_cluster.CLAIM,
        "delete": _lua_cluster.DELETE,
    }

    def __init__(
        self,
        prefix: str,
        retention: timedelta,
        clock: Clock,
        expiring_limit: int,
        shards: int,
    ) -> None:
        super().__init__(prefix, retention, clock, expiring_limit)
        if "{" in self.prefix or "}" in self.prefix:
            raise ConfigurationError(
                "On Redis Cluster the prefix must not contain '{' or '}' (the store's hash tags)"
            )
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            raise ConfigurationError(f"shards must be an int from 1 to {MAX_SHARDS}")
        self.tags = shard_tags(shards)
        self._conv_prefixes = [f"{self.prefix}conv:{{{tag}}}:" for tag in self.tags]
        self._expiring_keys = [f"{self.prefix}expiring:{{{tag}}}" for tag in self.tags]

    def shard(self, member: str) -> int:
        """The shard of a customer: fixed by its ids, the same on every replica."""
        return zlib.crc32(member.encode()) % len(self.tags)

    def conv_prefix(self, member: str) -> str:
        return self._conv_prefixes[self.shard(member)]

    def expiring_key(self, member: str) -> str:
        """The shard of the expiring index that lists this customer."""
        return self._expiring_keys[self.shard(member)]

    def _keys(self, member: str) -> list[str]:
        shard = self.shard(member)
        conv = self._conv_prefixes[shard] + member
        return [conv, self._expiring_keys[shard], f"{conv}:history"]

    def _renew(self, renew: Any, member: str) -> Flow[None]:
        if renew:
            key, ttl = _text(renew[0]), int(renew[1])
            yield "renew_ticket", [key], [member, ttl]

    def _written(self, raw: Any, member: str) -> Flow[Any]:
        payload, renew = raw
        yield from self._renew(renew, member)
        return payload

    def link(self, bot_id: str, user_id: str, ticket_id: str) -> Flow[ConversationState]:
        member = self.member(bot_id, user_id)
        ticket_id = check_text(ticket_id, "ticket_id")
        ticket_key = self.ticket_key(ticket_id)
        conv = self.conv_key(member)
        # 1. The record names the ticket (and says how long the ticket key must live).
        args = [*self._head(), bot_id, user_id, ticket_id, ticket_key]
        record, renew, old_key = yield "link", [conv, f"{conv}:history"], args
        ttl = int(renew[1]) if renew else self._retention_ms()
        # 2. The ticket points at the customer; 3. its former owner forgets it.
        owner = yield "set_ticket", [ticket_key], [member, ttl]
        if owner is not None and _text(owner) != member:
            yield "unlink", [self.conv_key(_text(owner))], [ticket_id]
        # 4. The customer's former ticket, if still ours, goes.
        if old_key is not None:
            yield "drop_ticket", [_text(old_key)], [member]
        return _required_state(record)

    def find(self, ticket_id: str) -> Flow[ConversationState | None]:
        ticket_id = check_text(ticket_id, "ticket_id")
        owner = yield "read_ticket", [self.ticket_key(ticket_id)], []
        if owner is None:
            return None
        # Trusted only if the record names the ticket too (a link half made,
        # or moved meanwhile, finds nothing rather than the wrong customer).
        raw = yield "find", [self.conv_key(_text(owner))], [ticket_id]
        return _state(raw)

    def expiring(self, within: timedelta) -> Flow[list[ConversationState]]:
        horizon = self._horizon(within)
        calls: list[Call] = [
            ("expiring", [key], [conv_prefix, horizon, self.expiring_limit])
            for key, conv_prefix in zip(self._expiring_keys, self._conv_prefixes, strict=True)
        ]
        answers = yield calls
        found = _states(raw for answer in answers for raw in answer or ())
        return found[: self.expiring_limit]

    def delete(self, bot_id: str, user_id: str) -> Flow[bool]:
        member = self.member(bot_id, user_id)
        deleted, ticket_key = yield "delete", self._keys(member), [member]
        if ticket_key is not None:
            yield "drop_ticket", [_text(ticket_key)], [member]
        return bool(deleted)
