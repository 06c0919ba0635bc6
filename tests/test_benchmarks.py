"""The benchmarks run (smoke runs), so they cannot rot between measurements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def run_benchmark(name: str, *args: str) -> str:
    """Run ``benchmarks/<name>`` with ``args``; what it printed (it must succeed)."""
    result = subprocess.run(  # noqa: S603 - our own benchmark, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_webhook_benchmark_runs_and_prints_its_table() -> None:
    stdout = run_benchmark("webhook.py", "--quick")
    row = next(line for line in stdout.splitlines() if line.startswith("| 100 | 10 |"))
    ratios = [float(r) for r in re.findall(r"([0-9.]+)x", row)]
    assert len(ratios) == 2
    assert all(0 < ratio < 5 for ratio in ratios)


# `make bench` runs the import and outbox benchmarks on the dev environment's
# Python only (the webhook one on every Python): their smoke runs are
# Python-independent, run once per `make test`.
@pytest.mark.python_independent
def test_the_import_benchmark_runs_and_prints_its_table() -> None:
    stdout = run_benchmark("imports.py", "--rounds", "1")
    ratios = [float(r) for r in re.findall(r"\| ([0-9.]+)x \|", stdout)]
    assert len(ratios) == 4
    assert ratios[0] == 1.0
    assert "first parse_webhook" in stdout


@pytest.mark.python_independent
def test_the_outbox_benchmark_runs_and_prints_its_table() -> None:
    from tests.helpers import redis_url

    redis_url()  # the redis row needs REDIS_URL (skips without it, fails on CI)
    stdout = run_benchmark("outbox.py", "--rounds", "1", "--customers", "10", "--messages", "5")
    rows = {line.split()[0]: line for line in stdout.splitlines()[2:]}
    assert set(rows) == {"memory", "redis"}
    for row in rows.values():
        [ratio] = [float(r) for r in re.findall(r"([0-9.]+)x$", row)]
        assert 0 < ratio < 5
