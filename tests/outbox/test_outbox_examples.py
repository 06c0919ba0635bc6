"""The outbox examples run and print what they promise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.test_examples import EXAMPLES, ROOT

ASYNC_LINES = [
    "not delivered: 'Hi Ben!' (maybe_delivered, maybe delivered: True)",
    "not delivered: 'Are you still there?' (chat_ended, maybe delivered: False)",
    "ana sees: Hi Ana, I'm Dana.",
    "ana sees: Let me look at order 1042.",
    "ana sees: It ships today.",
    "ben sees: How can I help?",
]


def run(name: str, *, redis: bool) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if not redis:
        env.pop("REDIS_URL", None)
    return subprocess.run(  # noqa: S603 - our own example, fixed arguments
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=ROOT,
        env=env,
    )


def test_the_async_outbox_example_in_memory() -> None:
    result = run("outbox_async.py", redis=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["queue: memory (one process)", *ASYNC_LINES]


def test_the_async_outbox_example_on_redis() -> None:
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL is not set; run the tests through scripts/with-services.sh")
        pytest.skip("REDIS_URL is not set (run through scripts/with-services.sh)")
    result = run("outbox_async.py", redis=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["queue: Redis", *ASYNC_LINES]


def test_the_sync_outbox_example_retries_503_and_keeps_order() -> None:
    result = run("outbox_sync.py", redis=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ana sees: Step 1 of 3 | Step 2 of 3 | Step 3 of 3",
        "ben sees: Ben, step 1 of 3 | Ben, step 2 of 3 | Ben, step 3 of 3",
    ]
