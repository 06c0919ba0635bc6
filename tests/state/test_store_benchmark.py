"""The store benchmark runs (a smoke run, single server and cluster), so it cannot rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import cluster_url, redis_url

ROOT = Path(__file__).parent.parent.parent


def test_the_store_benchmark_runs_on_one_server_and_on_the_cluster() -> None:
    env = {**os.environ, "REDIS_URL": redis_url(), "REDIS_CLUSTER_URL": cluster_url()}
    result = subprocess.run(  # noqa: S603 - our own benchmark, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / "store.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Redis Cluster of 3 masters: RedisStore (sync)" in result.stdout
    assert "Redis Cluster of 3 masters: AsyncRedisStore" in result.stdout
    ratios = [float(r) for r in re.findall(r"\| ([0-9.]+)x \|", result.stdout)]
    assert len(ratios) == 14  # 4 + 3 operations, on one server and on the cluster
    assert all(0 < ratio < 10 for ratio in ratios)
