"""A real loopback HTTP server whose answers each test scripts."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["PushServer", "Received", "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: wait ``delay`` seconds, then answer ``status`` (or hang up)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"ok":true}'
    delay: float = 0.0
    hang_up: bool = False


@dataclass(frozen=True)
class Received:
    """A request the server got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    peer: int = 0
    """The client's port: one per connection."""

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    # The default backlog (5) overflows when dozens of clients connect at once,
    # and the kernel then resets some of those connections.
    request_queue_size = 128


class PushServer:
    """Answers POSTs with the scripted replies in order, then with ``default``."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = Reply()
        self.received: list[Received] = []
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.sockets.append(self.connection)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    # The client went away mid-body (a push cancelled in flight):
                    # as for any server, an incomplete request never arrived.
                    self.close_connection = True
                    return
                reply = server._record(self, body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = reply.body.encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The client may have timed out and gone: that is the test's point.
                with contextlib.suppress(OSError):
                    self.wfile.write(data)
                    self.wfile.flush()

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        with self._lock:
            self.received.append(
                Received(
                    handler.command,
                    handler.path,
                    {k.lower(): v for k, v in handler.headers.items()},
                    body,
                    time.monotonic(),
                    handler.client_address[1],
                )
            )
            return self.script.pop(0) if self.script else self.default

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self.script.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def hang_up_all(self) -> None:
        """Close every connection from the server's side (as a server's idle timeout does)."""
        with self._lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
