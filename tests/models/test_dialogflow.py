"""Specification of DialogflowResponse, the typed view over detectIntent responses."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botcopy_handover.models._base import BotPlatform
from botcopy_handover.models.dialogflow import (
    Card,
    CardButton,
    CardMessage,
    DialogflowResponse,
    OutputContext,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
    TextMessage,
    UnknownMessage,
    decode_struct,
)
from tests.properties import fuzz_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dialogflow"
SESSION = "projects/p/agent/sessions/s/contexts/"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def es(**query_result: Any) -> DialogflowResponse:
    """An ES response whose queryResult holds the given fields (and says it is ES)."""
    return DialogflowResponse({"queryResult": {"queryText": "hi", **query_result}})


def cx(**query_result: Any) -> DialogflowResponse:
    """A CX response whose queryResult holds the given fields (and says it is CX)."""
    return DialogflowResponse(
        {"queryResult": {"text": "hi", "responseMessages": [], **query_result}}
    )


def context(short_name: str, lifespan: int | None = 5) -> dict[str, Any]:
    ctx: dict[str, Any] = {"name": SESSION + short_name, "parameters": {}}
    if lifespan is not None:
        ctx["lifespanCount"] = lifespan
    return ctx


def to_value(value: Any) -> dict[str, Any]:
    """Encode plain JSON as a Node.js client ``google.protobuf.Value``."""
    if value is None:
        return {"nullValue": "NULL_VALUE", "kind": "nullValue"}
    if isinstance(value, bool):
        return {"boolValue": value, "kind": "boolValue"}
    if isinstance(value, (int, float)):
        return {"numberValue": value, "kind": "numberValue"}
    if isinstance(value, str):
        return {"stringValue": value, "kind": "stringValue"}
    if isinstance(value, list):
        return {"listValue": {"values": [to_value(v) for v in value]}, "kind": "listValue"}
    return {"structValue": to_struct(value), "kind": "structValue"}


def to_struct(obj: dict[str, Any]) -> dict[str, Any]:
    """Encode a plain JSON object as a Node.js client ``google.protobuf.Struct``."""
    return {"fields": {key: to_value(value) for key, value in obj.items()}}


_OPAQUE = {"payload", "parameters", "diagnosticInfo", "webhookPayload"}


def to_snake_case(obj: Any) -> Any:
    """Rename proto fields to snake_case, leaving Struct contents alone (as protobuf does)."""
    if isinstance(obj, list):
        return [to_snake_case(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {
        re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): (
            value if key in _OPAQUE else to_snake_case(value)
        )
        for key, value in obj.items()
    }


def view(response: DialogflowResponse) -> dict[str, Any]:
    """Every public view of *response*, to compare two responses in one assert."""
    return {
        "platform": response.platform,
        "messages": response.messages,
        "texts": response.texts,
        "quick_replies": response.quick_replies,
        "cards": response.cards,
        "payloads": response.payloads,
        "intent_name": response.intent_name,
        "intent_id": response.intent_id,
        "confidence": response.confidence,
        "parameters": response.parameters,
        "output_contexts": response.output_contexts,
        "query_text": response.query_text,
        "language_code": response.language_code,
        "current_page": response.current_page,
        "handover": response.is_handover(),
        "handover_by_context": response.is_handover("bc-human-handover"),
    }


# --- the fixtures, read -----------------------------------------------------


def test_platform_is_es_for_an_es_response() -> None:
    assert DialogflowResponse(load("es_rest_rich.json")).platform is BotPlatform.DIALOGFLOW_ES


def test_platform_is_cx_for_a_cx_response() -> None:
    assert DialogflowResponse(load("cx_rest.json")).platform is BotPlatform.DIALOGFLOW_CX


def test_platform_is_none_when_the_shape_says_nothing() -> None:
    assert DialogflowResponse({"responseId": "r"}).platform is None


def test_es_plain_text_response_reads_its_text_and_intent() -> None:
    response = DialogflowResponse(load("es_rest_text.json"))

    assert response.texts == ("We're open Monday to Friday, 9am to 6pm.",)
    assert response.intent_name == "faq.opening_hours"
    assert response.confidence == 1.0
    assert response.quick_replies == ()
    assert response.cards == ()


def test_es_messages_are_typed_in_order() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert [m.kind for m in response.messages] == ["text", "quick_replies", "card", "payload"]


def test_es_platform_duplicates_of_default_messages_are_dropped() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.texts == ("Sure, Ada. Let me get someone from our team.",)


def test_es_platform_messages_are_kept_when_no_message_is_for_the_default_platform() -> None:
    response = es(
        fulfillmentMessages=[
            {"text": {"text": ["Hi from Messenger"]}, "platform": "FACEBOOK"},
            {"text": {"text": ["Hi from Slack"]}, "platform": "SLACK"},
        ]
    )

    assert response.texts == ("Hi from Messenger", "Hi from Slack")


def test_es_texts_fall_back_to_fulfillment_text_without_text_messages() -> None:
    response = es(fulfillmentText="Just this.", fulfillmentMessages=[])

    assert response.texts == ("Just this.",)


def test_es_quick_replies_come_from_messages_rich_content_chips_and_botcopy_suggestions() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.quick_replies == (
        QuickReplies("While you wait:", ("Order status", "Cancel handover")),
        QuickReplies(None, ("Track parcel", "Talk to billing")),
        QuickReplies(None, ("Never mind",)),
    )


def test_es_cards_come_from_card_messages_and_rich_content_info_items() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.cards == (
        Card(
            title="Support hours",
            subtitle="Mon-Fri, 9am-6pm CET",
            image_url="https://static.acme.example/img/support.png",
            buttons=(
                CardButton("Open help centre", "https://help.acme.example/"),
                CardButton("Call us", None),
            ),
        ),
        Card(
            title="Order #48213",
            subtitle="Refund requested on 21 Nov",
            image_url="https://static.acme.example/img/parcel.png",
            buttons=(CardButton("Order #48213", "https://acme.example/orders/48213"),),
        ),
    )


def test_es_payloads_are_the_custom_payloads() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert len(response.payloads) == 1
    assert set(response.payloads[0]) == {"richContent", "botcopy"}


def test_es_intent_and_confidence_are_read() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.intent_name == "handover.human"
    assert response.intent_id == "7f3c2a10-4b1e-4f39-9d2e-1c0e5b8a6d42"
    assert response.confidence == pytest.approx(0.87)


def test_es_parameters_are_read() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.parameters == {
        "given-name": "Ada",
        "order-number": 48213,
        "topics": ["billing", "refund"],
        "callback": {"wanted": False, "phone": None},
    }


def test_es_output_contexts_are_read_with_their_short_names() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert [c.short_name for c in response.output_contexts] == [
        "bc-human-handover",
        "refund-followup",
        "__system_counters__",
    ]
    first = response.output_contexts[0]
    assert first.lifespan_count == 5
    assert first.parameters["given-name"] == "Ada"
    assert first.name.endswith("/contexts/bc-human-handover")


def test_es_query_text_and_language_are_read_and_there_is_no_page() -> None:
    response = DialogflowResponse(load("es_rest_rich.json"))

    assert response.query_text == "I'd like to talk to a person about my refund"
    assert response.language_code == "en"
    assert response.current_page is None


def test_cx_texts_give_one_line_per_text_entry() -> None:
    response = DialogflowResponse(load("cx_rest.json"))

    assert response.texts == ("Of course, Grace.", "I'm connecting you with a colleague now.")


def test_cx_reads_chips_and_botcopy_cards_from_payloads() -> None:
    response = DialogflowResponse(load("cx_rest.json"))

    assert response.quick_replies == (QuickReplies(None, ("Stay with the bot",)),)
    assert response.cards == (
        Card(
            title="While you wait",
            subtitle="Average wait: 2 minutes",
            image_url="https://static.acme.example/img/queue.png",
            buttons=(CardButton("Read our FAQ", "https://help.acme.example/faq"),),
        ),
    )
    assert len(response.payloads) == 2


def test_cx_reads_match_page_query_and_session_parameters() -> None:
    response = DialogflowResponse(load("cx_rest.json"))

    assert response.intent_name == "live_agent_handoff"
    assert response.intent_id == "1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    assert response.confidence == pytest.approx(0.93)
    assert response.current_page == "Human Handover"
    assert response.query_text == "can I speak to a human please"
    assert response.language_code == "en"
    assert response.parameters["order"] == {"id": "A-1009", "items": 2}
    assert response.output_contexts == ()


def test_cx_match_confidence_wins_over_the_deprecated_field() -> None:
    response = cx(intentDetectionConfidence=0.2, match={"confidence": 0.8})

    assert response.confidence == 0.8


def test_cx_deprecated_intent_is_used_when_match_has_none() -> None:
    response = cx(
        intent={"name": "projects/p/locations/l/agents/a/intents/i-1", "displayName": "greet"},
        match={"matchType": "PARAMETER_FILLING"},
    )

    assert (response.intent_name, response.intent_id) == ("greet", "i-1")


# --- the same response in every form --------------------------------------


@pytest.mark.parametrize(
    ("rest", "node"), [("es_rest_rich.json", "es_node.json"), ("cx_rest.json", "cx_node.json")]
)
def test_node_client_form_gives_the_same_view_as_rest(rest: str, node: str) -> None:
    assert view(DialogflowResponse(load(node))) == view(DialogflowResponse(load(rest)))


@pytest.mark.parametrize("rest", ["es_rest_text.json", "es_rest_rich.json", "cx_rest.json"])
def test_snake_case_form_gives_the_same_view_as_rest(rest: str) -> None:
    body = load(rest)

    assert view(DialogflowResponse(to_snake_case(body))) == view(DialogflowResponse(body))


def test_node_form_struct_numbers_decode_to_floats() -> None:
    response = DialogflowResponse(load("es_node.json"))

    order_number = response.parameters["order-number"]
    assert isinstance(order_number, float)
    assert order_number == 48213.0


# --- protobuf Struct decoding -----------------------------------------------


def test_every_struct_value_kind_decodes_to_plain_python() -> None:
    struct = {
        "fields": {
            "s": {"stringValue": "text", "kind": "stringValue"},
            "n": {"numberValue": 3, "kind": "numberValue"},
            "b": {"boolValue": False, "kind": "boolValue"},
            "z": {"nullValue": "NULL_VALUE", "kind": "nullValue"},
            "o": {"structValue": {"fields": {"k": {"stringValue": "v"}}}, "kind": "structValue"},
            "l": {
                "listValue": {"values": [{"numberValue": 1}, {"stringValue": "two"}]},
                "kind": "listValue",
            },
        }
    }

    assert decode_struct(struct) == {
        "s": "text",
        "n": 3.0,
        "b": False,
        "z": None,
        "o": {"k": "v"},
        "l": [1.0, "two"],
    }


def test_struct_keys_keep_their_order() -> None:
    struct = to_struct({"b": 1, "a": 2, "c": {"y": 1, "x": 2}})

    decoded = decode_struct(struct)

    assert list(decoded) == ["b", "a", "c"]
    assert list(decoded["c"]) == ["y", "x"]


def test_rest_payload_with_a_key_named_fields_is_not_a_struct() -> None:
    response = es(fulfillmentMessages=[{"payload": {"fields": {"priority": "high"}}}])

    assert response.payloads == ({"fields": {"priority": "high"}},)


def test_rest_payload_whose_fields_sit_beside_other_keys_is_not_a_struct() -> None:
    payload = {"fields": {"a": {"stringValue": "x"}}, "form": "signup"}

    assert es(fulfillmentMessages=[{"payload": payload}]).payloads == (payload,)


def test_payload_whose_fields_are_all_values_is_a_struct() -> None:
    response = es(fulfillmentMessages=[{"payload": to_struct({"priority": "high"})}])

    assert response.payloads == ({"priority": "high"},)


def test_plain_json_inside_a_struct_is_kept_as_it_is() -> None:
    struct = {"fields": {"a": {"structValue": {"fields": {"b": {"odd": 1}}}}}}

    assert decode_struct(struct) == {"a": {"b": {"odd": 1}}}


def test_context_parameters_are_decoded_from_structs() -> None:
    ctx = {"name": SESSION + "x", "lifespanCount": 1, "parameters": to_struct({"a": [True]})}

    assert es(outputContexts=[ctx]).output_contexts[0].parameters == {"a": [True]}


def test_a_very_deep_struct_decodes_without_recursion_error() -> None:
    depth = 50_000
    value: dict[str, Any] = {"stringValue": "bottom", "kind": "stringValue"}
    for _ in range(depth):
        value = {"structValue": {"fields": {"k": value}}, "kind": "structValue"}

    node: Any = decode_struct({"fields": {"k": value}})

    for _ in range(depth + 1):
        node = node["k"]
    assert node == "bottom"


def test_a_self_referencing_struct_built_in_python_does_not_hang() -> None:
    fields: dict[str, Any] = {}
    fields["me"] = {"structValue": {"fields": fields}, "kind": "structValue"}

    decoded = decode_struct({"fields": fields})

    assert decoded["me"]["me"] is decoded["me"]


# --- messages ---------------------------------------------------------------


def test_node_oneof_sibling_names_the_message_member() -> None:
    message = {"text": {"text": ["hi"]}, "payload": None, "message": "text", "platform": 0}

    assert es(fulfillmentMessages=[message]).messages == (TextMessage("hi"),)


def test_a_message_of_an_unread_kind_is_kept_raw() -> None:
    image = {"image": {"imageUri": "https://x.example/a.png"}, "platform": "PLATFORM_UNSPECIFIED"}

    assert es(fulfillmentMessages=[image]).messages == (UnknownMessage(image),)


def test_a_message_with_a_body_of_the_wrong_type_is_kept_raw() -> None:
    odd = {"text": "not an object"}

    assert cx(responseMessages=[odd]).messages == (UnknownMessage(odd),)


def test_empty_text_lines_are_dropped() -> None:
    response = es(fulfillmentMessages=[{"text": {"text": [""]}}, {"text": {"text": ["", "ok"]}}])

    assert response.messages == (TextMessage("ok"),)


def test_message_kinds_are_tagged() -> None:
    assert [cls.kind for cls in (TextMessage, QuickRepliesMessage, CardMessage)] == [
        "text",
        "quick_replies",
        "card",
    ]
    assert [cls.kind for cls in (PayloadMessage, UnknownMessage)] == ["payload", "unknown"]


def test_actions_on_google_simple_responses_basic_card_and_suggestions_are_read() -> None:
    platform = {"platform": "ACTIONS_ON_GOOGLE"}
    response = es(
        fulfillmentMessages=[
            {"simpleResponses": {"simpleResponses": [{"textToSpeech": "Hello"}]}, **platform},
            {
                "basicCard": {
                    "title": "Plan",
                    "formattedText": "Unlimited",
                    "image": {"imageUri": "https://x.example/p.png"},
                    "buttons": [{"title": "Buy", "openUriAction": {"uri": "https://x.example"}}],
                },
                **platform,
            },
            {"suggestions": {"suggestions": [{"title": "Yes"}, {"title": "No"}]}, **platform},
        ]
    )

    assert response.texts == ("Hello",)
    assert response.cards == (
        Card(
            "Plan",
            "Unlimited",
            "https://x.example/p.png",
            (CardButton("Buy", "https://x.example"),),
        ),
    )
    assert response.quick_replies == (QuickReplies(None, ("Yes", "No")),)


def test_rich_content_button_joins_the_card_before_it() -> None:
    payload = {
        "richContent": [
            [
                {"type": "description", "title": "Refunds", "text": ["Up to 30 days.", "No fee."]},
                {"type": "button", "text": "Policy", "link": "https://x.example/refunds"},
                {"type": "button", "text": "Start", "event": {"name": "refund_start"}},
            ],
            [{"type": "button", "text": "Alone"}],
        ]
    }

    assert cx(responseMessages=[{"payload": payload}]).cards == (
        Card(
            "Refunds",
            "Up to 30 days.\nNo fee.",
            None,
            (
                CardButton("Policy", "https://x.example/refunds"),
                CardButton("Start", "refund_start"),
            ),
        ),
        Card(None, None, None, (CardButton("Alone", None),)),
    )


def test_botcopy_carousel_items_are_cards_with_their_action_as_button() -> None:
    payload = {
        "botcopy": [
            {
                "carousel": [
                    {
                        "title": "One",
                        "body": "First",
                        "action": {"link": {"url": "https://1.example"}},
                    },
                    {"title": "Two", "action": {"message": {"type": "training"}}},
                ]
            }
        ]
    }

    assert cx(responseMessages=[{"payload": payload}]).cards == (
        Card("One", "First", None, (CardButton("One", "https://1.example"),)),
        Card("Two", None, None, (CardButton("Two", "Two"),)),
    )


# --- trigger detection ----------------------------------------------------


def test_es_handover_when_a_live_context_matches_the_trigger() -> None:
    assert DialogflowResponse(load("es_rest_rich.json")).is_handover("bc-human-handover")


@pytest.mark.parametrize("trigger", ["BC-Human-Handover", "bc-HUMAN-handover"])
def test_es_trigger_matches_case_insensitively(trigger: str) -> None:
    assert es(outputContexts=[context("bc-human-handover")]).is_handover(trigger)


def test_es_trigger_given_as_a_full_context_name_matches_on_its_last_segment() -> None:
    response = es(outputContexts=[context("bc-human-handover")])

    assert response.is_handover("projects/other/agent/sessions/x/contexts/bc-human-handover")


def test_es_trigger_must_equal_the_last_segment_not_just_end_it() -> None:
    response = es(outputContexts=[context("bc-human-handover")])

    assert not response.is_handover("human-handover")


def test_es_trigger_does_not_match_an_earlier_path_segment() -> None:
    ctx = {"name": "projects/p/agent/sessions/bc-human-handover/contexts/other", "lifespanCount": 3}

    assert not es(outputContexts=[ctx]).is_handover("bc-human-handover")


def test_es_without_a_trigger_is_never_a_handover() -> None:
    response = es(
        outputContexts=[context("bc-human-handover")], parameters={"bcHumanHandover": True}
    )

    assert not response.is_handover()


def test_es_expired_context_does_not_count() -> None:
    assert not es(outputContexts=[context("bc-human-handover", lifespan=0)]).is_handover(
        "bc-human-handover"
    )


def test_es_context_without_a_lifespan_count_is_not_read_as_expired() -> None:
    response = es(outputContexts=[context("bc-human-handover", lifespan=None)])

    assert response.output_contexts[0].lifespan_count is None
    assert response.is_handover("bc-human-handover")


def test_es_node_form_handover_is_detected() -> None:
    assert DialogflowResponse(load("es_node.json")).is_handover("bc-human-handover")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", True),
        ("TRUE", True),
        ("yes", True),
        (1, True),
        (0.5, True),
        (False, False),
        ("false", False),
        ("False", False),
        (" false ", False),
        ("", False),
        (0, False),
        (0.0, False),
        (None, False),
        ([True], False),
        ({"on": True}, False),
    ],
)
def test_cx_handover_parameter_truthiness(value: Any, expected: bool) -> None:
    assert cx(parameters={"bcHumanHandover": value}).is_handover() is expected


def test_cx_handover_from_the_fixtures_in_both_forms() -> None:
    assert DialogflowResponse(load("cx_rest.json")).is_handover()
    assert DialogflowResponse(load("cx_node.json")).is_handover()


def test_cx_without_the_parameter_is_not_a_handover() -> None:
    assert not cx(parameters={"other": True}).is_handover()


def test_cx_trigger_names_another_parameter() -> None:
    response = cx(parameters={"bcHumanHandover": False, "needsAgent": "true"})

    assert response.is_handover("needsAgent")
    assert not response.is_handover()


def test_cx_does_not_read_output_contexts() -> None:
    response = cx(outputContexts=[context("bc-human-handover")])

    assert response.output_contexts == ()
    assert not response.is_handover("bc-human-handover")


# --- odd input --------------------------------------------------------------


def test_raw_is_kept_as_received_without_a_copy() -> None:
    body = load("es_rest_text.json")

    assert DialogflowResponse(body).raw is body


@pytest.mark.parametrize("raw", [None, [], "queryResult", 3, {1: "x"}])
def test_a_body_that_is_not_an_object_gives_an_empty_view(raw: Any) -> None:
    response = DialogflowResponse(raw)

    assert response.messages == ()
    assert response.parameters == {}
    assert response.platform is None


@pytest.mark.parametrize(
    "query_result",
    [
        None,
        [],
        {"fulfillmentMessages": "x", "outputContexts": {"a": 1}, "parameters": [1]},
        {"fulfillmentMessages": [None, 1, "a", {"text": 5}, {"text": {"text": 5}}, {}]},
        {"responseMessages": [{"payload": "x"}, {"payload": {"fields": 3}}]},
        {"outputContexts": [None, {"name": 4}, {"name": "a", "lifespanCount": "two"}]},
        {"intent": {"name": ["x"], "displayName": 3}, "intentDetectionConfidence": True},
        {"match": {"confidence": "high"}, "currentPage": "p", "languageCode": 5},
        {"parameters": {"fields": {"a": {"structValue": 5, "kind": "structValue"}}}},
        {"parameters": {"fields": {"a": {"listValue": {"values": 5}, "kind": "listValue"}}}},
        {"fulfillmentMessages": [{"payload": {"richContent": [None, 3, [None, {"type": 1}]]}}]},
        {"fulfillmentMessages": [{"payload": {"botcopy": [{"card": 1, "carousel": [2]}]}}]},
    ],
)
def test_odd_query_results_never_raise(query_result: Any) -> None:
    view(DialogflowResponse({"queryResult": query_result}))


def test_odd_messages_become_unknown_messages_or_are_skipped() -> None:
    response = es(fulfillmentMessages=[None, 1, {"text": 5}, {"card": [1]}])

    assert response.messages == (UnknownMessage({"text": 5}), UnknownMessage({"card": [1]}))


def test_lifespan_count_written_as_a_string_is_read() -> None:
    ctx = {"name": SESSION + "x", "lifespanCount": "3"}

    assert es(outputContexts=[ctx]).output_contexts[0].lifespan_count == 3


def test_a_read_only_mapping_is_accepted_as_the_body() -> None:
    body = MappingProxyType(load("es_rest_text.json"))

    assert DialogflowResponse(body).intent_name == "faq.opening_hours"


def test_repr_names_platform_and_intent_only() -> None:
    response = DialogflowResponse(load("cx_rest.json"))

    assert repr(response) == (
        "DialogflowResponse(platform='dialogFlowCX', intent_name='live_agent_handoff')"
    )


def test_wrongly_typed_lifespan_count_reads_as_unknown() -> None:
    ctx = {"name": SESSION + "x", "lifespanCount": "two"}

    assert es(outputContexts=[ctx]).output_contexts == (
        OutputContext(SESSION + "x", "x", None, {}),
    )


# Keys this view looks for, so that generated bodies reach past the first lookup.
_KEYS = [
    "queryResult", "query_result", "fulfillmentMessages", "responseMessages", "outputContexts",
    "parameters", "intent", "match", "currentPage", "displayName", "name", "confidence",
    "intentDetectionConfidence", "queryText", "text", "languageCode", "fulfillmentText",
    "lifespanCount", "platform", "message", "payload", "quickReplies", "title", "card",
    "subtitle", "imageUri", "buttons", "postback", "basicCard", "simpleResponses",
    "suggestions", "displayText", "fields", "kind", "stringValue", "numberValue", "boolValue",
    "nullValue", "structValue", "listValue", "values", "richContent", "type", "options",
    "botcopy", "carousel", "action", "link", "url", "bcHumanHandover",
]  # fmt: skip
_WORDS = [
    "text", "payload", "quickReplies", "card", "chips", "info", "description", "button",
    "PLATFORM_UNSPECIFIED", "FACEBOOK", "NULL_VALUE", "stringValue", "structValue",
    "listValue", "numberValue", "true", "false", "bc-human-handover",
]  # fmt: skip

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(_WORDS)
)
json_keys = st.sampled_from(_KEYS) | st.text(max_size=6)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_keys, children, max_size=5)
    ),
    max_leaves=60,
)


def _struct_values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    fields = st.dictionaries(json_keys, children, max_size=4)
    return (
        st.builds(lambda f: {"structValue": {"fields": f}, "kind": "structValue"}, fields)
        | st.builds(
            lambda v: {"listValue": {"values": v}, "kind": "listValue"},
            st.lists(children, max_size=4),
        )
        | json_values
    )


struct_values = st.recursive(
    st.builds(to_value, json_leaves) | json_leaves, _struct_values, max_leaves=40
)


@fuzz_settings
@given(st.dictionaries(json_keys, json_values, max_size=6))
def test_no_body_makes_any_view_raise(body: dict[str, Any]) -> None:
    view(DialogflowResponse(body))


@fuzz_settings
@given(st.dictionaries(json_keys, json_values, max_size=8), st.sampled_from([None, "x", "a/b/"]))
def test_no_query_result_makes_any_view_raise(query_result: dict[str, Any], trigger: Any) -> None:
    response = DialogflowResponse({"queryResult": query_result})

    view(response)
    response.is_handover(trigger)


@fuzz_settings
@given(
    st.lists(st.dictionaries(json_keys, struct_values, max_size=4), max_size=4),
    st.dictionaries(json_keys, struct_values, max_size=4),
)
def test_no_node_form_struct_makes_any_view_raise(
    messages: list[dict[str, Any]], fields: dict[str, Any]
) -> None:
    body = {
        "queryResult": {
            "fulfillmentMessages": [
                {"payload": {"fields": m}, "message": "payload"} for m in messages
            ],
            "parameters": {"fields": fields},
            "outputContexts": [{"name": SESSION + "c", "parameters": {"fields": fields}}],
        }
    }

    view(DialogflowResponse(body))


# ES messages close to the REST form, so the fast reading of ``texts`` is taken
# often and left often: lines of every type (empty ones too), platforms,
# simple responses, the protobuf wrapper, other kinds, odd values.
_lines = st.lists(st.sampled_from(["", "a", "b"]) | json_leaves, max_size=3)
_rest_message = st.fixed_dictionaries(
    {"text": st.fixed_dictionaries({"text": _lines | st.sampled_from(["", "c"]) | json_leaves})},
    optional={
        "platform": st.sampled_from([None, "FACEBOOK", "PLATFORM_UNSPECIFIED"]),
        "simpleResponses": st.just({"simpleResponses": [{"textToSpeech": "s"}]}),
        "message": st.just("text"),
    },
)
_other_message = st.sampled_from(
    [{"quickReplies": {"quickReplies": ["q"]}}, {"payload": {}}, {"text": "flat"}, {"text": None}]
)
_rest_messages = st.lists(_rest_message | _rest_message | _other_message | json_values, max_size=4)


@fuzz_settings
@given(_rest_messages, st.sampled_from([None, "said", ""]), st.booleans())
def test_texts_read_fast_or_not_are_the_general_reading(
    messages: list[Any], fallback: Any, cx: bool
) -> None:
    query_result: dict[str, Any] = {"fulfillmentMessages": messages, "fulfillmentText": fallback}
    if cx:
        query_result["responseMessages"] = [{"text": {"text": ["from cx"]}}]
    response = DialogflowResponse({"queryResult": query_result})
    general = DialogflowResponse({"queryResult": query_result})._general_texts()
    assert response.texts == general


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"text": {"text": ["a", "", "b"]}}, {"quickReplies": {}}], ("a", "b")),
        ([{"text": {"text": "one"}}], ("one",)),
        ([{"text": {"text": ["x"]}, "platform": "FACEBOOK"}, {"text": {"text": ["y"]}}], ("y",)),
        ([{"simpleResponses": {"simpleResponses": [{"textToSpeech": "hi"}]}}], ("hi",)),
        ([{"text": {"other": 1}}], ("fallback",)),
    ],
)
def test_texts_of_common_es_shapes(messages: list[Any], expected: tuple[str, ...]) -> None:
    body = {"queryResult": {"fulfillmentMessages": messages, "fulfillmentText": "fallback"}}
    assert DialogflowResponse(body).texts == expected


finite_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=40,
)


@fuzz_settings
@given(st.dictionaries(st.text(max_size=6), finite_json, max_size=5))
def test_node_form_struct_decodes_back_to_the_json_it_encodes(obj: dict[str, Any]) -> None:
    assert decode_struct(to_struct(obj)) == obj


def test_infinite_struct_number_written_as_text_decodes_to_a_float() -> None:
    decoded = decode_struct({"fields": {"n": {"numberValue": "-Infinity", "kind": "numberValue"}}})

    assert decoded["n"] == -math.inf


def texts_from_messages(response: DialogflowResponse) -> tuple[str, ...]:
    """What ``texts`` means: the typed text lines, else ``fulfillmentText``."""
    lines = tuple(m.text for m in response.messages if isinstance(m, TextMessage))
    if lines:
        return lines
    fallback = response.raw.get("queryResult", {}).get("fulfillmentText")
    return (fallback,) if isinstance(fallback, str) and fallback else ()


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_texts_are_the_text_lines_of_the_typed_messages_in_every_fixture(name: str) -> None:
    response = DialogflowResponse(load(name))

    assert response.texts == texts_from_messages(DialogflowResponse(load(name)))


message_shapes = st.sampled_from(
    [
        {"text": {"text": ["a", "", "b"]}},
        {"text": {"text": "one line"}},
        {"text": "not an object"},
        {"text": {"text": ["x"]}, "message": "text"},
        {"text": {"text": ["hidden"]}, "payload": {"k": 1}, "message": "payload"},
        {"text": {"text": ["named but empty"]}, "message": "card"},
        {"simpleResponses": {"simpleResponses": [{"displayText": "d"}, {"textToSpeech": "t"}]}},
        {"simple_responses": {"simple_responses": [{"display_text": "snake"}]}},
        {"quickReplies": {"quickReplies": ["chip"]}},
        {"text": {"text": ["facebook"]}, "platform": "FACEBOOK"},
        {"text": {"text": ["default"]}, "platform": "PLATFORM_UNSPECIFIED"},
        {"payload": {"richContent": []}},
    ]
)


@fuzz_settings
@given(
    st.lists(message_shapes, max_size=5),
    st.lists(message_shapes, max_size=3),
    st.sampled_from([None, "", "fallback"]),
)
def test_texts_agree_with_the_typed_messages_for_any_mix_of_messages(
    es_messages: list[dict[str, Any]], cx_messages: list[dict[str, Any]], fallback: str | None
) -> None:
    query_result: dict[str, Any] = {
        "fulfillmentMessages": es_messages,
        "responseMessages": cx_messages,
    }
    if fallback is not None:
        query_result["fulfillmentText"] = fallback
    response = DialogflowResponse({"queryResult": query_result})

    assert response.texts == texts_from_messages(DialogflowResponse({"queryResult": query_result}))


def test_the_package_exports_every_listed_name_and_its_public_types() -> None:
    import botcopy_handover.models.dialogflow as package

    listed = set(package.__all__)
    assert all(hasattr(package, name) for name in listed)
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, ModuleType)
    }
    assert public == listed
