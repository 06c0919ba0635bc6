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

A delivered (or reported) entry is acknowledged and deleted in one script,
so the stream holds only what is still owed. See docs/replicas.md, "The
durable outbox", for the failure analysis.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

try:
    import redis
    import redis.asyncio
    from redis.commands.core import AsyncScript, Script
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('RedisQueue needs redis-py: pip install "botcopy-handover[redis]"') from exc

from botcopy_handover._errors import ConfigurationError, StoreUnavailableError
from botcopy_handover.outbox._core import DEFAULT_PARTITIONS
from botcopy_handover.outbox._queue import RawEntry

__all__ = ["DEFAULT_QUEUE_PREFIX", "AsyncRedisQueue", "RedisQueue"]

DEFAULT_QUEUE_PREFIX = "botcopy:"
"""The default namespace of the outbox's keys (the stores' default too)."""

GROUP = "runners"
_CLAIM_BATCH = 500
_T = TypeVar("_T")

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
# Fenced: a runner that lost its lease (a long pause) must not start a push the
# new owner will also make.
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
# Claimed: read the started marks of the entries now owned, and drop marks of
# entries no longer pending (left by a runner that acknowledged without the lease).
_MARKS = """
local marks = {}
local wanted = {}
for i, id in ipairs(ARGV) do
  marks[i] = redis.call('HGET', KEYS[1], id) or ''
  wanted[id] = true
end
for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not wanted[id] then redis.call('HDEL', KEYS[1], id) end
end
return marks
"""
_SCRIPTS = {
    "renew": _RENEW,
    "release": _RELEASE,
    "start": _START,
    "done": _DONE,
    "marks": _MARKS,
}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {_text(k): _text(v) for k, v in raw.items()}
    items = [_text(v) for v in raw]
    return dict(zip(items[::2], items[1::2], strict=False))


def _stream_entries(raw: Any) -> list[tuple[str, dict[str, str]]]:
    """``[(id, fields), ...]`` from an XREADGROUP or XAUTOCLAIM answer, RESP2 or RESP3."""
    found: list[tuple[str, dict[str, str]]] = []
    for item in raw or ():
        if item is None:
            continue
        entry_id, fields = item[0], item[1]
        if fields is None:  # deleted meanwhile (Redis < 7 reports it this way)
            continue
        found.append((_text(entry_id), _fields(fields)))
    return found


def _read_answer(raw: Any) -> list[tuple[str, dict[str, str]]]:
    if not raw:
        return []
    if isinstance(raw, Mapping):  # RESP3: {stream: [entries]}
        return [e for entries in raw.values() for e in _stream_entries(entries)]
    return [e for _, entries in raw for e in _stream_entries(entries)]


def _mark(raw: Any) -> float | None:
    text = _text(raw) if raw is not None else ""
    return int(text) / 1000 if text else None


def _describe(client: Any) -> str:
    # Host and port only: a URL may hold a password.
    try:
        kwargs = client.connection_pool.connection_kwargs
    except AttributeError:
        return "Redis"
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


def _unavailable(exc: redis.RedisError, where: str) -> StoreUnavailableError:
    return StoreUnavailableError(f"Redis at {where} failed: {type(exc).__name__}")


def _entry_fields(fields: Mapping[str, str]) -> dict[Any, Any]:
    return dict(fields)


def _check_partitions(partitions: int) -> int:
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ConfigurationError("partitions must be a positive int")
    return partitions


class _Keys:
    """The keys of one queue; every multi-key call stays inside one partition's slot."""

    def __init__(self, prefix: str, partitions: int) -> None:
        if not isinstance(prefix, str) or "{" in prefix or "}" in prefix:
            raise ConfigurationError("prefix must be a string without braces")
        self.prefix = prefix
        self.count = _check_partitions(partitions)
        self.runners = f"{{{prefix}outbox}}:runners"

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

    def done(self, partition: int) -> list[str]:
        return [self.events(partition), self.started(partition), self.lease(partition)]


def _now_ms() -> int:
    return int(time.time() * 1000)


class RedisQueue:
    """The outbox's queue in Redis, shared by every runner and replica (``redis.Redis``).

    Args:
        client: A ``redis.Redis`` (or a client with the same commands), used
            as is and not closed by the queue.
        prefix: Namespace of the keys; the same for every replica.
        partitions: How many partitions; the most runners delivering at once.
            Every replica must use the same number, and it must not change
            while events are queued (a customer would move partition).

    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_QUEUE_PREFIX,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self._keys = _Keys(prefix, partitions)
        self._client = client
        self._where = _describe(client)
        self._scripts: dict[str, Script] = {
            name: client.register_script(lua) for name, lua in _SCRIPTS.items()
        }

    def __repr__(self) -> str:
        return (
            f"RedisQueue({self._where!r}, prefix={self._keys.prefix!r}, "
            f"partitions={self.partitions})"
        )

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        return self._keys.count

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise _unavailable(exc, self._where) from exc

    def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """``XADD`` the entry to the partition's stream; its id."""
        with self._errors():
            return _text(self._client.xadd(self._keys.events(partition), _entry_fields(fields)))

    def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """Say ``runner`` is alive for ``ttl_ms``; how many runners are alive."""
        now = _now_ms()
        with self._errors():
            pipe = self._client.pipeline(transaction=True)
            pipe.zadd(self._keys.runners, {runner: now + ttl_ms})  # scored by expiry
            pipe.zremrangebyscore(self._keys.runners, "-inf", now)
            pipe.zcard(self._keys.runners)
            return int(pipe.execute()[-1])

    def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Take the partition's lease if nobody holds it (and make its consumer group)."""
        with self._errors():
            if not self._client.set(self._keys.lease(partition), runner, nx=True, px=lease_ms):
                return False
            self._make_group(partition)
            return True

    def _make_group(self, partition: int) -> None:
        try:
            self._client.xgroup_create(self._keys.events(partition), GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """Extend ``runner``'s lease; ``False`` if it no longer holds it."""
        with self._errors():
            return bool(
                self._scripts["renew"](keys=[self._keys.lease(partition)], args=[runner, lease_ms])
            )

    def release(self, partition: int, runner: str) -> None:
        """Give the lease up, if ``runner`` holds it."""
        with self._errors():
            self._scripts["release"](keys=[self._keys.lease(partition)], args=[runner])

    def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """``XAUTOCLAIM`` every pending entry to ``runner``, oldest first, with its started mark."""
        events = self._keys.events(partition)
        found: list[tuple[str, dict[str, str]]] = []
        cursor = "0-0"
        with self._errors():
            while True:
                answer = self._client.xautoclaim(
                    events, GROUP, runner, min_idle_time=0, start_id=cursor, count=_CLAIM_BATCH
                )
                found.extend(_stream_entries(answer[1]))
                cursor = _text(answer[0])
                if cursor == "0-0":
                    break
            ids = [entry_id for entry_id, _ in found]
            marks = self._scripts["marks"](keys=[self._keys.started(partition)], args=ids)
        return [(i, fields, _mark(m)) for (i, fields), m in zip(found, marks, strict=True)]

    def read_new(self, partition: int, runner: str, count: int, block_ms: int) -> list[RawEntry]:
        """``XREADGROUP … >``: entries never read before; waits up to ``block_ms``."""
        events = self._keys.events(partition)
        with self._errors():
            try:
                raw = self._client.xreadgroup(
                    GROUP, runner, {events: ">"}, count=count, block=block_ms or None
                )
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self._make_group(partition)  # the stream was deleted under us
                return []
        return [(entry_id, fields, None) for entry_id, fields in _read_answer(raw)]

    def pending(self, partition: int, entry_id: str) -> bool:
        """Whether the entry is still in the stream (``XRANGE id id``)."""
        with self._errors():
            return bool(self._client.xrange(self._keys.events(partition), entry_id, entry_id))

    def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """Mark a push of the entry as started, if ``runner`` still holds the lease."""
        keys = [self._keys.lease(partition), self._keys.started(partition)]
        with self._errors():
            return bool(self._scripts["start"](keys=keys, args=[runner, entry_id, _now_ms()]))

    def unstart(self, partition: int, entry_id: str) -> None:
        """Clear the started mark."""
        with self._errors():
            self._client.hdel(self._keys.started(partition), entry_id)

    def done(self, partition: int, runner: str, entry_id: str) -> None:
        """Acknowledge and delete the entry (its started mark too, if ``runner`` has the lease)."""
        keys = self._keys.done(partition)
        with self._errors():
            self._scripts["done"](keys=keys, args=[GROUP, entry_id, runner])

    def backlog(self) -> int:
        """Entries stored and not yet acknowledged, over every partition."""
        with self._errors():
            return sum(int(self._client.xlen(self._keys.events(p))) for p in range(self.partitions))


class AsyncRedisQueue:
    """`RedisQueue` for asyncio (``redis.asyncio.Redis``): the same keys and scripts.

    Sync and async runners can share one queue.

    Args:
        client: A ``redis.asyncio.Redis`` (or a client with the same commands),
            used as is and not closed by the queue.
        prefix: Namespace of the keys.
        partitions: How many partitions (see [`RedisQueue`][botcopy_handover.RedisQueue]).

    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        prefix: str = DEFAULT_QUEUE_PREFIX,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self._keys = _Keys(prefix, partitions)
        self._client = client
        self._where = _describe(client)
        self._scripts: dict[str, AsyncScript] = {
            name: client.register_script(lua) for name, lua in _SCRIPTS.items()
        }

    def __repr__(self) -> str:
        return (
            f"AsyncRedisQueue({self._where!r}, prefix={self._keys.prefix!r}, "
            f"partitions={self.partitions})"
        )

    @property
    def partitions(self) -> int:
        """How many partitions the queue has."""
        return self._keys.count

    async def _await(self, make: Callable[[], Awaitable[_T]]) -> _T:
        try:
            return await make()
        except redis.RedisError as exc:
            raise _unavailable(exc, self._where) from exc

    async def append(self, partition: int, fields: Mapping[str, str]) -> str:
        """See [`RedisQueue.append`][botcopy_handover.RedisQueue.append]."""
        events = self._keys.events(partition)
        return _text(await self._await(lambda: self._client.xadd(events, _entry_fields(fields))))

    async def heartbeat(self, runner: str, ttl_ms: int) -> int:
        """See [`RedisQueue.heartbeat`][botcopy_handover.RedisQueue.heartbeat]."""
        now = _now_ms()

        async def call() -> list[Any]:
            pipe = self._client.pipeline(transaction=True)
            pipe.zadd(self._keys.runners, {runner: now + ttl_ms})  # scored by expiry
            pipe.zremrangebyscore(self._keys.runners, "-inf", now)
            pipe.zcard(self._keys.runners)
            return await pipe.execute()

        return int((await self._await(call))[-1])

    async def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See [`RedisQueue.acquire`][botcopy_handover.RedisQueue.acquire]."""
        lease = self._keys.lease(partition)
        if not await self._await(lambda: self._client.set(lease, runner, nx=True, px=lease_ms)):
            return False
        await self._await(lambda: self._make_group(partition))
        return True

    async def _make_group(self, partition: int) -> None:
        try:
            await self._client.xgroup_create(
                self._keys.events(partition), GROUP, id="0", mkstream=True
            )
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def renew(self, partition: int, runner: str, lease_ms: int) -> bool:
        """See [`RedisQueue.renew`][botcopy_handover.RedisQueue.renew]."""
        script = self._scripts["renew"]
        keys = [self._keys.lease(partition)]
        return bool(await self._await(lambda: script(keys=keys, args=[runner, lease_ms])))

    async def release(self, partition: int, runner: str) -> None:
        """See [`RedisQueue.release`][botcopy_handover.RedisQueue.release]."""
        script = self._scripts["release"]
        keys = [self._keys.lease(partition)]
        await self._await(lambda: script(keys=keys, args=[runner]))

    async def claim_pending(self, partition: int, runner: str) -> list[RawEntry]:
        """See [`RedisQueue.claim_pending`][botcopy_handover.RedisQueue.claim_pending]."""
        events = self._keys.events(partition)
        found: list[tuple[str, dict[str, str]]] = []
        cursor = "0-0"
        while True:
            answer = await self._await(
                lambda start=cursor: self._client.xautoclaim(  # type: ignore[misc]
                    events, GROUP, runner, min_idle_time=0, start_id=start, count=_CLAIM_BATCH
                )
            )
            found.extend(_stream_entries(answer[1]))
            cursor = _text(answer[0])
            if cursor == "0-0":
                break
        ids: list[str | int] = [entry_id for entry_id, _ in found]
        script = self._scripts["marks"]
        keys = [self._keys.started(partition)]
        marks = await self._await(lambda: script(keys=keys, args=ids))
        return [(i, fields, _mark(m)) for (i, fields), m in zip(found, marks, strict=True)]

    async def read_new(
        self, partition: int, runner: str, count: int, block_ms: int
    ) -> list[RawEntry]:
        """See [`RedisQueue.read_new`][botcopy_handover.RedisQueue.read_new]."""
        events = self._keys.events(partition)
        try:
            raw = await self._client.xreadgroup(
                GROUP, runner, {events: ">"}, count=count, block=block_ms or None
            )
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise _unavailable(exc, self._where) from exc
            await self._await(lambda: self._make_group(partition))
            return []
        except redis.RedisError as exc:
            raise _unavailable(exc, self._where) from exc
        return [(entry_id, fields, None) for entry_id, fields in _read_answer(raw)]

    async def pending(self, partition: int, entry_id: str) -> bool:
        """See [`RedisQueue.pending`][botcopy_handover.RedisQueue.pending]."""
        key = self._keys.events(partition)
        return bool(await self._await(lambda: self._client.xrange(key, entry_id, entry_id)))

    async def start(self, partition: int, runner: str, entry_id: str) -> bool:
        """See [`RedisQueue.start`][botcopy_handover.RedisQueue.start]."""
        script = self._scripts["start"]
        keys = [self._keys.lease(partition), self._keys.started(partition)]
        args: list[str | int] = [runner, entry_id, _now_ms()]
        return bool(await self._await(lambda: script(keys=keys, args=args)))

    async def unstart(self, partition: int, entry_id: str) -> None:
        """See [`RedisQueue.unstart`][botcopy_handover.RedisQueue.unstart]."""
        key = self._keys.started(partition)
        await self._await(lambda: self._client.hdel(key, entry_id))

    async def done(self, partition: int, runner: str, entry_id: str) -> None:
        """See [`RedisQueue.done`][botcopy_handover.RedisQueue.done]."""
        script = self._scripts["done"]
        keys = self._keys.done(partition)
        await self._await(lambda: script(keys=keys, args=[GROUP, entry_id, runner]))

    async def backlog(self) -> int:
        """See [`RedisQueue.backlog`][botcopy_handover.RedisQueue.backlog]."""
        total = 0
        for p in range(self.partitions):
            key = self._keys.events(p)
            total += int(await self._await(lambda key=key: self._client.xlen(key)))  # type: ignore[misc]
        return total
