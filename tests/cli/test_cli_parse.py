"""``botcopy-handover parse``: a webhook body in, the typed event and its transcript out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from botcopy_handover import parse_webhook, render_transcript
from tests.helpers import FIXTURES, fixture_bytes
from tests.helpers import run_cli as cli

STEP_ONE = FIXTURES / "webhooks" / "step_one_spec.json"
STEP_TWO = FIXTURES / "webhooks" / "step_two_spec.json"


def process(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """The command as its own process: ``python -m botcopy_handover ARGS``."""
    result = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "botcopy_handover", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def test_help_explains_input_and_output() -> None:
    result = cli("parse", "--help")
    assert result.returncode == 0
    assert "usage: botcopy-handover parse [-h] [--format {text,markdown,html}] [--json]" in (
        result.stdout
    )
    assert "The access token is\nnever shown." in result.stdout
    assert "botcopy-handover parse --json body.json" in result.stdout


def test_parse_file_prints_the_summary_then_the_transcript() -> None:
    result = cli("parse", str(STEP_ONE))
    assert result.returncode == 0, result.stderr
    summary, transcript = result.stdout.split("\n\n", 1)
    assert summary.splitlines() == [
        "Step One: handover request (HandoverRequest)",
        "  bot:          bot-9a1c",
        "  customer:     user-5f2b",
        "  session:      6e3d0c52-session",
        "  language:     en",
        "  text:         I want to talk to a human",
        "  bot said:     Connecting you with an agent now.",
        "  dialogflow:   Dialogflow ES, intent human.handover",
        "  history:      5 items (customer_query 1, customer_event 1, bot_response 1, "
        "agent_message 1, customer_to_agent 1)",
        "  access token: present (not shown)",
    ]
    assert transcript == render_transcript(parse_webhook(STEP_ONE.read_bytes()))


def test_parse_reads_stdin_when_no_file_is_named() -> None:
    result = cli("parse", stdin=STEP_TWO.read_bytes())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Step Two: customer message while paused (CustomerMessage)\n")
    assert "  text:         Are you still there?\n" in result.stdout


def test_parse_runs_as_a_process_reading_the_real_stdin() -> None:
    # The process-level smoke test of `parse`; the other cases run main() in process.
    result = process("parse", stdin=STEP_TWO.read_bytes())
    assert result.returncode == 0, result.stderr
    assert result.stdout == cli("parse", stdin=STEP_TWO.read_bytes()).stdout
    assert "Customer (to agent): Are you still there?" in result.stdout


def test_parse_reads_stdin_for_a_dash() -> None:
    result = cli("parse", "-", stdin=STEP_TWO.read_bytes())
    assert result.returncode == 0, result.stderr
    assert "Customer (to agent): Are you still there?" in result.stdout


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_format_chooses_the_transcript_format(fmt: str) -> None:
    result = cli("parse", "--format", fmt, str(STEP_ONE))
    assert result.returncode == 0, result.stderr
    expected = render_transcript(parse_webhook(STEP_ONE.read_bytes()), fmt)  # type: ignore[arg-type]
    assert result.stdout.endswith("\n\n" + expected)


def test_unknown_format_is_a_usage_error() -> None:
    result = cli("parse", "--format", "pdf", str(STEP_ONE))
    assert result.returncode == 2
    assert "invalid choice: 'pdf'" in result.stderr


def test_json_output_for_a_handover() -> None:
    result = cli("parse", "--json", str(STEP_ONE))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "kind": "handover_request",
        "bot_id": "bot-9a1c",
        "user_id": "user-5f2b",
        "session_id": "6e3d0c52-session",
        "session": "projects/acme-bot/agent/sessions/6e3d0c52-session",
        "language_code": "en",
        "text": "I want to talk to a human",
        "has_access_token": True,
        "platform": "dialogflowES",
        "intent": "human.handover",
        "bot_texts": ["Connecting you with an agent now."],
        "history_kinds": [
            "customer_query",
            "customer_event",
            "bot_response",
            "agent_message",
            "customer_to_agent",
        ],
        "transcript_format": "text",
        "transcript": render_transcript(parse_webhook(STEP_ONE.read_bytes())),
    }


def test_json_output_for_a_customer_message() -> None:
    result = cli("parse", "--json", "--format", "html", stdin=STEP_TWO.read_bytes())
    data = json.loads(result.stdout)
    assert data["kind"] == "customer_message"
    assert data["text"] == "Are you still there?"
    assert "history_kinds" not in data
    assert data["transcript"].startswith('<section class="botcopy-transcript">')


@pytest.mark.parametrize("args", [(), ("--json",), ("--format", "html"), ("--format", "markdown")])
def test_access_token_is_never_printed(args: tuple[str, ...]) -> None:
    result = cli("parse", *args, str(STEP_ONE))
    assert result.returncode == 0
    assert "portal-access-token" not in result.stdout + result.stderr


def test_invalid_body_prints_field_paths_and_exits_1() -> None:
    body = json.loads(fixture_bytes("webhooks/step_one_spec.json"))
    body["messageHistory"] = "not a list"
    del body["botId"]
    result = cli("parse", stdin=json.dumps(body).encode())
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: Invalid Step One (handover) body: ")
    assert "botId: Field required" in result.stderr
    assert "messageHistory: Input should be a valid list" in result.stderr
    assert "portal-access-token" not in result.stderr


def test_body_that_is_not_utf8_exits_1() -> None:
    result = cli("parse", stdin=b"\xff\xfe")
    assert result.returncode == 1
    assert result.stderr == "error: Request body is not valid UTF-8\n"


def test_missing_file_exits_1_with_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = cli("parse", str(missing))
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: cannot read webhook body from {missing}: No such file or directory\n"
    )


def test_terminal_escapes_in_the_body_are_not_printed() -> None:
    body = json.loads(fixture_bytes("webhooks/step_two_spec.json"))
    body["queryInput"]["text"]["text"] = "hi \x1b]0;owned\x07 there"
    result = cli("parse", stdin=json.dumps(body).encode())
    assert result.returncode == 0
    assert "\x1b" not in result.stdout
    assert "hi \ufffd]0;owned\ufffd there" in result.stdout
