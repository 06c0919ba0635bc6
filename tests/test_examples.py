"""Every file in examples/ is run by a test, and the parsing example works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def test_every_example_is_run_by_some_test() -> None:
    test_sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    unrun = [p.name for p in EXAMPLES.glob("*.py") if f'"{p.name}"' not in test_sources]
    assert unrun == []


def test_parse_handover_example_prints_the_history() -> None:
    result = run_example("parse_handover.py")
    assert result.returncode == 0, result.stderr
    assert "customer user-5f2b on bot bot-9a1c asked for a human" in result.stdout
    assert "agent -> customer: Hi, I'm Dana from support." in result.stdout
    assert "customer -> agent: Thanks Dana, it's order 1042" in result.stdout
    assert "portal-access-token" not in result.stdout


def test_parse_handover_example_reports_bad_bodies(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 3]")
    result = run_example("parse_handover.py", str(bad))
    assert result.returncode == 1
    assert "must be a JSON object" in result.stderr


REPLICA_LINES = [
    "replica A: handover for user-5f2b, 5 new history items",
    "replica B: same body again, not forwarded to the desk",
    "replica B: Dana answers user-5f2b (found by TICKET-1042)",
    "watcher: pause ends in 1 min: ask Dana to reply",
    "watcher: pause lapsed, the bot answers again: closing TICKET-1042",
]


def test_replicas_example_shares_one_memory_store() -> None:
    result = subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(EXAMPLES / "replicas_shared_state.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["store: memory (one process)", *REPLICA_LINES]


def test_replicas_example_shares_redis() -> None:
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    result = run_example("replicas_shared_state.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["store: Redis", *REPLICA_LINES]
