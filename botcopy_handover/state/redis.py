"""``RedisStore`` and ``AsyncRedisStore``: conversation state shared by replicas.

Install the extra: ``pip install "botcopy-handover[redis]"``. Both classes
drive the flows of `botcopy_handover.state._redis_core`, which build
every call (script, keys, arguments) and read every answer; the two classes
only do the I/O, with ``redis.Redis`` or ``redis.asyncio.Redis`` (one server,
or a primary with replicas), or with ``redis.cluster.RedisCluster`` or
``redis.asyncio.cluster.RedisCluster`` (Redis Cluster). Each per-customer
operation is one atomic Lua script, so any number of replicas can update one
conversation at once without losing an update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from typing_extensions import Unpack

from botcopy_handover.state._batch import ScriptBatch
from botcopy_handover.state._core import check_profile
from botcopy_handover.state._redis_base import (
    REDIS_ERRORS,
    AsyncClient,
    AsyncRedis,
    AsyncScript,
    ClientT,
    RedisBase,
    Script,
    ScriptT,
    SyncClient,
    SyncRedis,
    is_cluster,
)
from botcopy_handover.state._redis_core import (
    DEFAULT_SHARDS,
    Call,
    ClusterCore,
    Flow,
    RedisCore,
    hash_fields,
)
from botcopy_handover.state._store import (
    DEFAULT_RETENTION,
    AgentProfile,
    Clock,
    ConversationState,
    utc_now,
)

__all__ = ["DEFAULT_SHARDS", "URL_SOCKET_TIMEOUT", "AsyncRedisStore", "RedisStore"]

DEFAULT_PREFIX = "botcopy:"
"""The default namespace of every key the stores write."""

URL_SOCKET_TIMEOUT = 1.0
"""Seconds a store built from ``url=`` waits to connect, and for each answer.

Short enough that a Redis that stopped answering fails the call (with
[StoreUnavailableError][botcopy_handover.StoreUnavailableError]) well inside
Botcopy's 5 s webhook budget instead of hanging it. A ``socket_timeout`` or
``socket_connect_timeout`` in the URL's query string wins; a client you pass
keeps its own settings.
"""

_T = TypeVar("_T")

_TIMEOUTS: dict[str, Any] = {
    "socket_timeout": URL_SOCKET_TIMEOUT,
    "socket_connect_timeout": URL_SOCKET_TIMEOUT,
}


def _core(
    cluster: bool,
    prefix: str,
    retention: timedelta,
    clock: Clock,
    expiring_limit: int,
    shards: int,
) -> RedisCore:
    if cluster:
        return ClusterCore(prefix, retention, clock, expiring_limit, shards)
    return RedisCore(prefix, retention, clock, expiring_limit)


class _RedisStoreBase(RedisBase[ClientT, ScriptT]):
    """What both Redis stores share: settings, client, scripts; the twins do the I/O."""

    _TIMEOUTS: ClassVar[dict[str, Any]] = _TIMEOUTS
    _WHAT = "store"

    def __init__(
        self,
        client: ClientT | None = None,
        *,
        url: str | None = None,
        cluster: bool = False,
        prefix: str = DEFAULT_PREFIX,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Clock = utc_now,
        expiring_limit: int = 1000,
        shards: int = DEFAULT_SHARDS,
    ) -> None:
        if client is not None:
            cluster = is_cluster(client, cluster, self._KINDS[1])
        self._core = _core(cluster, prefix, retention, clock, expiring_limit, shards)
        self._open(client, url, cluster, self._core.scripts)

    @property
    def clock(self) -> Clock:
        """The store's clock: every time it records comes from here."""
        return self._core.clock

    @property
    def prefix(self) -> str:
        """The namespace of every key this store writes."""
        return self._core.prefix

    @property
    def client(self) -> ClientT:
        """The Redis client the store talks through, for sharing one connection pool.

        The durable outbox's default queue uses it (and the store's ``prefix``).
        Closed by the store only if the store made it from ``url=``.
        """
        return self._client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._where!r}, prefix={self.prefix!r})"


class RedisStore(_RedisStoreBase[SyncClient, Script], SyncRedis):
    """Conversation state in Redis, shared by every replica (synchronous).

    Keys are namespaced by ``prefix`` and expire on their own ``retention``
    after a pause ends or lapses, so the store needs no cleanup job. Each
    per-customer operation is one atomic Lua script. Failures raise
    [StoreUnavailableError][botcopy_handover.StoreUnavailableError].

    Works with one Redis server (or a primary with replicas) through
    ``redis.Redis``, and with Redis Cluster through
    ``redis.cluster.RedisCluster``: there every script's keys share one hash
    slot, and conversations are spread over ``shards`` hash tags so the
    masters share them (see the cluster section of the replicas guide).

    Args:
        client: A ``redis.Redis`` or ``redis.cluster.RedisCluster`` to use as
            is (not closed by the store). Give this or ``url``.
        url: A Redis URL (``redis://[:password@]host:port/db``); the store
            creates a client that gives up after 1 s to connect or to answer
            (``URL_SOCKET_TIMEOUT``) and closes it on `close`. The password
            never appears in reprs or errors.
        cluster: With ``url``: the URL names one node of a Redis Cluster (the
            client finds the others). With ``client``: asserts that it is a
            cluster client.
        prefix: Namespace of every key, e.g. one per environment.
        retention: How long a record outlives its pause (ticket links, history ids).
        clock: Returns the current aware time. Replicas must agree on it (NTP).
        expiring_limit: The most conversations one `expiring` call returns.
        shards: On a cluster, how many hash tags conversations are spread
            over; every replica must use the same number. Ignored on one server.

    Examples:
        >>> store = RedisStore(url="redis://127.0.0.1:6379/0")  # doctest: +SKIP
        >>> store = RedisStore(url="redis://10.0.0.5:7000", cluster=True)  # doctest: +SKIP

    """

    def _call(self, call: Call) -> Any:
        name, keys, args = call
        return self._scripts[name](keys=keys, args=args)

    def _drive(self, flow: Flow[_T]) -> _T:
        with self._errors():
            try:
                step = next(flow)
                while True:
                    if isinstance(step, list):
                        step = flow.send([self._call(call) for call in step])
                    else:
                        step = flow.send(self._call(step))
            except StopIteration as done:
                result: _T = done.value
                return result

    def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        key = self._core.record_key(bot_id, user_id)
        with self._errors():
            raw = self._client.hgetall(key)
        return hash_fields(raw)

    def record_pause(
        self, bot_id: str, user_id: str, *, minutes: int, **agent: Unpack[AgentProfile]
    ) -> ConversationState:
        """Record that the bot is paused for ``minutes`` from now (see the protocol)."""
        return self._drive(self._core.pause(bot_id, user_id, minutes, *check_profile(agent)))

    def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``; ``None`` if not paused."""
        return self._drive(self._core.touch(bot_id, user_id))

    def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again."""
        return self._drive(self._core.resume(bot_id, user_id))

    def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record a lapsed pause, once, if it still ends at ``expires_at`` and that is past."""
        return self._drive(self._core.lapse(bot_id, user_id, expires_at))

    def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket id to this customer (replacing any earlier link)."""
        return self._drive(self._core.link(bot_id, user_id, ticket_id))

    def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        return self._drive(self._core.find(ticket_id))

    def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history ids; return those not seen before, in the order given."""
        return self._drive(self._core.history(bot_id, user_id, ids))

    def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within``, or has ended; soonest first."""
        return self._drive(self._core.expiring(within))

    def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed."""
        return self._drive(self._core.claim(token, ttl))

    def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation; ``True`` if it existed."""
        return self._drive(self._core.delete(bot_id, user_id))


class AsyncRedisStore(_RedisStoreBase[AsyncClient, AsyncScript], AsyncRedis):
    """Conversation state in Redis for asyncio code.

    The same keys, scripts and behaviour as [RedisStore][botcopy_handover.RedisStore],
    so sync and async replicas can share one Redis (or one cluster). Use it
    with ``async with`` or call `aclose`.

    Args:
        client: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``
            to use as is (not closed by the store).
        url: A Redis URL; the store creates a client (1 s timeouts, as for
            [RedisStore][botcopy_handover.RedisStore]) and closes it on `aclose`.
        cluster: With ``url``: the URL names one node of a Redis Cluster.
        prefix: Namespace of every key.
        retention: How long a record outlives its pause.
        clock: Returns the current aware time.
        expiring_limit: The most conversations one `expiring` call returns.
        shards: On a cluster, how many hash tags conversations are spread over.

    """

    _batch: ScriptBatch | None = None

    def _pipeline_with(self, batch: ScriptBatch | None) -> None:
        """Send this store's script calls in ``batch`` (``None``: one round trip each).

        ``batch`` is the pipeline of an outbox's queue on the same client (one
        server): a runner's records then share the round trips of its marks
        and acknowledgements. Each call is still its own script with its own
        answer.
        """
        self._batch = batch

    def _call(self, name: str, keys: list[str], args: list[Any]) -> Awaitable[Any]:
        script = self._scripts[name]
        if self._batch is not None:
            return self._batch.call(script, keys, args)
        return script(keys=keys, args=args)

    async def _drive(self, flow: Flow[_T]) -> _T:
        try:
            await self._ready()
            step = next(flow)
            while True:
                if isinstance(step, list):
                    answers = await asyncio.gather(*(self._call(*call) for call in step))
                    step = flow.send(list(answers))
                else:
                    step = flow.send(await self._call(*step))
        except StopIteration as done:
            result: _T = done.value
            return result
        except REDIS_ERRORS as exc:
            raise self._failed(exc) from exc

    async def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        """The conversation's record, or ``None`` if the store has none."""
        key = self._core.record_key(bot_id, user_id)
        try:
            await self._ready()
            raw = await self._client.hgetall(key)
        except REDIS_ERRORS as exc:
            raise self._failed(exc) from exc
        return hash_fields(raw)

    async def record_pause(
        self, bot_id: str, user_id: str, *, minutes: int, **agent: Unpack[AgentProfile]
    ) -> ConversationState:
        """As [`RedisStore.record_pause`][botcopy_handover.RedisStore.record_pause], awaited."""
        flow = self._core.pause(bot_id, user_id, minutes, *check_profile(agent))
        return await self._drive(flow)

    async def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        """Push a live pause's expiry back by its ``minutes_paused``; ``None`` if not paused."""
        return await self._drive(self._core.touch(bot_id, user_id))

    async def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        """Record that the bot answers again."""
        return await self._drive(self._core.resume(bot_id, user_id))

    async def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        """Record a lapsed pause, once, if it still ends at ``expires_at`` and that is past."""
        return await self._drive(self._core.lapse(bot_id, user_id, expires_at))

    async def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        """Link the desk's ticket id to this customer (replacing any earlier link)."""
        return await self._drive(self._core.link(bot_id, user_id, ticket_id))

    async def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        """The conversation linked to ``ticket_id``, or ``None``."""
        return await self._drive(self._core.find(ticket_id))

    async def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        """Remember history ids; return those not seen before, in the order given."""
        return await self._drive(self._core.history(bot_id, user_id, ids))

    async def expiring(self, within: timedelta) -> list[ConversationState]:
        """Paused conversations whose pause ends within ``within``, or has ended; soonest first."""
        return await self._drive(self._core.expiring(within))

    async def claim(self, token: str, ttl: timedelta) -> bool:
        """Claim ``token`` for ``ttl``: ``True`` for the first caller, ``False`` while claimed."""
        return await self._drive(self._core.claim(token, ttl))

    async def delete(self, bot_id: str, user_id: str) -> bool:
        """Forget the conversation; ``True`` if it existed."""
        return await self._drive(self._core.delete(bot_id, user_id))
