"""`make demo`: the whole handover end to end against the emulator, run as a user runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

STEPS = [
    "[ok] the bot answers a plain question",
    "[ok] Botcopy calls the proxy (Step One, with history) and the proxy pauses the bot",
    "[ok] the agent joins with her name and avatar, types, and answers",
    "[ok] the customer's reply reaches the proxy while paused (Step Two)",
    "[ok] the agent answers and hands the chat back to the bot with no goodbye line",
    "[ok] the desk saw the history, the customer's reply and its own answers",
]


def check_output(stdout: str) -> None:
    lines = [line.strip() for line in stdout.splitlines()]
    assert [line for line in lines if line.startswith(("[ok]", "[FAILED]"))] == STEPS
    assert "As the customer saw it:" in lines
    assert "As the agent saw it:" in lines
    assert "agent: Hi, I'm Dana. I can see your order question. Which order?" in lines
    assert "demo passed: all 6 steps happened (processes stopped)" in lines


def test_the_demo_plays_every_step_and_stops_its_processes(tmp_path: Path) -> None:
    # demo.py starts "demo_proxy.py" and the emulator as processes of their own.
    result = subprocess.run(  # noqa: S603 - our own example
        [sys.executable, str(ROOT / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []  # the servers' logs are kept only on a failure
    check_output(result.stdout)
    pids = [int(word) for word in result.stdout.split() if word.isdigit()][:2]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.python_independent  # `make demo` runs the dev environment (.venv)
def test_make_demo_runs_the_demo() -> None:
    if not (ROOT / ".venv" / ".installed-stamp").exists() or shutil.which("make") is None:
        if os.environ.get("CI"):
            pytest.fail("make demo needs the environment `make test` builds first")
        pytest.skip("no .venv (run `make test` or `make demo` once)")
    result = subprocess.run(
        ["make", "--no-print-directory", "demo"],  # noqa: S607 - make from PATH, as a user runs it
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    check_output(result.stdout)
