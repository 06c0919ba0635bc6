"""Client settings: API key and base URL from arguments or the environment, timeouts, repr."""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from botcopy_handover import (
    AsyncClient,
    Client,
    ConfigurationError,
    InvalidEventError,
    __version__,
)
from botcopy_handover.client import DEFAULT_TIMEOUT, RetryPolicy


def recording(seen: list[Any], pick: Callable[[httpx.Request], Any]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(pick(request))
        return httpx.Response(200)

    return httpx.MockTransport(handler)


def test_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTCOPY_API_KEY", "env-key")
    seen: list[str] = []
    transport = recording(seen, lambda r: r.headers["authorization"])
    with Client(http_client=httpx.Client(transport=transport)) as client:
        client.typing("u1", "b1")
    assert seen == ["env-key"]


def test_missing_api_key_fails_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="BOTCOPY_API_KEY"):
        Client()


def test_missing_api_key_fails_at_construction_for_async_too() -> None:
    with pytest.raises(ConfigurationError, match="BOTCOPY_API_KEY"):
        AsyncClient()


def test_api_key_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTCOPY_API_KEY", "env-key")
    client = Client("arg-key")
    assert client._core.headers["Authorization"] == "arg-key"
    client.close()


@pytest.mark.parametrize("key", ["", "   ", "bad\nkey", "ключ"])
def test_unusable_api_key_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Client(key)
    if key.strip():
        assert key not in str(info.value)


def test_base_url_defaults_to_botcopy() -> None:
    with Client("k") as client:
        assert client.base_url == "https://api.botcopy.com"
        assert client._core.url == "https://api.botcopy.com/webhooks/handover/push"


def test_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTCOPY_BASE_URL", "http://127.0.0.1:8765/")
    with Client("k") as client:
        assert client._core.url == "http://127.0.0.1:8765/webhooks/handover/push"


def test_base_url_may_carry_a_path_prefix() -> None:
    with Client("k", base_url="https://proxy.example/botcopy/") as client:
        assert client._core.url == "https://proxy.example/botcopy/webhooks/handover/push"


@pytest.mark.parametrize("url", ["api.botcopy.com", "ftp://x", "https://", "https://x/?a=1"])
def test_invalid_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Client("k", base_url=url)


def test_repr_never_shows_the_api_key() -> None:
    client = Client("sk-secret-123")
    chat = client.conversation("u1", "b1")
    assert "sk-secret-123" not in repr(client)
    assert "sk-secret-123" not in repr(chat)
    assert "sk-secret-123" not in repr(client._core)
    assert "sk-secret-123" not in repr(client._backend._http)
    client.close()


def test_async_repr_never_shows_the_api_key() -> None:
    client = AsyncClient("sk-secret-123")
    assert "sk-secret-123" not in repr(client)
    assert "sk-secret-123" not in repr(client.conversation("u1", "b1"))


def test_user_agent_names_the_sdk_python_and_httpx() -> None:
    with Client("k") as client:
        python = ".".join(platform.python_version_tuple()[:2])
        expected = f"botcopy-handover/{__version__} python/{python} httpx/{httpx.__version__}"
        assert client._core.headers["User-Agent"] == expected


def test_owned_http_client_gets_the_default_timeout() -> None:
    with Client("k") as client:
        assert client._backend._http.timeout == DEFAULT_TIMEOUT
        assert DEFAULT_TIMEOUT.connect == 5.0
        assert DEFAULT_TIMEOUT.read == 10.0


def test_client_timeout_argument_sets_every_request() -> None:
    seen: list[object] = []
    transport = recording(seen, lambda r: r.extensions["timeout"])
    with httpx.Client(transport=transport, timeout=99) as http:
        client = Client("k", http_client=http, timeout=2.5)
        client.typing("u1", "b1")
        client.typing("u1", "b1", timeout=0.5)
    assert seen[0] == httpx.Timeout(2.5).as_dict()
    assert seen[1] == httpx.Timeout(0.5).as_dict()


def test_injected_client_keeps_its_own_timeout_when_none_is_given() -> None:
    seen: list[object] = []
    transport = recording(seen, lambda r: r.extensions["timeout"])
    with httpx.Client(transport=transport, timeout=42) as http:
        Client("k", http_client=http).typing("u1", "b1")
    assert seen == [httpx.Timeout(42).as_dict()]


@pytest.mark.parametrize("timeout", [0, -1, "5", True])
def test_invalid_timeout_is_refused(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        Client("k", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [0, -5, True, 2.5])
def test_invalid_default_minutes_are_refused(minutes: object) -> None:
    with pytest.raises(ConfigurationError, match="minutes"):
        Client("k", minutes_paused=minutes)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [Client, AsyncClient])
def test_a_retry_that_is_no_policy_is_refused_also_with_max_retries(make: Any) -> None:
    # With max_retries given, the policy used to be copied first: a TypeError leaked.
    with pytest.raises(ConfigurationError, match="RetryPolicy"):
        make("k", retry={"max_retries": 1}, max_retries=3)


def test_max_retries_overrides_the_policys() -> None:
    with Client("k", retry=RetryPolicy(max_retries=5), max_retries=1) as client:
        assert client._core.retry.max_retries == 1


def test_invalid_conversation_minutes_are_refused() -> None:
    with Client("k") as client, pytest.raises(InvalidEventError, match="minutes"):
        client.conversation("u1", "b1", minutes_paused=0)


def test_conversation_refuses_empty_ids() -> None:
    with Client("k") as client, pytest.raises(InvalidEventError, match="user_id"):
        client.conversation("", "b1")


@pytest.mark.parametrize("max_retries", [-1, 1.5, True])
def test_invalid_retry_counts_are_refused(max_retries: object) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        Client("k", max_retries=max_retries)  # type: ignore[arg-type]


def test_max_retries_overrides_the_policy() -> None:
    with Client("k", max_retries=5, retry=RetryPolicy(max_retries=1)) as client:
        assert client._core.retry.max_retries == 5


def test_wrong_http_client_type_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"httpx\.Client"):
        Client("k", http_client=httpx.AsyncClient())  # type: ignore[arg-type]


async def test_async_wrong_http_client_type_is_refused() -> None:
    with httpx.Client() as sync_http, pytest.raises(ConfigurationError, match="AsyncClient"):
        AsyncClient("k", http_client=sync_http)  # type: ignore[arg-type]


def test_unknown_transport_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="transport"):
        AsyncClient("k", transport="curl")  # type: ignore[arg-type]


async def test_each_conversation_twin_names_itself_and_its_customer() -> None:
    with Client("k") as client:
        chat = client.conversation("u1", "b1", minutes_paused=30)
        assert repr(chat) == "Conversation(user_id='u1', bot_id='b1', minutes_paused=30)"
    async with AsyncClient("k") as async_client:
        achat = async_client.conversation("u1", "b1")
        assert repr(achat) == "AsyncConversation(user_id='u1', bot_id='b1', minutes_paused=10)"
