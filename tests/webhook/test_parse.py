"""parse_webhook: raw body in, typed event out, or a clear InvalidPayloadError."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from botcopy_handover import (
    BotcopyError,
    BotPlatform,
    CustomerMessage,
    HandoverRequest,
    InvalidPayloadError,
    PayloadTooLargeError,
    parse_webhook,
)
from tests.helpers import load_fixture

SECRET = "portal-access-token"


def step_two(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("webhooks/step_two_spec.json")
    body.update(overrides)
    return body


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


# --------------------------------------------------------------- Step One
def test_step_one_parses_to_handover_request(step_one_body: bytes) -> None:
    event = parse_webhook(step_one_body)
    assert isinstance(event, HandoverRequest)
    assert event.user_id == "user-5f2b"
    assert event.bot_id == "bot-9a1c"
    assert event.session_id == "6e3d0c52-session"
    assert event.session == "projects/acme-bot/agent/sessions/6e3d0c52-session"
    assert event.text == "I want to talk to a human"
    assert event.language_code == "en"
    assert event.query_params.contexts == []
    assert event.customer == ("bot-9a1c", "user-5f2b")


def test_step_one_keeps_dialogflow_response_unchanged(step_one_body: bytes) -> None:
    event = parse_webhook(step_one_body)
    assert isinstance(event, HandoverRequest)
    assert event.dialogflow_response == json.loads(step_one_body)["dialogflowResponse"]


def test_step_one_dialogflow_view_reads_what_the_bot_said(step_one_body: bytes) -> None:
    event = parse_webhook(step_one_body)
    assert isinstance(event, HandoverRequest)
    assert event.dialogflow.texts == ("Connecting you with an agent now.",)
    assert event.dialogflow.is_handover("BC-Human-Handover")


def test_step_one_cx_trigger_is_the_session_parameter() -> None:
    event = parse_webhook(json.dumps(load_fixture("webhooks/step_one_cx.json")))
    assert isinstance(event, HandoverRequest)
    assert event.dialogflow.platform is BotPlatform.DIALOGFLOW_CX
    assert event.dialogflow.is_handover()
    assert event.history[0].bot_platform is BotPlatform.DIALOGFLOW_CX


def test_step_one_history_has_every_item_in_order(step_one_body: bytes) -> None:
    event = parse_webhook(step_one_body)
    assert isinstance(event, HandoverRequest)
    assert [item.kind for item in event.history] == [
        "customer_query",
        "customer_event",
        "bot_response",
        "agent_message",
        "customer_to_agent",
    ]
    assert [item.id for item in event.history] == [
        f"65f1c0de000000000000000{i}" for i in range(1, 6)
    ]


def test_step_one_without_history_has_an_empty_list() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    del body["messageHistory"]
    event = parse_webhook(encode(body))
    assert isinstance(event, HandoverRequest)
    assert event.history == []


def test_step_one_with_null_history_has_an_empty_list() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["messageHistory"] = None
    event = parse_webhook(encode(body))
    assert isinstance(event, HandoverRequest)
    assert event.history == []


def test_step_one_triggered_by_an_event_has_no_text() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["queryInput"] = {"event": {"name": "HANDOVER", "languageCode": "en"}}
    event = parse_webhook(encode(body))
    assert isinstance(event, HandoverRequest)
    assert event.text is None
    assert event.language_code is None
    assert event.query_input.extra == {"event": {"name": "HANDOVER", "languageCode": "en"}}


# --------------------------------------------------------------- Step Two
def test_step_two_parses_to_customer_message(step_two_body: bytes) -> None:
    event = parse_webhook(step_two_body)
    assert isinstance(event, CustomerMessage)
    assert event.text == "Are you still there?"
    assert event.language_code == "en"
    assert event.user_id == "user-5f2b"
    assert event.bot_id == "bot-9a1c"
    assert event.query_params.payload == {"channel": "web"}
    assert event.query_params.webhook_headers == {"x-source": "botcopy"}


def test_step_two_accepts_a_str_body(step_two_body: bytes) -> None:
    assert isinstance(parse_webhook(step_two_body.decode()), CustomerMessage)


def test_step_two_accepts_bytearray_and_memoryview(step_two_body: bytes) -> None:
    assert isinstance(parse_webhook(bytearray(step_two_body)), CustomerMessage)
    assert isinstance(parse_webhook(memoryview(step_two_body)), CustomerMessage)


def test_minimal_step_two_needs_only_ids_and_text() -> None:
    body = {"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}}
    event = parse_webhook(encode(body))
    assert isinstance(event, CustomerMessage)
    assert event.session_id is None
    assert event.language_code is None
    assert event.query_params.contexts == []


# ----------------------------------------------------------- unknown fields
def test_unknown_top_level_fields_are_kept(step_two_body: bytes) -> None:
    body = json.loads(step_two_body)
    body["channelId"] = "web-42"
    event = parse_webhook(encode(body))
    assert event.extra == {"channelId": "web-42"}
    assert event.model_dump()["channelId"] == "web-42"


def test_unknown_nested_fields_are_kept() -> None:
    body = step_two(queryInput={"text": {"text": "hi", "languageCode": "en", "sentiment": 0.4}})
    body["queryParams"]["timeZone"] = "Europe/Paris"
    event = parse_webhook(encode(body))
    assert isinstance(event, CustomerMessage)
    assert event.query_input.text.extra == {"sentiment": 0.4}
    assert event.query_params.extra == {"timeZone": "Europe/Paris"}


def test_dump_uses_wire_names_and_leaves_the_token_out(step_two_body: bytes) -> None:
    dumped = parse_webhook(step_two_body).model_dump()
    assert dumped["userId"] == "user-5f2b"
    assert "accessToken" not in dumped
    assert "access_token" not in dumped


# ------------------------------------------------------------------ secrets
def test_access_token_is_readable_but_not_in_repr(step_two_body: bytes) -> None:
    event = parse_webhook(step_two_body)
    assert event.access_token == SECRET
    assert SECRET not in repr(event)
    assert SECRET not in str(event)


@pytest.mark.parametrize(
    "body",
    [
        {"accessToken": SECRET, "userId": SECRET, "botId": 5},
        {"accessToken": SECRET, "userId": "u", "botId": "b", "dialogflowResponse": SECRET},
        {"accessToken": SECRET, "userId": ["x"], "botId": "b", "queryInput": SECRET},
    ],
)
def test_errors_never_echo_the_input(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(encode(body))
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert all(SECRET not in str(e) for e in info.value.errors)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty"),
        (b" \r\n\t", "Request body is empty"),
        (b"\xff\xfe{}", "Request body is not valid UTF-8"),
        (b"{'userId': 'u'}", "Request body is not valid JSON"),
        (b'{"userId": "u",', "Request body is not valid JSON"),
        (b"[1, 2]", "Request body must be a JSON object, not array"),
        (b'"text"', "Request body must be a JSON object, not str"),
        (b"42", "Request body must be a JSON object, not int"),
        (b"null", "Request body must be a JSON object, not NoneType"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(InvalidPayloadError, match=message):
        parse_webhook(body)


def test_missing_required_fields_are_named_by_wire_path() -> None:
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(b'{"queryInput": {"text": {}}}')
    paths = {e.path for e in info.value.errors}
    assert paths == {"userId", "botId", "queryInput.text.text"}
    assert all(e.type == "missing" for e in info.value.errors)
    assert "Step Two" in str(info.value)


def test_wrong_typed_fields_are_named_by_wire_path() -> None:
    body = step_two(userId=12, queryInput={"text": {"text": ["a"], "languageCode": "en"}})
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(encode(body))
    assert [(e.path, e.type) for e in info.value.errors] == [
        ("userId", "string_type"),
        ("queryInput.text.text", "string_type"),
    ]


def test_step_one_with_a_bad_dialogflow_response_is_not_read_as_step_two() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["dialogflowResponse"] = "not an object"
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(encode(body))
    assert "Step One" in str(info.value)
    assert [e.path for e in info.value.errors] == ["dialogflowResponse"]


def test_history_without_a_dialogflow_response_is_refused() -> None:
    body = step_two(messageHistory=[])
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(encode(body))
    assert [e.path for e in info.value.errors] == ["dialogflowResponse"]


def test_history_that_is_not_a_list_is_refused() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["messageHistory"] = {"0": {}}
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(encode(body))
    assert info.value.errors[0].path.startswith("messageHistory")


def test_errors_are_botcopy_errors_and_value_errors() -> None:
    with pytest.raises(BotcopyError):
        parse_webhook(b"")
    with pytest.raises(ValueError, match="empty"):
        parse_webhook(b"")


def test_invalid_payload_error_carries_http_400() -> None:
    with pytest.raises(InvalidPayloadError) as info:
        parse_webhook(b"[]")
    assert info.value.status_code == 400
    assert info.value.to_dict() == {
        "error": "InvalidPayloadError",
        "message": "Request body must be a JSON object, not array",
    }


# ------------------------------------------------------------------ limits
def test_body_over_the_size_limit_is_refused(step_two_body: bytes) -> None:
    with pytest.raises(PayloadTooLargeError) as info:
        parse_webhook(step_two_body, max_bytes=len(step_two_body) - 1)
    assert info.value.status_code == 413
    assert info.value.limit == len(step_two_body) - 1


def test_body_at_the_size_limit_is_accepted(step_two_body: bytes) -> None:
    assert parse_webhook(step_two_body, max_bytes=len(step_two_body))


def test_str_body_size_is_counted_in_utf8_bytes() -> None:
    body = encode(step_two(queryInput={"text": {"text": "é" * 100}})).decode("utf-8")
    # ensure_ascii escapes é, so build the str with the raw character instead.
    body = body.replace("\\u00e9", "é")
    size = len(body.encode())
    assert parse_webhook(body, max_bytes=size)
    with pytest.raises(PayloadTooLargeError):
        parse_webhook(body, max_bytes=size - 1)


def test_too_large_is_also_an_invalid_payload(step_two_body: bytes) -> None:
    with pytest.raises(InvalidPayloadError):
        parse_webhook(step_two_body, max_bytes=10)


def nested(depth: int) -> bytes:
    body = step_two()
    body["queryParams"]["payload"] = {"x": json.loads("[" * depth + "]" * depth)}
    return encode(body)


def test_body_nested_deeper_than_max_depth_is_refused() -> None:
    # The body itself and queryParams.payload.x add three levels.
    assert parse_webhook(nested(7), max_depth=10)
    with pytest.raises(InvalidPayloadError, match="deeper than the limit of 10"):
        parse_webhook(nested(8), max_depth=10)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    body = step_two(queryInput={"text": {"text": '[[[[{{{{\\"]]]] \\\\" [[[['}})
    assert parse_webhook(encode(body), max_depth=5)


def test_body_deeper_than_the_decoder_limit_is_refused_by_default() -> None:
    with pytest.raises(InvalidPayloadError, match="deeper than the limit of 200"):
        parse_webhook(nested(250))


def test_depth_check_leaves_malformed_json_to_the_decoder() -> None:
    with pytest.raises(InvalidPayloadError, match="not valid JSON"):
        parse_webhook(b'{"a": [[[[[[[[[[[[}', max_depth=3)


# ------------------------------------------------------------------- times
@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-03-13T10:00:01.123Z", datetime(2024, 3, 13, 10, 0, 1, 123000, timezone.utc)),
        (
            "2024-03-12T16:30:00+01:00",
            datetime(2024, 3, 12, 16, 30, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2024-03-13T10:00:01", datetime(2024, 3, 13, 10, 0, 1, tzinfo=timezone.utc)),
    ],
)
def test_created_at_is_timezone_aware(stamp: str, expected: datetime) -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    body["messageHistory"][0]["createdAt"] = stamp
    event = parse_webhook(encode(body))
    assert isinstance(event, HandoverRequest)
    created = event.history[0].created_at
    assert created == expected
    assert created is not None and created.utcoffset() == expected.utcoffset()


# -- a str holding a lone surrogate (issue 12) --------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"userId": "u\ud800", "botId": "b", "queryInput": {"text": {"text": "hi"}}}',
        '{"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}, "x": "\udfff"}',
        "\ud800",
        '{"\udc00": 1}',
    ],
)
def test_a_str_with_a_lone_surrogate_is_an_invalid_payload_not_a_type_error(body: str) -> None:
    with pytest.raises(InvalidPayloadError, match="not valid UTF-8"):
        parse_webhook(body)


# -- an already-decoded body (issue 13) -----------------------------------------


def test_a_decoded_dict_parses_like_its_json(step_two_body: bytes) -> None:
    from_dict = parse_webhook(json.loads(step_two_body))
    assert from_dict == parse_webhook(step_two_body)
    assert isinstance(from_dict, CustomerMessage)


def test_a_decoded_step_one_dict_is_a_handover_request() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    assert isinstance(parse_webhook(body), HandoverRequest)


def test_a_decoded_dict_gets_the_same_errors_as_its_json() -> None:
    body = step_two(userId=7)
    del body["botId"]
    with pytest.raises(InvalidPayloadError) as from_dict:
        parse_webhook(body)
    with pytest.raises(InvalidPayloadError) as from_json:
        parse_webhook(json.dumps(body))
    assert from_dict.value.errors == from_json.value.errors
    assert str(from_dict.value) == str(from_json.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"userId": "u", "botId": "b", "x": {1, 2}}, "not a JSON value"),
        ({"userId": "u", "botId": "b", "x": {1: "a"}}, "key that is not a string"),
        ({"userId": "u\udc00", "botId": "b"}, "not valid UTF-8"),
        ({}, "Invalid Step Two"),
    ],
)
def test_a_decoded_dict_that_json_could_not_hold_is_refused(
    body: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidPayloadError, match=message):
        parse_webhook(body)


def test_a_decoded_dict_deeper_than_max_depth_is_refused() -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(30):
        inner["a"] = {}
        inner = inner["a"]
    body = step_two(x=nested)
    with pytest.raises(InvalidPayloadError, match="deeper than the limit of 10"):
        parse_webhook(body, max_depth=10)
    assert isinstance(parse_webhook(body), CustomerMessage)


@pytest.mark.parametrize("body", [[1, 2], 5, None, 1.5])
def test_a_body_of_another_type_is_an_invalid_payload(body: Any) -> None:
    with pytest.raises(InvalidPayloadError, match="must be bytes, str or a JSON object"):
        parse_webhook(body)


# -- small and large bodies take two routes, with one outcome ---------------------
# A body under a kilobyte is validated straight from JSON; a larger one is decoded
# first, then validated (faster on a history). Padding a body with whitespace, which
# JSON ignores, sends the same body down the other route.

_LINE_COLUMN = re.compile(r" at line \d+ column \d+")


def _outcome(body: bytes | str) -> tuple[str, Any]:
    try:
        event = parse_webhook(body)
    except InvalidPayloadError as exc:
        return "refused", (_LINE_COLUMN.sub("", str(exc)), exc.errors)
    return type(event).__name__, (event.model_dump(), event.model_extra, repr(event))


@pytest.mark.parametrize(
    "body",
    [
        encode(step_two()),
        encode(step_two(userId=None)),
        encode(step_two(botId=5, extraField={"kept": [1, 2.5, None]})),
        encode({"userId": "u", "botId": "b", "dialogflowResponse": {}, "messageHistory": None}),
        encode({"userId": "u", "botId": "b", "dialogflowResponse": [], "messageHistory": []}),
        encode({"userId": "u", "botId": "b", "messageHistory": [{"kind": "?"}]}),
        b'{"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}, "n": NaN}',
        b"\xff\xfe{}",
        b"{'userId': 'u'}",
        b'{"userId": "u",',
        b'{"userId": "u"} trailing',
        b"[1, 2]",
        b"null",
        b"[" * 300 + b"]" * 300,
        '{"userId": "u\ud800", "botId": "b", "queryInput": {"text": {"text": "hi"}}}',
    ],
)
def test_a_body_padded_past_a_kilobyte_parses_and_fails_as_it_does_unpadded(
    body: bytes | str,
) -> None:
    assert len(body) < 1024
    pad = " " * 1100
    padded = pad + body if isinstance(body, str) else pad.encode() + body
    assert repr(_outcome(padded)) == repr(_outcome(body))  # repr: NaN is not equal to itself


def test_a_large_step_one_body_is_a_handover_request_with_its_whole_history(
    step_one_body: bytes,
) -> None:
    event = json.loads(step_one_body)
    event["messageHistory"] = event["messageHistory"] * 50
    body = encode(event)
    assert len(body) > 10_000
    parsed = parse_webhook(body)
    assert isinstance(parsed, HandoverRequest)
    assert parsed.message_history == event["messageHistory"]
    assert parsed.dialogflow_response == event["dialogflowResponse"]
    assert len(parsed.history) == len(event["messageHistory"])


# -- a body without a Dialogflow response goes straight to Step Two -----------------
# HandoverRequest requires `dialogflowResponse` (or `dialogflow_response`); a body
# that cannot hold it skips the union's failing first try. The outcome must be the
# union's, whatever the body: checked against the union itself, as bytes, as str
# and decoded.


def _union_outcome(obj: Any) -> str:
    from pydantic import ValidationError

    from botcopy_handover.webhook._parse import _EVENT

    try:
        return type(_EVENT.validate_python(obj)).__name__
    except ValidationError:
        return "refused"


_STEP_TWO = '"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}'


@pytest.mark.parametrize(
    "text",
    [
        "{" + _STEP_TWO + "}",
        "{" + _STEP_TWO + ', "messageHistory": null}',
        "{" + _STEP_TWO + ', "messageHistory": []}',
        "{" + _STEP_TWO + ', "dialogflowResponse": null}',
        "{" + _STEP_TWO + ', "dialogflowResponse": {}}',
        "{" + _STEP_TWO + ', "dialogflow_response": {}}',
        "{" + _STEP_TWO + ', "dialogflow\\u0052esponse": {}}',  # the key, escaped
        "{" + _STEP_TWO + ', "\\u0064ialogflow_response": {}}',
        "{" + _STEP_TWO + ', "note": "dialogflow is mentioned"}',
        '{"userId": "u", "botId": "b"}',
        '{"userId": "u", "botId": "b", "queryInput": {}}',
        '{"userId": "u", "botId": "b", "dialogflowResponse": {}}',
        '{"userId": "u", "botId": "b", "dialogflow\\u0052esponse": {}}',
    ],
)
def test_the_route_taken_gives_the_unions_outcome(text: str) -> None:
    expected = _union_outcome(json.loads(text))
    for body in (text, text.encode(), json.loads(text)):
        try:
            got = type(parse_webhook(body)).__name__
        except InvalidPayloadError:
            got = "refused"
        assert got == expected, (body, got, expected)
