"""Every form Botcopy may send, from the emulator, read by the SDK's own parser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from botcopy_handover import (
    AgentMessage,
    BotResponse,
    ConfigurationError,
    CustomerEvent,
    CustomerMessage,
    CustomerQuery,
    CustomerToAgentMessage,
    HandoverRequest,
    parse_webhook,
)
from botcopy_handover.testing import sample_handover
from botcopy_handover.testing.emulator import Reading, Variant
from botcopy_handover.testing.emulator._variant import VariantRotation
from tests.testing.scripted_proxy import ScriptedProxy, emulator_with, message, push

ALL_READINGS = Variant().readings()
HANDOVER_TEXT = "Connecting you with an agent now."

ES_SESSION = re.compile(r"^projects/[^/]+/agent/sessions/[^/]+$")
ES_INTENT = re.compile(r"^projects/[^/]+/agent/intents/[0-9a-f-]{36}$")
CX_SESSION = re.compile(r"^projects/[^/]+/locations/[^/]+/agents/[^/]+/sessions/[^/]+$")
CX_INTENT = re.compile(r"^projects/[^/]+/locations/[^/]+/agents/[^/]+/intents/[0-9a-f-]{36}$")


def _id(reading: Reading) -> str:
    return "-".join(reading.to_dict().values())


@pytest.mark.parametrize("platform", ["es", "cx"])
@pytest.mark.parametrize("reading", ALL_READINGS, ids=_id)
def test_every_reading_parses_with_the_sdk(reading: Reading, platform: str) -> None:
    proxy = ScriptedProxy(
        replies=[
            {"paused": True, "minutesPaused": 10},
            {"paused": False, "minutesPaused": 0},
            {"paused": True, "minutesPaused": 10},
        ]
    )
    with emulator_with(proxy, variant=reading, platform=platform) as botcopy:
        botcopy.customer_says("Where is my order?")
        botcopy.customer_says("I want a human")
        assert push(botcopy, message("Hi, I'm Dana")) == 200
        botcopy.customer_says("it's order 1042")
        botcopy.customer_says("a person again please")
    first, second, third = (parse_webhook(request.content) for request in proxy.requests)
    raw = proxy.bodies[0]

    assert isinstance(first, HandoverRequest)
    assert first.text == "I want a human"
    assert first.dialogflow.is_handover("bc-human-handover" if platform == "es" else None)
    assert first.dialogflow.texts == (HANDOVER_TEXT,)
    assert first.dialogflow.intent_name == "human.handover"
    tail = raw["session"].rsplit("/", 1)[-1]
    assert (raw["sessionId"] == tail) is (reading.session_ids == "equal")

    struct = "fields" in raw["dialogflowResponse"]["queryResult"]["parameters"]
    assert struct is (reading.responses == "struct")

    assert ("messageHistory" in raw) is (reading.history == "present")
    if reading.history == "absent":
        assert first.history == []
    else:
        assert [type(item) for item in first.history] == [
            CustomerEvent,
            BotResponse,
            CustomerQuery,
            BotResponse,
            CustomerQuery,
            BotResponse,
        ]
        query = first.history[2]
        assert isinstance(query, CustomerQuery)
        assert (query.text, query.session_id) == ("Where is my order?", tail)
        nested = "query" in raw["messageHistory"][2]["payload"].get("queryParameters", {})
        assert nested is (reading.query_items == "nested")
        answer = first.history[-1]
        assert isinstance(answer, BotResponse) and answer.texts == (HANDOVER_TEXT,)

    assert isinstance(second, CustomerMessage)
    assert second.text == "it's order 1042"
    assert second.session_id == raw["sessionId"]

    assert isinstance(third, HandoverRequest)
    assert third.dialogflow.is_handover("bc-human-handover" if platform == "es" else None)
    if reading.history == "present":
        assert {type(item) for item in third.history} == {
            CustomerEvent,
            BotResponse,
            CustomerQuery,
            AgentMessage,
            CustomerToAgentMessage,
        }


def test_mixed_meets_every_combination_in_sixteen_conversations() -> None:
    proxy = ScriptedProxy()
    with emulator_with(proxy) as botcopy:
        for n in range(16):
            botcopy.customer_says("human please", user_id=f"user-{n}")
        readings = {botcopy.conversation(user_id=f"user-{n}").reading for n in range(16)}
    assert readings == set(ALL_READINGS)
    bodies = proxy.bodies
    assert {"messageHistory" in body for body in bodies} == {True, False}
    assert {body["sessionId"] == body["session"].rsplit("/", 1)[-1] for body in bodies} == {
        True,
        False,
    }


def test_the_rotation_is_seeded() -> None:
    def order(seed: int) -> list[Reading]:
        rotation = VariantRotation(seed)
        return [rotation.next(Variant()) for _ in range(16)]

    assert order(3) == order(3)
    assert order(3) != order(4)
    assert sorted(order(3), key=_id) == sorted(ALL_READINGS, key=_id)


def test_one_axis_can_be_pinned_and_the_others_rotate() -> None:
    variant = Variant(responses="struct")
    assert {reading.responses for reading in variant.readings()} == {"struct"}
    assert len(variant.readings()) == 8
    assert Variant.plain().readings() == [Reading()]


def test_a_customer_can_have_a_variant_of_their_own() -> None:
    proxy = ScriptedProxy()
    with emulator_with(proxy, variant="plain") as botcopy:
        reading = botcopy.set_variant(Variant(history="absent"), user_id="user-2")
        assert reading.history == "absent"
        botcopy.customer_says("human please", user_id="user-1")
        botcopy.customer_says("human please", user_id="user-2")
    with_history, without = proxy.bodies
    assert "messageHistory" in with_history
    assert "messageHistory" not in without


def test_an_unknown_variant_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        Variant(responses="grpc")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Variant.of("everything")


# -- Dialogflow's own shapes ------------------------------------------------------


def _plain_handover(platform: str) -> dict[str, Any]:
    proxy = ScriptedProxy()
    with emulator_with(proxy, variant="plain", platform=platform) as botcopy:
        botcopy.customer_says("human please")
    return proxy.bodies[0]


def test_es_names_sessions_and_intents_as_dialogflow_does() -> None:
    body = _plain_handover("es")
    assert ES_SESSION.match(body["session"])
    result = body["dialogflowResponse"]["queryResult"]
    assert ES_INTENT.match(result["intent"]["name"])
    assert result["outputContexts"][0]["name"] == f"{body['session']}/contexts/bc-human-handover"


def test_cx_names_sessions_and_intents_and_answers_events_with_trigger_event() -> None:
    body = _plain_handover("cx")
    assert CX_SESSION.match(body["session"])
    result = body["dialogflowResponse"]["queryResult"]
    assert CX_INTENT.match(result["match"]["intent"]["name"])
    welcome = body["messageHistory"][1]["payload"]["queryResult"]
    assert welcome["triggerEvent"] == "WELCOME"
    assert "trigger" not in welcome
    assert welcome["match"]["matchType"] == "EVENT"


@pytest.mark.parametrize("platform", ["es", "cx"])
def test_sample_handover_uses_the_same_shapes(platform: str) -> None:
    body = sample_handover(platform=platform)  # type: ignore[arg-type]
    session, intent = (ES_SESSION, ES_INTENT) if platform == "es" else (CX_SESSION, CX_INTENT)
    assert session.match(body["session"])
    result = body["dialogflowResponse"]["queryResult"]
    name = result["intent"]["name"] if platform == "es" else result["match"]["intent"]["name"]
    assert intent.match(name)


def test_the_node_form_is_read_into_the_same_views_as_rest() -> None:
    def handover(responses: str) -> tuple[HandoverRequest, dict[str, Any]]:
        proxy = ScriptedProxy()
        variant = Variant("nested", responses, "present", "equal")  # type: ignore[arg-type]
        with emulator_with(proxy, variant=variant, platform="cx") as botcopy:
            botcopy.customer_says("human please")
        event = parse_webhook(proxy.requests[0].content)
        assert isinstance(event, HandoverRequest)
        return event, proxy.bodies[0]["dialogflowResponse"]["queryResult"]

    (rest, _), (node, raw) = handover("rest"), handover("struct")
    assert raw["responseMessages"][0]["message"] == "text"
    assert raw["parameters"]["fields"]["bcHumanHandover"]["kind"] == "boolValue"
    assert raw["query"] == "text"
    assert node.dialogflow.parameters == rest.dialogflow.parameters == {"bcHumanHandover": True}
    assert node.dialogflow.texts == rest.dialogflow.texts
    assert node.dialogflow.intent_name == rest.dialogflow.intent_name
    assert node.dialogflow.confidence == rest.dialogflow.confidence
