"""The emulator plays customer and bot: Step One and Two to a real proxy, replies applied."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest

from botcopy_handover import (
    AgentMessage,
    BotResponse,
    Client,
    ConfigurationError,
    Continue,
    CustomerEvent,
    CustomerMessage,
    CustomerQuery,
    CustomerToAgentMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
    parse_webhook,
)
from botcopy_handover.testing import LoopbackServer
from botcopy_handover.testing.emulator import BotcopyEmulator, ScriptedBot
from botcopy_handover.webhook import asgi_app
from tests.helpers import FakeClock

TOKEN = "emulator-webhook-token"
HEADER = ("X-Bot-Secret", "emulator-header-value")


@dataclass
class Proxy:
    """A real proxy endpoint (Webhook.asgi_app under uvicorn) whose replies tests script."""

    handover_reply: Reply = field(default_factory=Pause)
    message_reply: Reply = field(default_factory=Pause)
    delay: float = 0.0
    received: list[HandoverRequest | CustomerMessage] = field(default_factory=list)
    url: str = ""

    def on_handover(self, event: HandoverRequest) -> Reply:
        self.received.append(event)
        time.sleep(self.delay)
        return self.handover_reply

    def on_customer_message(self, event: CustomerMessage) -> Reply:
        self.received.append(event)
        time.sleep(self.delay)
        return self.message_reply


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    proxy = Proxy()
    app = asgi_app(
        Webhook(TOKEN, custom_header=HEADER), proxy.on_handover, proxy.on_customer_message
    )
    with LoopbackServer(app) as server:
        proxy.url = f"{server.url}/botcopy"
        yield proxy


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def botcopy(proxy: Proxy, clock: FakeClock) -> Iterator[BotcopyEmulator]:
    emulator = BotcopyEmulator(
        webhook_url=proxy.url,
        access_token=TOKEN,
        custom_header=HEADER,
        clock=clock,
        variant="plain",
    )
    with emulator:
        yield emulator


def test_the_bot_answers_when_nobody_asks_for_a_human(
    botcopy: BotcopyEmulator, proxy: Proxy
) -> None:
    turn = botcopy.customer_says("Where is my order?")
    assert turn.bot_said == ["I can check that. What's your order number?"]
    assert turn.webhook_call is None
    assert proxy.received == []
    assert [line.sender for line in botcopy.transcript()] == ["bot", "customer", "bot"]


def test_asking_for_a_human_sends_step_one_and_applies_the_pause(
    botcopy: BotcopyEmulator, proxy: Proxy, clock: FakeClock
) -> None:
    proxy.handover_reply = Pause(minutes=15)
    botcopy.customer_says("Where is my order?")
    turn = botcopy.customer_says("I want to talk to a human")
    assert turn.paused
    assert botcopy.last_reply == Pause(15)
    assert botcopy.conversation().expires_at == clock.now + timedelta(minutes=15)
    (event,) = proxy.received
    assert isinstance(event, HandoverRequest)
    assert event.text == "I want to talk to a human"
    assert event.dialogflow.is_handover("bc-human-handover")
    assert [type(item) for item in event.history] == [
        CustomerEvent,
        BotResponse,
        CustomerQuery,
        BotResponse,
        CustomerQuery,
        BotResponse,
    ]


def test_step_one_carries_the_token_the_custom_header_and_a_spec_body() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"paused": True, "minutesPaused": 10})

    botcopy = BotcopyEmulator(
        webhook_url="http://proxy.test/botcopy",
        access_token=TOKEN,
        custom_header=HEADER,
        http_client=httpx.Client(transport=httpx.MockTransport(record)),
        variant="plain",
    )
    botcopy.customer_says("get me an agent")
    (request,) = seen
    assert request.headers["authorization"] == TOKEN
    assert request.headers["x-bot-secret"] == HEADER[1]
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["accessToken"] == TOKEN
    assert set(body) == {
        "accessToken",
        "userId",
        "botId",
        "sessionId",
        "dialogflowResponse",
        "messageHistory",
        "session",
        "queryInput",
        "queryParams",
    }
    assert isinstance(parse_webhook(request.content), HandoverRequest)


def test_a_cx_bot_hands_over_with_the_session_parameter(proxy: Proxy, clock: FakeClock) -> None:
    with BotcopyEmulator(
        webhook_url=proxy.url,
        access_token=TOKEN,
        custom_header=HEADER,
        platform="cx",
        variant="plain",
    ) as botcopy:
        botcopy.customer_says("a person please")
    (event,) = proxy.received
    assert isinstance(event, HandoverRequest)
    assert event.dialogflow.parameters["bcHumanHandover"] is True
    assert event.dialogflow.is_handover()
    assert event.history[0].bot_platform == "dialogFlowCX"


def test_while_paused_the_customer_message_goes_to_the_proxy_not_the_bot(
    botcopy: BotcopyEmulator, proxy: Proxy, clock: FakeClock
) -> None:
    botcopy.customer_says("human please")
    clock.advance(minutes=8)
    proxy.message_reply = Pause(minutes=10)
    turn = botcopy.customer_says("order 1042")
    assert turn.bot_said == []
    assert isinstance(proxy.received[-1], CustomerMessage)
    assert proxy.received[-1].text == "order 1042"
    # The message in pushed the expiry back by the reply's minutes.
    assert botcopy.conversation().expires_at == clock.now + timedelta(minutes=10)


def test_end_from_the_proxy_ends_the_live_chat(botcopy: BotcopyEmulator, proxy: Proxy) -> None:
    botcopy.customer_says("human please")
    proxy.message_reply = End()
    turn = botcopy.customer_says("thanks, bye")
    assert not turn.paused
    assert turn.bot_said == []
    assert botcopy.customer_says("Where is my order?").webhook_call is None


def test_continue_from_the_proxy_gives_the_message_to_the_bot(
    botcopy: BotcopyEmulator, proxy: Proxy
) -> None:
    botcopy.customer_says("human please")
    proxy.message_reply = Continue()
    turn = botcopy.customer_says("Where is my order?")
    assert turn.bot_said == ["I can check that. What's your order number?"]
    assert not turn.paused


def test_continue_to_a_handover_leaves_the_bot_in_charge(
    botcopy: BotcopyEmulator, proxy: Proxy
) -> None:
    proxy.handover_reply = Continue()
    assert not botcopy.customer_says("human please").paused
    assert botcopy.last_reply == Continue()


def test_a_reply_after_the_deadline_is_ignored(proxy: Proxy) -> None:
    proxy.delay = 0.5
    with BotcopyEmulator(
        webhook_url=proxy.url, access_token=TOKEN, custom_header=HEADER, reply_deadline=0.2
    ) as botcopy:
        turn = botcopy.customer_says("human please")
    assert turn.webhook_call is not None
    assert turn.webhook_call.outcome == "timeout"
    assert not turn.paused
    assert botcopy.last_reply is None


def test_a_late_step_two_reply_sends_the_message_to_the_bot(proxy: Proxy, clock: FakeClock) -> None:
    with BotcopyEmulator(
        webhook_url=proxy.url,
        access_token=TOKEN,
        custom_header=HEADER,
        reply_deadline=0.2,
        clock=clock,
    ) as botcopy:
        botcopy.customer_says("human please")
        proxy.delay = 0.5
        turn = botcopy.customer_says("Where is my order?")
    assert turn.webhook_call is not None and turn.webhook_call.outcome == "timeout"
    assert turn.bot_said == ["I can check that. What's your order number?"]


def test_a_refused_call_is_recorded_as_an_error(proxy: Proxy) -> None:
    with BotcopyEmulator(webhook_url=proxy.url, access_token="not-the-token") as botcopy:
        turn = botcopy.customer_says("human please")
    assert turn.webhook_call is not None
    assert (turn.webhook_call.outcome, turn.webhook_call.status_code) == ("error", 401)
    assert proxy.received == []


def test_a_reply_that_is_not_a_reply_is_recorded_as_invalid() -> None:
    botcopy = BotcopyEmulator(
        webhook_url="http://proxy.test/botcopy",
        http_client=httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"ok": True}))
        ),
    )
    turn = botcopy.customer_says("human please")
    assert turn.webhook_call is not None and turn.webhook_call.outcome == "invalid"
    assert not turn.paused


def test_a_lapsed_pause_sends_the_customer_back_to_the_bot(
    botcopy: BotcopyEmulator, proxy: Proxy, clock: FakeClock
) -> None:
    botcopy.customer_says("human please")
    clock.advance(minutes=11)
    turn = botcopy.customer_says("Where is my order?")
    assert turn.webhook_call is None
    assert turn.bot_said


def test_a_second_handover_carries_all_five_history_kinds(
    botcopy: BotcopyEmulator, proxy: Proxy
) -> None:
    with Client(api_key=botcopy.api_key, base_url=botcopy.url) as client:
        botcopy.customer_says("human please")
        client.send_message("user-1", "bot-1", "Hi, I'm Dana")
        proxy.message_reply = End()
        botcopy.customer_says("never mind")
        botcopy.customer_says("agent again please")
    event = proxy.received[-1]
    assert isinstance(event, HandoverRequest)
    kinds = {type(item) for item in event.history}
    assert kinds == {
        CustomerQuery,
        CustomerEvent,
        BotResponse,
        AgentMessage,
        CustomerToAgentMessage,
    }
    assert len({item.id for item in event.history}) == len(event.history)


def test_a_custom_bot_script_is_used(proxy: Proxy) -> None:
    bot = ScriptedBot(handover_phrases=("escalate",), answers={"hi": "Hello there"})
    with BotcopyEmulator(
        webhook_url=proxy.url, access_token=TOKEN, custom_header=HEADER, bot=bot
    ) as botcopy:
        assert botcopy.customer_says("hi").bot_said == ["Hello there"]
        assert botcopy.customer_says("I want a human").webhook_call is None
        assert botcopy.customer_says("escalate").paused


def test_wait_for_sees_pushes_from_another_thread(botcopy: BotcopyEmulator) -> None:
    def agent() -> None:
        time.sleep(0.05)
        with Client(api_key=botcopy.api_key, base_url=botcopy.url) as client:
            client.send_message("user-1", "bot-1", "late hello")

    thread = threading.Thread(target=agent)
    thread.start()
    botcopy.wait_for(lambda b: b.customer_sees() == ["late hello"], timeout=5)
    thread.join()


def test_wait_for_raises_a_typed_timeout(botcopy: BotcopyEmulator) -> None:
    from botcopy_handover.testing import EmulatorTimeoutError

    with pytest.raises(EmulatorTimeoutError):
        botcopy.wait_for(lambda b: bool(b.customer_sees()), timeout=0.05)


def test_without_a_webhook_url_a_handover_is_a_configuration_error() -> None:
    with BotcopyEmulator() as botcopy, pytest.raises(ConfigurationError, match="webhook_url"):
        botcopy.customer_says("human please")


def test_an_empty_customer_text_is_refused(botcopy: BotcopyEmulator) -> None:
    with pytest.raises(ConfigurationError):
        botcopy.customer_says("  ")


# -- the control API, as another process uses it -------------------------------


def test_the_control_api_drives_the_customer_and_reads_the_state(
    botcopy: BotcopyEmulator, proxy: Proxy
) -> None:
    base = f"{botcopy.url}/emulator"
    assert httpx.get(f"{base}/health").json()["ok"] is True
    turn = httpx.post(f"{base}/customer/says", json={"text": "human please"}).json()
    assert turn["paused"] is True
    assert turn["webhookCall"]["reply"] == {"paused": True, "minutesPaused": 10}
    with Client(api_key=botcopy.api_key, base_url=botcopy.url) as client:
        client.send_message("user-1", "bot-1", "hello from the desk")
    conversation = httpx.get(f"{base}/conversations/bot-1/user-1").json()
    assert conversation["paused"] is True
    assert conversation["transcript"][-1] == {
        "sender": "agent",
        "text": "hello from the desk",
        "at": conversation["transcript"][-1]["at"],
    }
    events = httpx.get(f"{base}/events").json()
    assert events[0]["event"]["eventType"] == "message"
    calls = httpx.get(f"{base}/webhook-calls").json()
    assert [call["kind"] for call in calls] == ["handover"]


def test_the_control_api_manages_faults_and_resets(botcopy: BotcopyEmulator) -> None:
    base = f"{botcopy.url}/emulator"
    created = httpx.post(f"{base}/faults", json={"kind": "rate_limit", "count": 2})
    assert created.status_code == 201
    assert [f["kind"] for f in httpx.get(f"{base}/faults").json()] == ["rate_limit"]
    assert httpx.delete(f"{base}/faults").json() == []
    assert httpx.post(f"{base}/faults", json={"kind": "nope", "count": 1}).status_code == 400
    assert httpx.post(f"{base}/customer/says", content=b"[").status_code == 400
    assert httpx.post(f"{base}/customer/says", json={"text": 5}).status_code == 400
    assert httpx.post(f"{base}/reset").json() == {"ok": True}
