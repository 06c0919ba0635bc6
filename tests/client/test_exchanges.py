"""Single exchanges of the push client, with pytest-httpx: headers, retry decisions, error mapping.

Each test scripts Botcopy's answers to one push and checks what the client
sent and what it made of them. Whole flows (keep-alive, real sockets, the
emulator) stay in the loopback and emulator tests.
"""

from __future__ import annotations

import json

import httpx
import pytest
from pytest_httpx import HTTPXMock

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    Client,
    MessageEvent,
    RateLimitError,
)
from botcopy_handover.client import RetryPolicy

API_KEY = "sk-exchange-7f3a"
BASE = "https://botcopy.test"
URL = BASE + "/webhooks/handover/push"
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


@pytest.fixture
def client(sleeps: Sleeps) -> Client:
    return Client(API_KEY, base_url=BASE, retry=FAST, sleep=sleeps)


def test_a_push_is_one_post_of_the_event_json_with_the_key(
    httpx_mock: HTTPXMock, client: Client
) -> None:
    httpx_mock.add_response(method="POST", url=URL, json={"ok": True})
    result = client.send_message("user-1", "bot-1", "Hi, I'm Dana.", minutes_paused=30)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["authorization"] == API_KEY
    assert request.headers["content-type"] == "application/json"
    expected = MessageEvent(
        user_id="user-1", bot_id="bot-1", text="Hi, I'm Dana.", minutes_paused=30
    )
    assert json.loads(request.content) == expected.to_dict()
    assert (result.status_code, result.attempts) == (200, 1)


@pytest.mark.parametrize("status", [429, 503])
def test_answers_that_say_botcopy_did_not_act_are_retried(
    httpx_mock: HTTPXMock, client: Client, sleeps: Sleeps, status: int
) -> None:
    httpx_mock.add_response(url=URL, status_code=status)
    httpx_mock.add_response(url=URL, json={})
    result = client.send_message("user-1", "bot-1", "hi")
    assert result.attempts == 2
    assert len(httpx_mock.get_requests()) == 2
    assert len(sleeps.waits) == 1


def test_retry_after_is_waited_for(httpx_mock: HTTPXMock, client: Client, sleeps: Sleeps) -> None:
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "1"})
    httpx_mock.add_response(url=URL, json={})
    client.typing("user-1", "bot-1")
    assert sleeps.waits == [1.0]


@pytest.mark.parametrize("status", [408, 500, 502])
def test_a_message_that_may_have_arrived_is_not_retried_by_default(
    httpx_mock: HTTPXMock, client: Client, status: int
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, text="upstream trouble")
    with pytest.raises(APIStatusError) as caught:
        client.send_message("user-1", "bot-1", "hi")
    assert caught.value.status_code == status
    assert caught.value.maybe_delivered is True
    assert "upstream trouble" in caught.value.body
    assert len(httpx_mock.get_requests()) == 1


def test_retry_unsafe_retries_a_500(httpx_mock: HTTPXMock, client: Client) -> None:
    httpx_mock.add_response(url=URL, status_code=500)
    httpx_mock.add_response(url=URL, json={})
    result = client.send_message("user-1", "bot-1", "hi", retry_unsafe=True)
    assert result.attempts == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_an_authentication_error_without_the_key(
    httpx_mock: HTTPXMock, client: Client, status: int
) -> None:
    # A proxy that echoes the request puts the key into the body.
    httpx_mock.add_response(url=URL, status_code=status, text=f"bad key {API_KEY}")
    with pytest.raises(AuthenticationError) as caught:
        client.pause("user-1", "bot-1")
    assert caught.value.status_code == status
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caught.value.body
    assert len(httpx_mock.get_requests()) == 1


def test_rate_limiting_past_the_retries_is_a_rate_limit_error(
    httpx_mock: HTTPXMock, sleeps: Sleeps
) -> None:
    client = Client(API_KEY, base_url=BASE, retry=FAST, sleep=sleeps, max_retries=1)
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "2"})
    httpx_mock.add_response(url=URL, status_code=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimitError) as caught:
        client.resume("user-1", "bot-1")
    assert caught.value.retry_after == 2.0
    assert len(httpx_mock.get_requests()) == 2


def test_a_redirect_is_not_followed(httpx_mock: HTTPXMock, client: Client) -> None:
    httpx_mock.add_response(url=URL, status_code=307, headers={"Location": "https://elsewhere/"})
    with pytest.raises(APIStatusError, match="redirect") as caught:
        client.send_message("user-1", "bot-1", "hi")
    assert caught.value.status_code == 307
    assert caught.value.maybe_delivered is False
    assert len(httpx_mock.get_requests()) == 1


def test_a_refused_connection_is_retried_and_said_not_delivered(
    httpx_mock: HTTPXMock, sleeps: Sleeps
) -> None:
    client = Client(API_KEY, base_url=BASE, retry=FAST, sleep=sleeps, max_retries=1)
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=URL)
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=URL)
    with pytest.raises(APIConnectionError) as caught:
        client.send_message("user-1", "bot-1", "hi")
    assert caught.value.maybe_delivered is False
    assert "after 2 attempts" in str(caught.value)


def test_a_read_timeout_after_sending_a_message_is_not_retried(
    httpx_mock: HTTPXMock, client: Client
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=URL)
    with pytest.raises(APITimeoutError) as caught:
        client.send_message("user-1", "bot-1", "hi")
    assert caught.value.maybe_delivered is True
    assert len(httpx_mock.get_requests()) == 1


def test_a_connect_timeout_is_retried(httpx_mock: HTTPXMock, client: Client) -> None:
    httpx_mock.add_exception(httpx.ConnectTimeout("slow"), url=URL)
    httpx_mock.add_response(url=URL, json={})
    assert client.send_message("user-1", "bot-1", "hi").attempts == 2


async def test_the_async_client_sends_the_same_exchange(
    httpx_mock: HTTPXMock, sleeps: Sleeps
) -> None:
    httpx_mock.add_response(url=URL, status_code=503)
    httpx_mock.add_response(url=URL, json={})
    async with AsyncClient(API_KEY, base_url=BASE, retry=FAST, sleep=sleeps.asleep) as client:
        result = await client.send_message("user-1", "bot-1", "hi")
    requests = httpx_mock.get_requests()
    assert [r.headers["authorization"] for r in requests] == [API_KEY, API_KEY]
    assert requests[0].content == requests[1].content
    assert (result.status_code, result.attempts) == (200, 2)
    assert len(sleeps.waits) == 1


async def test_the_async_client_maps_a_refused_key_too(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=401)
    async with AsyncClient(API_KEY, base_url=BASE, retry=FAST) as client:
        with pytest.raises(AuthenticationError):
            await client.typing("user-1", "bot-1")
