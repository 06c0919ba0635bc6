"""``botcopy-handover emulate`` and ``send``, run as processes, with a real proxy on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.testing import LoopbackServer
from botcopy_handover.webhook import asgi_app

TOKEN = "cli-emulate-token"
API_KEY = "cli-emulate-key"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    received: list[str] = []

    def on_handover(event: HandoverRequest) -> Reply:
        received.append(f"handover:{event.text}")
        return Pause(minutes=20)

    def on_customer_message(event: CustomerMessage) -> Reply:
        received.append(f"message:{event.text}")
        return Pause(minutes=20)

    app = asgi_app(Webhook(TOKEN), on_handover, on_customer_message)
    with LoopbackServer(app) as server:
        yield f"{server.url}/botcopy", received


@pytest.fixture
def emulator(proxy: tuple[str, list[str]]) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", "emulate", "--port", "0",
         "--webhook-url", proxy[0], "--access-token", TOKEN, "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("Botcopy emulator on http://127.0.0.1:"), first
    url = first.split()[-1]
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(10)
        process.stdout.close()
    assert status == 0  # Ctrl-C is how an emulator stops: a clean end


def test_send_talks_to_the_bot_through_the_emulator(emulator: str) -> None:
    result = cli("send", "Where is my order?", "--emulator", emulator)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "bot: Hi! I'm the Acme bot. How can I help?",
        "bot: I can check that. What's your order number?",
        "bot active",
    ]


def test_send_asking_for_a_human_calls_the_proxy(
    emulator: str, proxy: tuple[str, list[str]]
) -> None:
    result = cli("send", "I want a human", "--emulator", emulator, "--json")
    assert result.returncode == 0, result.stderr
    turn = json.loads(result.stdout)
    assert turn["paused"] is True
    assert turn["webhookCall"]["reply"] == {"paused": True, "minutesPaused": 20}
    assert proxy[1] == ["handover:I want a human"]


def test_push_then_send_shows_what_the_customer_sees(emulator: str) -> None:
    cli("send", "I want a human", "--emulator", emulator)
    env = {**os.environ, "BOTCOPY_API_KEY": API_KEY, "BOTCOPY_BASE_URL": emulator}
    pushed = cli("push", "message", "--user", "user-1", "--bot", "bot-1", "Hi, Dana here", env=env)
    assert pushed.returncode == 0, pushed.stderr
    result = cli("send", "thanks", "--emulator", emulator, "--user", "user-1")
    assert result.stdout.splitlines() == [
        'webhook customer_message: replied, {"paused": true, "minutesPaused": 20}',
        "bot paused: an agent has the chat",
    ]


def test_a_push_with_the_wrong_key_is_refused_by_the_emulator(emulator: str) -> None:
    env = {**os.environ, "BOTCOPY_API_KEY": "wrong", "BOTCOPY_BASE_URL": emulator}
    result = cli("push", "typing", "--user", "u", "--bot", "b", env=env)
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "wrong" not in result.stderr


def test_send_without_an_emulator_says_how_to_start_one() -> None:
    result = cli("send", "hello", "--emulator", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no emulator at http://127.0.0.1:9")
    assert 'start one with "botcopy-handover emulate"' in result.stderr


def test_emulate_refuses_a_malformed_custom_header() -> None:
    result = cli("emulate", "--port", "0", "--custom-header", "no-colon")
    assert result.returncode == 1
    assert result.stderr == "error: --custom-header must look like NAME:VALUE\n"


def test_emulate_help_reads_well() -> None:
    result = cli("emulate", "--help")
    assert result.returncode == 0
    for option in ("--webhook-url", "--access-token", "--api-key", "--platform", "--port"):
        assert option in result.stdout


@pytest.mark.parametrize("variant", ["plain", "mixed"])
def test_emulate_variant_picks_the_wire_forms(variant: str) -> None:
    import httpx

    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", "emulate", "--port", "0",
         "--variant", variant],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    try:
        url = process.stdout.readline().split()[-1]
        # The address is printed once bound; serving starts a moment later.
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/emulator/health", timeout=30)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the emulator never started serving"
                time.sleep(0.1)
        readings = set()
        for n in range(4):
            said = {"text": "hi", "userId": f"u{n}"}
            httpx.post(f"{url}/emulator/customer/says", json=said, timeout=30)
            path = f"{url}/emulator/conversations/bot-1/u{n}"
            conversation = httpx.get(path, timeout=30).json()
            readings.add(json.dumps(conversation["reading"], sort_keys=True))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        process.stdout.close()
    assert len(readings) == (1 if variant == "plain" else 4)
