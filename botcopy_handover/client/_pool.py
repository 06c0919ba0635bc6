"""The connection pool of the httpx clients the SDK makes itself.

httpcore's pool (1.0.x) has two faults that make concurrent pushes cost far
more CPU than they should, both reported upstream and not fixed in a release
([encode/httpcore#1110](https://github.com/encode/httpcore/issues/1110),
[#1035](https://github.com/encode/httpcore/pull/1035)):

- a connection handed to a request that has not started on it yet still
  looks idle and available, so every request that arrives in the meantime is
  handed the *same* connection; all but one then fail with
  ``ConnectionNotAvailable`` and go round the pool again. A burst of
  concurrent pushes (the outbox's lanes waking together, a ``gather`` of
  sends) turns into a herd that scans the pool over and over;
- surplus idle connections are counted as *all* connections, so once more
  than ``max_keepalive_connections`` exist every connection that goes idle is
  closed, and the next push opens a new one.

`fix_pool` gives a transport's pool an assignment pass without them: a
connection referenced by a pending request is spoken for (never handed out
twice, never closed as surplus), and only idle connections count against the
keep-alive limit. One more change: httpcore polls every idle connection's
socket on every pass (whether the server closed it); here only the connection
about to be handed out is asked, and closed if it expired, so a connection
the server closed is still never used, but an idle one nobody needs may stay
open (within the keep-alive limit) until it is next tried or the client
closes. Everything else (limits, the order connections are tried in) is
httpcore's. It is applied only to HTTP/1.1 pools of the exact
httpcore classes, and only when httpcore has the internals it relies on;
otherwise the pool stays as it is. A client you pass (``http_client=``) is
never touched.
"""

from __future__ import annotations

from typing import Any

import httpcore
import httpx

__all__ = ["fix_pool"]


def _assign_requests_to_connections(self: Any) -> list[Any]:
    """The pool's assignment pass as httpcore has it, with the two faults above fixed.

    Called by the pool, under its lock, whenever a request is added or
    removed; returns the connections to close (outside the lock).
    """
    closing: list[Any] = []
    # A connection referenced by a request is busy or spoken for (HTTP/1.1: one
    # request per connection, so it must not be handed out again or closed).
    spoken = {
        id(request.connection) for request in self._requests if request.connection is not None
    }
    idle_kept = 0
    for connection in list(self._connections):
        if connection.is_closed():
            self._connections.remove(connection)
        elif id(connection) not in spoken and connection.is_idle():
            if idle_kept < self._max_keepalive_connections:
                idle_kept += 1
            else:
                self._connections.remove(connection)
                closing.append(connection)

    for pool_request in [request for request in self._requests if request.is_queued()]:
        origin = pool_request.request.url.origin
        chosen = None
        for connection in list(self._connections):
            if id(connection) in spoken or not connection.can_handle_request(origin):
                continue
            if not connection.is_available():
                continue
            # Whether the server closed it or its keep-alive ran out is asked only
            # of the connection about to be used (a poll of its socket), not of
            # every idle connection on every pass, as httpcore does: that polling
            # was most of the pass's cost. An expired one is closed, the next tried.
            if connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
                continue
            chosen = connection
            break
        if chosen is None:
            if len(self._connections) >= self._max_connections:
                # Full: make room by closing an idle connection nobody waits for.
                idle = next(
                    (c for c in self._connections if id(c) not in spoken and c.is_idle()), None
                )
                if idle is None:
                    continue  # stays queued until a connection frees up
                self._connections.remove(idle)
                closing.append(idle)
            chosen = self.create_connection(origin)
            self._connections.append(chosen)
        pool_request.assign_to_connection(chosen)
        spoken.add(id(chosen))
    return closing


class _AsyncPool(httpcore.AsyncConnectionPool):
    """httpcore's async pool with the fixed assignment pass."""

    _assign_requests_to_connections = _assign_requests_to_connections


class _SyncPool(httpcore.ConnectionPool):
    """httpcore's blocking pool with the fixed assignment pass."""

    _assign_requests_to_connections = _assign_requests_to_connections


def _fixable(pool: object) -> bool:
    """Whether ``pool`` is a plain HTTP/1.1 httpcore pool with the internals relied on."""
    return (
        type(pool) in (httpcore.AsyncConnectionPool, httpcore.ConnectionPool)
        and not getattr(pool, "_http2", True)
        and all(
            hasattr(pool, name)
            for name in ("_requests", "_connections", "_max_connections", "create_connection")
        )
        and callable(getattr(type(pool), "_assign_requests_to_connections", None))
    )


def fix_pool(transport: httpx.HTTPTransport | httpx.AsyncHTTPTransport) -> bool:
    """Give ``transport``'s pool the fixed assignment pass; ``False`` when it is left as is.

    The pool object is kept (its settings, its connections); only its class
    changes to a subclass that adds no state.
    """
    pool = getattr(transport, "_pool", None)
    if not _fixable(pool):
        return False
    pool.__class__ = _AsyncPool if isinstance(pool, httpcore.AsyncConnectionPool) else _SyncPool
    return True
