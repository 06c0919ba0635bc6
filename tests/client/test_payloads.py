"""Every push sends the spec's exact JSON and headers (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from botcopy_handover import (
    AsyncClient,
    Client,
    InvalidEventError,
    MessageEvent,
    ResumeEvent,
    TypingEvent,
)
from botcopy_handover.client import PushResult
from tests.client.pushserver import PushServer


class Recorder:
    """Records requests and answers them with ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"ok": True})

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Iterator[Client]:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with Client("api-key-1", http_client=http, minutes_paused=15) as client:
        yield client
    http.close()


@pytest.fixture
async def aclient(recorder: Recorder) -> Any:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncClient("api-key-1", http_client=http, minutes_paused=15) as client:
        yield client
    await http.aclose()


def test_send_message_posts_the_spec_json(client: Client, recorder: Recorder) -> None:
    client.send_message("u1", "b1", "Hi, I'm Dana.")
    assert recorder.bodies == [
        {
            "eventType": "message",
            "userId": "u1",
            "botId": "b1",
            "paused": True,
            "minutesPaused": 15,
            "text": "Hi, I'm Dana.",
        }
    ]


def test_every_push_is_a_post_to_the_push_path(client: Client, recorder: Recorder) -> None:
    client.typing("u1", "b1")
    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.botcopy.com/webhooks/handover/push"


def test_every_push_carries_json_content_type_raw_key_and_user_agent(
    client: Client, recorder: Recorder
) -> None:
    client.typing("u1", "b1")
    headers = recorder.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "api-key-1"
    assert headers["user-agent"].startswith("botcopy-handover/")


def test_owned_http_client_sends_the_same_headers(server: PushServer) -> None:
    with Client("api-key-1", base_url=server.url) as client:
        client.typing("u1", "b1")
    headers = server.received[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "api-key-1"
    assert headers["user-agent"].startswith("botcopy-handover/")


def test_body_is_the_event_models_exact_bytes(client: Client, recorder: Recorder) -> None:
    result = client.send_message("u1", "b1", "héllo ✓")
    assert recorder.requests[0].content == result.event.to_json()


def test_pause_posts_channel_update_with_agent_profile(client: Client, recorder: Recorder) -> None:
    client.pause("u1", "b1", agent_name="Dana", agent_avatar_url="https://x.test/d.png")
    assert recorder.bodies == [
        {
            "eventType": "channel_update",
            "userId": "u1",
            "botId": "b1",
            "paused": True,
            "minutesPaused": 15,
            "agentProfile": {"name": "Dana", "avatarUrl": "https://x.test/d.png"},
        }
    ]


def test_resume_posts_paused_false_with_unpause_event(client: Client, recorder: Recorder) -> None:
    client.resume("u1", "b1", unpause_event="none")
    client.resume("u1", "b1")
    client.resume("u1", "b1", unpause_event=None)
    assert [b.get("unpauseChatEvent", "<absent>") for b in recorder.bodies] == [
        "none",
        "default",
        "<absent>",
    ]
    assert all(b["paused"] is False and "minutesPaused" not in b for b in recorder.bodies)


def test_typing_posts_user_typing(client: Client, recorder: Recorder) -> None:
    client.typing("u1", "b1", minutes_paused=3)
    assert recorder.bodies == [
        {
            "eventType": "user_typing",
            "userId": "u1",
            "botId": "b1",
            "paused": True,
            "minutesPaused": 3,
        }
    ]


def test_send_posts_a_prebuilt_event(client: Client, recorder: Recorder) -> None:
    event = ResumeEvent(user_id="u1", bot_id="b1", unpause_event="talk_to_bot")
    result = client.send(event)
    assert result.event is event
    assert recorder.bodies == [event.to_dict()]


def test_send_refuses_something_that_is_not_an_event(client: Client, recorder: Recorder) -> None:
    with pytest.raises(InvalidEventError, match="MessageEvent"):
        client.send({"eventType": "message"})  # type: ignore[arg-type]
    assert recorder.requests == []


def test_invalid_message_is_refused_before_sending(client: Client, recorder: Recorder) -> None:
    with pytest.raises(InvalidEventError, match="text"):
        client.send_message("u1", "b1", "   ")
    assert recorder.requests == []


def test_invalid_minutes_are_refused_before_sending(client: Client, recorder: Recorder) -> None:
    with pytest.raises(InvalidEventError, match="minutes_paused"):
        client.send_message("u1", "b1", "hi", minutes_paused=0)
    assert recorder.requests == []


def test_result_says_status_event_attempts_and_time(client: Client) -> None:
    result = client.send_message("u1", "b1", "hi")
    assert isinstance(result, PushResult)
    assert result.status_code == 200
    assert isinstance(result.event, MessageEvent)
    assert result.attempts == 1
    assert result.elapsed >= 0


def test_conversation_binds_customer_and_minutes(client: Client, recorder: Recorder) -> None:
    chat = client.conversation("u9", "b9", minutes_paused=30)
    chat.pause(agent_name="Dana")
    chat.send_message("hello")
    chat.send_message("later", minutes_paused=5)
    chat.resume(unpause_event="none")
    assert [(b["userId"], b["botId"]) for b in recorder.bodies] == [("u9", "b9")] * 4
    assert [b.get("minutesPaused") for b in recorder.bodies] == [30, 30, 5, None]


def test_conversation_without_minutes_uses_the_clients(client: Client, recorder: Recorder) -> None:
    client.conversation("u1", "b1").send_message("hi")
    assert recorder.bodies[0]["minutesPaused"] == 15


def test_conversation_refuses_another_customers_event(client: Client, recorder: Recorder) -> None:
    chat = client.conversation("u1", "b1")
    with pytest.raises(InvalidEventError, match="another customer"):
        chat.send(TypingEvent(user_id="u2", bot_id="b1"))
    chat.send(TypingEvent(user_id="u1", bot_id="b1"))
    assert len(recorder.requests) == 1


def test_injected_http_client_is_never_closed(recorder: Recorder) -> None:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    with Client("k", http_client=http) as client:
        client.typing("u1", "b1")
    assert not http.is_closed
    http.close()


def test_owned_http_client_is_closed_on_exit() -> None:
    with Client("k") as client:
        pass
    assert client._backend._http.is_closed


async def test_async_send_message_posts_the_spec_json(
    aclient: AsyncClient, recorder: Recorder
) -> None:
    await aclient.send_message("u1", "b1", "hi")
    assert recorder.bodies == [
        MessageEvent(user_id="u1", bot_id="b1", text="hi", minutes_paused=15).to_dict()
    ]
    assert recorder.requests[0].headers["authorization"] == "api-key-1"
    assert recorder.requests[0].headers["content-type"] == "application/json"


async def test_async_methods_send_the_same_events_as_sync(
    aclient: AsyncClient, client: Client, recorder: Recorder
) -> None:
    for target in (client, aclient):
        chat = target.conversation("u1", "b1", minutes_paused=20)
        calls = [
            chat.pause(agent_name="Dana"),
            chat.send_message("one"),
            target.typing("u1", "b1"),
            target.send(TypingEvent(user_id="u1", bot_id="b1")),
            chat.resume(unpause_event="none"),
        ]
        for call in calls:
            if not isinstance(call, PushResult):
                await call
    half = len(recorder.bodies) // 2
    assert recorder.bodies[:half] == recorder.bodies[half:]
    assert half == 5


async def test_async_injected_http_client_is_never_closed(recorder: Recorder) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncClient("k", http_client=http) as client:
        await client.typing("u1", "b1")
    assert not http.is_closed
    await http.aclose()


async def test_async_owned_http_client_is_closed_on_exit() -> None:
    async with AsyncClient("k") as client:
        pass
    assert client._backend._http.is_closed  # type: ignore[union-attr]
