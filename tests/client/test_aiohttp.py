"""The aiohttp transport: same payloads, retries and errors as httpx, over loopback."""

from __future__ import annotations

import aiohttp
import pytest

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    ConfigurationError,
    RateLimitError,
)
from botcopy_handover.client import RetryPolicy
from tests.client.pushserver import PushServer, Reply

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.002, jitter=0.0)


def aiohttp_client(url: str, **kwargs: object) -> AsyncClient:
    return AsyncClient("api-key-1", base_url=url, transport="aiohttp", retry=FAST, **kwargs)  # type: ignore[arg-type]


async def test_sends_the_spec_json_and_headers(server: PushServer) -> None:
    async with aiohttp_client(server.url, minutes_paused=12) as client:
        assert client.transport == "aiohttp"
        result = await client.send_message("u1", "b1", "hi")
    request = server.received[0]
    assert request.path == "/webhooks/handover/push"
    assert request.body == result.event.to_json()
    assert request.json()["minutesPaused"] == 12
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "api-key-1"
    assert request.headers["user-agent"].startswith("botcopy-handover/")


async def test_injected_session_is_used_and_never_closed(server: PushServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with AsyncClient("api-key-1", base_url=server.url, http_client=session) as client:
            assert client.transport == "aiohttp"
            await client.typing("u1", "b1")
        assert not session.closed
    assert server.received[0].headers["authorization"] == "api-key-1"


async def test_transport_mismatch_with_the_injected_client_is_refused() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ConfigurationError, match="transport"):
            AsyncClient("k", http_client=session, transport="httpx")


async def test_owned_session_is_closed_on_exit(server: PushServer) -> None:
    async with aiohttp_client(server.url) as client:
        await client.typing("u1", "b1")
    session = client._backend._session  # type: ignore[union-attr]
    assert session is not None and session.closed


async def test_503_is_retried(server: PushServer) -> None:
    server.reply(Reply(503))
    async with aiohttp_client(server.url) as client:
        assert (await client.send_message("u1", "b1", "hi")).attempts == 2


async def test_500_is_not_retried_for_a_message(server: PushServer) -> None:
    server.default = Reply(500, body="boom")
    async with aiohttp_client(server.url) as client:
        with pytest.raises(APIStatusError) as info:
            await client.send_message("u1", "b1", "hi")
    assert info.value.body == "boom"
    assert len(server.received) == 1


async def test_errors_map_to_the_same_types(server: PushServer) -> None:
    server.reply(Reply(401), Reply(429, headers={"Retry-After": "9"}))
    async with aiohttp_client(server.url, max_retries=0) as client:
        with pytest.raises(AuthenticationError):
            await client.typing("u1", "b1")
        with pytest.raises(RateLimitError) as info:
            await client.typing("u1", "b1")
    assert info.value.retry_after == 9.0


async def test_connection_refused_is_retried_then_raised(closed_port_url: str) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with aiohttp_client(closed_port_url, sleep=sleep) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.send_message("u1", "b1", "hi")
    assert type(info.value) is APIConnectionError
    assert len(waits) == 2


async def test_read_timeout_is_not_retried_for_a_message(server: PushServer) -> None:
    server.reply(Reply(delay=0.5))
    async with aiohttp_client(server.url, timeout=0.05) as client:
        with pytest.raises(APITimeoutError):
            await client.send_message("u1", "b1", "hi")
    assert len(server.received) == 1


async def test_per_call_timeout_applies(server: PushServer) -> None:
    server.reply(Reply(delay=0.3))
    async with aiohttp_client(server.url) as client:
        with pytest.raises(APITimeoutError):
            await client.send_message("u1", "b1", "hi", timeout=0.05)
