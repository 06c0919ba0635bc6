"""The soak in small: 500 customer messages through emulator, proxy and faults.

Runs scripts/soak.py exactly as ``make soak`` does (processes on loopback,
stopped by pid), with 500 messages instead of 10,000 and twice the relay's
drop rates (so that both kinds of drop still happen, about five each: the
draws are seeded), and holds it to the same goals. Sized for `make test`,
which runs it once per Python; docs/reliability.md has the figures of the
long run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 500


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("soak") / "report.json"
    command = [sys.executable, str(ROOT / "scripts" / "soak.py"), "--messages", str(MESSAGES),
               "--customers", "10", "--drop-before", "0.01", "--drop-after", "0.01",
               "--max-seconds", "300", "--json", str(out)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=420)  # noqa: S603
    assert out.exists(), done.stdout + done.stderr
    data: dict[str, object] = json.loads(out.read_text())
    data["stdout"] = done.stdout
    return data


@pytest.mark.soak
def test_every_message_is_sent_and_faults_were_injected(report: dict[str, object]) -> None:
    assert report["sent"] == MESSAGES, report["stdout"]
    relay = report["relayFaults"]
    assert isinstance(relay, dict)
    assert relay.get("drop_before", 0) > 0, report["stdout"]
    assert relay.get("drop_after", 0) > 0, report["stdout"]
    assert report["sdkErrors"], report["stdout"]


@pytest.mark.soak
def test_no_message_is_delivered_twice(report: dict[str, object]) -> None:
    assert report["deliveredTwice"] == 0, report["stdout"]


@pytest.mark.soak
def test_no_message_is_lost_silently(report: dict[str, object]) -> None:
    assert report["lostSilently"] == 0, report["stdout"]
    assert report["unexpectedErrors"] == {}, report["stdout"]
    assert report["proxySettled"], report["stdout"]


@pytest.mark.soak
def test_every_webhook_call_is_answered_within_5_seconds(report: dict[str, object]) -> None:
    slowest = report["slowestWebhookAnswer"]
    assert isinstance(slowest, float)
    assert slowest < 5.0, report["stdout"]


@pytest.mark.soak
def test_the_proxy_memory_grows_less_than_10_mb(report: dict[str, object]) -> None:
    growth = report["proxyRssGrowthMb"]
    assert isinstance(growth, float)
    assert growth < 10.0, report["stdout"]


@pytest.mark.soak
def test_a_push_the_sdk_called_undelivered_never_reached_the_customer(
    report: dict[str, object],
) -> None:
    # maybe_delivered=False promises the push surely did not arrive.
    assert report["deliveredThoughSdkSaidNot"] == 0, report["stdout"]
