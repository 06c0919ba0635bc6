"""The customer and the bot: a customer's message, the scripted bot's answer, Step One and Two.

A turn runs in two halves so the emulator can call your webhook between
them without holding its lock: `open_turn` shows the customer's message
and either finishes the turn (the bot answered, no trigger) or says which
call is due; `close_turn` applies your webhook's reply the way Botcopy
does. Both change only the conversation they are given.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botcopy_handover.models.replies import Continue, End, Pause
from botcopy_handover.testing._payloads import step_one_body, step_two_body
from botcopy_handover.testing.emulator._bot import ScriptedBot, carries_trigger
from botcopy_handover.testing.emulator._caller import CallKind
from botcopy_handover.testing.emulator._conversation import EmulatedConversation
from botcopy_handover.testing.emulator._records import Turn, WebhookCall
from botcopy_handover.testing.emulator._variant import Readings

__all__ = ["DueCall", "close_turn", "customer_speaks", "open_turn"]


@dataclass(frozen=True)
class DueCall:
    """A turn waiting on your webhook.

    Attributes:
        kind: ``handover`` (Step One) or ``customer_message`` (Step Two).
        body: The request body to send.
        text: What the customer said.
        paused: Whether the bot was paused when the customer spoke.
        bot_said: What the bot answered before Step One (empty for Step Two).

    """

    kind: CallKind
    body: dict[str, Any]
    text: str
    paused: bool
    bot_said: list[str]


def customer_speaks(bot: ScriptedBot, conv: EmulatedConversation, text: str, now: datetime) -> None:
    """Show the customer's message, after a lapsed pause ends and the bot's welcome."""
    conv.lapse_if_due(now)
    _greet(bot, conv, now)
    conv.show("customer", text, now)


def open_turn(
    bot: ScriptedBot, conv: EmulatedConversation, text: str, now: datetime, *, trigger: str
) -> Turn | DueCall:
    """After the customer spoke: the finished turn, or the webhook call that is due.

    Paused: the message is recorded for the agent and Step Two is due. Not
    paused: the bot answers; Step One is due if its response carries ``trigger``.
    """
    if conv.is_paused(now):
        conv.record_customer_to_agent(text, now)
        return DueCall("customer_message", _step_two(conv, text), text, True, [])
    said, response = _ask_bot(bot, conv, text, now)
    if not carries_trigger(response, bot.platform, trigger):
        return Turn(text, said, None, False)
    return DueCall("handover", _step_one(conv, text, response), text, False, said)


def close_turn(
    bot: ScriptedBot,
    conv: EmulatedConversation,
    due: DueCall,
    call: WebhookCall,
    now: datetime,
    readings: Readings,
) -> Turn:
    """Apply your webhook's reply (or its absence) as Botcopy does; returns the turn.

    ``Pause`` pauses (or extends the pause), ``End`` ends it. In Step Two,
    ``Continue`` or no valid reply in time gives the message to the bot;
    ``readings`` settle what ``End`` and ``Continue`` do there besides.
    """
    reply = call.reply
    bot_said = due.bot_said
    if isinstance(reply, Pause):
        conv.pause_for(call.minutes or reply.minutes, now)
    elif isinstance(reply, End):
        conv.resume()
        if due.paused and readings.step_two_end == "forward":
            bot_said, _ = _ask_bot(bot, conv, due.text, now)
    elif due.paused:
        # Continue, or no valid reply in time: Botcopy gives the message to the bot.
        if isinstance(reply, Continue) and readings.step_two_continue == "end_pause":
            conv.resume()
        bot_said, _ = _ask_bot(bot, conv, due.text, now)
    return Turn(due.text, bot_said, call, conv.is_paused(now))


def _greet(bot: ScriptedBot, conv: EmulatedConversation, now: datetime) -> None:
    if conv.greeted:
        return
    conv.greeted = True
    response = bot.answer_event("WELCOME", conv.session)
    conv.record_event("WELCOME", now)
    conv.record_response(response, now)
    for said in bot.texts(response):
        conv.show("bot", said, now)


def _ask_bot(
    bot: ScriptedBot, conv: EmulatedConversation, text: str, now: datetime
) -> tuple[list[str], dict[str, Any]]:
    response = bot.answer(text, conv.session)
    conv.record_query(text, now)
    conv.record_response(response, now)
    said = bot.texts(response)
    for line in said:
        conv.show("bot", line, now)
    return said, response


def _step_one(conv: EmulatedConversation, text: str, response: dict[str, Any]) -> dict[str, Any]:
    history = copy.deepcopy(conv.history) if conv.reading.history == "present" else None
    return step_one_body(
        user_id=conv.user_id,
        bot_id=conv.bot_id,
        session_id=conv.session_id,
        session=conv.session,
        text=text,
        dialogflow_response=conv.dialogflow_form(response),
        history=history,
    )


def _step_two(conv: EmulatedConversation, text: str) -> dict[str, Any]:
    return step_two_body(
        user_id=conv.user_id,
        bot_id=conv.bot_id,
        session_id=conv.session_id,
        session=conv.session,
        text=text,
    )
