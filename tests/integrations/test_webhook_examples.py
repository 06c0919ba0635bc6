"""Each webhook example really serves: started on a free loopback port, called, stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from botcopy_handover.testing import (
    WebhookRequest,
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = ROOT / "examples"
TOKEN = "tok-example-5e81c0"
WEBHOOK_EXAMPLES = [
    "webhook_asgi.py",
    "webhook_wsgi.py",
    "webhook_fastapi.py",
    "webhook_flask.py",
    "webhook_django.py",
    "webhook_aiohttp.py",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str

    def post(self, request: WebhookRequest) -> httpx.Response:
        url = f"{self.url}/botcopy"
        return httpx.post(url, content=request.body, headers=request.headers, timeout=5)

    def stop(self) -> str:
        """Stop the example by its pid and return everything it printed."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            output, _ = self.process.communicate()
        return output


def start(name: str, env: dict[str, str]) -> Server:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, "-u", str(EXAMPLES / name), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{server.stop()}")
        try:
            httpx.get(f"{server.url}/botcopy", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        return server
    output = server.stop()
    pytest.fail(f"{name} did not answer on 127.0.0.1:{port} within 30 s:\n{output}")


@pytest.fixture(params=WEBHOOK_EXAMPLES)
def served(request: pytest.FixtureRequest) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    server = start(request.param, {**env, "BOTCOPY_ACCESS_TOKEN": TOKEN})
    try:
        yield server
    finally:
        server.stop()


def test_webhook_example_answers_botcopy_and_refuses_others(served: Server) -> None:
    server = served
    handover = server.post(build_webhook_request(sample_handover(), access_token=TOKEN))
    goodbye = server.post(build_webhook_request(sample_customer_message("bye"), access_token=TOKEN))
    forged = server.post(build_webhook_request(sample_handover(), access_token="tok-guess"))
    array = server.post(build_webhook_request(b"[]", access_token=TOKEN))
    get = httpx.get(f"{server.url}/botcopy", timeout=5)

    assert (handover.status_code, handover.json()) == (200, {"paused": True, "minutesPaused": 30})
    assert (goodbye.status_code, goodbye.json()) == (200, {"paused": False, "minutesPaused": 0})
    assert forged.status_code == 401
    assert forged.json()["error"] == "WebhookAuthenticationError"
    assert array.status_code == 400
    assert (get.status_code, get.headers["allow"]) == (405, "POST")

    output = server.stop()
    assert "new ticket for user-1: 'I want to talk to a human' (4 earlier messages)" in output
    assert "user-1 said goodbye: ticket closed" in output
    assert TOKEN not in output
    assert "tok-guess" not in output


@pytest.mark.parametrize("name", WEBHOOK_EXAMPLES)
def test_webhook_example_without_a_token_says_so(name: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    result = subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(EXAMPLES / name), str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 2
    assert (
        "error: No access token: pass access_tokens= or set BOTCOPY_ACCESS_TOKEN" in result.stderr
    )
