"""What the console shows about each conversation, and the news that one changed.

The SDK's conversation store keeps what Botcopy must agree on (paused, until
when, the agent); the console also needs what was said: the history from
Step One (rendered once, by the SDK's transcript renderer) and every line
after it. `MemoryChatLog` keeps that in one process;
`RedisChatLog` in Redis, so every console process behind one load
balancer shows the same conversations, and its pub/sub channel tells every
process (and so every agent's browser) at once that one changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote

from botcopy_handover import StoreUnavailableError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "ChatLine",
    "ChatLog",
    "ChatRecord",
    "ChatUpdate",
    "MemoryChatLog",
    "RedisChatLog",
    "Status",
]

Status = Literal["waiting", "active", "closed"]
"""``waiting`` for an agent, ``active`` with one, ``closed`` (handed back, ended or lapsed)."""

LineSender = Literal["customer", "agent", "system"]


def now_ms() -> int:
    """Milliseconds since the epoch: what the browser's clock speaks."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class ChatLine:
    """A line after the handover: the customer's, the agent's, or the console's own note."""

    sender: LineSender
    text: str
    at: int
    name: str | None = None


@dataclass(frozen=True)
class ChatRecord:
    """One conversation as the console keeps it."""

    bot_id: str
    user_id: str
    status: Status
    since: int
    history_html: str = ""
    agent: str | None = None
    warning: str | None = None
    lines: list[ChatLine] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The list entry's JSON (no transcript)."""
        return {
            "botId": self.bot_id,
            "userId": self.user_id,
            "status": self.status,
            "since": self.since,
            "agent": self.agent,
            "warning": self.warning,
        }

    def to_dict(self) -> dict[str, Any]:
        """The opened conversation's JSON."""
        return {
            **self.summary(),
            "historyHtml": self.history_html,
            "lines": [asdict(line) for line in self.lines],
        }


@dataclass(frozen=True)
class ChatUpdate:
    """A change to a conversation: each field given replaces the record's; ``None`` keeps it."""

    status: Status | None = None
    agent: str | None = None
    warning: str | None = None
    clear_warning: bool = False
    """Remove the expiry warning (after setting any ``warning`` given)."""

    def fields(self) -> dict[str, str]:
        """The fields to set, by name."""
        given = (("status", self.status), ("agent", self.agent), ("warning", self.warning))
        return {name: value for name, value in given if value is not None}

    def applied_to(self, record: ChatRecord) -> ChatRecord:
        """``record`` with this change made."""
        warning = record.warning if self.warning is None else self.warning
        return replace(
            record,
            status=record.status if self.status is None else self.status,
            agent=record.agent if self.agent is None else self.agent,
            warning=None if self.clear_warning else warning,
        )


class ChatLog(Protocol):
    """Where the console keeps conversations, and how its processes hear of changes."""

    async def start(self, bot_id: str, user_id: str, history_html: str) -> None:
        """A new handover: the customer waits for an agent (a previous chat is forgotten)."""
        ...

    async def get(self, bot_id: str, user_id: str) -> ChatRecord | None:
        """The conversation, or ``None``."""
        ...

    async def add_line(self, bot_id: str, user_id: str, line: ChatLine) -> None:
        """Append a line."""
        ...

    async def update(self, bot_id: str, user_id: str, change: ChatUpdate) -> None:
        """Apply ``change`` (the status, the agent or the expiry warning) to the conversation."""
        ...

    async def open_conversations(self) -> list[ChatRecord]:
        """Every conversation waiting or active, oldest first (without lines)."""
        ...

    async def publish(self, bot_id: str, user_id: str) -> None:
        """Tell every console process that this conversation changed."""
        ...

    async def connect(self) -> None:
        """Start hearing of changes (before the first browser connects)."""
        ...

    def changes(self) -> AsyncIterator[tuple[str, str]]:
        """The conversations that change, as ``(bot_id, user_id)``, from now on."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class _Fanout:
    """Change notices to every subscriber in this process."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[tuple[str, str]]] = set()

    def put(self, key: tuple[str, str]) -> None:
        for queue in list(self._queues):
            queue.put_nowait(key)

    async def changes(self) -> AsyncIterator[tuple[str, str]]:
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


class MemoryChatLog:
    """The chat log of a single console process."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, str], ChatRecord] = {}
        self._fanout = _Fanout()

    async def start(self, bot_id: str, user_id: str, history_html: str) -> None:
        self._records[(bot_id, user_id)] = ChatRecord(
            bot_id, user_id, "waiting", now_ms(), history_html
        )

    async def get(self, bot_id: str, user_id: str) -> ChatRecord | None:
        record = self._records.get((bot_id, user_id))
        return None if record is None else replace(record, lines=list(record.lines))

    async def add_line(self, bot_id: str, user_id: str, line: ChatLine) -> None:
        record = self._records.get((bot_id, user_id))
        if record is not None:
            record.lines.append(line)

    async def update(self, bot_id: str, user_id: str, change: ChatUpdate) -> None:
        record = self._records.get((bot_id, user_id))
        if record is not None:
            self._records[(bot_id, user_id)] = change.applied_to(record)

    async def open_conversations(self) -> list[ChatRecord]:
        records = [r for r in self._records.values() if r.status != "closed"]
        return sorted(records, key=lambda r: r.since)

    async def publish(self, bot_id: str, user_id: str) -> None:
        self._fanout.put((bot_id, user_id))

    async def connect(self) -> None:
        return None

    def changes(self) -> AsyncIterator[tuple[str, str]]:
        return self._fanout.changes()

    async def aclose(self) -> None:
        return None


def _id(value: str) -> str:
    # Percent-encoded, so a ":" in an id never makes two customers share a key.
    return quote(value, safe="")


class RedisChatLog:
    """The chat log in Redis, shared by every console process using the same ``prefix``.

    Keys: ``{prefix}console:conv:{bot}:{user}`` (a hash), ``…:lines`` (a
    list of JSON lines), ``{prefix}console:open`` (a sorted set of open
    conversations by waiting time) and the channel ``{prefix}console:changes``.
    Closed conversations expire after ``retention`` seconds.
    """

    def __init__(
        self, url: str, *, prefix: str = "botcopy:", retention: int = 86400, max_lines: int = 2000
    ) -> None:
        try:
            import redis.asyncio
        except ImportError:
            from botcopy_handover import ConfigurationError

            raise ConfigurationError(
                '--redis-url needs redis-py: pip install "botcopy-handover[redis]"'
            ) from None
        self._redis: redis.asyncio.Redis = redis.asyncio.Redis.from_url(url, decode_responses=True)
        self._prefix = f"{prefix}console:"
        self._retention = retention
        self._max_lines = max_lines
        self._fanout = _Fanout()
        self._listener: asyncio.Task[None] | None = None

    def _key(self, bot_id: str, user_id: str) -> str:
        return f"{self._prefix}conv:{_id(bot_id)}:{_id(user_id)}"

    @property
    def _open(self) -> str:
        return f"{self._prefix}open"

    @property
    def _channel(self) -> str:
        return f"{self._prefix}changes"

    async def _do(self, call: Any) -> Any:
        import redis.exceptions

        try:
            return await call
        except redis.exceptions.RedisError as exc:
            raise StoreUnavailableError(
                f"The console's Redis failed: {type(exc).__name__}"
            ) from None

    async def start(self, bot_id: str, user_id: str, history_html: str) -> None:
        key = self._key(bot_id, user_id)
        since = now_ms()
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(key, f"{key}:lines")
        pipe.hset(
            key,
            mapping={
                "bot": bot_id,
                "user": user_id,
                "status": "waiting",
                "since": since,
                "history": history_html,
            },
        )
        pipe.zadd(self._open, {json.dumps([bot_id, user_id]): since})
        await self._do(pipe.execute())

    async def get(self, bot_id: str, user_id: str) -> ChatRecord | None:
        key = self._key(bot_id, user_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.lrange(f"{key}:lines", 0, -1)
        fields, lines = await self._do(pipe.execute())
        if not fields:
            return None
        return self._record(fields, [ChatLine(**json.loads(line)) for line in lines])

    @staticmethod
    def _record(fields: dict[str, str], lines: list[ChatLine]) -> ChatRecord:
        status = fields.get("status", "closed")
        return ChatRecord(
            bot_id=fields.get("bot", ""),
            user_id=fields.get("user", ""),
            status=status if status in ("waiting", "active") else "closed",  # type: ignore[arg-type]
            since=int(fields.get("since", "0")),
            history_html=fields.get("history", ""),
            agent=fields.get("agent") or None,
            warning=fields.get("warning") or None,
            lines=lines,
        )

    async def add_line(self, bot_id: str, user_id: str, line: ChatLine) -> None:
        key = f"{self._key(bot_id, user_id)}:lines"
        pipe = self._redis.pipeline(transaction=True)
        pipe.rpush(key, json.dumps(asdict(line)))
        pipe.ltrim(key, -self._max_lines, -1)
        await self._do(pipe.execute())

    async def update(self, bot_id: str, user_id: str, change: ChatUpdate) -> None:
        key = self._key(bot_id, user_id)
        mapping: dict[Any, Any] = change.fields()
        pipe = self._redis.pipeline(transaction=True)
        if mapping:
            pipe.hset(key, mapping=mapping)
        if change.clear_warning:
            pipe.hdel(key, "warning")
        if change.status == "closed":
            pipe.zrem(self._open, json.dumps([bot_id, user_id]))
            pipe.expire(key, self._retention)
            pipe.expire(f"{key}:lines", self._retention)
        await self._do(pipe.execute())

    async def open_conversations(self) -> list[ChatRecord]:
        members = await self._do(self._redis.zrange(self._open, 0, 499))
        records = []
        for member in members:
            bot_id, user_id = json.loads(member)
            fields = await self._do(self._redis.hgetall(self._key(bot_id, user_id)))
            if fields and fields.get("status") in ("waiting", "active"):
                records.append(self._record(fields, []))
        return records

    async def publish(self, bot_id: str, user_id: str) -> None:
        await self._do(self._redis.publish(self._channel, json.dumps([bot_id, user_id])))

    async def connect(self) -> None:
        if self._listener is None:
            tried = asyncio.Event()
            self._listener = asyncio.get_running_loop().create_task(self._listen(tried))
            # Until the first subscription is made or has failed, bounded: a
            # Redis that is down must not keep the console from starting (its
            # pages answer 503 until Redis is back, and the listener retries).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(tried.wait(), 5)

    def changes(self) -> AsyncIterator[tuple[str, str]]:
        return self._fanout.changes()

    async def _listen(self, tried: asyncio.Event) -> None:
        # One subscription per process, fanned out to its browsers.
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                tried.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        bot_id, user_id = json.loads(message["data"])
                        self._fanout.put((bot_id, user_id))
            except asyncio.CancelledError:
                raise
            except Exception:
                tried.set()
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._redis.aclose()
