"""Inputs the fuzzers found that break the promise: a result or a BotcopyError, nothing else.

Each is a regression test, marked ``xfail(strict=True)`` while its bug is
open (with an entry in ``targets._known`` so the property tests and the
fuzzer count it as known); the fix removes both.
"""

from __future__ import annotations

import contextlib

import pytest

from botcopy_handover import InvalidPayloadError, Webhook, parse_webhook

# Found by the property tests before the fix of issue 12 (3): each raised TypeError.


def test_parse_webhook_refuses_a_str_body_with_a_lone_surrogate() -> None:
    # Found by tests/fuzz/test_properties.py as body=b'\xed\xa0\x80' read with surrogatepass.
    with pytest.raises(InvalidPayloadError):
        parse_webhook("\ud800")


def test_parse_webhook_reads_or_refuses_a_json_str_with_a_lone_surrogate_inside() -> None:
    # Either reading is a kept promise: an event, or a typed refusal.
    with contextlib.suppress(InvalidPayloadError):
        parse_webhook('{"userId": "u\ud800", "botId": "b"}')


def test_receive_refuses_a_str_body_with_a_lone_surrogate() -> None:
    webhook = Webhook(access_tokens="t")
    with pytest.raises(InvalidPayloadError):
        webhook.receive("\udfff", {"Authorization": "t", "Content-Type": "application/json"})
