"""Serve an ASGI app with uvicorn on loopback, in a background thread: the emulator, or your proxy.

Needs the ``testing`` extra (uvicorn).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Literal

from botcopy_handover._errors import ConfigurationError
from botcopy_handover._extras import missing_extra

if TYPE_CHECKING:
    import uvicorn

    from botcopy_handover.webhook.asgi import ASGIApplication

__all__ = ["LoopbackServer"]


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
        server = self._server = uvicorn.Server(config)
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
            self._server.should_exit = True
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
