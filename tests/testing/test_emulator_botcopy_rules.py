"""What Botcopy refuses, does: keys per bot, JSON only, the trigger in the answer, agent reset."""

from __future__ import annotations

import pytest

from botcopy_handover import ConfigurationError
from botcopy_handover.testing.emulator import BotKeys, ScriptedBot
from botcopy_handover.testing.emulator._bot import carries_trigger
from tests.testing.scripted_proxy import (
    ScriptedProxy,
    emulator_with,
    message,
    pause,
    push,
    resume,
)

BOT_2 = BotKeys(api_key="key-of-bot-2", access_token="token-of-bot-2")

# -- keys per bot ----------------------------------------------------------------


def test_each_bot_pushes_with_its_own_key() -> None:
    with emulator_with(ScriptedProxy(), bots={"bot-2": BOT_2}) as botcopy:
        assert push(botcopy, message("hi", bot="bot-2"), key=BOT_2.api_key) == 200
        assert push(botcopy, message("hi", bot="bot-1")) == 200
        assert botcopy.customer_sees(bot_id="bot-2") == ["hi"]


def test_a_key_that_does_not_own_the_bot_is_refused() -> None:
    with emulator_with(ScriptedProxy(), bots={"bot-2": BOT_2}) as botcopy:
        assert push(botcopy, message("hi", bot="bot-2")) == 401  # the default bot's key
        assert push(botcopy, message("hi", bot="bot-1"), key=BOT_2.api_key) == 401
        assert push(botcopy, message("hi", bot="bot-9"), key=BOT_2.api_key) == 401
        assert botcopy.refused[-1].body["message"] == "The API key does not belong to this bot"
        assert botcopy.events == []


def test_a_wrong_key_is_refused_before_the_content_type_is_looked_at() -> None:
    with emulator_with(ScriptedProxy()) as botcopy:
        assert push(botcopy, message("hi"), key="nope", content_type="text/plain") == 401


def test_each_bot_calls_the_webhook_with_its_own_access_token() -> None:
    proxy = ScriptedProxy()
    with emulator_with(proxy, bots={"bot-2": BOT_2}) as botcopy:
        botcopy.customer_says("human please", bot_id="bot-2")
        botcopy.customer_says("human please", bot_id="bot-1")
    bot_2, bot_1 = proxy.requests
    assert bot_2.headers["authorization"] == BOT_2.access_token
    assert proxy.bodies[0]["accessToken"] == BOT_2.access_token
    assert bot_1.headers["authorization"] == botcopy.access_token


def test_bot_keys_hide_their_secrets_and_refuse_empty_ones() -> None:
    assert "key-of-bot-2" not in repr(BOT_2) and "token-of-bot-2" not in repr(BOT_2)
    with pytest.raises(ConfigurationError):
        BotKeys(api_key="", access_token="t")


# -- content type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
        ("application/vnd.x+json", 415),
        ("text/json", 415),
        ("text/plain", 415),
        ("", 415),
    ],
)
def test_only_application_json_is_accepted(content_type: str, status: int) -> None:
    with emulator_with(ScriptedProxy()) as botcopy:
        assert push(botcopy, message("hi"), content_type=content_type) == status


# -- trigger detection ---------------------------------------------------------------


def test_step_one_fires_on_the_bots_response_not_on_the_customers_words() -> None:
    proxy = ScriptedProxy()
    bot = ScriptedBot(trigger="talk-to-sales")  # the agent sets a context the portal does not watch
    with emulator_with(proxy, bot=bot) as botcopy:
        turn = botcopy.customer_says("I want a human")
    assert turn.bot_said == [bot.handover_text]
    assert turn.webhook_call is None and proxy.requests == []


def test_the_es_context_is_compared_lower_cased() -> None:
    proxy = ScriptedProxy()
    with emulator_with(proxy, trigger="BC-Human-Handover") as botcopy:
        assert botcopy.customer_says("human please").paused
    assert len(proxy.requests) == 1


def test_a_cx_bot_hands_over_on_the_configured_session_parameter() -> None:
    bot = ScriptedBot(platform="cx", trigger="escalate")
    with emulator_with(ScriptedProxy(), bot=bot) as default_portal:
        assert default_portal.customer_says("human please").webhook_call is None
    with emulator_with(ScriptedProxy(), bot=bot, trigger="escalate") as configured:
        assert configured.customer_says("human please").paused


def test_carries_trigger_reads_contexts_and_parameters_as_botcopy_does() -> None:
    context = "projects/p/agent/sessions/s/contexts/bc-human-handover"
    es = {"queryResult": {"outputContexts": [{"name": context, "lifespanCount": 2}]}}
    expired = {"queryResult": {"outputContexts": [{"name": context, "lifespanCount": 0}]}}
    assert carries_trigger(es, "es", "BC-HUMAN-HANDOVER")
    assert not carries_trigger(expired, "es", "bc-human-handover")
    assert not carries_trigger(es, "es", "human-handover")
    cx_on = {"queryResult": {"parameters": {"bcHumanHandover": "yes"}}}
    cx_off = {"queryResult": {"parameters": {"bcHumanHandover": False}}}
    assert carries_trigger(cx_on, "cx", "bcHumanHandover")
    assert not carries_trigger(cx_off, "cx", "bcHumanHandover")
    assert not carries_trigger({"queryResult": None}, "cx", "bcHumanHandover")


def test_a_bot_resumed_after_a_live_chat_can_hand_over_again() -> None:
    proxy = ScriptedProxy()
    with emulator_with(proxy, variant="plain") as botcopy:
        botcopy.customer_says("human please")
        assert push(botcopy, resume()) == 200
        assert botcopy.customer_says("Where is my order?").webhook_call is None
        again = botcopy.customer_says("a person again")
    assert again.webhook_call is not None and again.webhook_call.kind == "handover"
    assert [call.kind for call in botcopy.webhook_calls] == ["handover", "handover"]


# -- agent profile ---------------------------------------------------------------------


def test_the_agent_profile_ends_with_the_chat() -> None:
    with emulator_with(ScriptedProxy(), variant="plain") as botcopy:
        botcopy.customer_says("human please")
        assert push(botcopy, pause(name="Dana")) == 200
        assert push(botcopy, resume()) == 200
        assert botcopy.conversation().agent_name is None
        botcopy.customer_says("human again please")
        assert push(botcopy, pause()) == 200  # another agent, who gives no name
        assert push(botcopy, resume()) == 200
    banners = [line.text for line in botcopy.transcript() if "has left" in line.text]
    assert banners == [
        "Dana has left the conversation. You are now chatting with the bot.",
        "The human has left the conversation. You are now chatting with the bot.",
    ]


def test_a_lapsed_pause_forgets_the_agent_too() -> None:
    from tests.helpers import FakeClock

    clock = FakeClock()
    with emulator_with(ScriptedProxy(), variant="plain", clock=clock) as botcopy:
        botcopy.customer_says("human please")
        assert push(botcopy, pause(name="Dana")) == 200
        clock.advance(minutes=11)
        assert botcopy.conversation().agent_name is None
