"""Inputs the fuzzers found that break the promise: a result or a BotcopyError, nothing else.

Each is a regression test marked ``xfail(strict=True)`` until its bug is
fixed: the fix makes it pass, strict xfail then fails the suite, and the
marker (and the matching entry in ``targets._known``) is removed.
"""

from __future__ import annotations

import contextlib

import pytest

from botcopy_handover import InvalidPayloadError, Webhook, parse_webhook

LONE_SURROGATE = (
    "issue 12 (3): parse_webhook/Webhook.receive raise TypeError (from pydantic_core.from_json "
    "in webhook/_parse.py _explain) for a str body holding a lone surrogate"
)


@pytest.mark.xfail(strict=True, reason=LONE_SURROGATE)
def test_parse_webhook_refuses_a_str_body_with_a_lone_surrogate() -> None:
    # Found by tests/fuzz/test_properties.py as body=b'\xed\xa0\x80' read with surrogatepass.
    with pytest.raises(InvalidPayloadError):
        parse_webhook("\ud800")


@pytest.mark.xfail(strict=True, reason=LONE_SURROGATE)
def test_parse_webhook_reads_or_refuses_a_json_str_with_a_lone_surrogate_inside() -> None:
    # Either reading is a kept promise: an event, or a typed refusal.
    with contextlib.suppress(InvalidPayloadError):
        parse_webhook('{"userId": "u\ud800", "botId": "b"}')


@pytest.mark.xfail(strict=True, reason=LONE_SURROGATE)
def test_receive_refuses_a_str_body_with_a_lone_surrogate() -> None:
    webhook = Webhook(access_tokens="t")
    with pytest.raises(InvalidPayloadError):
        webhook.receive("\udfff", {"Authorization": "t", "Content-Type": "application/json"})
