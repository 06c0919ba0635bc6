"""The benchmarks run (smoke runs), so they cannot rot between measurements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_the_webhook_benchmark_runs_and_prints_its_table() -> None:
    result = subprocess.run(  # noqa: S603 - our own benchmark, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / "webhook.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| 100 | 10 |"))
    ratios = [float(r) for r in re.findall(r"([0-9.]+)x", row)]
    assert len(ratios) == 2
    assert all(0 < ratio < 5 for ratio in ratios)


def test_the_import_benchmark_runs_and_prints_its_table() -> None:
    result = subprocess.run(  # noqa: S603 - our own benchmark, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / "imports.py"), "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    ratios = [float(r) for r in re.findall(r"\| ([0-9.]+)x \|", result.stdout)]
    assert len(ratios) == 4
    assert ratios[0] == 1.0
    assert "first parse_webhook" in result.stdout


def test_the_outbox_benchmark_runs_and_prints_its_table() -> None:
    from tests.helpers import redis_url

    redis_url()  # the redis row needs REDIS_URL (skips without it, fails on CI)
    result = subprocess.run(  # noqa: S603 - our own benchmark, fixed arguments
        [
            sys.executable,
            str(ROOT / "benchmarks" / "outbox.py"),
            "--rounds",
            "1",
            "--customers",
            "10",
            "--messages",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert set(rows) == {"memory", "redis"}
    for row in rows.values():
        [ratio] = [float(r) for r in re.findall(r"([0-9.]+)x$", row)]
        assert 0 < ratio < 5
