"""Push events: exact wire JSON out, invalid events refused before sending."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typing_extensions import TypedDict

from botcopy_handover import (
    InvalidEventError,
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)
from botcopy_handover.models import parse_push_event


class Ids(TypedDict):
    user_id: str
    bot_id: str


IDS: Ids = {"user_id": "user-1", "bot_id": "bot-1"}


@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (
            MessageEvent(**IDS, text="Hi, I'm Dana.", minutes_paused=30),
            {
                "eventType": "message",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": True,
                "minutesPaused": 30,
                "text": "Hi, I'm Dana.",
            },
        ),
        (
            PauseEvent(**IDS, agent_name="Dana", agent_avatar_url="https://cdn.example/dana.png"),
            {
                "eventType": "channel_update",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": True,
                "minutesPaused": 10,
                "agentProfile": {"name": "Dana", "avatarUrl": "https://cdn.example/dana.png"},
            },
        ),
        (
            PauseEvent(**IDS),
            {
                "eventType": "channel_update",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": True,
                "minutesPaused": 10,
            },
        ),
        (
            PauseEvent(**IDS, agent_name="Dana"),
            {
                "eventType": "channel_update",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": True,
                "minutesPaused": 10,
                "agentProfile": {"name": "Dana"},
            },
        ),
        (
            ResumeEvent(**IDS),
            {"eventType": "channel_update", "userId": "user-1", "botId": "bot-1", "paused": False},
        ),
        (
            ResumeEvent(**IDS, unpause_event="none"),
            {
                "eventType": "channel_update",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": False,
                "unpauseChatEvent": "none",
            },
        ),
        (
            ResumeEvent(**IDS, unpause_event="SURVEY_START"),
            {
                "eventType": "channel_update",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": False,
                "unpauseChatEvent": "SURVEY_START",
            },
        ),
        (
            TypingEvent(**IDS, minutes_paused=15),
            {
                "eventType": "user_typing",
                "userId": "user-1",
                "botId": "bot-1",
                "paused": True,
                "minutesPaused": 15,
            },
        ),
    ],
)
def test_event_serialises_to_the_spec_json_and_back(event: PushEvent, wire: Any) -> None:
    assert event.to_dict() == wire
    assert json.loads(event.to_json()) == wire
    assert parse_push_event(event.to_json()) == event
    assert parse_push_event(wire) == event


def test_to_json_keeps_non_ascii_text_as_utf8() -> None:
    event = MessageEvent(**IDS, text="Ça marche ✓")
    assert "Ça marche ✓".encode() in event.to_json()


def test_event_knows_its_type_and_customer() -> None:
    assert MessageEvent.event_type == "message"
    assert ResumeEvent.paused is False
    assert TypingEvent(**IDS).customer == ("bot-1", "user-1")


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n"}, "text"),
        ({"text": "hi", "minutes_paused": 0}, "minutes_paused"),
        ({"text": "hi", "minutes_paused": -5}, "minutes_paused"),
        ({"text": "hi", "minutes_paused": True}, "minutes_paused"),
        ({"text": "hi", "minutes_paused": 2.5}, "minutes_paused"),
        ({"text": "hi", "minutes_paused": "10"}, "minutes_paused"),
        ({"text": "hi", "user_id": ""}, "user_id"),
        ({"text": "hi", "bot_id": "   "}, "bot_id"),
        ({"text": 5}, "text"),
        ({"text": "hi", "colour": "red"}, "colour"),
    ],
)
def test_invalid_message_events_are_refused(kwargs: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        MessageEvent(**{**IDS, **kwargs})
    assert [e.path for e in info.value.errors] == [path]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://example.com/a.png",
        "/relative/path.png",
        "https://",
        "https://example.com/a b.png",
        "",
    ],
)
def test_bad_avatar_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidEventError, match="agent_avatar_url"):
        PauseEvent(**IDS, agent_avatar_url=url)


def test_empty_agent_name_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="agent_name"):
        PauseEvent(**IDS, agent_name="")


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "x" * 151, "<script>"])
def test_bad_unpause_events_are_refused(name: str) -> None:
    with pytest.raises(InvalidEventError, match="unpause_event"):
        ResumeEvent(**IDS, unpause_event=name)


def test_events_are_immutable() -> None:
    event = MessageEvent(**IDS, text="hi")
    with pytest.raises(ValueError, match="frozen"):
        event.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("wire", "path"),
    [
        ({"eventType": "shout", "userId": "u", "botId": "b", "paused": True}, "eventType"),
        ({"userId": "u", "botId": "b", "paused": True}, "eventType"),
        ({"eventType": "message", "userId": "u", "botId": "b", "text": "t"}, "paused"),
        (
            {"eventType": "message", "userId": "u", "botId": "b", "paused": False, "text": "t"},
            "paused",
        ),
        (
            {"eventType": "message", "userId": "u", "botId": "b", "paused": True, "text": "t"},
            "minutesPaused",
        ),
        (
            {
                "eventType": "message",
                "userId": "u",
                "paused": True,
                "minutesPaused": 1,
                "text": "t",
            },
            "botId",
        ),
        (
            {
                "eventType": "message",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 0,
                "text": "t",
            },
            "minutesPaused",
        ),
        (
            {
                "eventType": "message",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 1,
                "text": "",
            },
            "text",
        ),
        (
            {
                "eventType": "user_typing",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 1,
                "x": 1,
            },
            "x",
        ),
        (
            {
                "eventType": "channel_update",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 1,
                "agentProfile": "Dana",
            },
            "agentProfile",
        ),
        (
            {
                "eventType": "channel_update",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 1,
                "agentProfile": {"nick": "D"},
            },
            "agentProfile.nick",
        ),
        (
            {
                "eventType": "channel_update",
                "userId": "u",
                "botId": "b",
                "paused": True,
                "minutesPaused": 1,
                "agentProfile": {"avatarUrl": "x"},
            },
            "agentProfile.avatarUrl",
        ),
        (
            {
                "eventType": "channel_update",
                "userId": "u",
                "botId": "b",
                "paused": False,
                "minutesPaused": 1,
            },
            "minutesPaused",
        ),
        (
            {
                "eventType": "channel_update",
                "userId": "u",
                "botId": "b",
                "paused": False,
                "unpauseChatEvent": "a b",
            },
            "unpauseChatEvent",
        ),
    ],
)
def test_parse_push_event_is_strict_and_names_wire_fields(wire: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        parse_push_event(wire)
    assert [e.path for e in info.value.errors] == [path]


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"\xff"])
def test_parse_push_event_refuses_non_objects(body: bytes) -> None:
    with pytest.raises(InvalidEventError):
        parse_push_event(body)


@pytest.mark.parametrize(
    "event",
    [
        MessageEvent(**IDS, text="hi"),
        PauseEvent(**IDS, agent_name="Dana", agent_avatar_url="https://cdn.example/d.png"),
        ResumeEvent(**IDS, unpause_event="none"),
        TypingEvent(**IDS),
    ],
)
def test_every_field_is_written_and_read_under_one_wire_name(event: PushEvent) -> None:
    wire = event.to_dict()
    # Each attribute appears on the wire exactly once (every field is set here) ...
    leaves = [k for k, v in wire.items() if not isinstance(v, dict)]
    leaves += [f"{k}.{inner}" for k, v in wire.items() if isinstance(v, dict) for inner in v]
    assert len(leaves) == len(type(event).model_fields) + 2  # + eventType, paused
    # ... and a wire key the serialiser never writes is refused by the parser.
    for key in wire:
        if key in ("eventType", "paused"):
            continue
        renamed = {**{k: v for k, v in wire.items() if k != key}, key + "X": wire[key]}
        with pytest.raises(InvalidEventError) as info:
            parse_push_event(renamed)
        assert info.value.errors[0].path == key + "X"


def test_constructors_take_attribute_names_not_wire_names() -> None:
    with pytest.raises(InvalidEventError) as info:
        MessageEvent(userId="u", botId="b", text="hi")  # type: ignore[call-arg]
    assert {e.path for e in info.value.errors} >= {"user_id", "userId"}
