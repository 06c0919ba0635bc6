"""The push examples run against a loopback push endpoint and send what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.client.pushserver import PushServer, Reply

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def run_example(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


def botcopy_env(server: PushServer) -> dict[str, str]:
    return {"BOTCOPY_API_KEY": "example-key", "BOTCOPY_BASE_URL": server.url}


def test_sync_example_pauses_types_answers_and_resumes(server: PushServer) -> None:
    result = run_example("push_sync.py", "user-1", "bot-1", env=botcopy_env(server))
    assert result.returncode == 0, result.stderr
    bodies = [r.json() for r in server.received]
    kinds = [(b["eventType"], b["paused"]) for b in bodies]
    assert kinds[:3] == [("channel_update", True), ("message", True), ("user_typing", True)]
    assert kinds[-2:] == [("message", True), ("channel_update", False)]
    assert {b["userId"] for b in bodies} == {"user-1"}
    assert bodies[0]["minutesPaused"] == 30
    assert all(r.headers["authorization"] == "example-key" for r in server.received)
    assert "handed user-1 back to the bot" in result.stdout


def test_sync_example_reports_a_refused_key(server: PushServer) -> None:
    server.default = Reply(401)
    result = run_example("push_sync.py", "user-1", "bot-1", env=botcopy_env(server))
    assert result.returncode == 1
    assert "refused the API key" in result.stderr
    assert "example-key" not in result.stderr + result.stdout


def test_sync_example_explains_a_missing_key(server: PushServer) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOTCOPY_API_KEY"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(EXAMPLES / "push_sync.py"), "u", "b"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "BOTCOPY_API_KEY" in result.stderr


def test_async_example_serves_every_customer(server: PushServer) -> None:
    users = ["user-1", "user-2", "user-3"]
    result = run_example("push_async.py", "bot-1", *users, env=botcopy_env(server))
    assert result.returncode == 0, result.stderr
    for user in users:
        assert f"{user}: answered and handed back to the bot (aiohttp)" in result.stdout
        mine = [r.json() for r in server.received if r.json()["userId"] == user]
        assert mine[0]["eventType"] == "channel_update" and mine[0]["paused"] is True
        assert mine[-1]["eventType"] == "channel_update" and mine[-1]["paused"] is False
        assert any(b["eventType"] == "message" for b in mine)
