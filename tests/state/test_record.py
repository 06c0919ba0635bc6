"""What a webhook reply or an accepted push means for the store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from botcopy_handover import (
    Continue,
    CustomerMessage,
    End,
    HandoverRequest,
    MemoryStore,
    MessageEvent,
    Pause,
    PauseEvent,
    ResumeEvent,
    TypingEvent,
    parse_webhook,
)
from botcopy_handover.state import arecord_push, arecord_reply, record_push, record_reply
from tests.helpers import START, FakeClock, fixture_bytes


@pytest.fixture
def store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock=clock)


@pytest.fixture
def handover() -> HandoverRequest:
    event = parse_webhook(fixture_bytes("webhooks/step_one_spec.json"))
    assert isinstance(event, HandoverRequest)
    return event


@pytest.fixture
def message() -> CustomerMessage:
    event = parse_webhook(fixture_bytes("webhooks/step_two_spec.json"))
    assert isinstance(event, CustomerMessage)
    return event


def test_a_pause_reply_records_the_pause(store: MemoryStore, handover: HandoverRequest) -> None:
    state = record_reply(store, handover, Pause(30))
    assert state is not None and state.customer == handover.customer
    assert state.expires_at == START + timedelta(minutes=30)


def test_an_end_reply_resumes_the_bot(store: MemoryStore, message: CustomerMessage) -> None:
    record_reply(store, message, Pause())
    state = record_reply(store, message, End())
    assert state is not None and not state.paused


def test_continue_to_a_customer_message_resumes_the_bot(
    store: MemoryStore, message: CustomerMessage
) -> None:
    record_reply(store, message, Pause())
    state = record_reply(store, message, Continue())
    assert state is not None and not state.paused


def test_continue_to_a_handover_request_records_nothing(
    store: MemoryStore, handover: HandoverRequest
) -> None:
    assert record_reply(store, handover, Continue()) is None
    assert store.get(*handover.customer) is None


def test_a_pause_push_records_the_agent_profile(store: MemoryStore) -> None:
    event = PauseEvent(
        user_id="u",
        bot_id="b",
        minutes_paused=20,
        agent_name="Dana",
        agent_avatar_url="https://x/a",
    )
    state = record_push(store, event)
    assert (state.minutes_paused, state.agent_name, state.agent_avatar_url) == (
        20,
        "Dana",
        "https://x/a",
    )


@pytest.mark.parametrize("kind", [MessageEvent, TypingEvent])
def test_a_message_or_typing_push_pushes_the_expiry_back(
    store: MemoryStore, clock: FakeClock, kind: type[MessageEvent] | type[TypingEvent]
) -> None:
    record_push(store, PauseEvent(user_id="u", bot_id="b", agent_name="Dana"))
    clock.advance(minutes=5)
    event = (
        MessageEvent(user_id="u", bot_id="b", text="hi", minutes_paused=15)
        if kind is MessageEvent
        else TypingEvent(user_id="u", bot_id="b", minutes_paused=15)
    )
    state = record_push(store, event)
    assert state.expires_at == clock.now + timedelta(minutes=15)
    assert state.agent_name == "Dana"


def test_a_resume_push_resumes_the_bot(store: MemoryStore) -> None:
    record_push(store, PauseEvent(user_id="u", bot_id="b"))
    assert not record_push(store, ResumeEvent(user_id="u", bot_id="b")).paused


async def test_async_hooks_record_the_same(store: MemoryStore, message: CustomerMessage) -> None:
    state = await arecord_reply(store, message, Pause(5))
    assert state is not None and state.minutes_paused == 5
    pushed = await arecord_push(store, ResumeEvent(user_id=message.user_id, bot_id=message.bot_id))
    assert not pushed.paused
