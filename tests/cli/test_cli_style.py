"""Colour on a terminal; plain text with ``NO_COLOR``, ``TERM=dumb``, or when piped."""

from __future__ import annotations

import io
import os
import pty
import socket
import subprocess
import sys

import pytest

from botcopy_handover.cli._style import Style, wants_color


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_a_terminal_gets_colour() -> None:
    assert Style(Terminal()).bad("error:") == "\x1b[1;31merror:\x1b[0m"


def test_a_pipe_stays_plain() -> None:
    assert not wants_color(io.StringIO())
    assert Style(io.StringIO()).bad("error:") == "error:"


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("TERM", "dumb")])
def test_no_color_and_dumb_terminals_stay_plain(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert Style(Terminal()).good("ok") == "ok"


def test_an_empty_no_color_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value disables colour
    assert Style(Terminal()).enabled


def run_on_a_terminal(*args: str, **env: str) -> str:
    """Run the command with stdout and stderr on a pseudo-terminal; return what it wrote."""
    leader, follower = pty.openpty()
    environment = {**os.environ, "TERM": "xterm"}
    environment.pop("NO_COLOR", None)
    environment.update(env)
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", *args],
        stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    process.wait(60)
    return b"".join(chunks).decode()


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/botcopy"


def test_the_command_colours_a_terminal_and_not_with_no_color() -> None:
    url = closed_url()
    coloured = run_on_a_terminal("trigger", "handover", "--to", url)
    assert "\x1b[1;31mno answer\x1b[0m" in coloured
    assert "\x1b[33mhint: could not connect" in coloured
    plain = run_on_a_terminal("trigger", "handover", "--to", url, NO_COLOR="1")
    assert "no answer after" in plain
    assert "\x1b[" not in plain
