"""What every class on Redis shares: its client, its scripts, closing it.

The conversation stores (`botcopy_handover.state.redis`) and the outbox's
queues (`botcopy_handover.outbox.redis`) are built on `RedisBase`: a client
given (used as is, never closed) or made from ``url=`` (owned: closed by
``close``/``aclose``), where it points (for errors and reprs, never a
password), and its Lua scripts registered. `SyncRedis` and `AsyncRedis` add
what differs by mode: the client classes, closing, ``with`` or ``async with``.
Both modules import redis-py through this one, which says how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar, Union, cast
from urllib.parse import urlsplit

try:
    import redis
    import redis.asyncio
    import redis.asyncio.cluster
    import redis.cluster
    from redis.commands.core import AsyncScript, Script
    from redis.exceptions import NoScriptError, RedisClusterException
except ImportError as _missing:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'The Redis stores and queues need redis-py: pip install "botcopy-handover[redis]"'
    ) from _missing
from typing_extensions import Self

from botcopy_handover._errors import ConfigurationError, StoreUnavailableError

__all__ = [
    "REDIS_ERRORS",
    "AsyncClient",
    "AsyncRedis",
    "AsyncScript",
    "ClientT",
    "NoScriptError",
    "RedisBase",
    "Script",
    "ScriptT",
    "SyncClient",
    "SyncRedis",
    "describe_connection",
    "is_cluster",
]

SyncClient = Union[redis.Redis, "redis.cluster.RedisCluster"]
"""A blocking client: one server (or a primary with replicas), or a cluster."""

AsyncClient = Union[redis.asyncio.Redis, "redis.asyncio.cluster.RedisCluster"]
"""An asyncio client: one server, or a cluster."""

REDIS_ERRORS = (redis.RedisError, RedisClusterException)
"""What redis-py raises when Redis fails (``RedisClusterException`` is not a ``RedisError``)."""

ClientT = TypeVar("ClientT", bound=SyncClient | AsyncClient)
"""The client of a mode: `SyncClient` or `AsyncClient`."""
ScriptT = TypeVar("ScriptT", Script, AsyncScript)
"""A registered script of that mode."""


def describe_connection(client: SyncClient | AsyncClient) -> str:
    """``redis://host:port/db`` (or the socket path) of a client: never its password."""
    if isinstance(client, (redis.cluster.RedisCluster, redis.asyncio.cluster.RedisCluster)):
        nodes: dict[str, Any] = client.nodes_manager.startup_nodes
        first = next(iter(nodes), "?")  # "host:port"
        return f"redis://{first} (cluster)"
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port = kwargs.get("host", "localhost"), kwargs.get("port", 6379)
    return f"redis://{host}:{port}/{kwargs.get('db', 0)}"


def is_cluster(client: object, cluster: bool, kind: type) -> bool:
    """Whether a given client is a cluster one; ``cluster=True`` with another is an error."""
    if isinstance(client, kind):
        return True
    if cluster:
        raise ConfigurationError(
            f"cluster=True needs a {kind.__module__}.{kind.__name__} client, or a url="
        )
    return False


def _where_of(url: str) -> str:
    """The node a URL names, without user or password."""
    try:
        parts = urlsplit(url)
        return f"redis://{parts.hostname}:{parts.port} (cluster)"
    except ValueError:
        return "the given URL"


class RedisBase(Generic[ClientT, ScriptT]):
    """A Redis client, given or made from a URL, and the scripts registered on it."""

    _KINDS: ClassVar[tuple[Any, Any]]
    """The mode's client classes: ``(one server, cluster)``."""
    _TIMEOUTS: ClassVar[Mapping[str, Any]]
    """The socket timeouts of a client made from ``url=``."""
    _WHAT: ClassVar[str]
    """What the class is, in errors: ``store``, ``queue``."""

    def _open(
        self, client: ClientT | None, url: str | None, cluster: bool, scripts: Mapping[str, str]
    ) -> None:
        self._owns_client = client is None
        if client is None:
            client = self._connect(url, cluster)
        self._client: ClientT = client
        self._where = describe_connection(client)
        self._scripts: dict[str, ScriptT] = {
            name: cast(ScriptT, client.register_script(lua)) for name, lua in scripts.items()
        }

    def _connect(self, url: str | None, cluster: bool) -> ClientT:
        if url is None:
            raise ConfigurationError(f"Give the Redis {self._WHAT} a client= or a url=")
        kind = self._KINDS[1] if cluster else self._KINDS[0]
        try:
            return cast(ClientT, kind.from_url(url, **self._TIMEOUTS))
        except ValueError:
            # redis-py's message may quote the URL, and the URL may hold a password.
            raise ConfigurationError(
                "Invalid Redis URL (expected redis://, rediss:// or unix://)"
            ) from None
        except REDIS_ERRORS as exc:  # a cluster client finds its nodes when it is made
            raise StoreUnavailableError(
                f"Redis at {_where_of(url)} failed: {type(exc).__name__}"
            ) from None

    def _failed(self, exc: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(f"Redis at {self._where} failed: {type(exc).__name__}")


class SyncRedis(RedisBase[SyncClient, Script]):
    """`RedisBase` with a blocking client: ``close()`` and ``with``."""

    _KINDS = (redis.Redis, redis.cluster.RedisCluster)

    def close(self) -> None:
        """Close the Redis client, if it was made from ``url``."""
        if self._owns_client:
            client = self._client
            client.close()
            if isinstance(client, redis.cluster.RedisCluster):
                _disconnect_nodes(client)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except REDIS_ERRORS as exc:
            raise self._failed(exc) from exc


def _disconnect_nodes(client: redis.cluster.RedisCluster) -> None:
    """Close every node's connections: ``RedisCluster.close()`` leaves some open.

    redis-py 8 (sync cluster client only) keeps the connection of a script
    loaded on a node checked out of that node's pool, and ``close()`` only
    releases the pools' idle connections: the socket stays open until the
    garbage collector finds it (a ``ResourceWarning``). The asyncio client
    closes everything.
    """
    for node in client.get_nodes():  # type: ignore[no-untyped-call]
        if node.redis_connection is not None:
            node.redis_connection.connection_pool.disconnect()


class AsyncRedis(RedisBase[AsyncClient, AsyncScript]):
    """`RedisBase` with an asyncio client: ``aclose()`` and ``async with``."""

    _KINDS = (redis.asyncio.Redis, redis.asyncio.cluster.RedisCluster)

    def _open(
        self, client: AsyncClient | None, url: str | None, cluster: bool, scripts: Mapping[str, str]
    ) -> None:
        super()._open(client, url, cluster, scripts)
        self._cluster = (
            self._client if isinstance(self._client, redis.asyncio.cluster.RedisCluster) else None
        )

    async def _ready(self) -> None:
        """On a cluster: find its nodes before a command is routed, once per layout.

        redis-py (8.1) picks a command's node *before* it checks whether the
        cluster client has found its nodes. Commands sent at the same time on
        a new client, or after it dropped its layout, so go to a random node,
        each draws a MOVED, and every fifth MOVED makes the client close all
        its connections, the ones other calls are using included (they fail
        with a ``ConnectionError``, or a ``TypeError`` from asyncio on Python
        3.12.1 and 3.13.0). A runner's first tick and a send made at once did
        exactly that. ``initialize()`` finds the layout once under the
        client's own lock, and returns at once when it is known.
        """
        if self._cluster is not None:
            await self._cluster.initialize()

    async def aclose(self) -> None:
        """Close the Redis client, if it was made from ``url``."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
