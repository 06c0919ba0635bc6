"""``RedisStore`` and ``AsyncRedisStore``: conversation state shared by replicas.

Install the extra: ``pip install "botcopy-handover[redis]"``. Both classes
share :class:`_RedisCore`, which builds every call (script, keys, arguments)
and reads every answer; the two classes only do the I/O, with ``redis.Redis``
or ``redis.asyncio.Redis``. Each operation is one atomic Lua script (see
:mod:`botcopy_handover.state._lua`), so any number of replicas can update one
conversation at once without losing an update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

try:
    import redis
    import redis.asyncio
    from redis.commands.core import AsyncScript, Script
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('RedisStore needs redis-py: pip install "botcopy-handover[redis]"') from exc
from typing_extensions import Self

from botcopy_handover._errors import ConfigurationError, StoreError, StoreUnavailableError
from botcopy_handover.state import _lua
from botcopy_handover.state._core import (
    check_customer,
    check_duration,
    check_ids,
    check_minutes_arg,
    check_text,
    decode_fields,
    to_ms,
)
from botcopy_handover.state._store import (
    DEFAULT_RETENTION,
    Clock,
    ConversationState,
    utc_now,
)

__all__ = ["AsyncRedisStore", "RedisStore"]

DEFAULT_PREFIX = "botcopy:"
"""The default namespace of every key the stores write."""

_T = TypeVar("_T")

# (script name, keys, args) — what one operation sends.
_Call = tuple[str, list[str], list[str | int]]

_SCRIPTS = {
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


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(flat: Sequence[Any]) -> dict[str, str]:
    # HGETALL inside a script answers a flat [k1, v1, k2, v2, ...] list.
    items = [_text(v) for v in flat]
    return dict(zip(items[::2], items[1::2], strict=True))


def _state(raw: Any) -> ConversationState | None:
    if not raw:
        return None
    return decode_fields(_fields(raw))


def describe_connection(client: redis.Redis | redis.asyncio.Redis) -> str:
    """``redis://host:port/db`` (or the socket path) of a client: never its password."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


class _RedisCore:
    """Everything the sync and async Redis stores share: keys, calls, answers."""

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
        self._conv_prefix = f"{self.prefix}conv:"
        self._expiring_key = f"{self.prefix}expiring"

    def _retention_ms(self) -> int:
        return int(self.retention.total_seconds() * 1000)

    def member(self, bot_id: str, user_id: str) -> str:
        bot_id, user_id = check_customer(bot_id, user_id)
        return f"{quote(bot_id, safe='')}:{quote(user_id, safe='')}"

    def conv_key(self, member: str) -> str:
        return self._conv_prefix + member

    def ticket_key(self, ticket_id: str) -> str:
        return f"{self.prefix}ticket:{quote(ticket_id, safe='')}"

    def claim_key(self, token: str) -> str:
        return f"{self.prefix}claim:{quote(token, safe='')}"

    def _head(self) -> list[str | int]:
        return [to_ms(self.clock()), self._retention_ms()]

    # Each builder returns the one script call an operation makes.

    def pause(
        self,
        bot_id: str,
        user_id: str,
        minutes: int,
        agent_name: str | None,
        agent_avatar_url: str | None,
    ) -> _Call:
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
        return "pause", [self.conv_key(member), self._expiring_key], args

    def touch(self, bot_id: str, user_id: str) -> _Call:
        member = self.member(bot_id, user_id)
        return "touch", [self.conv_key(member), self._expiring_key], [*self._head(), member]

    def resume(self, bot_id: str, user_id: str) -> _Call:
        member = self.member(bot_id, user_id)
        args = [*self._head(), bot_id, user_id, member]
        return "resume", [self.conv_key(member), self._expiring_key], args

    def lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> _Call:
        member = self.member(bot_id, user_id)
        args = [*self._head(), member, to_ms(expires_at)]
        return "lapse", [self.conv_key(member), self._expiring_key], args

    def link(self, bot_id: str, user_id: str, ticket_id: str) -> _Call:
        member = self.member(bot_id, user_id)
        ticket_id = check_text(ticket_id, "ticket_id")
        args = [*self._head(), bot_id, user_id, member, ticket_id, self._conv_prefix]
        return "link", [self.conv_key(member), self.ticket_key(ticket_id)], args

    def find(self, ticket_id: str) -> _Call:
        ticket_id = check_text(ticket_id, "ticket_id")
        return "find", [self.ticket_key(ticket_id)], [self._conv_prefix, ticket_id]

    def history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> _Call:
        member = self.member(bot_id, user_id)
        conv = self.conv_key(member)
        args = [*self._head(), bot_id, user_id, *check_ids(ids)]
        return "history", [conv, f"{conv}:history"], args

    def expiring(self, within: timedelta) -> _Call:
        within = check_duration(within, "within")
        horizon = to_ms(self.clock() + within)
        args: list[str | int] = [self._conv_prefix, horizon, self.expiring_limit]
        return "expiring", [self._expiring_key], args

    def claim(self, token: str, ttl: timedelta) -> _Call:
        token = check_text(token, "token")
        ttl = check_duration(ttl, "ttl")
        args: list[str | int] = [to_ms(self.clock()), int(ttl.total_seconds() * 1000)]
        return "claim", [self.claim_key(token)], args

    def delete(self, bot_id: str, user_id: str) -> _Call:
        member = self.member(bot_id, user_id)
        conv = self.conv_key(member)
        return "delete", [conv, self._expiring_key, f"{conv}:history"], [member]

    # Answers.

    @staticmethod
    def state(raw: Any) -> ConversationState | None:
        return _state(raw)

    @staticmethod
    def required_state(raw: Any) -> ConversationState:
        state = _state(raw)
        if state is None:  # pragma: no cover - the scripts always return the record
            raise StoreUnavailableError("Redis returned no record after a write")
        return state

    @staticmethod
    def ids(raw: Any) -> list[str]:
        return [_text(v) for v in raw or ()]

    @staticmethod
    def states(raw: Any) -> list[ConversationState]:
        found = [decode_fields(_fields(r)) for r in raw or ()]
        found.sort(key=lambda s: (s.expires_at or s.updated_at, s.bot_id, s.user_id))
        return found


_Client = TypeVar("_Client", redis.Redis, redis.asyncio.Redis)


# A store built from a URL fails a call to a hung Redis within 2 s instead of
# redis-py's 5 s per try: the webhook answers within 5 s, store calls included.
# Options in the URL (?socket_timeout=...) still win.
_URL_CONNECT_TIMEOUT = 1.0
_URL_SOCKET_TIMEOUT = 2.0


def _from_url(cls: type[_Client], url: str | None) -> _Client:
    if url is None:
        raise ConfigurationError("Give the Redis store a client= or a url=")
    try:
        return cls.from_url(
            url, socket_connect_timeout=_URL_CONNECT_TIMEOUT, socket_timeout=_URL_SOCKET_TIMEOUT
        )
    except ValueError:
        # redis-py's message may quote the URL, and the URL may hold a password.
        raise ConfigurationError(
            "Invalid Redis URL (expected redis://, rediss:// or unix://)"
        ) from None


def _unavailable(exc: redis.RedisError, where: str) -> StoreUnavailableError:
    return StoreUnavailableError(f"Redis at {where} failed: {type(exc).__name__}")


class RedisStore:
    """Conversation state in Redis, shared by every replica (synchronous, ``redis.Redis``).

    Keys are namespaced by ``prefix`` and expire on their own ``retention``
    after a pause ends or lapses, so the store needs no cleanup job. Each
    operation is one atomic Lua script. Failures raise
    :class:`~botcopy_handover.StoreUnavailableError`.

    Args:
        client: A ``redis.Redis`` to use as is (it is not closed by the store).
            Give this or ``url``.
        url: A Redis URL (``redis://[:password@]host:port/db``); the store
            creates a client and closes it on :meth:`close`. The password never
            appears in reprs or errors.
        prefix: Namespace of every key, e.g. one per environment.
        retention: How long a record outlives its pause (ticket links, history ids).
        clock: Returns the current aware time. Replicas must agree on it (NTP).
        expiring_limit: The most conversations one :meth:`expiring` call returns.

    >>> store = RedisStore(url="redis://127.0.0.1:6379/0")  # doctest: +SKIP

    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        url: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Clock = utc_now,
        expiring_limit: int = 1000,
    ) -> None:
        self._core = _RedisCore(prefix, retention, clock, expiring_limit)
        self._owns_client = client is None
        if client is None:
            client = _from_url(redis.Redis, url)
        self._client = client
        self._where = describe_connection(client)
        self._scripts: dict[str, Script] = {
            name: client.register_script(lua) for name, lua in _SCRIPTS.items()
        }

    @property
    def clock(self) -> Clock:
        """The store's clock: every time it records comes from here."""
        return self._core.clock

    @property
    def prefix(self) -> str:
        """The namespace of every key this store writes."""
        return self._core.prefix

    def __repr__(self) -> str:
        return f"RedisStore({self._where!r}, prefix={self.prefix!r})"

    def close(self) -> None:
        """Close the Redis client, if the store created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise _unavailable(exc, self._where) from exc

    def _run(self, call: _Call) -> Any:
        name, keys, args = call
        with self._errors():
            return self._scripts[name](keys=keys, args=args)

    def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        key = self._core.conv_key(self._core.member(bot_id, user_id))
        with self._errors():
            raw = self._client.hgetall(key)
        return decode_fields({_text(k): _text(v) for k, v in raw.items()}) if raw else None

    def record_pause(
        self,
        bot_id: str,
        user_id: str,
        *,
        minutes: int,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ConversationState:
        """Record that the bot is paused for ``minutes`` from now."""
        call = self._core.pause(bot_id, user_id, minutes, agent_name, agent_avatar_url)
        return self._core.required_state(self._run(call))

    def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``; ``None`` if not paused."""
        return self._core.state(self._run(self._core.touch(bot_id, user_id)))

    def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again."""
        return self._core.required_state(self._run(self._core.resume(bot_id, user_id)))

    def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record a lapsed pause, once, if it still ends at ``expires_at`` and that is past."""
        return bool(self._run(self._core.lapse(bot_id, user_id, expires_at)))

    def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket id to this customer (replacing any earlier link)."""
        return self._core.required_state(self._run(self._core.link(bot_id, user_id, ticket_id)))

    def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        return self._core.state(self._run(self._core.find(ticket_id)))

    def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history ids; return those not seen before, in the order given."""
        return self._core.ids(self._run(self._core.history(bot_id, user_id, ids)))

    def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within``, or has ended; soonest first."""
        return self._core.states(self._run(self._core.expiring(within)))

    def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed."""
        return bool(self._run(self._core.claim(token, ttl)))

    def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation; ``True`` if it existed."""
        return bool(self._run(self._core.delete(bot_id, user_id)))


class AsyncRedisStore:
    """Conversation state in Redis for asyncio code (``redis.asyncio.Redis``).

    The same keys, scripts and behaviour as :class:`RedisStore`, so sync and
    async replicas can share one Redis. Use it with ``async with`` or call
    :meth:`aclose`.

    Args:
        client: A ``redis.asyncio.Redis`` to use as is (not closed by the store).
        url: A Redis URL; the store creates a client and closes it on :meth:`aclose`.
        prefix: Namespace of every key.
        retention: How long a record outlives its pause.
        clock: Returns the current aware time.
        expiring_limit: The most conversations one :meth:`expiring` call returns.

    """

    def __init__(
        self,
        client: redis.asyncio.Redis | None = None,
        *,
        url: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Clock = utc_now,
        expiring_limit: int = 1000,
    ) -> None:
        self._core = _RedisCore(prefix, retention, clock, expiring_limit)
        self._owns_client = client is None
        if client is None:
            client = _from_url(redis.asyncio.Redis, url)
        self._client = client
        self._where = describe_connection(client)
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(lua) for name, lua in _SCRIPTS.items()
        }

    @property
    def clock(self) -> Clock:
        """The store's clock: every time it records comes from here."""
        return self._core.clock

    @property
    def prefix(self) -> str:
        """The namespace of every key this store writes."""
        return self._core.prefix

    def __repr__(self) -> str:
        return f"AsyncRedisStore({self._where!r}, prefix={self.prefix!r})"

    async def aclose(self) -> None:
        """Close the Redis client, if the store created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _await(self, make: Callable[[], Awaitable[_T]]) -> _T:
        try:
            return await make()
        except redis.RedisError as exc:
            raise _unavailable(exc, self._where) from exc

    async def _run(self, call: _Call) -> Any:
        name, keys, args = call
        script = self._scripts[name]
        return await self._await(lambda: script(keys=keys, args=args))

    async def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        key = self._core.conv_key(self._core.member(bot_id, user_id))
        raw = await self._await(lambda: self._client.hgetall(key))
        return decode_fields({_text(k): _text(v) for k, v in raw.items()}) if raw else None

    async def record_pause(
        self,
        bot_id: str,
        user_id: str,
        *,
        minutes: int,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ConversationState:
        """Record that the bot is paused for ``minutes`` from now."""
        call = self._core.pause(bot_id, user_id, minutes, agent_name, agent_avatar_url)
        return self._core.required_state(await self._run(call))

    async def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``; ``None`` if not paused."""
        return self._core.state(await self._run(self._core.touch(bot_id, user_id)))

    async def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again."""
        return self._core.required_state(await self._run(self._core.resume(bot_id, user_id)))

    async def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record a lapsed pause, once, if it still ends at ``expires_at`` and that is past."""
        return bool(await self._run(self._core.lapse(bot_id, user_id, expires_at)))

    async def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket id to this customer (replacing any earlier link)."""
        call = self._core.link(bot_id, user_id, ticket_id)
        return self._core.required_state(await self._run(call))

    async def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        return self._core.state(await self._run(self._core.find(ticket_id)))

    async def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history ids; return those not seen before, in the order given."""
        return self._core.ids(await self._run(self._core.history(bot_id, user_id, ids)))

    async def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within``, or has ended; soonest first."""
        return self._core.states(await self._run(self._core.expiring(within)))

    async def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed."""
        return bool(await self._run(self._core.claim(token, ttl)))

    async def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation; ``True`` if it existed."""
        return bool(await self._run(self._core.delete(bot_id, user_id)))
