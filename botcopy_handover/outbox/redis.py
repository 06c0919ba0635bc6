"""``RedisQueue`` and ``AsyncRedisQueue``: the outbox's queue in Redis Streams.

Install the extra: ``pip install "botcopy-handover[redis]"``. Per partition
``p`` (keys share the hash tag ``{<prefix>outbox:<p>}``, so each partition
lives in one Redis Cluster slot and no command spans two):

==============================  ===========================================
key                             what it holds
==============================  ===========================================
``{…outbox:p}:events``          a stream: one entry per queued event; the
                                consumer group ``runners`` tracks what was
                                read and not acknowledged (the pending list)
``{…outbox:p}:started``         a hash: entry id → when its push started
``{…outbox:p}:lease``           a string: the runner holding the partition
``{…outbox}:runners``           a sorted set: runner → heartbeat expiry
==============================  ===========================================

Every operation but ``append`` is one Lua script on one partition's keys, and
every one that reads or starts entries is *fenced*: it first checks that the
runner still holds the partition's lease, so a runner that lost its lease
(a long pause, an overloaded host) can neither take entries into its own
pending list nor start a push. A delivered (or reported) entry is
acknowledged and deleted in one script, so the stream holds only what is
still owed. `_QueueCore` builds every call and reads every answer; the two
classes only do the I/O. On one server, ``AsyncRedisQueue`` sends the started
marks and acknowledgements made at the same time in one pipeline
(`ScriptBatch`). See docs/replicas.md, "The durable outbox", for the
failure analysis.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.outbox._core import DEFAULT_PARTITIONS
from botcopy_handover.outbox._queue import RawEntry
from botcopy_handover.state import _redis_base as base  # redis-py, or how to install it
from botcopy_handover.state._batch import ScriptBatch
from botcopy_handover.state.redis import URL_SOCKET_TIMEOUT

__all__ = [
    "DEFAULT_QUEUE_PREFIX",
    "AsyncRedisClient",
    "AsyncRedisQueue",
    "RedisClient",
    "RedisQueue",
]

DEFAULT_QUEUE_PREFIX = "botcopy:"
"""The default namespace of the outbox's keys (the stores' default too)."""

RedisClient: TypeAlias = base.SyncClient
"""What [`RedisQueue`][botcopy_handover.RedisQueue] talks to: one server or a cluster."""

AsyncRedisClient: TypeAlias = base.AsyncClient
"""What [`AsyncRedisQueue`][botcopy_handover.AsyncRedisQueue] talks to: one server or a cluster."""

GROUP = "runners"
_CLAIM_BATCH = 500
_TIMEOUTS: dict[str, Any] = {
    # Above the longest blocking XREAD a runner makes (a second at most).
    "socket_timeout": 5.0,
    "socket_connect_timeout": URL_SOCKET_TIMEOUT,
}

_HEARTBEAT = """
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
return redis.call('ZCARD', KEYS[1])
"""
_ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[3], '0', 'MKSTREAM')
return 1
"""
# Only from a run of the same runner (the id starts with its name and "#"): an
# earlier run is gone, so its partitions need not wait out the lease (and a
# lease this run took in a reclaim that failed half-way is taken again).
_RECLAIM = """
local holder = redis.call('GET', KEYS[1])
if not holder or string.sub(holder, 1, string.len(ARGV[3])) ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[4], '0', 'MKSTREAM')
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""
# Fenced, like every read: only the lease holder takes pending entries over.
# Also drops started marks of entries no longer pending (left by a runner that
# acknowledged after losing its lease).
_CLAIM = """
if redis.call('GET', KEYS[3]) ~= ARGV[2] then
  return false
end
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local found, wanted, cursor = {}, {}, '0-0'
repeat
  local answer = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, cursor, 'COUNT', ARGV[3])
  cursor = answer[1]
  for _, entry in ipairs(answer[2]) do
    if entry[2] then
      found[#found + 1] = {entry[1], entry[2], redis.call('HGET', KEYS[2], entry[1]) or ''}
      wanted[entry[1]] = true
    end
  end
until cursor == '0-0'
for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
  if not wanted[id] then redis.call('HDEL', KEYS[2], id) end
end
return found
"""
# Fenced: a runner that lost its lease must not move new entries into its own
# pending list, where the new owner (which claimed only once, on taking the
# lease) would never see them while it delivers the same customer's later
# entries. Answers {1, entries}, or {0, last id} to wait after, or nil when the
# lease is lost.
_READ = """
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return false
end
local answer = redis.pcall(
  'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if type(answer) == 'table' and answer.err then
  if not string.find(answer.err, 'NOGROUP') then
    return answer
  end
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
  answer = false
end
if answer then
  return {1, answer[1][2]}
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then
    return {0, info[i + 1]}
  end
end
return {0, '0-0'}
"""
# Fenced: a runner that lost its lease must not start a push the new owner
# will also make.
_START = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
# A runner that lost its lease still acknowledges (the outcome is known), but
# leaves the started mark: the new owner may have claimed the entry already
# and must see that a push of it began.
_DONE = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[3] then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1
"""
_SCRIPTS = {
    "heartbeat": _HEARTBEAT,
    "acquire": _ACQUIRE,
    "reclaim": _RECLAIM,
    "renew": _RENEW,
    "release": _RELEASE,
    "claim": _CLAIM,
    "read": _READ,
    "start": _START,
    "done": _DONE,
}

Call = tuple[str, list[str], list[str | int]]
"""``(script name, keys, args)``: one script call, as `_QueueCore` builds it."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {_text(k): _text(v) for k, v in raw.items()}
    items = [_text(v) for v in raw]
    return dict(zip(items[::2], items[1::2], strict=False))


def _mark(raw: Any) -> float | None:
    text = _text(raw) if raw is not None else ""
    return int(text) / 1000 if text else None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check_partitions(partitions: int) -> int:
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigurationError("partitions must be a positive int")
    return partitions


class _QueueCore:
    """The keys of one queue, every call it makes and how to read each answer: no I/O.

    Every multi-key call stays inside one partition's hash slot.
    """

    def __init__(self, prefix: str, partitions: int) -> None:
        if not isinstance(prefix, str) or "{" in prefix or "}" in prefix:
            raise ConfigurationError("prefix must be a string without braces")
        self.prefix: str = prefix
        self.count: int = _check_partitions(partitions)
        self.runners: str = f"{{{prefix}outbox}}:runners"

    def _tag(self, partition: int) -> str:
        if not 0 <= partition < self.count:
            raise ConfigurationError(f"partition must be between 0 and {self.count - 1}")
        return f"{{{self.prefix}outbox:{partition}}}"

    def events(self, partition: int) -> str:
        return self._tag(partition) + ":events"

    def started(self, partition: int) -> str:
        return self._tag(partition) + ":started"

    def lease(self, partition: int) -> str:
        return self._tag(partition) + ":lease"

    def describe(self, kind: str, where: str) -> str:
        return f"{kind}({where!r}, prefix={self.prefix!r}, partitions={self.count})"

    # Calls: each (script, keys, args).

    def heartbeat(self, runner: str, ttl_ms: int) -> Call:
        return "heartbeat", [self.runners], [runner, _now_ms(), ttl_ms]

    def acquire(self, partition: int, runner: str, lease_ms: int) -> Call:
        return "acquire", [self.lease(partition), self.events(partition)], [runner, lease_ms, GROUP]

    def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> Call:
        keys = [self.lease(partition), self.events(partition)]
        return "reclaim", keys, [runner, lease_ms, previous, GROUP]

    def renew(self, partition: int, runner: str, lease_ms: int) -> Call:
        return "renew", [self.lease(partition)], [runner, lease_ms]

    def release(self, partition: int, runner: str) -> Call:
        return "release", [self.lease(partition)], [runner]

    def claim(self, partition: int, runner: str) -> Call:
        keys = [self.events(partition), self.started(partition), self.lease(partition)]
        return "claim", keys, [GROUP, runner, _CLAIM_BATCH]

    def read(self, partition: int, runner: str, count: int) -> Call:
        return "read", [self.events(partition), self.lease(partition)], [GROUP, runner, count]

    def start(self, partition: int, runner: str, entry_id: str) -> Call:
        keys = [self.lease(partition), self.started(partition)]
        return "start", keys, [runner, entry_id, _now_ms()]

    def done(self, partition: int, runner: str, entry_id: str) -> Call:
        keys = [self.events(partition), self.started(partition), self.lease(partition)]
        return "done", keys, [GROUP, entry_id, runner]

    # Answers.

    @staticmethod
    def claimed(raw: Any) -> list[RawEntry]:
        return [(_text(i), _fields(fields), _mark(mark)) for i, fields, mark in raw or ()]

    @staticmethod
    def read_answer(raw: Any) -> tuple[list[RawEntry] | None, str | None]:
        """``(entries, None)``; ``([], id to wait after)``; ``(None, None)``: lease lost."""
        if not raw:
            return None, None
        if int(raw[0]) == 0:
            return [], _text(raw[1])
        entries: list[RawEntry] = [(_text(e[0]), _fields(e[1]), None) for e in raw[1] if e[1]]
        return entries, None


class _QueueBase(base.RedisBase[base.ClientT, base.ScriptT]):
    """What both queues share but the I/O: their client and scripts, their core, their repr."""

    _TIMEOUTS: ClassVar[dict[str, Any]] = _TIMEOUTS
    _WHAT = "queue"

    def __init__(
        self,
        client: base.ClientT | None = None,
        *,
        url: str | None = None,
        cluster: bool = False,
        prefix: str = DEFAULT_QUEUE_PREFIX,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self._core = _QueueCore(prefix, partitions)
        self._open(client, url, cluster, _SCRIPTS)

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__, self._where)

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        return self._core.count

    @property
    def client(self) -> base.ClientT:
        """The Redis client the queue talks through (closed by it only if made from ``url=``)."""
        return self._client


class RedisQueue(_QueueBase[RedisClient, base.Script], base.SyncRedis):
    """The outbox's queue in Redis, shared by every runner and replica.

    Args:
        client: A ``redis.Redis`` or a ``redis.cluster.RedisCluster``, used as
            is and not closed by the queue. A client shared with a
            ``RedisStore`` (its [`client`][botcopy_handover.RedisStore.client])
            is fine: the outbox builds its queue that way by default.
        url: Instead of ``client``: a ``redis://`` URL the queue connects to
            (and closes in [`close`][botcopy_handover.RedisQueue.close]).
        cluster: With ``url``: connect to a Redis Cluster.
        prefix: Namespace of the keys; the same for every replica.
        partitions: How many partitions; the most runners delivering at once.
            Every replica must use the same number, and it must not change
            while events are queued (a customer would move partition).

    """

    def _run(self, call: Call) -> Any:
        name, keys, args = call
        with self._errors():
            return self._scripts[name](keys=keys, args=args)

    def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """``XADD`` the entry to the partition's stream; its id."""
        with self._errors():
            return _text(self._client.xadd(self._core.events(partition), dict(fields)))  # type: ignore[arg-type]

    def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """Say ``runner`` is alive for ``ttl_ms``; how many runners are alive."""
        return int(self._run(self._core.heartbeat(runner, ttl_ms)))

    def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Take the partition's lease if nobody holds it (and make its consumer group)."""
        return bool(self._run(self._core.acquire(partition, runner, lease_ms)))

    def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        """Take the partition's lease from an earlier run of ``runner`` (its id starts with ``previous``)."""  # noqa: E501 - the summary line
        return bool(self._run(self._core.reclaim(partition, runner, previous, lease_ms)))

    def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Extend ``runner``'s lease; ``False`` if it no longer holds it."""
        return bool(self._run(self._core.renew(partition, runner, lease_ms)))

    def release(self, partition: int, runner: str) -> None:
        """Give the lease up, if ``runner`` holds it."""
        self._run(self._core.release(partition, runner))

    def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """Every pending entry, now ``runner``'s, oldest first, with its started mark.

        Fenced: empty when ``runner`` does not hold the lease.
        """
        return _QueueCore.claimed(self._run(self._core.claim(partition, runner)))

    def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        """Up to ``count`` entries never read before; ``None`` once the lease is lost.

        Fenced (``XREADGROUP`` in a script that checks the lease); when there
        is nothing new, waits up to ``block_ms`` with a plain ``XREAD BLOCK``,
        which takes nothing, then reads once more.
        """
        found, after = _QueueCore.read_answer(self._run(self._core.read(partition, runner, count)))
        if after is None or not block_ms:
            return found
        with self._errors():
            woken = self._client.xread({self._core.events(partition): after}, 1, block_ms)
        if not woken:
            return []
        return _QueueCore.read_answer(self._run(self._core.read(partition, runner, count)))[0]

    def pending(self, partition: int, entry_id: str) -> bool:
        """Whether the entry is still in the stream (``XRANGE id id``)."""
        with self._errors():
            return bool(self._client.xrange(self._core.events(partition), entry_id, entry_id))

    def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """Mark a push of the entry as started, if ``runner`` still holds the lease."""
        return bool(self._run(self._core.start(partition, runner, entry_id)))

    def unstart(self, partition: int, entry_id: str) -> None:
        """Clear the started mark."""
        with self._errors():
            self._client.hdel(self._core.started(partition), entry_id)

    def done(self, partition: int, runner: str, entry_id: str) -> None:
        """Acknowledge and delete the entry (its started mark too, if ``runner`` has the lease)."""
        self._run(self._core.done(partition, runner, entry_id))

    def backlog(self) -> int:
        """Entries stored and not yet acknowledged, over every partition."""
        with self._errors():
            return sum(int(self._client.xlen(self._core.events(p))) for p in range(self.partitions))


class AsyncRedisQueue(_QueueBase[AsyncRedisClient, base.AsyncScript], base.AsyncRedis):
    """[`RedisQueue`][botcopy_handover.RedisQueue] for asyncio: the same keys and scripts.

    Sync and async runners can share one queue.

    Args:
        client: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster``,
            used as is and not closed by the queue (an ``AsyncRedisStore``'s
            [`client`][botcopy_handover.AsyncRedisStore.client] is fine).
        url: Instead of ``client``: a URL the queue connects to (closed in
            [`aclose`][botcopy_handover.AsyncRedisQueue.aclose]).
        cluster: With ``url``: connect to a Redis Cluster.
        prefix: Namespace of the keys.
        partitions: How many partitions (see [`RedisQueue`][botcopy_handover.RedisQueue]).

    """

    _batch: ScriptBatch | None = None

    async def _run(self, call: Call) -> Any:
        name, keys, args = call
        try:
            await self._ready()
            return await self._scripts[name](keys=keys, args=args)
        except base.REDIS_ERRORS as exc:
            raise self._failed(exc) from exc

    def _pipeline(self) -> ScriptBatch | None:
        """The batch this queue's marks and acknowledgements share; ``None`` on a cluster."""
        if self._cluster is not None:
            return None  # a cluster pipeline would span nodes
        if self._batch is None:
            self._batch = ScriptBatch(self._client, self._failed)
        return self._batch

    async def _batched(self, call: Call) -> Any:
        """``_run``, sharing a round trip with the calls made at the same time (one server)."""
        batch = self._pipeline()
        if batch is None:
            return await self._run(call)
        name, keys, args = call
        return await batch.call(self._scripts[name], keys, args)

    async def _command(self, name: str, *args: Any) -> Any:
        try:
            await self._ready()
            return await getattr(self._client, name)(*args)
        except base.REDIS_ERRORS as exc:
            raise self._failed(exc) from exc

    async def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """See [`RedisQueue.append`][botcopy_handover.RedisQueue.append]."""
        return _text(await self._command("xadd", self._core.events(partition), dict(fields)))

    async def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """See [`RedisQueue.heartbeat`][botcopy_handover.RedisQueue.heartbeat]."""
        return int(await self._run(self._core.heartbeat(runner, ttl_ms)))

    async def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See [`RedisQueue.acquire`][botcopy_handover.RedisQueue.acquire]."""
        return bool(await self._run(self._core.acquire(partition, runner, lease_ms)))

    async def reclaim(self, partition: int, runner: str, previous: str, lease_ms: int) -> bool:
        """See [`RedisQueue.reclaim`][botcopy_handover.RedisQueue.reclaim]."""
        return bool(await self._run(self._core.reclaim(partition, runner, previous, lease_ms)))

    async def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See [`RedisQueue.renew`][botcopy_handover.RedisQueue.renew]."""
        return bool(await self._run(self._core.renew(partition, runner, lease_ms)))

    async def release(self, partition: int, runner: str) -> None:
        """See [`RedisQueue.release`][botcopy_handover.RedisQueue.release]."""
        await self._run(self._core.release(partition, runner))

    async def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """See [`RedisQueue.claim_pending`][botcopy_handover.RedisQueue.claim_pending]."""
        return _QueueCore.claimed(await self._run(self._core.claim(partition, runner)))

    async def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry] | None:
        """See [`RedisQueue.read_new`][botcopy_handover.RedisQueue.read_new]."""
        call = self._core.read(partition, runner, count)
        found, after = _QueueCore.read_answer(await self._run(call))
        if after is None or not block_ms:
            return found
        if not await self._command("xread", {self._core.events(partition): after}, 1, block_ms):
            return []
        return _QueueCore.read_answer(await self._run(call))[0]

    async def pending(self, partition: int, entry_id: str) -> bool:
        """See [`RedisQueue.pending`][botcopy_handover.RedisQueue.pending]."""
        return bool(await self._command("xrange", self._core.events(partition), entry_id, entry_id))

    async def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """See [`RedisQueue.start`][botcopy_handover.RedisQueue.start].

        Started marks and acknowledgements made at the same time (by a
        runner's many lanes) go to Redis in one pipeline: each is still its own
        script, with its own fence and answer.
        """
        return bool(await self._batched(self._core.start(partition, runner, entry_id)))

    async def unstart(self, partition: int, entry_id: str) -> None:
        """See [`RedisQueue.unstart`][botcopy_handover.RedisQueue.unstart]."""
        await self._command("hdel", self._core.started(partition), entry_id)

    async def done(self, partition: int, runner: str, entry_id: str) -> None:
        """See [`RedisQueue.done`][botcopy_handover.RedisQueue.done] (sent as `start` is)."""
        await self._batched(self._core.done(partition, runner, entry_id))

    async def backlog(self) -> int:
        """See [`RedisQueue.backlog`][botcopy_handover.RedisQueue.backlog]."""
        total = 0
        for p in range(self.partitions):
            total += int(await self._command("xlen", self._core.events(p)))
        return total
