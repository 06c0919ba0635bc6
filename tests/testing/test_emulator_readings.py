"""Where the document reads two ways: the emulator's reading by default, the other on request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from botcopy_handover import ConfigurationError, Continue, End, Pause
from botcopy_handover.testing.emulator import Readings
from tests.helpers import FakeClock
from tests.testing.scripted_proxy import ScriptedProxy, emulator_with, message, push, resume

ORDER_ANSWER = "I can check that. What's your order number?"
PAUSE = {"paused": True, "minutesPaused": 10}


# -- Step Two {paused: false}: end the pause, or keep it? -----------------------


def test_continue_to_step_two_ends_the_pause_by_default() -> None:
    proxy = ScriptedProxy(replies=[PAUSE, {"paused": False}])
    with emulator_with(proxy, variant="plain") as botcopy:
        botcopy.customer_says("human please")
        turn = botcopy.customer_says("Where is my order?")
        assert botcopy.last_reply == Continue()
        assert turn.bot_said == [ORDER_ANSWER]
        assert not turn.paused
        assert botcopy.customer_says("thanks").webhook_call is None


def test_continue_to_step_two_can_keep_the_pause() -> None:
    readings = Readings(step_two_continue="keep_pause")
    proxy = ScriptedProxy(replies=[PAUSE, {"paused": False}])
    with emulator_with(proxy, variant="plain", readings=readings) as botcopy:
        botcopy.customer_says("human please")
        turn = botcopy.customer_says("Where is my order?")
        assert turn.bot_said == [ORDER_ANSWER]
        assert turn.paused
        following = botcopy.customer_says("thanks")
        assert following.webhook_call is not None
        assert following.webhook_call.kind == "customer_message"


# -- Step Two {paused: false, minutesPaused: 0}: drop the message, or forward it? --


def test_end_to_step_two_drops_the_message_by_default() -> None:
    proxy = ScriptedProxy(replies=[PAUSE, {"paused": False, "minutesPaused": 0}])
    with emulator_with(proxy, variant="plain") as botcopy:
        botcopy.customer_says("human please")
        turn = botcopy.customer_says("Where is my order?")
    assert botcopy.last_reply == End()
    assert (turn.bot_said, turn.paused) == ([], False)


def test_end_to_step_two_can_forward_the_message_to_the_bot() -> None:
    readings = Readings(step_two_end="forward")
    proxy = ScriptedProxy(replies=[PAUSE, {"paused": False, "minutesPaused": 0}])
    with emulator_with(proxy, variant="plain", readings=readings) as botcopy:
        botcopy.customer_says("human please")
        turn = botcopy.customer_says("Where is my order?")
    assert (turn.bot_said, turn.paused) == ([ORDER_ANSWER], False)


# -- unpauseChatEvent with an event name: the "has left" line too? ---------------


@pytest.mark.parametrize(("banner", "shown"), [("hidden", False), ("shown", True)])
def test_an_unpause_event_shows_the_left_line_only_if_asked(banner: str, shown: bool) -> None:
    readings = Readings(unpause_event_banner=banner)  # type: ignore[arg-type]
    with emulator_with(ScriptedProxy(), variant="plain", readings=readings) as botcopy:
        botcopy.customer_says("human please")
        assert push(botcopy, resume(unpauseChatEvent="back_to_bot")) == 200
        lines = [(line.sender, line.text) for line in botcopy.transcript()]
    left = ("system", "The human has left the conversation. You are now chatting with the bot.")
    assert lines[-1] == ("bot", "(the bot handles the back_to_bot event)")
    assert (left in lines) is shown


# -- push strictness guesses -------------------------------------------------------


def test_an_unknown_push_field_is_refused_by_default_and_ignored_on_request() -> None:
    body = {**message("hi"), "priority": "high"}
    with emulator_with(ScriptedProxy()) as strict:
        assert push(strict, body) == 400
        assert strict.refused[-1].body["errors"][0]["field"] == "priority"
    with emulator_with(ScriptedProxy(), readings=Readings(push_unknown_fields="accept")) as loose:
        assert push(loose, body) == 200
        assert loose.customer_sees() == ["hi"]


def test_an_unknown_agent_profile_field_is_ignored_on_request() -> None:
    body = {
        "eventType": "channel_update",
        "userId": "user-1",
        "botId": "bot-1",
        "paused": True,
        "minutesPaused": 10,
        "agentProfile": {"name": "Dana", "title": "Support"},
    }
    with emulator_with(ScriptedProxy(), readings=Readings(push_unknown_fields="accept")) as loose:
        assert push(loose, body) == 200
        assert loose.conversation().agent_name == "Dana"


def test_a_bearer_key_is_refused_by_default_and_accepted_on_request() -> None:
    with emulator_with(ScriptedProxy()) as strict:
        assert push(strict, message("hi"), key=f"Bearer {strict.api_key}") == 401
    with emulator_with(ScriptedProxy(), readings=Readings(push_bearer_key="accept")) as loose:
        assert push(loose, message("hi"), key=f"Bearer {loose.api_key}") == 200
        assert push(loose, message("hi"), key="Bearer wrong-key") == 401


def test_a_resume_with_minutes_zero_is_refused_by_default_and_accepted_on_request() -> None:
    with emulator_with(ScriptedProxy()) as strict:
        assert push(strict, resume(minutesPaused=0)) == 400
    loose_readings = Readings(resume_minutes_zero="accept", push_unknown_fields="accept")
    with emulator_with(ScriptedProxy(), readings=Readings(resume_minutes_zero="accept")) as loose:
        assert push(loose, message("hi")) == 200
        assert push(loose, resume(minutesPaused=0)) == 200
        assert not loose.is_paused()
    # Accepting unknown fields does not sneak a refused resume through.
    strict_resume = Readings(push_unknown_fields="accept")
    with emulator_with(ScriptedProxy(), readings=strict_resume) as botcopy:
        assert push(botcopy, resume(minutesPaused=0)) == 400
    assert loose_readings.others()["resume_minutes_zero"] == "refuse"


def test_a_webhook_answer_with_201_counts_only_on_request() -> None:
    with emulator_with(ScriptedProxy(status=201), variant="plain") as strict:
        turn = strict.customer_says("human please")
    assert turn.webhook_call is not None
    assert (turn.webhook_call.outcome, turn.webhook_call.status_code) == ("error", 201)
    assert not turn.paused
    loose_readings = Readings(reply_status="2xx")
    with emulator_with(ScriptedProxy(status=201), readings=loose_readings) as loose:
        turn = loose.customer_says("human please")
    assert turn.webhook_call is not None and turn.webhook_call.outcome == "replied"
    assert turn.paused


def test_a_reading_that_does_not_exist_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="step_two_end"):
        Readings(step_two_end="maybe")  # type: ignore[arg-type]


# -- minutesPaused is a JSON number -----------------------------------------------


@pytest.mark.parametrize(("sent", "minutes"), [(10.0, 10), (2.5, 2.5), (15, 15)])
def test_a_reply_pauses_for_any_positive_number_of_minutes(sent: float, minutes: float) -> None:
    clock = FakeClock()
    proxy = ScriptedProxy(replies=[{"paused": True, "minutesPaused": sent}])
    with emulator_with(proxy, clock=clock) as botcopy:
        turn = botcopy.customer_says("human please")
        assert turn.webhook_call is not None and turn.webhook_call.outcome == "replied"
        assert turn.webhook_call.minutes == minutes
        assert botcopy.conversation().expires_at == clock.now + timedelta(minutes=minutes)
    if sent == 10.0:
        assert botcopy.last_reply == Pause(10)


@pytest.mark.parametrize("sent", [0, -5, "10", True, None])
def test_a_pause_without_a_positive_number_is_not_a_reply(sent: object) -> None:
    proxy = ScriptedProxy(replies=[{"paused": True, "minutesPaused": sent}])
    with emulator_with(proxy) as botcopy:
        turn = botcopy.customer_says("human please")
    assert turn.webhook_call is not None
    if sent is None:  # null reads as left out: the default 10 minutes
        assert turn.webhook_call.outcome == "replied" and turn.paused
    else:
        assert turn.webhook_call.outcome == "invalid" and not turn.paused


def test_end_with_zero_as_a_float_ends_the_chat() -> None:
    proxy = ScriptedProxy(replies=[PAUSE, {"paused": False, "minutesPaused": 0.0}])
    with emulator_with(proxy, variant="plain") as botcopy:
        botcopy.customer_says("human please")
        botcopy.customer_says("bye")
    assert botcopy.last_reply == End()


@pytest.mark.parametrize(("sent", "minutes"), [(10.0, 10), (2.5, 2.5)])
def test_a_push_pauses_for_any_positive_number_of_minutes(sent: float, minutes: float) -> None:
    clock = FakeClock()
    with emulator_with(ScriptedProxy(), clock=clock) as botcopy:
        assert push(botcopy, message("hi", minutes=sent)) == 200
        assert botcopy.conversation().expires_at == clock.now + timedelta(minutes=minutes)
        assert botcopy.received[-1].minutes == minutes


@pytest.mark.parametrize("sent", [0, -1, 0.0, "10"])
def test_a_push_without_a_positive_number_of_minutes_is_refused(sent: object) -> None:
    with emulator_with(ScriptedProxy()) as botcopy:
        assert push(botcopy, message("hi", minutes=sent)) == 400
