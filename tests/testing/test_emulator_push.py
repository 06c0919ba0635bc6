"""The emulator's push endpoint, held to the spec: strict checks, state, faults. Real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from botcopy_handover import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    Client,
    ConfigurationError,
    MessageEvent,
    PauseEvent,
    RateLimitError,
    TypingEvent,
)
from botcopy_handover.testing.emulator import BotcopyEmulator, Fault
from tests.helpers import FakeClock

API_KEY = "test-push-key"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def botcopy(clock: FakeClock) -> Iterator[BotcopyEmulator]:
    with BotcopyEmulator(api_key=API_KEY, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def client(botcopy: BotcopyEmulator) -> Iterator[Client]:
    with Client(api_key=API_KEY, base_url=botcopy.url, sleep=lambda _: None) as client:
        yield client


def post(botcopy: BotcopyEmulator, body: object, **headers: str) -> httpx.Response:
    sent = {"Authorization": API_KEY, "Content-Type": "application/json"}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return httpx.post(botcopy.push_url, json=body, headers=sent)


def test_an_agent_message_reaches_the_customer(botcopy: BotcopyEmulator, client: Client) -> None:
    client.send_message("user-1", "bot-1", "Hi, I'm Dana")
    assert botcopy.customer_sees() == ["Hi, I'm Dana"]
    assert botcopy.events == [MessageEvent(user_id="user-1", bot_id="bot-1", text="Hi, I'm Dana")]


def test_a_pause_shows_the_agent_banner_and_keeps_the_profile(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    client.pause("user-1", "bot-1", agent_name="Dana", agent_avatar_url="https://x.test/d.png")
    conversation = botcopy.conversation()
    assert conversation.paused
    assert (conversation.agent_name, conversation.agent_avatar_url) == (
        "Dana",
        "https://x.test/d.png",
    )
    assert [line.text for line in conversation.transcript] == [
        "You are now chatting with an Agent."
    ]


def test_a_default_resume_says_the_agent_left(botcopy: BotcopyEmulator, client: Client) -> None:
    client.pause("user-1", "bot-1", agent_name="Dana")
    client.resume("user-1", "bot-1")
    assert not botcopy.is_paused()
    assert botcopy.transcript()[-1].text == (
        "Dana has left the conversation. You are now chatting with the bot."
    )


def test_a_resume_without_a_name_says_the_human_left(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    client.pause("user-1", "bot-1")
    client.resume("user-1", "bot-1", unpause_event=None)
    assert botcopy.transcript()[-1].text.startswith("The human has left the conversation.")


def test_a_resume_with_none_shows_nothing(botcopy: BotcopyEmulator, client: Client) -> None:
    client.pause("user-1", "bot-1")
    client.resume("user-1", "bot-1", unpause_event="none")
    assert [line.sender for line in botcopy.transcript()] == ["system"]


def test_a_resume_with_an_event_lets_the_bot_answer_it(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    client.pause("user-1", "bot-1")
    client.resume("user-1", "bot-1", unpause_event="SURVEY")
    last = botcopy.transcript()[-1]
    assert (last.sender, last.text) == ("bot", "(the bot handles the SURVEY event)")
    kinds = [
        item["payload"].get("event", {}).get("name") for item in botcopy.conversation().history
    ]
    assert "SURVEY" in kinds


def test_the_typing_indicator_vanishes_after_10_seconds(
    botcopy: BotcopyEmulator, client: Client, clock: FakeClock
) -> None:
    client.typing("user-1", "bot-1")
    assert botcopy.is_typing()
    clock.advance(seconds=9.9)
    assert botcopy.is_typing()
    clock.advance(seconds=0.2)
    assert not botcopy.is_typing()


def test_the_typing_indicator_vanishes_when_the_agent_sends(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    client.typing("user-1", "bot-1")
    client.send_message("user-1", "bot-1", "done")
    assert not botcopy.is_typing()


def test_every_message_out_pushes_the_pause_expiry_back(
    botcopy: BotcopyEmulator, client: Client, clock: FakeClock
) -> None:
    client.pause("user-1", "bot-1", minutes_paused=10)
    clock.advance(minutes=9)
    client.send_message("user-1", "bot-1", "still here", minutes_paused=10)
    clock.advance(minutes=9)
    assert botcopy.is_paused()
    expected = clock.now + timedelta(minutes=1)
    assert botcopy.conversation().expires_at == expected
    clock.advance(minutes=1)
    assert not botcopy.is_paused()


def test_pushes_are_recorded_with_their_time(
    botcopy: BotcopyEmulator, client: Client, clock: FakeClock
) -> None:
    client.typing("user-1", "bot-1")
    received = botcopy.received
    assert received[0].at == clock.now
    assert isinstance(received[0].event, TypingEvent)


@pytest.mark.parametrize("authorization", ["wrong-key", f"Bearer {API_KEY}", "", API_KEY.upper()])
def test_a_wrong_api_key_is_refused_with_401(botcopy: BotcopyEmulator, authorization: str) -> None:
    body = {"eventType": "user_typing", "userId": "u", "botId": "b", "paused": True,
            "minutesPaused": 10}  # fmt: skip
    response = post(botcopy, body, Authorization=authorization)
    assert response.status_code == 401
    assert botcopy.events == []
    assert botcopy.refused[0].status_code == 401


def test_a_missing_authorization_is_refused(botcopy: BotcopyEmulator) -> None:
    response = httpx.post(botcopy.push_url, json={}, headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_a_non_json_content_type_is_refused_with_415(botcopy: BotcopyEmulator) -> None:
    response = httpx.post(
        botcopy.push_url,
        content=b'{"eventType": "user_typing"}',
        headers={"Authorization": API_KEY, "Content-Type": "text/plain"},
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"eventType": "message", "userId": "u", "botId": "b", "paused": True, "text": "x"},
         "minutesPaused"),
        ({"eventType": "message", "userId": "u", "botId": "b", "paused": False, "text": "x"},
         "paused"),
        ({"eventType": "message", "userId": "u", "botId": "b", "paused": True,
          "minutesPaused": 10, "text": ""}, "text"),
        ({"eventType": "message", "userId": "u", "botId": "b", "paused": True,
          "minutesPaused": 10, "text": "x", "extra": 1}, "extra"),
        ({"eventType": "shout", "userId": "u", "botId": "b", "paused": True}, "eventType"),
        ({"eventType": "user_typing", "userId": "", "botId": "b", "paused": True,
          "minutesPaused": 10}, "userId"),
        ({"eventType": "channel_update", "userId": "u", "botId": "b", "paused": True,
          "minutesPaused": 0}, "minutesPaused"),
        ({"eventType": "channel_update", "userId": "u", "botId": "b", "paused": True,
          "minutesPaused": 5, "agentProfile": {"name": "D", "photo": "x"}},
         "agentProfile.photo"),
    ],
)  # fmt: skip
def test_an_invalid_event_is_refused_with_400_naming_the_field(
    botcopy: BotcopyEmulator, body: dict[str, object], field: str
) -> None:
    response = post(botcopy, body)
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]
    assert botcopy.events == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1]"])
def test_a_body_that_is_no_json_object_is_refused_with_400(
    botcopy: BotcopyEmulator, raw: bytes
) -> None:
    response = httpx.post(
        botcopy.push_url,
        content=raw,
        headers={"Authorization": API_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_other_methods_get_405(botcopy: BotcopyEmulator) -> None:
    response = httpx.get(botcopy.push_url)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_a_rate_limit_fault_is_retried_by_the_client(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    botcopy.inject_fault(kind="rate_limit", count=1, retry_after=0)
    result = client.send_message("user-1", "bot-1", "after a retry")
    assert result.attempts == 2
    assert botcopy.customer_sees() == ["after a retry"]


def test_a_long_retry_after_raises_rate_limit_error(
    botcopy: BotcopyEmulator, client: Client
) -> None:
    botcopy.inject_fault(kind="rate_limit", count=1, retry_after=120)
    with pytest.raises(RateLimitError) as caught:
        client.send_message("user-1", "bot-1", "x")
    assert caught.value.retry_after == 120
    assert botcopy.customer_sees() == []


def test_a_server_error_fault_answers_its_status(botcopy: BotcopyEmulator) -> None:
    botcopy.inject_fault(kind="server_error", count=2, status=502, retry_after=None)
    body = {"eventType": "user_typing", "userId": "u", "botId": "b", "paused": True,
            "minutesPaused": 10}  # fmt: skip
    assert [post(botcopy, body).status_code for _ in range(3)] == [502, 502, 200]


def test_a_dropped_connection_is_not_retried_and_not_applied(
    botcopy: BotcopyEmulator, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    botcopy.inject_fault(kind="drop", count=1)
    with pytest.raises(APIConnectionError):
        client.send_message("user-1", "bot-1", "lost")
    assert botcopy.customer_sees() == []
    # A fault asked for is not an error of the server: no traceback per drop in the logs.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_latency_beyond_the_client_timeout_raises_a_timeout(botcopy: BotcopyEmulator) -> None:
    botcopy.inject_fault(kind="latency", count=1, seconds=0.5)
    with (
        Client(api_key=API_KEY, base_url=botcopy.url, timeout=0.1, max_retries=0) as client,
        pytest.raises(APITimeoutError),
    ):
        client.typing("user-1", "bot-1")


def test_rate_based_faults_repeat_with_the_same_seed(clock: FakeClock) -> None:
    def statuses(seed: int) -> list[int]:
        with BotcopyEmulator(api_key=API_KEY, clock=clock, fault_seed=seed) as emulator:
            emulator.inject_fault(kind="server_error", rate=0.5, retry_after=None)
            body = {"eventType": "user_typing", "userId": "u", "botId": "b", "paused": True,
                    "minutesPaused": 10}  # fmt: skip
            return [post(emulator, body).status_code for _ in range(12)]

    first = statuses(7)
    assert first == statuses(7)
    assert set(first) == {200, 503}


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "meteor", "count": 1},
        {"kind": "drop"},
        {"kind": "drop", "count": 1, "rate": 0.5},
        {"kind": "drop", "rate": 2},
        {"kind": "server_error", "count": 1, "status": 404},
    ],
)
def test_bad_faults_raise_configuration_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Fault(**options)  # type: ignore[arg-type]


async def test_the_async_client_pushes_to_the_emulator(botcopy: BotcopyEmulator) -> None:
    async with AsyncClient(api_key=API_KEY, base_url=botcopy.url) as client:
        await client.pause("user-2", "bot-1", agent_name="Sam")
        await client.send_message("user-2", "bot-1", "hello from async")
    assert botcopy.customer_sees(user_id="user-2") == ["hello from async"]
    assert isinstance(botcopy.events[0], PauseEvent)


def test_reset_forgets_everything(botcopy: BotcopyEmulator, client: Client) -> None:
    botcopy.inject_fault(kind="latency", rate=1.0, seconds=0)
    client.resume("user-1", "bot-1")
    botcopy.reset()
    assert botcopy.events == []
    assert botcopy.faults.faults == []
    assert botcopy.transcript() == []
