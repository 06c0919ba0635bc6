"""examples/quickstart.py: the whole proxy in at most 25 lines, played against the emulator.

Both run as processes, as a user runs them: ``uvicorn examples.quickstart:app``
and ``botcopy-handover emulate``; the conversation is played through the
emulator's control API and checked from what the customer sees.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.py"
TOKEN, API_KEY = "quickstart-token", "quickstart-key"
USER, BOT = "user-q", "bot-q"


def counted_lines(source: str) -> list[str]:
    """The lines that are not blank and not only a comment."""
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        lines.update(range(token.start[0], token.end[0] + 1))
    return [source.splitlines()[n - 1] for n in sorted(lines)]


def test_the_quickstart_is_at_most_25_counted_lines() -> None:
    assert len(counted_lines(QUICKSTART.read_text())) <= 25


def test_the_line_count_skips_blanks_and_comments_only() -> None:
    assert counted_lines("# c\n\nx = 1  # c\n'''a\nb'''\n") == ["x = 1  # c", "'''a", "b'''"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def servers() -> Iterator[tuple[httpx.Client, Path]]:
    pytest.importorskip("uvicorn")
    emulator_port, proxy_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    env = {
        **os.environ,
        "BOTCOPY_ACCESS_TOKEN": TOKEN,
        "BOTCOPY_API_KEY": API_KEY,
        "BOTCOPY_BASE_URL": emulator_url,
        "PYTHONUNBUFFERED": "1",
    }
    logs = Path(tempfile.mkdtemp(prefix="botcopy-quickstart-"))
    with (logs / "emulator.log").open("wb") as out:
        emulator = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "botcopy_handover", "emulate", "--port", str(emulator_port),
             "--webhook-url", f"http://127.0.0.1:{proxy_port}/botcopy",
             "--access-token", TOKEN, "--api-key", API_KEY],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    with (logs / "proxy.log").open("wb") as out:
        proxy = subprocess.Popen(  # noqa: S603 - uvicorn, as the quickstart says
            [sys.executable, "-m", "uvicorn", "examples.quickstart:app",
             "--host", "127.0.0.1", "--port", str(proxy_port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    client = httpx.Client(base_url=emulator_url, timeout=30)
    try:
        proxy_up = f"http://127.0.0.1:{proxy_port}/botcopy"
        ready = wait_until(
            lambda: (
                client.get("/emulator/health").status_code == 200
                and httpx.get(proxy_up, timeout=5).status_code == 405
            )
        )
        assert ready, (logs / "emulator.log").read_text() + (logs / "proxy.log").read_text()
        yield client, logs
    finally:
        client.close()
        stop(proxy)
        stop(emulator)
    # Stopped by pid, and gone.
    for process in (proxy, emulator):
        with pytest.raises(ProcessLookupError):
            os.kill(process.pid, 0)
    # The proxy shut down cleanly: nothing abandoned or failed after the reply.
    proxy_log = (logs / "proxy.log").read_text()
    assert "failed" not in proxy_log
    assert "abandoned" not in proxy_log


def test_the_quickstart_plays_the_whole_conversation(
    servers: tuple[httpx.Client, Path],
) -> None:
    emulator, logs = servers

    def says(text: str) -> dict[str, Any]:
        turn: dict[str, Any] = emulator.post(
            "/emulator/customer/says", json={"text": text, "userId": USER, "botId": BOT}
        ).json()
        return turn

    def conversation() -> dict[str, Any]:
        data: dict[str, Any] = emulator.get(f"/emulator/conversations/{BOT}/{USER}").json()
        return data

    def agent_lines() -> list[str]:
        return [line["text"] for line in conversation()["transcript"] if line["sender"] == "agent"]

    def events() -> list[dict[str, Any]]:
        return [e["event"] for e in emulator.get("/emulator/events").json()]

    def log() -> str:
        return (logs / "proxy.log").read_text()

    # Handover: the proxy pauses 30 minutes, then Dana joins and greets.
    call = says("I want to talk to a human")["webhookCall"]
    assert call["outcome"] == "replied", log()
    assert call["reply"] == {"paused": True, "minutesPaused": 30}
    assert wait_until(lambda: len(agent_lines()) == 1, 30), log()
    assert conversation()["agentProfile"]["name"] == "Dana"
    assert conversation()["paused"] is True
    kinds = [e["eventType"] for e in events()]
    assert kinds[:2] == ["channel_update", "message"]
    assert events()[0]["paused"] is True

    # Each message: typing, then an answer with the customer's text verbatim.
    text = "Order #1042 — where is it? «ünïcode»"
    call = says(text)["webhookCall"]
    assert call["kind"] == "customer_message" and call["outcome"] == "replied", log()
    assert wait_until(lambda: len(agent_lines()) == 2, 30), log()
    assert text in agent_lines()[1]
    assert [e["eventType"] for e in events()][2:4] == ["user_typing", "message"]

    # "bye": typing, the echo, then the chat goes back to the bot.
    says("bye")
    assert wait_until(lambda: conversation()["paused"] is False, 30), log()
    last = events()[-1]
    assert last["eventType"] == "channel_update" and last["paused"] is False
    assert last.get("unpauseChatEvent", "default") == "default"
    assert "bye" in agent_lines()[2]


def test_the_readmes_first_code_block_is_the_quickstart() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("```", 2)[1]
    assert first.startswith("python\n")
    source = QUICKSTART.read_text(encoding="utf-8")
    assert first.removeprefix("python\n") == source[source.index("from botcopy_handover") :]
