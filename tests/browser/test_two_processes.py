"""Two console processes behind one load balancer share conversations through Redis."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.browser.test_handover import console_page, customer_page, lines, say

# Conversations shared through Redis between processes are tested on every
# Python without a browser (tests/console/test_chat_log.py, news reaching
# another process); the two console processes here run the suite's Python, and
# what this adds, two pages in Chromium agreeing live, is the same whichever
# Python serves them.
pytestmark = pytest.mark.python_independent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ConsoleProcess:
    """``botcopy-handover console`` as a process of its own."""

    def __init__(self, emulator: BotcopyEmulator, redis_url: str, prefix: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "BOTCOPY_ACCESS_TOKEN": emulator.access_token,
            "BOTCOPY_API_KEY": emulator.api_key,
            "BOTCOPY_BASE_URL": emulator.url,
        }
        env.pop("BOTCOPY_CONSOLE_SECRET", None)
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "botcopy_handover",
                "console",
                "--port",
                str(self.port),
                "--redis-url",
                redis_url,
                "--redis-prefix",
                prefix,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the console did not start: {self.output}")
            time.sleep(0.1)

    output = ""
    """What the process printed, once stopped."""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate(timeout=5)
        self.output = out.decode(errors="replace")


@pytest.fixture
def two_consoles(redis_url: str, redis_prefix: str) -> Iterator[tuple[BotcopyEmulator, Any, Any]]:
    with BotcopyEmulator() as emulator:
        first = ConsoleProcess(emulator, redis_url, redis_prefix)
        try:
            second = ConsoleProcess(emulator, redis_url, redis_prefix)
            try:
                yield emulator, first, second
            finally:
                second.stop()
        finally:
            first.stop()
    import redis

    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{redis_prefix}*"))
        if keys:
            client.delete(*keys)


def test_a_message_reaching_one_process_appears_live_in_a_browser_on_the_other(
    context: Any, two_consoles: tuple[BotcopyEmulator, Any, Any]
) -> None:
    emulator, first, second = two_consoles
    # Botcopy's calls reach the first process; the agent's browser is on the second.
    emulator.webhook_url = f"{first.url}/botcopy"

    customer = customer_page(context, emulator.url, "dave-9")
    agent = console_page(context, second.url)

    say(customer, "I want a human")
    agent.get_by_role("list", name="Conversations").get_by_role(
        "button", name=re.compile("dave-9")
    ).click()
    expect(lines(customer, "system")).to_have_text(["You are now chatting with an Agent."])

    say(customer, "Are you there?")
    transcript = agent.get_by_role("log", name="Transcript")
    expect(transcript.locator('[data-sender="customer"] .bubble')).to_have_text(["Are you there?"])

    agent.get_by_label("Reply").fill("Yes, how can I help?")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(lines(customer, "agent")).to_contain_text(["Yes, how can I help?"])

    # The first process shows the same conversation, with the agent's line.
    other = console_page(context, first.url, name="Sam")
    other.get_by_role("list", name="Conversations").get_by_role(
        "button", name=re.compile("dave-9")
    ).click()
    expect(
        other.get_by_role("log", name="Transcript").locator('[data-sender="agent"]')
    ).to_contain_text(["Yes, how can I help?"])
