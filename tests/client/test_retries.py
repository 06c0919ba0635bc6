"""Retries over real loopback HTTP: what is retried by default, what only on opt-in."""

from __future__ import annotations

import logging

import httpx
import pytest

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    Client,
    RateLimitError,
)
from botcopy_handover.client import RetryPolicy
from tests.client.pushserver import PushServer, Reply

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.002, jitter=0.0)


class Sleeps:
    """An injected sleep that records the waits and does not wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_client(url: str, sleeps: Sleeps, **kwargs: object) -> Client:
    return Client("k", base_url=url, retry=FAST, sleep=sleeps, **kwargs)  # type: ignore[arg-type]


def test_503_is_retried_and_then_succeeds(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(503), Reply(503))
    with make_client(server.url, sleeps) as client:
        result = client.send_message("u1", "b1", "hi")
    assert result.attempts == 3
    assert len(server.received) == 3
    assert len(sleeps.waits) == 2


def test_retried_message_sends_the_same_bytes(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(503))
    with make_client(server.url, sleeps) as client:
        client.send_message("u1", "b1", "hi")
    assert server.received[0].body == server.received[1].body


def test_429_waits_for_retry_after(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(429, headers={"Retry-After": "2"}))
    with make_client(server.url, sleeps) as client:
        assert client.send_message("u1", "b1", "hi").attempts == 2
    assert sleeps.waits == [2.0]


def test_retry_after_longer_than_the_cap_raises_at_once(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(429, headers={"Retry-After": "3600"}))
    with make_client(server.url, sleeps) as client, pytest.raises(RateLimitError) as info:
        client.send_message("u1", "b1", "hi")
    assert info.value.retry_after == 3600.0
    assert sleeps.waits == []
    assert len(server.received) == 1


def test_retries_stop_after_max_retries(server: PushServer, sleeps: Sleeps) -> None:
    server.default = Reply(503)
    client = make_client(server.url, sleeps, max_retries=2)
    with client, pytest.raises(APIStatusError) as info:
        client.send_message("u1", "b1", "hi")
    assert info.value.status_code == 503
    assert "after 3 attempts" in str(info.value)
    assert len(server.received) == 3


def test_max_retries_zero_sends_once(server: PushServer, sleeps: Sleeps) -> None:
    server.default = Reply(503)
    with make_client(server.url, sleeps, max_retries=0) as client, pytest.raises(APIStatusError):
        client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1


def test_backoff_grows_between_retries(server: PushServer) -> None:
    server.default = Reply(503)
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=3, initial_backoff=0.25, jitter=0.0)
    client = Client("k", base_url=server.url, retry=policy, sleep=sleeps)
    with client, pytest.raises(APIStatusError):
        client.typing("u1", "b1")
    assert sleeps.waits == [0.25, 0.5, 1.0]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_are_not_retried_for_a_message(
    server: PushServer, sleeps: Sleeps, status: int
) -> None:
    server.default = Reply(status)
    with make_client(server.url, sleeps) as client, pytest.raises(APIStatusError):
        client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1


def test_retry_unsafe_on_the_client_retries_500(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(500))
    with make_client(server.url, sleeps, retry_unsafe=True) as client:
        assert client.send_message("u1", "b1", "hi").attempts == 2


def test_retry_unsafe_per_call_retries_500(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(500))
    with make_client(server.url, sleeps) as client:
        assert client.send_message("u1", "b1", "hi", retry_unsafe=True).attempts == 2


def test_per_call_false_overrides_the_client(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(500))
    client = make_client(server.url, sleeps, retry_unsafe=True)
    with client, pytest.raises(APIStatusError):
        client.typing("u1", "b1", retry_unsafe=False)
    assert len(server.received) == 1


@pytest.mark.parametrize("call", ["typing", "pause", "resume"])
def test_idempotent_events_retry_500_by_default(
    server: PushServer, sleeps: Sleeps, call: str
) -> None:
    server.reply(Reply(500))
    with make_client(server.url, sleeps) as client:
        result = getattr(client, call)("u1", "b1")
    assert result.attempts == 2


def test_resume_firing_a_dialogflow_event_is_not_retried_on_500(
    server: PushServer, sleeps: Sleeps
) -> None:
    server.reply(Reply(500))
    with make_client(server.url, sleeps) as client, pytest.raises(APIStatusError):
        client.resume("u1", "b1", unpause_event="back_to_bot")
    assert len(server.received) == 1


def test_401_is_never_retried(server: PushServer, sleeps: Sleeps) -> None:
    server.default = Reply(401)
    with (
        make_client(server.url, sleeps, retry_unsafe=True) as client,
        pytest.raises(APIStatusError),
    ):
        client.typing("u1", "b1")
    assert len(server.received) == 1


def test_connection_refused_is_retried_then_raised(closed_port_url: str, sleeps: Sleeps) -> None:
    with make_client(closed_port_url, sleeps) as client, pytest.raises(APIConnectionError) as info:
        client.send_message("u1", "b1", "hi")
    assert type(info.value) is APIConnectionError
    assert len(sleeps.waits) == 2
    assert "after 3 attempts" in str(info.value)


def test_read_timeout_is_not_retried_for_a_message(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(delay=0.5))
    with make_client(server.url, sleeps, timeout=0.05) as client, pytest.raises(APITimeoutError):
        client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1
    assert sleeps.waits == []


def test_read_timeout_is_retried_when_opted_in(server: PushServer, sleeps: Sleeps) -> None:
    # The retry is answered at once, but its answer must arrive within the
    # timeout on a loaded machine too (0.05 s failed once beside three suites).
    server.reply(Reply(delay=1.0))
    with make_client(server.url, sleeps, timeout=0.25) as client:
        assert client.send_message("u1", "b1", "hi", retry_unsafe=True).attempts == 2


def test_per_call_timeout_overrides_the_client(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(delay=0.3))
    with make_client(server.url, sleeps, timeout=5) as client, pytest.raises(APITimeoutError):
        client.send_message("u1", "b1", "hi", timeout=0.05)


def test_dropped_connection_after_sending_is_not_retried(
    server: PushServer, sleeps: Sleeps
) -> None:
    server.reply(Reply(hang_up=True))
    with make_client(server.url, sleeps) as client, pytest.raises(APIConnectionError):
        client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1


def test_retries_are_logged_as_warnings(
    server: PushServer, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(503))
    with (
        make_client(server.url, sleeps) as client,
        caplog.at_level(logging.WARNING, "botcopy_handover"),
    ):
        client.send_message("u1", "b1", "hi")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "HTTP 503" in warnings[0].getMessage()
    assert "retry 1 of 2" in warnings[0].getMessage()


async def test_async_503_is_retried(server: PushServer, sleeps: Sleeps) -> None:
    server.reply(Reply(503), Reply(429, headers={"Retry-After": "1"}))
    async with AsyncClient("k", base_url=server.url, retry=FAST, sleep=sleeps.asleep) as client:
        result = await client.send_message("u1", "b1", "hi")
    assert result.attempts == 3
    assert sleeps.waits[1] == 1.0


async def test_async_connection_refused_is_retried(closed_port_url: str, sleeps: Sleeps) -> None:
    async with AsyncClient(
        "k", base_url=closed_port_url, retry=FAST, sleep=sleeps.asleep
    ) as client:
        with pytest.raises(APIConnectionError):
            await client.typing("u1", "b1")
    assert len(sleeps.waits) == 2


async def test_async_read_timeout_is_not_retried_for_a_message(
    server: PushServer, sleeps: Sleeps
) -> None:
    server.reply(Reply(delay=2.0))
    # Only the read is short: a slow connect on a busy machine is another case.
    timeout = httpx.Timeout(0.2, connect=10.0)
    async with AsyncClient(
        "k", base_url=server.url, retry=FAST, sleep=sleeps.asleep, timeout=timeout
    ) as client:
        with pytest.raises(APITimeoutError):
            await client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1


async def test_async_real_sleep_is_used_by_default(server: PushServer) -> None:
    server.reply(Reply(503))
    async with AsyncClient("k", base_url=server.url, retry=FAST) as client:
        assert (await client.typing("u1", "b1")).attempts == 2
