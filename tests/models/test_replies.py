"""Webhook replies serialise to exactly the JSON the spec names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from botcopy_handover import Continue, End, InvalidEventError, InvalidPayloadError, Pause
from botcopy_handover.models import parse_reply


@pytest.mark.parametrize(
    ("reply", "wire"),
    [
        (Pause(), {"paused": True, "minutesPaused": 10}),
        (Pause(minutes=30), {"paused": True, "minutesPaused": 30}),
        (Continue(), {"paused": False}),
        (End(), {"paused": False, "minutesPaused": 0}),
    ],
)
def test_reply_serialises_to_the_spec_json(reply: Pause | Continue | End, wire: Any) -> None:
    assert reply.to_dict() == wire
    assert json.loads(reply.to_json()) == wire
    assert parse_reply(reply.to_json()) == reply


def test_pause_defaults_to_ten_minutes() -> None:
    assert Pause().minutes == 10


@pytest.mark.parametrize("minutes", [0, -1, True, 1.5, "10", None, 60 * 24 * 365 + 1])
def test_pause_minutes_must_be_a_positive_whole_number(minutes: Any) -> None:
    with pytest.raises(InvalidEventError) as info:
        Pause(minutes=minutes)
    assert info.value.errors[0].path == "minutes"


def test_replies_are_values() -> None:
    assert Pause(5) == Pause(minutes=5)
    assert Continue() == Continue()
    assert End().to_dict() != Continue().to_dict()
    assert hash(Pause(5)) == hash(Pause(5))


@pytest.mark.parametrize(
    ("wire", "reply"),
    [
        ({"paused": True}, Pause()),
        ({"paused": True, "minutesPaused": 3}, Pause(3)),
        ({"paused": False}, Continue()),
        ({"paused": False, "minutesPaused": 5}, Continue()),
        ({"paused": False, "minutesPaused": 0}, End()),
        ({"paused": False, "minutesPaused": False}, Continue()),
        ({"paused": True, "minutesPaused": None}, Pause()),
    ],
)
def test_parse_reply_reads_like_botcopy(wire: dict[str, Any], reply: Any) -> None:
    assert parse_reply(wire) == reply
    assert parse_reply(json.dumps(wire)) == reply


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"nope", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b"{}", "paused: must be true or false"),
        (b'{"paused": "yes"}', "paused: must be true or false"),
        (b'{"paused": true, "minutesPaused": 0}', "minutesPaused"),
        (b'{"paused": true, "minutesPaused": "10"}', "minutesPaused"),
    ],
)
def test_parse_reply_refuses_bad_replies(wire: bytes, message: str) -> None:
    with pytest.raises(InvalidPayloadError, match=message):
        parse_reply(wire)
