"""The connection pool of the httpx clients the SDK makes (``client/_pool.py``).

httpcore's own pool hands one idle connection to every request that arrives
before the first has started on it, and closes every connection that goes
idle once more connections than the keep-alive limit exist. The SDK's own
clients use a pool without those faults; a client passed in is left alone.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
from httpcore._async.connection_pool import AsyncPoolRequest
from httpcore._sync.connection_pool import PoolRequest

from botcopy_handover import AsyncClient, Client
from botcopy_handover.client._pool import fix_pool
from tests.client.pushserver import PushServer, Reply

WORKERS = 30  # more than httpx's keep-alive limit (20), fewer than its pool (100)
EACH = 5


def _pool(http: httpx.Client | httpx.AsyncClient) -> Any:
    return http._transport._pool  # type: ignore[union-attr]


def _connections(server: PushServer) -> int:
    return len({received.peer for received in server.received})


def _at_once(target: Callable[..., object], calls: list[tuple[Any, ...]]) -> None:
    """Call ``target`` with each tuple of ``calls``, each in a thread of its own; wait for all."""
    threads = [threading.Thread(target=target, args=args) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


async def test_concurrent_async_pushes_above_the_keep_alive_limit_reuse_their_connections(
    server: PushServer,
) -> None:
    # httpcore's pool counted every connection as idle: past 20, each push's
    # connection was closed when it went idle and the next push opened another.
    server.default = Reply(delay=0.02)
    async with AsyncClient(api_key="k", base_url=server.url) as client:

        async def worker(n: int) -> None:
            for i in range(EACH):
                await client.send_message(f"user-{n}", "bot", f"m{i}", minutes_paused=5)

        await asyncio.gather(*(worker(n) for n in range(WORKERS)))
    assert len(server.received) == WORKERS * EACH
    assert _connections(server) <= WORKERS + 5  # stock httpcore: about 100 of 150


def test_concurrent_blocking_pushes_above_the_keep_alive_limit_reuse_their_connections(
    server: PushServer,
) -> None:
    server.default = Reply(delay=0.02)
    with Client(api_key="k", base_url=server.url) as client:

        def worker(n: int) -> None:
            for i in range(EACH):
                client.send_message(f"user-{n}", "bot", f"m{i}", minutes_paused=5)

        _at_once(worker, [(n,) for n in range(WORKERS)])
    assert len(server.received) == WORKERS * EACH
    assert _connections(server) <= WORKERS + 5


async def test_an_idle_connection_handed_to_a_waiting_request_is_handed_to_no_other(
    server: PushServer,
) -> None:
    # The assignment pass itself, on real connections: three idle ones, three
    # requests waiting. httpcore's own pass gives all three the first connection
    # (two then fail and go round the pool again: the herd a burst of pushes makes).
    transport = httpx.AsyncHTTPTransport()
    assert fix_pool(transport)
    server.default = Reply(delay=0.1)
    async with httpx.AsyncClient(transport=transport) as http:
        await asyncio.gather(*(http.post(server.url, content=b"{}") for _ in range(3)))
        pool = _pool(http)
        assert [c.is_idle() for c in pool.connections] == [True, True, True]
        waiting = [AsyncPoolRequest(httpcore.Request("POST", server.url)) for _ in range(3)]
        pool._requests.extend(waiting)
        assert pool._assign_requests_to_connections() == []
        assert {id(r.connection) for r in waiting} == {id(c) for c in pool.connections}
        # One more arrives while they have not started: a new connection, not a shared one.
        late = AsyncPoolRequest(httpcore.Request("POST", server.url))
        pool._requests.append(late)
        pool._assign_requests_to_connections()
        assert late.connection is not None
        assert late.connection not in {r.connection for r in waiting}
        pool._requests.clear()


def test_the_blocking_pool_hands_a_waiting_request_s_connection_to_no_other(
    server: PushServer,
) -> None:
    transport = httpx.HTTPTransport()
    assert fix_pool(transport)
    server.default = Reply(delay=0.1)
    with httpx.Client(transport=transport) as http:
        _at_once(http.post, [(server.url,)] * 2)
        pool = _pool(http)
        waiting = [PoolRequest(httpcore.Request("POST", server.url)) for _ in range(2)]
        pool._requests.extend(waiting)
        pool._assign_requests_to_connections()
        assert len({id(r.connection) for r in waiting}) == 2
        pool._requests.clear()


def test_surplus_idle_connections_are_closed_down_to_the_keep_alive_limit(
    server: PushServer,
) -> None:
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=2))
    assert fix_pool(transport)
    server.default = Reply(delay=0.1)
    with httpx.Client(transport=transport) as http:
        _at_once(http.post, [(server.url,)] * 5)
        assert [c.is_idle() for c in _pool(http).connections] == [True, True]


async def test_a_connection_the_server_closed_while_idle_is_not_used_again(
    server: PushServer,
) -> None:
    # The pass asks whether a connection expired only of the one it is about to
    # hand out: that one question must still keep a closed connection from use.
    async with AsyncClient(api_key="k", base_url=server.url) as client:
        await asyncio.gather(*(client.send_message("u", "b", f"m{i}") for i in range(5)))
        server.hang_up_all()
        await asyncio.sleep(0.05)
        await asyncio.gather(*(client.send_message("u", "b", f"n{i}") for i in range(5)))
    assert len(server.received) == 10
    first = {r.peer for r in server.received[:5]}
    assert not first & {r.peer for r in server.received[5:]}


def test_only_the_clients_the_sdk_makes_get_the_fixed_pool() -> None:
    with Client(api_key="k", base_url="http://127.0.0.1:9") as client:
        http: httpx.Client = client._backend._http
        assert isinstance(http._transport, httpx.HTTPTransport)
        assert fix_pool(http._transport) is False  # already fixed
        assert type(_pool(http)) is not httpcore.ConnectionPool
    own = httpx.Client()
    with Client(api_key="k", base_url="http://127.0.0.1:9", http_client=own):
        assert type(_pool(own)) is httpcore.ConnectionPool
    own.close()
    # A pool it does not know (here a proxy's) is left as it is.
    proxied = httpx.AsyncHTTPTransport(proxy="http://127.0.0.1:9")
    assert fix_pool(proxied) is False
    assert type(proxied._pool) is httpcore.AsyncHTTPProxy
