"""Message-history items: five kinds told apart by direction and payload shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from botcopy_handover import (
    AgentMessage,
    BotPlatform,
    BotResponse,
    CustomerEvent,
    CustomerQuery,
    CustomerToAgentMessage,
    HandoverRequest,
    HistoryItem,
    UnknownHistoryItem,
    parse_webhook,
)
from tests.helpers import load_fixture
from tests.properties import fuzz_settings

ITEMS: TypeAdapter[list[HistoryItem]] = TypeAdapter(list[HistoryItem])


def spec_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = load_fixture("webhooks/step_one_spec.json")["messageHistory"]
    return items


def parse_item(item: Any) -> HistoryItem:
    return ITEMS.validate_json(json.dumps([item]))[0]


def test_customer_query_nested_under_query_parameters() -> None:
    item = parse_item(spec_items()[0])
    assert isinstance(item, CustomerQuery)
    assert item.text == "Where is my order?"
    assert item.language_code == "en"
    assert item.session_id == "6e3d0c52-session"
    assert item.query_parameters == {"payload": {"source": "botcopy"}}
    assert item.direction == "in"


def test_customer_query_flat_in_payload() -> None:
    raw = spec_items()[0]
    raw["payload"] = raw["payload"]["queryParameters"]
    item = parse_item(raw)
    assert isinstance(item, CustomerQuery)
    assert item.text == "Where is my order?"
    assert item.query_parameters == {"payload": {"source": "botcopy"}}


def test_customer_event() -> None:
    item = parse_item(spec_items()[1])
    assert isinstance(item, CustomerEvent)
    assert item.event_name == "WELCOME"
    assert item.event_data == {"channel": "web"}
    assert item.language_code == "en"
    assert item.session_id == "6e3d0c52-session"


def test_customer_event_without_data_has_empty_data() -> None:
    raw = spec_items()[1]
    raw["payload"]["event"] = {"name": "WELCOME", "data": None}
    item = parse_item(raw)
    assert isinstance(item, CustomerEvent)
    assert item.event_data == {}


def test_bot_response_exposes_the_dialogflow_view() -> None:
    item = parse_item(spec_items()[2])
    assert isinstance(item, BotResponse)
    assert item.texts == ("I can check that. What's your order number?",)
    assert item.dialogflow.intent_name == "order.status"
    assert item.dialogflow.confidence == pytest.approx(0.87)
    assert item.payload["responseId"] == "resp-3"


def test_agent_message() -> None:
    item = parse_item(spec_items()[3])
    assert isinstance(item, AgentMessage)
    assert item.text == "Hi, I'm Dana from support. Let me look into it."
    assert item.direction == "out"


def test_customer_to_agent_message() -> None:
    item = parse_item(spec_items()[4])
    assert isinstance(item, CustomerToAgentMessage)
    assert item.text == "Thanks Dana, it's order 1042"
    assert item.language_code == "en"
    assert item.session_id == "6e3d0c52-session"


def test_query_shaped_item_going_in_is_a_customer_query_not_customer_to_agent() -> None:
    raw = spec_items()[4]
    raw["direction"] = "in"
    assert isinstance(parse_item(raw), CustomerQuery)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("dialogflowES", BotPlatform.DIALOGFLOW_ES),
        ("dialogFlowCX", BotPlatform.DIALOGFLOW_CX),
        ("dialogflowCX", BotPlatform.DIALOGFLOW_CX),
        ("DIALOGFLOWES", BotPlatform.DIALOGFLOW_ES),
        ("DialogFlowEs", BotPlatform.DIALOGFLOW_ES),
    ],
)
def test_bot_platform_accepts_any_casing(spelling: str, expected: BotPlatform) -> None:
    raw = spec_items()[3]
    raw["botPlatform"] = spelling
    assert parse_item(raw).bot_platform is expected


def test_unknown_bot_platform_is_kept_as_a_string() -> None:
    raw = spec_items()[3]
    raw["botPlatform"] = "lex"
    item = parse_item(raw)
    assert isinstance(item, AgentMessage)
    assert item.bot_platform == "lex"
    assert not isinstance(item.bot_platform, BotPlatform)


def test_bot_platform_str_is_the_wire_value() -> None:
    assert str(BotPlatform.DIALOGFLOW_CX) == "dialogFlowCX"


def test_unknown_fields_on_items_and_payloads_are_kept() -> None:
    raw = spec_items()[3]
    raw["channel"] = "web"
    raw["payload"]["attachments"] = [{"url": "https://x/y.png"}]
    item = parse_item(raw)
    assert isinstance(item, AgentMessage)
    assert item.extra == {"channel": "web"}
    assert item.payload["attachments"] == [{"url": "https://x/y.png"}]


@pytest.mark.parametrize(
    "raw",
    [
        {"_id": "x", "botPlatform": "dialogflowES", "direction": "sideways", "payload": {}},
        {"_id": "x", "botPlatform": "dialogflowES", "direction": "IN", "payload": {"query": "q"}},
        {"_id": "x", "botPlatform": "dialogflowES", "payload": {"text": "t"}},
        {
            "_id": "x",
            "botPlatform": "dialogflowES",
            "direction": "out",
            "payload": {"image": "https://x/y.png"},
            "createdAt": "2024-01-01T00:00:00Z",
        },
        {
            "_id": "x",
            "botPlatform": "dialogflowES",
            "direction": "in",
            "payload": {"query": "missing createdAt"},
        },
        {
            "_id": 7,
            "botPlatform": "dialogflowES",
            "direction": "out",
            "payload": {"text": "id is a number"},
            "createdAt": "2024-01-01T00:00:00Z",
        },
        {
            "_id": "x",
            "botPlatform": "dialogflowES",
            "direction": "out",
            "payload": {"text": "bad date"},
            "createdAt": "yesterday",
        },
        "just a string",
        None,
        42,
        [],
    ],
)
def test_items_that_fit_no_kind_are_kept_as_unknown(raw: Any) -> None:
    item = parse_item(raw)
    assert isinstance(item, UnknownHistoryItem)
    assert item.kind == "unknown"
    assert item.raw == raw


def test_unknown_item_reads_the_common_fields_it_can() -> None:
    item = parse_item(
        {
            "_id": "x1",
            "botPlatform": "dialogFlowCX",
            "direction": "out",
            "payload": {"image": "https://x/y.png"},
            "createdAt": "2024-01-01T00:00:00Z",
        }
    )
    assert isinstance(item, UnknownHistoryItem)
    assert item.id == "x1"
    assert item.direction == "out"
    assert item.bot_platform is BotPlatform.DIALOGFLOW_CX
    assert item.created_at is not None and item.created_at.tzinfo is not None
    assert item.payload == {"image": "https://x/y.png"}


def test_unknown_item_with_unreadable_common_fields_gives_none() -> None:
    item = parse_item({"_id": 1, "botPlatform": 2, "direction": 3, "createdAt": "soon"})
    assert isinstance(item, UnknownHistoryItem)
    assert (item.id, item.bot_platform, item.direction, item.created_at, item.payload) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_unknown_item_with_an_unknown_platform_keeps_the_string() -> None:
    item = parse_item({"botPlatform": "lex"})
    assert isinstance(item, UnknownHistoryItem)
    assert item.bot_platform == "lex"


def test_one_odd_item_does_not_fail_the_webhook() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["messageHistory"].insert(2, {"direction": "out", "payload": "???"})
    event = parse_webhook(json.dumps(body))
    assert isinstance(event, HandoverRequest)
    assert [item.kind for item in event.history] == [
        "customer_query",
        "customer_event",
        "unknown",
        "bot_response",
        "agent_message",
        "customer_to_agent",
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "_id": st.text(max_size=5) | st.integers(),
        "botPlatform": st.sampled_from(["dialogflowES", "dialogFlowCX", "x"]) | json_values,
        "direction": st.sampled_from(["in", "out", "IN", ""]) | json_values,
        "createdAt": st.sampled_from(["2024-01-01T00:00:00Z", "nope"]) | json_values,
        "payload": st.fixed_dictionaries(
            {},
            optional={
                "query": st.text(max_size=5) | json_values,
                "text": st.text(max_size=5) | json_values,
                "event": json_values,
                "queryResult": json_values,
                "queryParameters": json_values,
            },
        )
        | json_values,
    },
)


@fuzz_settings
@given(st.lists(item_like | json_values, max_size=6))
def test_any_history_parses_and_keeps_every_item(history: list[Any]) -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["messageHistory"] = history
    event = parse_webhook(json.dumps(body))
    assert isinstance(event, HandoverRequest)
    assert len(event.history) == len(history)
    for item, raw in zip(event.history, history, strict=True):
        if isinstance(item, UnknownHistoryItem):
            assert item.raw == raw
        else:
            assert isinstance(raw, dict)
            assert item.id == raw["_id"]
            assert item.direction == raw["direction"]
