"""Type-checked, never run: proves the public API types well for users (mypy --strict)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from typing_extensions import assert_type

from botcopy_handover import (
    BotPlatform,
    CustomerMessage,
    DialogflowResponse,
    HandoverRequest,
    MessageEvent,
    Pause,
    Reply,
    UnknownHistoryItem,
    parse_webhook,
)


def check_parse(body: bytes) -> None:
    event = parse_webhook(body)
    assert_type(event, HandoverRequest | CustomerMessage)
    if isinstance(event, HandoverRequest):
        assert_type(event.text, str | None)
        assert_type(event.dialogflow, DialogflowResponse)
        assert_type(event.dialogflow.texts, tuple[str, ...])
        for item in event.history:
            assert_type(item.bot_platform, BotPlatform | str | None)
            assert_type(item.created_at, datetime | None)
            if not isinstance(item, UnknownHistoryItem):
                assert_type(item.created_at, datetime)
                assert_type(item.payload, dict[str, Any])
    else:
        assert_type(event.text, str)
        assert_type(event.customer, tuple[str, str])


def check_replies(minutes: int) -> Reply:
    reply = Pause(minutes=minutes)
    assert_type(reply.to_json(), bytes)
    assert_type(MessageEvent(user_id="u", bot_id="b", text="hi").to_dict(), dict[str, Any])
    return reply
