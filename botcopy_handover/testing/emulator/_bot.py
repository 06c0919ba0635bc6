"""The emulator's scripted Dialogflow bot, and the message-history items Botcopy would store.

The bot answers with detectIntent responses in Dialogflow's REST JSON form,
ES (``queryResult.fulfillmentMessages``, output contexts) or CX
(``queryResult.responseMessages``, session parameters). A customer text
containing one of the handover phrases gets the handover trigger: the ES
output context named by ``trigger`` (default ``bc-human-handover``) or the
CX session parameter ``bcHumanHandover``, exactly what Botcopy looks for.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

__all__ = [
    "DEFAULT_HANDOVER_PHRASES",
    "DEFAULT_TRIGGER",
    "Platform",
    "ScriptedBot",
]

Platform: TypeAlias = Literal["es", "cx"]
"""The Dialogflow edition the emulated bot runs on."""

DEFAULT_TRIGGER = "bc-human-handover"
"""The ES output context that asks for a human (set on Botcopy's portal)."""

CX_TRIGGER = "bcHumanHandover"
"""The CX session parameter that asks for a human."""

DEFAULT_HANDOVER_PHRASES = ("human", "agent", "person", "someone real")
"""Customer texts containing one of these (any case) make the bot hand over."""

PLATFORM_NAMES = {"es": "dialogflowES", "cx": "dialogFlowCX"}

_ids = itertools.count(1)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class ScriptedBot:
    """A small Dialogflow agent: greets, answers, and hands over when asked for a human.

    Args:
        platform: ``"es"`` or ``"cx"``.
        trigger: ES: the output context name that triggers the handover.
        handover_phrases: Texts (any case) that make the bot hand over.
        answers: Exact customer texts (any case) and the bot's answer to them.
        fallback: What the bot says to anything else.
        greeting: What the bot says to the ``WELCOME`` event.

    """

    platform: Platform = "es"
    trigger: str = DEFAULT_TRIGGER
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

    def wants_human(self, text: str) -> bool:
        """Whether ``text`` asks for a human."""
        lowered = text.casefold()
        return any(phrase.casefold() in lowered for phrase in self.handover_phrases)

    def answer(self, text: str, session: str, language: str = "en") -> dict[str, Any]:
        """The detectIntent response to a customer text."""
        if self.wants_human(text):
            return self._response(text, self.handover_text, session, language, "human.handover")
        said = self.answers.get(text.casefold().strip(), self.fallback)
        intent = "faq" if said != self.fallback else "Default Fallback Intent"
        return self._response(text, said, session, language, intent)

    def answer_event(self, name: str, session: str, language: str = "en") -> dict[str, Any]:
        """The detectIntent response to an event (``WELCOME``, or an unpause event)."""
        said = self.greeting if name.upper() == "WELCOME" else f"(the bot handles the {name} event)"
        return self._response("", said, session, language, name, event=True)

    @staticmethod
    def texts(response: dict[str, Any]) -> list[str]:
        """The texts a detectIntent response shows the customer."""
        result = response["queryResult"]
        messages = result.get("fulfillmentMessages") or result.get("responseMessages") or []
        return [t for m in messages for t in m.get("text", {}).get("text", [])]

    def _response(
        self,
        text: str,
        said: str,
        session: str,
        language: str,
        intent: str,
        *,
        event: bool = False,
    ) -> dict[str, Any]:
        handover = intent == "human.handover"
        response_id = f"emulator-response-{next(_ids)}"
        if self.platform == "es":
            result: dict[str, Any] = {
                "queryText": text,
                "parameters": {},
                "allRequiredParamsPresent": True,
                "fulfillmentText": said,
                "fulfillmentMessages": [{"text": {"text": [said]}}],
                "intent": {"name": f"{session}/intents/{intent}", "displayName": intent},
                "intentDetectionConfidence": 1.0 if event else 0.9,
                "languageCode": language,
            }
            if handover:
                result["outputContexts"] = [
                    {"name": f"{session}/contexts/{self.trigger}", "lifespanCount": 1}
                ]
            return {"responseId": response_id, "queryResult": result}
        cx_result: dict[str, Any] = {
            "languageCode": language,
            "responseMessages": [{"text": {"text": [said]}}],
            "parameters": {CX_TRIGGER: True} if handover else {},
            "match": {
                "intent": {"displayName": intent},
                "confidence": 1.0 if event else 0.9,
                "matchType": "EVENT" if event else "INTENT",
            },
        }
        cx_result["trigger" if event else "text"] = intent if event else text
        return {"responseId": response_id, "queryResult": cx_result}

    # -- message history, as Botcopy stores it -------------------------------

    def _item(self, direction: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
        return {
            "_id": f"emulator-{next(_ids):08d}",
            "botPlatform": self.platform_name,
            "direction": direction,
            "payload": payload,
            "createdAt": _iso(at),
        }

    def customer_query_item(self, text: str, session_id: str, at: datetime) -> dict[str, Any]:
        """Kind 1: customer text sent to Dialogflow."""
        return self._item(
            "in",
            {
                "queryParameters": {
                    "queryParameters": {"payload": {"source": "botcopy-emulator"}},
                    "query": text,
                    "lang": "en",
                    "sessionId": session_id,
                }
            },
            at,
        )

    def event_item(self, name: str, session_id: str, at: datetime) -> dict[str, Any]:
        """Kind 2: an event sent to Dialogflow."""
        return self._item(
            "in",
            {
                "queryParameters": {},
                "event": {"name": name, "data": {}},
                "lang": "en",
                "sessionId": session_id,
            },
            at,
        )

    def response_item(self, response: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Kind 3: a Dialogflow response, unchanged."""
        return self._item("out", response, at)

    def agent_item(self, text: str, at: datetime) -> dict[str, Any]:
        """Kind 4: a live agent's text to the customer."""
        return self._item("out", {"text": text}, at)

    def customer_to_agent_item(self, text: str, session_id: str, at: datetime) -> dict[str, Any]:
        """Kind 5: a customer's text to the live agent."""
        return self._item(
            "out",
            {
                "queryParameters": {"contexts": [], "payload": {}, "webhookHeaders": {}},
                "query": text,
                "lang": "en",
                "sessionId": session_id,
            },
            at,
        )
