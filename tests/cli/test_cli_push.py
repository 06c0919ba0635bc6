"""``botcopy-handover push``: events reach a loopback server exactly as the spec says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.helpers import run_cli

API_KEY = "sk-test-cli-0123456789"
PUSH_PATH = "/webhooks/handover/push"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class PushServer:
    """A loopback HTTP server that records every request and answers as told."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    reply: bytes = b'{"ok": true}'


@pytest.fixture
def server() -> Iterator[PushServer]:
    state = PushServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                Recorded(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.reply)))
            self.end_headers()
            self.wfile.write(state.reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    env.update(extra)
    return env


def process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m botcopy_handover push ARGS`` as its own process."""
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "botcopy_handover", "push", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def push(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``botcopy-handover push ARGS`` run in process (``main(argv)``)."""
    return run_cli(
        "push", *args, stdin=stdin, env=clean_env(BOTCOPY_API_KEY=API_KEY) if env is None else env
    )


def to(server: PushServer) -> tuple[str, str]:
    return ("--base-url", server.url)


# --- what is sent -------------------------------------------------------------------


def test_message_is_posted_with_the_spec_json_and_headers(server: PushServer) -> None:
    result = push("message", *to(server), "--user", "u1", "--bot", "b1", "Hi, I'm Dana.")
    assert result.returncode == 0, result.stderr
    (request,) = server.requests
    assert request.path == PUSH_PATH
    assert request.headers["authorization"] == API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "eventType": "message",
        "userId": "u1",
        "botId": "b1",
        "paused": True,
        "minutesPaused": 10,
        "text": "Hi, I'm Dana.",
    }
    assert (
        result.stdout
        == "sent message to customer u1 on bot b1 (paused 10 more minutes) (HTTP 200, 1 attempt)\n"
    )


def test_message_text_can_come_from_stdin(server: PushServer) -> None:
    result = push(
        "message", *to(server), "--user", "u1", "--bot", "b1", "-", stdin="line 1\nline 2\n"
    )
    assert result.returncode == 0, result.stderr
    assert server.requests[0].json()["text"] == "line 1\nline 2"


def test_pause_sends_the_agent_profile(server: PushServer) -> None:
    result = push(
        "pause", *to(server), "--user", "u1", "--bot", "b1", "--minutes", "30",
        "--agent-name", "Dana", "--agent-avatar-url", "https://example.test/dana.png",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert server.requests[0].json() == {
        "eventType": "channel_update",
        "userId": "u1",
        "botId": "b1",
        "paused": True,
        "minutesPaused": 30,
        "agentProfile": {"name": "Dana", "avatarUrl": "https://example.test/dana.png"},
    }
    assert result.stdout == (
        "paused the bot for customer u1 on bot b1 as Dana (30 minutes) (HTTP 200, 1 attempt)\n"
    )


def test_resume_sends_the_unpause_event(server: PushServer) -> None:
    result = push("resume", *to(server), "--user", "u1", "--bot", "b1", "--unpause-event", "none")
    assert result.returncode == 0, result.stderr
    assert server.requests[0].json() == {
        "eventType": "channel_update",
        "userId": "u1",
        "botId": "b1",
        "paused": False,
        "unpauseChatEvent": "none",
    }


def test_resume_without_unpause_event_leaves_it_out(server: PushServer) -> None:
    push("resume", *to(server), "--user", "u1", "--bot", "b1")
    assert "unpauseChatEvent" not in server.requests[0].json()


def test_typing_sends_user_typing(server: PushServer) -> None:
    result = push("typing", *to(server), "--user", "u1", "--bot", "b1", "--minutes", "5")
    assert result.returncode == 0, result.stderr
    assert server.requests[0].json() == {
        "eventType": "user_typing",
        "userId": "u1",
        "botId": "b1",
        "paused": True,
        "minutesPaused": 5,
    }
    assert result.stdout == (
        "showed the typing indicator to customer u1 on bot b1 (HTTP 200, 1 attempt)\n"
    )


def test_json_prints_what_was_sent(server: PushServer) -> None:
    result = push("typing", *to(server), "--user", "u1", "--bot", "b1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["event"] == server.requests[0].json()
    assert (report["sent"], report["status"], report["attempts"]) == (True, 200, 1)
    assert report["elapsed"] >= 0


# --- where it goes, and with which key -----------------------------------------------


def test_push_runs_as_a_process_with_the_key_from_its_environment(server: PushServer) -> None:
    # The process-level smoke test of `push`; the other cases run main() in process.
    env = clean_env(BOTCOPY_API_KEY=API_KEY, BOTCOPY_BASE_URL=server.url)
    result = process("message", "--user", "u1", "--bot", "b1", "hello", env=env)
    assert result.returncode == 0, result.stderr
    (request,) = server.requests
    assert request.headers["authorization"] == API_KEY
    assert request.json()["text"] == "hello"


def test_base_url_comes_from_the_environment(server: PushServer) -> None:
    env = clean_env(BOTCOPY_API_KEY=API_KEY, BOTCOPY_BASE_URL=server.url)
    result = push("typing", "--user", "u1", "--bot", "b1", env=env)
    assert result.returncode == 0, result.stderr
    assert len(server.requests) == 1


def test_api_key_env_names_another_variable(server: PushServer) -> None:
    env = clean_env(DESK_BOTCOPY_KEY="other-key")
    result = push(
        "typing",
        *to(server),
        "--user",
        "u1",
        "--bot",
        "b1",
        "--api-key-env",
        "DESK_BOTCOPY_KEY",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert server.requests[0].headers["authorization"] == "other-key"


def test_missing_api_key_exits_1_before_sending(server: PushServer) -> None:
    result = push("typing", *to(server), "--user", "u1", "--bot", "b1", env=clean_env())
    assert result.returncode == 1
    assert result.stderr == (
        "error: no API key: set the environment variable BOTCOPY_API_KEY"
        " (or name another variable with --api-key-env)\n"
    )
    assert server.requests == []


def test_there_is_no_option_to_pass_the_key_itself() -> None:
    result = push("typing", "--user", "u1", "--bot", "b1", "--api-key", API_KEY)
    assert result.returncode == 2
    assert API_KEY not in result.stderr


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            ("message", "--user", "u1", "--bot", "b1", "   "),
            "error: invalid message: TEXT: must not be empty",
        ),
        (
            ("pause", "--user", "u1", "--bot", "b1", "--agent-avatar-url", "javascript:x"),
            "error: invalid pause: --agent-avatar-url: must be an absolute http(s) URL",
        ),
        (
            ("resume", "--user", "u1", "--bot", "b1", "--unpause-event", "no spaces"),
            "error: invalid resume: --unpause-event: ",
        ),
    ],
)
def test_invalid_event_exits_1_naming_the_flag_and_sends_nothing(
    server: PushServer, args: tuple[str, ...], reason: str
) -> None:
    result = push(*args, *to(server))
    assert result.returncode == 1
    assert result.stderr.startswith(reason)
    assert len(result.stderr.splitlines()) == 1
    for python_name in ("agent_avatar_url", "unpause_event", "minutes_paused", "Value error"):
        assert python_name not in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("minutes", ["0", "-5", "525601", "ten"])
def test_minutes_out_of_range_is_a_usage_error_naming_the_flag(
    server: PushServer, minutes: str
) -> None:
    result = push("typing", "--user", "u1", "--bot", "b1", "--minutes", minutes, *to(server))
    assert result.returncode == 2
    assert "argument --minutes: " in result.stderr
    assert "Traceback" not in result.stderr
    assert server.requests == []


def test_refused_key_exits_1_without_printing_it(server: PushServer) -> None:
    server.status = 401
    server.reply = b'{"error": "bad key"}'
    result = push("message", *to(server), "--user", "u1", "--bot", "b1", "hello")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "401" in result.stderr
    assert API_KEY not in result.stdout + result.stderr


def test_unreachable_server_exits_1() -> None:
    result = push(
        "typing", "--base-url", "http://127.0.0.1:9", "--no-retry", "--user", "u1", "--bot", "b1"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: Could not reach http://127.0.0.1:9")


def test_missing_user_is_a_usage_error() -> None:
    result = push("typing", "--bot", "b1")
    assert result.returncode == 2
    assert "the following arguments are required: --user" in result.stderr


def test_help_lists_the_four_events() -> None:
    result = push("--help")
    assert result.returncode == 0
    for event in ("message", "pause", "resume", "typing"):
        assert f"\n    {event} " in result.stdout
    assert "never taken as an argument" in result.stdout


def test_event_help_lists_its_options() -> None:
    result = push("pause", "--help")
    assert result.returncode == 0
    for option in (
        "--user USER_ID",
        "--bot BOT_ID",
        "--minutes N",
        "--agent-name NAME",
        "--agent-avatar-url URL",
        "--api-key-env NAME",
        "--base-url URL",
        "--json",
    ):
        assert option in result.stdout
