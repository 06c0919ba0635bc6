"""A real loopback HTTP server whose answers each test scripts, and a closed port."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.client.rawserver import RawServer


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

    def json(self) -> Any:
        return json.loads(self.body)


class PushServer:
    """Answers POSTs with the scripted replies in order, then with ``default``."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = Reply()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
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

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
                )
            )
            return self.script.pop(0) if self.script else self.default

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self.script.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def server() -> Iterator[PushServer]:
    """A push endpoint on 127.0.0.1, stopped after the test."""
    push_server = PushServer()
    push_server.start()
    try:
        yield push_server
    finally:
        push_server.stop()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _no_botcopy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set BOTCOPY_* themselves; the developer's shell must not leak in."""
    monkeypatch.delenv("BOTCOPY_API_KEY", raising=False)
    monkeypatch.delenv("BOTCOPY_BASE_URL", raising=False)


def _raw_server() -> Iterator[RawServer]:
    raw_server = RawServer()
    raw_server.start()
    try:
        yield raw_server
    finally:
        raw_server.stop()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    """A loopback server answering with raw bytes (see ``rawserver``), stopped after the test."""
    yield from _raw_server()


@pytest.fixture
def elsewhere() -> Iterator[RawServer]:
    """A second raw server: another origin a redirect may point to."""
    yield from _raw_server()
