"""Helpers shared by the whole suite: the fixture files, and the command line run in process.

Plain functions, imported by the tests that use them (as httpx's
``tests/common.py``); ``conftest.py`` files keep only fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import pytest

T = TypeVar("T")

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(relative: str) -> Any:
    """Parse a JSON file under tests/fixtures/."""
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def fixture_bytes(relative: str) -> bytes:
    """Read a file under tests/fixtures/ as bytes, exactly as stored."""
    return (FIXTURES / relative).read_bytes()


START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


async def run(value: Awaitable[T] | T) -> T:
    """The result of a store call, sync or async."""
    if inspect.isawaitable(value):
        return await value
    return value


def _service_url(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set; run the tests through scripts/with-services.sh")
        pytest.skip(f"{variable} is not set (run through scripts/with-services.sh)")
    return url


def redis_url() -> str:
    """The throwaway redis-server's URL (scripts/with-services.sh), or skip (fail under CI)."""
    return _service_url("REDIS_URL")


def cluster_url() -> str:
    """A node of the throwaway Redis Cluster, or skip (fail under CI)."""
    return _service_url("REDIS_CLUSTER_URL")


def moved_replies() -> int:
    """How many MOVED redirections the test cluster's nodes have answered so far.

    A client that routes every command to the node owning its key draws
    none; read it before and after the calls under test (``INFO errorstats``).
    """
    import redis.cluster

    admin = redis.cluster.RedisCluster.from_url(cluster_url())
    try:
        stats = admin.info("errorstats", target_nodes=redis.cluster.RedisCluster.PRIMARIES)
    finally:
        close_redis(admin)
    return sum(int(node.get("errorstat_MOVED", {}).get("count", 0)) for node in stats.values())


def close_redis(client: Any) -> None:
    """Close a blocking redis-py client and every connection it made.

    ``RedisCluster.close()`` leaves open the connections of scripts and of
    commands sent to several nodes (see ``_disconnect_nodes`` in
    botcopy_handover/state/_redis_base.py): left to the garbage collector,
    each becomes a ``ResourceWarning`` in whichever test is running then, or
    at the end of the session.
    """
    import redis.cluster

    from botcopy_handover.state._redis_base import _disconnect_nodes

    client.close()
    if isinstance(client, redis.cluster.RedisCluster):
        _disconnect_nodes(client)


def run_cli(
    *args: str, stdin: str | bytes = b"", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``botcopy-handover ARGS`` in this process: ``main(argv)`` with its streams captured.

    ``stdin`` is what the command reads (``sys.stdin`` and ``sys.stdin.buffer``),
    ``env`` replaces the whole environment for the call when given. The answer
    has the shape of :func:`subprocess.run`'s (exit status, stdout, stderr as
    text) so a test reads the same either way; one process-level smoke test per
    command (``python -m botcopy_handover``) checks the real entry point.
    """
    from botcopy_handover.cli import main

    data = stdin.encode() if isinstance(stdin, str) else stdin
    fake_in = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    out, err = io.BytesIO(), io.BytesIO()
    fake_out = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    fake_err = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    # argparse wraps help to the terminal's width: 80 columns, as in a pipe.
    environment = dict(os.environ if env is None else env)
    environment.setdefault("COLUMNS", "80")
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        mock.patch.object(sys, "stdin", fake_in),
        contextlib.redirect_stdout(fake_out),
        contextlib.redirect_stderr(fake_err),
    ):
        status = main(list(args))
        fake_out.flush()
        fake_err.flush()
    return subprocess.CompletedProcess(
        ["botcopy-handover", *args], status, out.getvalue().decode(), err.getvalue().decode()
    )


class LosesCancellation:
    """Mixin for an async queue or store double whose calls lose a cancellation as redis-py's can.

    redis-py sends every command through `asyncio.wait_for`, which on Python
    3.10 and 3.11 swallows a cancellation arriving just as the send finishes
    (CPython gh-86296). Set ``lose_next_cancel_of`` to a task: the next call
    answered through ``_answer`` cancels it just as its answer is ready, which
    a task awaiting the call directly then never sees on those Pythons.
    """

    lose_next_cancel_of: asyncio.Task[Any] | None = None
    lost = 0  # cancellations made as an answer was ready

    async def _answer(self, value: T) -> T:
        loop = asyncio.get_running_loop()
        sent: asyncio.Future[T] = loop.create_future()
        loop.call_soon(sent.set_result, value)
        target, self.lose_next_cancel_of = self.lose_next_cancel_of, None
        if target is not None:
            self.lost += 1
            loop.call_soon(target.cancel)  # as the send finishes, before wait_for sees it
        return await asyncio.wait_for(sent, 5.0)
