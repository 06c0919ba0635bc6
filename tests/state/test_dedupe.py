"""Duplicate safety: one body seen twice, one history sent again."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from botcopy_handover import HandoverRequest, MemoryStore, parse_webhook
from botcopy_handover.state import AsyncDeduplicator, Deduplicator, body_fingerprint, history_key
from tests.helpers import FakeClock, load_fixture


def step_one(**changes: Any) -> HandoverRequest:
    body = load_fixture("webhooks/step_one_spec.json")
    body.update(changes)
    event = parse_webhook(json.dumps(body))
    assert isinstance(event, HandoverRequest)
    return event


def step_two_bytes(text: str = "Are you still there?", token: str = "tok") -> bytes:  # noqa: S107
    body = load_fixture("webhooks/step_two_spec.json")
    body["queryInput"]["text"]["text"] = text
    body["accessToken"] = token
    return json.dumps(body).encode()


@pytest.fixture
def dedupe(clock: FakeClock) -> Deduplicator:
    return Deduplicator(MemoryStore(clock=clock), window=timedelta(seconds=10))


def test_the_same_body_is_a_duplicate_the_second_time(dedupe: Deduplicator) -> None:
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes())) is False
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes())) is True


def test_key_order_and_whitespace_do_not_change_the_fingerprint() -> None:
    body = json.loads(step_two_bytes())
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=4)
    assert body_fingerprint(parse_webhook(reordered)) == body_fingerprint(
        parse_webhook(step_two_bytes())
    )


def test_a_rotated_access_token_does_not_change_the_fingerprint() -> None:
    old = parse_webhook(step_two_bytes(token="tok-old"))
    new = parse_webhook(step_two_bytes(token="tok-new"))
    assert body_fingerprint(old) == body_fingerprint(new)


def test_the_fingerprint_never_holds_the_access_token() -> None:
    fingerprint = body_fingerprint(parse_webhook(step_two_bytes(token="portal-access-token")))
    assert len(fingerprint) == 64
    assert "portal" not in fingerprint


def test_another_text_is_not_a_duplicate(dedupe: Deduplicator) -> None:
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes("yes"))) is False
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes("no"))) is False


def test_the_same_body_after_the_window_is_new_again(
    dedupe: Deduplicator, clock: FakeClock
) -> None:
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes())) is False
    clock.advance(seconds=10)
    assert dedupe.is_duplicate(parse_webhook(step_two_bytes())) is False


def test_history_items_are_new_only_in_the_first_handover(dedupe: Deduplicator) -> None:
    first = step_one()
    assert dedupe.new_history(first) == first.history
    assert dedupe.new_history(first) == []


def test_a_later_handover_yields_only_the_items_added_since() -> None:
    body = load_fixture("webhooks/step_one_spec.json")
    store = MemoryStore()
    dedupe = Deduplicator(store)
    earlier = dict(body, messageHistory=body["messageHistory"][:3])
    dedupe.new_history(step_one(**earlier))
    later = step_one()
    new = dedupe.new_history(later)
    assert [item.id for item in new] == [item.id for item in later.history[3:]]
    state = store.get(later.bot_id, later.user_id)
    assert state is not None and state.last_history_id == later.history[-1].id


def test_items_without_an_id_are_told_apart_by_their_content() -> None:
    odd = [
        {"direction": "sideways", "payload": {"n": 1}},
        {"direction": "sideways", "payload": {"n": 2}},
    ]
    event = step_one(messageHistory=odd)
    keys = [history_key(item) for item in event.history]
    assert keys[0] != keys[1]
    assert all(k.startswith("sha256:") for k in keys)
    dedupe = Deduplicator(MemoryStore())
    assert len(dedupe.new_history(event)) == 2
    assert dedupe.new_history(step_one(messageHistory=odd[1:])) == []


async def test_the_async_deduplicator_agrees(clock: FakeClock) -> None:
    dedupe = AsyncDeduplicator(MemoryStore(clock=clock))
    event = step_one()
    assert await dedupe.is_duplicate(event) is False
    assert await dedupe.is_duplicate(event) is True
    assert await dedupe.new_history(event) == event.history
    assert await dedupe.new_history(event) == []
