"""Botcopy's answers and transport failures become typed errors, never showing the key."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BotcopyError,
    Client,
    RateLimitError,
)

KEY = "sk-live-very-secret"


def client_answering(handler: Callable[[httpx.Request], httpx.Response]) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(KEY, http_client=http, max_retries=0)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_raises_authentication_error(status: int) -> None:
    client = client_answering(lambda r: httpx.Response(status, text="bad key"))
    with pytest.raises(AuthenticationError) as info:
        client.send_message("u1", "b1", "hi")
    assert info.value.status_code == status
    assert info.value.body == "bad key"


def test_429_raises_rate_limit_error_with_retry_after() -> None:
    client = client_answering(lambda r: httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitError) as info:
        client.send_message("u1", "b1", "hi")
    assert info.value.status_code == 429
    assert info.value.retry_after == 7.0


def test_429_without_retry_after_has_none() -> None:
    client = client_answering(lambda r: httpx.Response(429))
    with pytest.raises(RateLimitError) as info:
        client.typing("u1", "b1")
    assert info.value.retry_after is None


@pytest.mark.parametrize("status", [400, 404, 409, 500, 502, 301])
def test_other_non_2xx_raises_api_status_error(status: int) -> None:
    client = client_answering(lambda r: httpx.Response(status, text="nope"))
    with pytest.raises(APIStatusError) as info:
        client.send_message("u1", "b1", "hi")
    assert type(info.value) is APIStatusError
    assert info.value.status_code == status
    assert str(status) in str(info.value)
    assert "nope" in str(info.value)


def test_any_2xx_is_success() -> None:
    client = client_answering(lambda r: httpx.Response(204))
    assert client.send_message("u1", "b1", "hi").status_code == 204


def test_response_text_is_truncated() -> None:
    client = client_answering(lambda r: httpx.Response(400, text="x" * 50_000))
    with pytest.raises(APIStatusError) as info:
        client.send_message("u1", "b1", "hi")
    assert len(info.value.body) == 1000
    assert len(str(info.value)) < 400


def test_api_key_echoed_by_a_proxy_is_redacted() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, text=f"bad header Authorization: {request.headers['authorization']}"
        )

    client = client_answering(echo)
    with pytest.raises(APIStatusError) as info:
        client.send_message("u1", "b1", "hi")
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    assert KEY not in info.value.body
    assert "[redacted]" in info.value.body


def test_connect_failure_raises_api_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(APIConnectionError) as info:
        client_answering(refuse).send_message("u1", "b1", "hi")
    assert type(info.value) is APIConnectionError
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert KEY not in str(info.value)


def test_timeout_raises_api_timeout_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(APITimeoutError) as info:
        client_answering(slow).send_message("u1", "b1", "hi")
    assert isinstance(info.value, APIConnectionError)
    assert "timed out" in str(info.value)


def test_every_push_error_is_a_botcopy_error() -> None:
    client = client_answering(lambda r: httpx.Response(500))
    with pytest.raises(BotcopyError):
        client.send_message("u1", "b1", "hi")


async def test_async_client_maps_errors_the_same_way() -> None:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "3"}))
    )
    async with AsyncClient(KEY, http_client=http, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            await client.send_message("u1", "b1", "hi")
    assert info.value.retry_after == 3.0
    await http.aclose()


@pytest.mark.parametrize(
    "raised",
    [
        httpx.DecodingError("bad gzip"),
        httpx.TooManyRedirects("loop"),
        ValueError("a transport bug"),
        httpx.StreamClosed(),
    ],
    ids=["decoding", "too-many-redirects", "value-error", "stream-closed"],
)
def test_nothing_but_a_botcopy_error_leaves_the_client(raised: Exception) -> None:
    def odd(request: httpx.Request) -> httpx.Response:
        raise raised

    with pytest.raises(APIConnectionError) as info:
        client_answering(odd).send_message("u1", "b1", "hi")
    assert info.value.__cause__ is raised
    assert info.value.maybe_delivered is True  # nothing says it did not leave


async def test_nothing_but_a_botcopy_error_leaves_the_async_client() -> None:
    def odd(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError("bad gzip")

    http = httpx.AsyncClient(transport=httpx.MockTransport(odd))
    async with AsyncClient(KEY, http_client=http, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.send_message("u1", "b1", "hi")
    assert isinstance(info.value.__cause__, httpx.DecodingError)
    await http.aclose()
