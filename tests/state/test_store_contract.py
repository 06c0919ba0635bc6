"""The contract every conversation store keeps: memory, Redis, async Redis alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from botcopy_handover import StoreError
from botcopy_handover.state import AsyncConversationStore, ConversationStore
from tests.helpers import START, FakeClock, run

Store = ConversationStore | AsyncConversationStore


async def test_unknown_conversation_has_no_record(store: Store) -> None:
    assert await run(store.get("bot-1", "user-1")) is None


async def test_pause_records_minutes_and_expiry_from_now(store: Store) -> None:
    state = await run(store.record_pause("bot-1", "user-1", minutes=10))
    assert state.customer == ("bot-1", "user-1")
    assert state.paused is True
    assert state.minutes_paused == 10
    assert state.expires_at == START + timedelta(minutes=10)
    assert state.updated_at == START
    assert await run(store.get("bot-1", "user-1")) == state


async def test_pause_sets_the_agent_profile_and_a_later_pause_keeps_it(store: Store) -> None:
    await run(
        store.record_pause(
            "bot-1", "user-1", minutes=5, agent_name="Dana", agent_avatar_url="https://x/d.png"
        )
    )
    state = await run(store.record_pause("bot-1", "user-1", minutes=7))
    assert (state.agent_name, state.agent_avatar_url) == ("Dana", "https://x/d.png")
    assert state.minutes_paused == 7


async def test_pause_with_a_new_agent_name_replaces_it(store: Store) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=5, agent_name="Dana"))
    state = await run(store.record_pause("bot-1", "user-1", minutes=5, agent_name="Sam"))
    assert state.agent_name == "Sam"


async def test_touch_pushes_the_expiry_back_by_the_minutes_paused(
    store: Store, clock: FakeClock
) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=10))
    clock.advance(minutes=4)
    state = await run(store.touch("bot-1", "user-1"))
    assert state is not None
    assert state.expires_at == START + timedelta(minutes=14)
    assert state.updated_at == clock.now


async def test_touch_does_nothing_when_not_paused(store: Store) -> None:
    assert await run(store.touch("bot-1", "user-1")) is None
    await run(store.record_resume("bot-1", "user-1"))
    assert await run(store.touch("bot-1", "user-1")) is None


async def test_touch_does_not_revive_a_lapsed_pause(store: Store, clock: FakeClock) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=1))
    clock.advance(minutes=2)
    assert await run(store.touch("bot-1", "user-1")) is None
    state = await run(store.get("bot-1", "user-1"))
    assert state is not None and state.expires_at == START + timedelta(minutes=1)


async def test_resume_ends_the_pause_and_keeps_the_links(store: Store) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=10, agent_name="Dana"))
    await run(store.link_ticket("bot-1", "user-1", "T-1"))
    state = await run(store.record_resume("bot-1", "user-1"))
    assert (state.paused, state.minutes_paused, state.expires_at) == (False, 0, None)
    assert (state.ticket_id, state.agent_name) == ("T-1", "Dana")


async def test_is_paused_answers_for_a_given_time(store: Store) -> None:
    state = await run(store.record_pause("bot-1", "user-1", minutes=10))
    assert state.is_paused(START + timedelta(minutes=9))
    assert not state.is_paused(START + timedelta(minutes=10))
    assert state.remaining(START + timedelta(minutes=4)) == timedelta(minutes=6)


async def test_lapse_is_recorded_once_after_the_expiry(store: Store, clock: FakeClock) -> None:
    state = await run(store.record_pause("bot-1", "user-1", minutes=1))
    assert state.expires_at is not None
    assert await run(store.record_lapse("bot-1", "user-1", state.expires_at)) is False
    clock.advance(minutes=1)
    assert await run(store.record_lapse("bot-1", "user-1", state.expires_at)) is True
    assert await run(store.record_lapse("bot-1", "user-1", state.expires_at)) is False
    after = await run(store.get("bot-1", "user-1"))
    assert after is not None and after.paused is False


async def test_lapse_is_refused_when_a_message_pushed_the_expiry_back(
    store: Store, clock: FakeClock
) -> None:
    first = await run(store.record_pause("bot-1", "user-1", minutes=1))
    assert first.expires_at is not None
    clock.advance(seconds=30)
    await run(store.record_pause("bot-1", "user-1", minutes=1))
    clock.advance(seconds=40)
    assert await run(store.record_lapse("bot-1", "user-1", first.expires_at)) is False
    still = await run(store.get("bot-1", "user-1"))
    assert still is not None and still.paused is True


async def test_ticket_links_both_ways(store: Store) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=10))
    state = await run(store.link_ticket("bot-1", "user-1", "T-1"))
    assert state.ticket_id == "T-1"
    assert state.paused is True
    assert await run(store.find_by_ticket("T-1")) == state


async def test_unknown_ticket_finds_nothing(store: Store) -> None:
    assert await run(store.find_by_ticket("T-404")) is None


async def test_relinking_forgets_the_old_ticket(store: Store) -> None:
    await run(store.link_ticket("bot-1", "user-1", "T-1"))
    await run(store.link_ticket("bot-1", "user-1", "T-2"))
    assert await run(store.find_by_ticket("T-1")) is None
    found = await run(store.find_by_ticket("T-2"))
    assert found is not None and found.customer == ("bot-1", "user-1")


async def test_a_ticket_moved_to_another_customer_leaves_the_first(store: Store) -> None:
    await run(store.link_ticket("bot-1", "user-1", "T-1"))
    await run(store.link_ticket("bot-1", "user-2", "T-1"))
    found = await run(store.find_by_ticket("T-1"))
    assert found is not None and found.user_id == "user-2"
    first = await run(store.get("bot-1", "user-1"))
    assert first is not None and first.ticket_id is None


async def test_history_ids_are_new_once_in_the_order_given(store: Store) -> None:
    assert await run(store.remember_history("bot-1", "user-1", ["a", "b", "c"])) == ["a", "b", "c"]
    assert await run(store.remember_history("bot-1", "user-1", ["b", "c", "d", "e"])) == ["d", "e"]
    state = await run(store.get("bot-1", "user-1"))
    assert state is not None and state.last_history_id == "e"


async def test_history_is_kept_per_customer(store: Store) -> None:
    await run(store.remember_history("bot-1", "user-1", ["a"]))
    assert await run(store.remember_history("bot-1", "user-2", ["a"])) == ["a"]


async def test_expiring_lists_pauses_ending_soon_and_lapsed_soonest_first(
    store: Store, clock: FakeClock
) -> None:
    await run(store.record_pause("bot-1", "late", minutes=30))
    await run(store.record_pause("bot-1", "soon", minutes=3))
    await run(store.record_pause("bot-1", "lapsed", minutes=1))
    await run(store.record_pause("bot-1", "resumed", minutes=1))
    await run(store.record_resume("bot-1", "resumed"))
    clock.advance(minutes=2)
    found = await run(store.expiring(timedelta(minutes=2)))
    assert [s.user_id for s in found] == ["lapsed", "soon"]


async def test_expiring_forgets_a_recorded_lapse(store: Store, clock: FakeClock) -> None:
    state = await run(store.record_pause("bot-1", "user-1", minutes=1))
    assert state.expires_at is not None
    clock.advance(minutes=2)
    await run(store.record_lapse("bot-1", "user-1", state.expires_at))
    assert await run(store.expiring(timedelta(minutes=5))) == []


async def test_claim_goes_to_the_first_caller_until_it_expires(
    store: Store, clock: FakeClock
) -> None:
    assert await run(store.claim("body:abc", timedelta(seconds=10))) is True
    assert await run(store.claim("body:abc", timedelta(seconds=10))) is False
    assert await run(store.claim("body:other", timedelta(seconds=10))) is True
    clock.advance(seconds=10)
    assert await run(store.claim("body:abc", timedelta(seconds=10))) is True


async def test_delete_forgets_record_ticket_and_history(store: Store) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=10))
    await run(store.link_ticket("bot-1", "user-1", "T-1"))
    await run(store.remember_history("bot-1", "user-1", ["a"]))
    assert await run(store.delete("bot-1", "user-1")) is True
    assert await run(store.get("bot-1", "user-1")) is None
    assert await run(store.find_by_ticket("T-1")) is None
    assert await run(store.expiring(timedelta(hours=1))) == []
    assert await run(store.remember_history("bot-1", "user-1", ["a"])) == ["a"]
    assert await run(store.delete("bot-1", "user-404")) is False


async def test_ids_with_separators_never_share_a_record(store: Store) -> None:
    await run(store.record_pause("a:b", "c", minutes=5))
    await run(store.link_ticket("a", "b:c", "T/1 ü"))
    first = await run(store.get("a:b", "c"))
    second = await run(store.get("a", "b:c"))
    assert first is not None and first.paused and first.ticket_id is None
    assert second is not None and not second.paused and second.ticket_id == "T/1 ü"


@pytest.mark.parametrize(
    ("bot_id", "user_id"), [("", "user-1"), ("bot-1", ""), (None, "user-1"), ("bot-1", 7)]
)
async def test_empty_or_non_string_ids_are_refused(
    store: Store, bot_id: object, user_id: object
) -> None:
    with pytest.raises(StoreError, match="must be a non-empty string"):
        await run(store.get(bot_id, user_id))  # type: ignore[arg-type]


@pytest.mark.parametrize("minutes", [0, -1, True, 1.5, 10**9])
async def test_pause_refuses_minutes_botcopy_would_not_take(store: Store, minutes: object) -> None:
    with pytest.raises(StoreError, match="minutes"):
        await run(store.record_pause("bot-1", "user-1", minutes=minutes))  # type: ignore[arg-type]


async def test_pause_refuses_a_misspelt_agent_keyword(store: Store) -> None:
    # The agent keywords arrive as **agent: a typo must fail, not be dropped.
    with pytest.raises(StoreError, match="'agent_nam'"):
        await run(store.record_pause("bot-1", "user-1", minutes=5, agent_nam="Dana"))  # type: ignore[call-arg]
    assert await run(store.get("bot-1", "user-1")) is None


async def test_pause_refuses_an_agent_avatar_that_is_no_string(store: Store) -> None:
    with pytest.raises(StoreError, match="agent_avatar_url must be a string or None"):
        await run(store.record_pause("bot-1", "user-1", minutes=5, agent_avatar_url=7))  # type: ignore[arg-type]


async def test_pause_with_agent_none_keeps_the_stored_agent(store: Store) -> None:
    await run(store.record_pause("bot-1", "user-1", minutes=5, agent_name="Dana"))
    state = await run(store.record_pause("bot-1", "user-1", minutes=5, agent_name=None))
    assert state.agent_name == "Dana"


async def test_negative_durations_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="ttl"):
        await run(store.claim("x", timedelta(seconds=-1)))
    with pytest.raises(StoreError, match="within"):
        await run(store.expiring(timedelta(seconds=-1)))


async def test_a_single_string_is_not_taken_for_a_list_of_history_ids(store: Store) -> None:
    with pytest.raises(StoreError, match="iterable of strings"):
        await run(store.remember_history("bot-1", "user-1", "abc"))
