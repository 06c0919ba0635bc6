"""Serve an ASGI app with uvicorn on loopback, in a background thread: the emulator, or your proxy.

Needs the ``testing`` extra (uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from botcopy_handover._errors import ConfigurationError
from botcopy_handover._extras import missing_extra

if TYPE_CHECKING:
    import uvicorn

    from botcopy_handover.webhook.asgi import ASGIApplication

__all__ = ["LoopbackServer"]


@cache
def _quick_server() -> type[uvicorn.Server]:
    """The ``uvicorn.Server`` the loopback server runs: it stops at once when nothing is in flight.

    uvicorn looks at ``should_exit`` every 0.1 s, and its shutdown pauses
    0.1 s more for the connections to wind down: 0.2 s per stop, paid by every
    test that starts an emulator or a proxy. This one is woken by
    [`stop`][botcopy_handover.testing.LoopbackServer.stop], closes idle
    keep-alive connections, and when no request is in flight (nothing to
    wait for) skips the pause; otherwise uvicorn's own graceful shutdown runs.
    """
    import uvicorn

    class QuickServer(uvicorn.Server):
        _loop: asyncio.AbstractEventLoop | None = None
        _woken: asyncio.Event | None = None

        async def main_loop(self) -> None:
            # uvicorn's main loop, its 0.1 s tick cut short by a stop.
            self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
            counter = 0
            should_exit = await self.on_tick(counter)
            while not should_exit:
                counter = (counter + 1) % 864000
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), 0.1)
                should_exit = await self.on_tick(counter)

        def exit_soon(self) -> None:
            """Ask the server to stop, from any thread."""
            self.should_exit = True
            loop, woken = self._loop, self._woken
            if loop is not None and woken is not None:
                with contextlib.suppress(RuntimeError):  # its loop has already closed
                    loop.call_soon_threadsafe(woken.set)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            state: Any = self.server_state
            for server in self.servers:
                server.close()
            for sock in sockets or []:
                sock.close()
            for connection in list(state.connections):
                connection.shutdown()  # an idle keep-alive connection closes at once
            for _ in range(20):  # at most uvicorn's own 0.1 s
                if not state.connections and not getattr(state, "tasks", None):
                    break
                await asyncio.sleep(0.005)
            else:
                await super().shutdown(sockets)  # in flight: uvicorn's graceful wait
                return
            for server in self.servers:
                await server.wait_closed()
            if not self.force_exit:
                await self.lifespan.shutdown()

    return QuickServer


class LoopbackServer:
    """An ASGI app served by uvicorn in a daemon thread, stopped cleanly by `stop`.

    The socket is bound before the thread starts, so
    [`port`][botcopy_handover.testing.LoopbackServer.port] is known at
    once (port 0 picks a free one) and no test races the server's start.

    Args:
        app: Any ASGI 3 app (an ``ASGIApplication``, from ``botcopy_handover.webhook.asgi``).
        host: The address to listen on; loopback by default.
        port: The port, 0 for a free one.
        lifespan: Run the app's lifespan (``"auto"``, ``"on"``, ``"off"``).

    Example::

        with LoopbackServer(my_proxy_app) as server:
            emulator.webhook_url = f"{server.url}/botcopy"

    """

    def __init__(
        self,
        app: ASGIApplication,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        lifespan: Literal["auto", "on", "off"] = "auto",
    ) -> None:
        self.app: ASGIApplication = app
        self.host: str = host
        self._requested_port = port
        self._lifespan = lifespan
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._socket is None:
            raise ConfigurationError("The server is not running")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def _prepare(self) -> tuple[socket.socket, uvicorn.Server]:
        try:
            import uvicorn
        except ImportError as exc:
            raise missing_extra("testing", "LoopbackServer", exc) from None

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._socket = sock
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan=self._lifespan, access_log=False
        )
        server = self._server = _quick_server()(config)
        return sock, server

    def bind(self) -> LoopbackServer:
        """Bind the socket (so [`port`][botcopy_handover.testing.LoopbackServer.port] is known) without serving yet; then [`run`][botcopy_handover.testing.LoopbackServer.run]."""  # noqa: E501 - a link in the summary
        self._prepare()
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C, SIGTERM); for command-line use."""
        if self._socket is None:
            self.bind()
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._socket.close()
            self._socket = None
            self._server = None

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        """Start serving in a background thread; return once uvicorn has started."""
        sock, server = self._prepare()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="botcopy-server"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(f"The server on {self.host} did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.exit_soon()  # type: ignore[attr-defined]
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
