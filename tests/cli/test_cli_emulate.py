"""``botcopy-handover emulate`` and ``send``, with a real proxy on loopback.

``emulate`` runs as a process (it serves until Ctrl-C); ``send`` and ``push``
talk to it in this process (``run_cli``), and one ``send`` runs as a process.
Argument checks and help are read in process too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.cli import main
from botcopy_handover.testing import BotcopyEmulator, LoopbackServer
from botcopy_handover.webhook import asgi_app
from tests.helpers import run_cli

TOKEN = "cli-emulate-token"
API_KEY = "cli-emulate-key"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``send`` and ``push`` against the emulator process, run in this process."""
    return run_cli(*args, env=env)


def cli_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a process: ``send``'s one process-level test."""
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
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


def wait_serving(url: str) -> None:
    """Return once the emulator at ``url`` answers: it prints its address once
    bound, and serves a moment later (a command run in process is faster than
    that moment)."""
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/emulator/health", timeout=2).status_code == 200:
                return
        assert time.monotonic() < deadline, f"the emulator at {url} never started serving"
        time.sleep(0.02)


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
        wait_serving(url)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(10)
        process.stdout.close()
    assert status == 0  # Ctrl-C is how an emulator stops: a clean end


def test_send_talks_to_the_bot_through_the_emulator(emulator: str) -> None:
    result = cli_process("send", "Where is my order?", "--emulator", emulator)
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
    result = run_cli("send", "hello", "--emulator", "http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no emulator at http://127.0.0.1:9")
    assert 'start one with "botcopy-handover emulate"' in result.stderr


def test_emulate_refuses_a_malformed_custom_header() -> None:
    result = run_cli("emulate", "--port", "0", "--custom-header", "no-colon")
    assert result.returncode == 1
    assert result.stderr == "error: --custom-header must look like NAME:VALUE\n"


def test_emulate_help_reads_well() -> None:
    result = run_cli("emulate", "--help")
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
        wait_serving(url)
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


# --- what emulate prints, and changing the webhook while it runs --------------------


def start_emulate(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """An ``emulate`` process; returns it, its URL and the header lines it printed."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    process = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", "emulate", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environment, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert process.stdout is not None
    header: list[str] = []
    while sum(line.lstrip().startswith(("export ", "# BOTCOPY_")) for line in header) < 3:
        line = process.stdout.readline()
        assert line, header
        header.append(line.rstrip("\n"))
    url = header[0].split()[-1]
    wait_serving(url)
    return process, url, header


def stop(process: subprocess.Popen[str], url: str) -> str:
    # Ctrl-C once it serves (start_emulate waited for that): a signal in the
    # first milliseconds of uvicorn's start-up is not what this test is about.
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    return rest


def test_emulate_prints_export_lines_that_a_shell_can_paste(
    proxy: tuple[str, list[str]],
) -> None:
    api_key = "key with 'quotes' and $dollars"
    process, url, header = start_emulate("--access-token", TOKEN, "--api-key", api_key)
    try:
        exports = [line.strip() for line in header if line.strip().startswith("export ")]
        assert [line.split("=")[0] for line in exports] == [
            "export BOTCOPY_BASE_URL",
            "export BOTCOPY_API_KEY",
            "export BOTCOPY_ACCESS_TOKEN",
        ]
        shell = subprocess.run(  # noqa: S603 - bash, fixed script
            ["/bin/bash", "-c", "\n".join(exports) + "\n"
             'printf "%s|%s|%s" "$BOTCOPY_BASE_URL" "$BOTCOPY_API_KEY" "$BOTCOPY_ACCESS_TOKEN"'],
            capture_output=True, text=True, check=True, env={},
        )  # fmt: skip
        assert shell.stdout == f"{url}|{api_key}|{TOKEN}"
    finally:
        stop(process, url)


def test_emulate_never_prints_a_key_or_token_taken_from_the_environment() -> None:
    secrets = {"BOTCOPY_API_KEY": "real-key-from-env", "BOTCOPY_ACCESS_TOKEN": "real-token"}
    process, url, header = start_emulate(env=secrets)
    output = "\n".join(header) + stop(process, url)
    assert "real-key-from-env" not in output
    assert "real-token" not in output
    assert "  # BOTCOPY_API_KEY: as in this shell's environment (not shown)" in header
    assert "  # BOTCOPY_ACCESS_TOKEN: as in this shell's environment (not shown)" in header


def test_emulate_logs_each_webhook_call_once_without_httpx_request_lines(
    proxy: tuple[str, list[str]],
) -> None:
    process, url, _ = start_emulate("--webhook-url", proxy[0], "--access-token", TOKEN)
    try:
        assert cli("send", "I want a human", "--emulator", url).returncode == 0
    finally:
        log = stop(process, url)
    assert "webhook handover call for user-1: replied Pause(minutes=20)" in log
    assert "HTTP Request:" not in log
    assert "\x1b[" not in log  # piped: no colour


def test_the_webhook_url_can_be_changed_while_the_emulator_runs(
    proxy: tuple[str, list[str]],
) -> None:
    process, url, header = start_emulate("--access-token", TOKEN)
    try:
        assert "(none yet" in header[3]
        moved = cli("send", "--webhook-url", proxy[0], "--emulator", url)
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout == f"the emulator now calls {proxy[0]}\n"
        said = cli("send", "I want a human", "--emulator", url)
        assert said.returncode == 0, said.stderr
        assert proxy[1] == ["handover:I want a human"]
        bad = cli("send", "--webhook-url", "ftp://elsewhere", "--emulator", url)
        assert bad.returncode == 1
        assert "webhookUrl must be an absolute http(s) URL" in bad.stderr
    finally:
        stop(process, url)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "65536"), "argument --port: must be from 0 to 65535, not 65536"),
        (("--port", "-1"), "argument --port: must be from 0 to 65535, not -1"),
        (("--port", "http"), "argument --port: 'http' is not a whole number"),
        (("--reply-deadline", "0"), "argument --reply-deadline: must be more than 0"),
        (("--reply-deadline", "inf"), "argument --reply-deadline: must be more than 0"),
    ],
)
def test_emulate_range_checks_ports_and_durations(args: tuple[str, ...], message: str) -> None:
    result = run_cli("emulate", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- send: what went wrong with the proxy, in words ---------------------------------


@pytest.fixture
def running_emulator() -> Iterator[BotcopyEmulator]:
    with BotcopyEmulator(access_token="emulator-side-token") as emulator:
        yield emulator


def test_send_explains_a_401_from_the_proxy(
    running_emulator: BotcopyEmulator,
    proxy: tuple[str, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    running_emulator.webhook_url = proxy[0]  # the proxy expects TOKEN, not the emulator's
    status = main(["send", "I want a human", "--emulator", running_emulator.url])
    out, err = capsys.readouterr()
    assert status == 0
    assert out.startswith("webhook handover: error, no reply (HTTP 401)")
    assert err == (
        "hint: your webhook refused the access token (401): check the emulator's "
        "--access-token against the token your proxy expects (its BOTCOPY_ACCESS_TOKEN), "
        "and the custom header if your portal sets one\n"
    )
    assert "emulator-side-token" not in out + err


def test_send_asks_whether_the_proxy_runs_when_the_connection_is_refused(
    running_emulator: BotcopyEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/botcopy"
    status = main(["send", "I want a human", "--emulator", running_emulator.url,
                   "--webhook-url", url])  # fmt: skip
    out, err = capsys.readouterr()
    assert status == 0
    assert out.startswith("webhook handover: error, no reply (ConnectError)")
    assert err == f"hint: could not connect to {url}: is your proxy running there?\n"


def test_send_json_carries_the_hint(
    running_emulator: BotcopyEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    running_emulator.webhook_url = "http://127.0.0.1:9/botcopy"
    main(["send", "I want a human", "--emulator", running_emulator.url, "--json"])
    turn = json.loads(capsys.readouterr().out)
    assert (
        turn["hint"]
        == "could not connect to http://127.0.0.1:9/botcopy: is your proxy running there?"
    )


def test_send_needs_text_or_a_webhook_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send"]) == 1
    assert capsys.readouterr().err == (
        "error: nothing to do: give TEXT to say, or --webhook-url URL\n"
    )


def test_send_range_checks_wait(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "hi", "--wait", "-1"]) == 2
    assert "argument --wait: must be from 0 to 600 seconds, not -1" in capsys.readouterr().err
