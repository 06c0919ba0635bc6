"""The emulator's scripted Dialogflow bot, and how Botcopy spots a handover in its answers.

The bot answers with detectIntent responses in Dialogflow's REST JSON form,
ES (``queryResult.fulfillmentMessages``, output contexts) or CX
(``queryResult.responseMessages``, session parameters), built by the same
builders as [`sample_handover`][botcopy_handover.testing.sample_handover]. A customer
text containing one of the handover phrases gets the bot's ``trigger``: the
ES output context (default ``bc-human-handover``) or the CX session
parameter (default ``bcHumanHandover``).

Botcopy does not read phrases: `carries_trigger` decides, from the
response alone, whether the portal's configured trigger is in it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botcopy_handover.testing._payloads import (
    CX_TRIGGER,
    ES_TRIGGER,
    PLATFORM_NAMES,
    Platform,
    cx_response,
    es_response,
)

__all__ = [
    "DEFAULT_HANDOVER_PHRASES",
    "DEFAULT_TRIGGER",
    "Platform",
    "ScriptedBot",
    "carries_trigger",
    "default_trigger",
]

DEFAULT_TRIGGER = ES_TRIGGER
"""The ES output context that asks for a human (set on Botcopy's portal)."""

DEFAULT_HANDOVER_PHRASES = ("human", "agent", "person", "someone real")
"""Customer texts containing one of these (any case) make the bot hand over."""

HANDOVER_INTENT = "human.handover"

_responses = itertools.count(1)


def default_trigger(platform: Platform) -> str:
    """The portal's trigger by default: ``bc-human-handover`` (ES) or ``bcHumanHandover`` (CX)."""
    return ES_TRIGGER if platform == "es" else CX_TRIGGER


def carries_trigger(response: Mapping[str, Any], platform: Platform, trigger: str) -> bool:
    """Whether a (REST JSON) detectIntent response carries the portal's handover trigger.

    ES: an output context whose name ends in ``/contexts/<trigger>``, compared
    lower-cased (Dialogflow lower-cases context names) and still alive
    (``lifespanCount`` not 0). CX: the session parameter ``trigger`` is set to
    anything but ``null``, ``false`` or ``""``.
    """
    result = response.get("queryResult")
    if not isinstance(result, Mapping):
        return False
    if platform == "es":
        wanted = trigger.lower()
        for context in result.get("outputContexts") or []:
            if not isinstance(context, Mapping):
                continue
            name = context.get("name")
            if not isinstance(name, str) or name.rsplit("/", 1)[-1].lower() != wanted:
                continue
            if context.get("lifespanCount", 1) != 0:
                return True
        return False
    parameters = result.get("parameters")
    if not isinstance(parameters, Mapping):
        return False
    return parameters.get(trigger) not in (None, False, "")


@dataclass
class ScriptedBot:
    """A small Dialogflow agent: greets, answers, and sets its trigger when asked for a human.

    Args:
        platform: ``"es"`` or ``"cx"``.
        trigger: The output context (ES) or session parameter (CX) the bot sets
            to ask for a human; ``None`` for the platform's default. The
            emulator fires Step One only if this matches the portal's trigger.
        handover_phrases: Texts (any case) that make the bot set its trigger.
        answers: Exact customer texts (any case) and the bot's answer to them.
        fallback: What the bot says to anything else.
        greeting: What the bot says to the ``WELCOME`` event.
        handover_text: What the bot says as it hands over.

    """

    platform: Platform = "es"
    trigger: str | None = None
    handover_phrases: tuple[str, ...] = DEFAULT_HANDOVER_PHRASES
    answers: dict[str, str] = field(
        default_factory=lambda: {
            "where is my order?": "I can check that. What's your order number?"
        }
    )
    fallback: str = "Sorry, I didn't get that. You can ask for a human at any time."
    greeting: str = "Hi! I'm the Acme bot. How can I help?"
    handover_text: str = "Connecting you with an agent now."

    @property
    def platform_name(self) -> str:
        """``botPlatform`` as Botcopy writes it: ``dialogflowES`` or ``dialogFlowCX``."""
        return PLATFORM_NAMES[self.platform]

    @property
    def trigger_name(self) -> str:
        """The trigger the bot sets: ``trigger``, or the platform's default."""
        return self.trigger or default_trigger(self.platform)

    def wants_human(self, text: str) -> bool:
        """Whether ``text`` contains one of the handover phrases."""
        lowered = text.casefold()
        return any(phrase.casefold() in lowered for phrase in self.handover_phrases)

    def answer(self, text: str, session: str, language: str = "en") -> dict[str, Any]:
        """The detectIntent response (REST JSON) to a customer text in ``session``."""
        if self.wants_human(text):
            return self._response(session, language, self.handover_text, HANDOVER_INTENT, text=text)
        said = self.answers.get(text.casefold().strip(), self.fallback)
        intent = "faq" if said != self.fallback else "Default Fallback Intent"
        return self._response(session, language, said, intent, text=text)

    def answer_event(self, name: str, session: str, language: str = "en") -> dict[str, Any]:
        """The detectIntent response to an event (``WELCOME``, or an unpause event)."""
        said = self.greeting if name.upper() == "WELCOME" else f"(the bot handles the {name} event)"
        return self._response(session, language, said, name, event=name)

    @staticmethod
    def texts(response: Mapping[str, Any]) -> list[str]:
        """The texts a (REST JSON) detectIntent response shows the customer."""
        result = response["queryResult"]
        messages = result.get("fulfillmentMessages") or result.get("responseMessages") or []
        return [t for m in messages for t in m.get("text", {}).get("text", [])]

    def _response(
        self,
        session: str,
        language: str,
        said: str,
        intent: str,
        *,
        text: str = "",
        event: str | None = None,
    ) -> dict[str, Any]:
        handover = intent == HANDOVER_INTENT
        response_id = f"emulator-response-{next(_responses)}"
        confidence = 1.0 if event is not None else 0.9
        if self.platform == "es":
            return es_response(
                session=session,
                said=said,
                intent=intent,
                query_text=text,
                confidence=confidence,
                contexts=[self.trigger_name] if handover else (),
                language=language,
                response_id=response_id,
            )
        return cx_response(
            session=session,
            said=said,
            intent=intent,
            text=text,
            event=event,
            confidence=confidence,
            parameters={self.trigger_name: True} if handover else None,
            language=language,
            response_id=response_id,
        )
