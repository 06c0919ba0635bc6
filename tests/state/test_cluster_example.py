"""examples/replicas_cluster.py runs against the real three-master cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import cluster_url

ROOT = Path(__file__).parent.parent.parent


def run_example(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(ROOT / "examples" / "replicas_cluster.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=env,
    )


def test_the_cluster_example_spreads_conversations_and_notices_each_lapse_once() -> None:
    result = run_example({**os.environ, "REDIS_CLUSTER_URL": cluster_url()})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("replica A: 30 handovers, on 3 masters: ")
    assert lines[1:] == [
        "replica B: ticket TICKET-1042 is customer-07, paused=True",
        "replica B: ticket TICKET-1042 is customer-07, paused=False",
        "lapses noticed: 30 of 30, each once: True",
    ]


def test_the_cluster_example_says_what_it_needs_without_a_cluster() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_CLUSTER_URL"}
    result = run_example(env)
    assert result.returncode == 2
    assert "REDIS_CLUSTER_URL" in result.stdout
