"""A loopback server that answers with raw bytes: the misbehaving Botcopy, proxy or attacker.

Each connection's request is read (head, then a ``Content-Length`` body),
recorded, and handed to a *behaviour*: a function that writes whatever bytes
it likes to the socket, waits, or hangs up. Behaviours see the request's
``Authorization`` value, so they can echo the API key into places where
HTTP parsers quote it in their errors. Every answer closes the connection.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RawRequest:
    """A request the server read: what the client sent, byte for byte."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")


Behaviour = Callable[[socket.socket, RawRequest, threading.Event], None]
"""Writes an answer (or not) to the socket; the event is set when the server stops."""


def answer(
    status: int,
    body: bytes = b'{"ok":true}',
    headers: dict[str, str] | None = None,
    reason: str = "Reason",
) -> Behaviour:
    """A well-formed answer with ``status``, ``headers`` and ``body``."""

    def behave(sock: socket.socket, request: RawRequest, stop: threading.Event) -> None:
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines += ["Connection: close", "", ""]
        sock.sendall("\r\n".join(lines).encode("latin-1") + body)

    return behave


def raw(template: str) -> Behaviour:
    """Send ``template`` as is, with ``{key}`` replaced by the request's Authorization value."""

    def behave(sock: socket.socket, request: RawRequest, stop: threading.Event) -> None:
        sock.sendall(template.replace("{key}", request.authorization).encode("latin-1"))

    return behave


def cut_short(status: int) -> Behaviour:
    """Promise a 100-byte body, send 5 bytes of it, hang up."""
    return raw(f'HTTP/1.1 {status} Cut\r\nContent-Length: 100\r\n\r\n{{"ok"')


def hang_up() -> Behaviour:
    """Read the whole request, then close without a word."""

    def behave(sock: socket.socket, request: RawRequest, stop: threading.Event) -> None:
        pass

    return behave


def slow(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait ``seconds`` (less if the server stops), then behave as ``then`` (default 200)."""
    after = then or answer(200)

    def behave(sock: socket.socket, request: RawRequest, stop: threading.Event) -> None:
        if not stop.wait(seconds):
            after(sock, request, stop)

    return behave


class RawServer:
    """Plays the scripted behaviours in order, then ``default``; records every request.

    A behaviour flagged ``before_body`` by :meth:`drop_before_body` hangs up
    right after the request head, before reading the body.
    """

    def __init__(self) -> None:
        self.script: list[Behaviour] = []
        self.default: Behaviour = answer(200)
        self.received: list[RawRequest] = []
        self.drop_before_body = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._handle(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._tcp.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._tcp.server_address[1]}"
        self._thread = threading.Thread(
            target=self._tcp.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def play(self, *behaviours: Behaviour) -> None:
        """Answer the next requests with ``behaviours``, in order."""
        with self._lock:
            self.script.extend(behaviours)

    def _handle(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if self.drop_before_body:
                request = RawRequest(method, path, headers, b"")
                with self._lock:
                    self.received.append(request)
                return
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
            request = RawRequest(method, path, headers, body)
            with self._lock:
                self.received.append(request)
                behaviour = self.script.pop(0) if self.script else self.default
            behaviour(sock, request, self._stop)
        except OSError:
            pass  # the client went away: that may be the test's point
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._tcp.shutdown()
        self._tcp.server_close()
        self._thread.join()
