"""Loopback servers whose answers each test scripts (pushserver.py, rawserver.py); a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.client.pushserver import PushServer
from tests.client.rawserver import RawServer


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
