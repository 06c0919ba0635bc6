"""One customer's conversation as Botcopy keeps it: pause, agent, typing, transcript, history."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias

from botcopy_handover.models.push import MessageEvent, PauseEvent, PushEvent, ResumeEvent
from botcopy_handover.testing._payloads import (
    Platform,
    agent_payload,
    customer_to_agent_payload,
    es_session,
    event_payload,
    history_item,
    iso,
    node_form,
    query_payload,
)
from botcopy_handover.testing.emulator._bot import ScriptedBot
from botcopy_handover.testing.emulator._variant import Reading

__all__ = ["TYPING_LIFETIME", "EmulatedConversation", "Seen", "Sender"]

TYPING_LIFETIME = timedelta(seconds=10)
"""How long the typing indicator stays up after a ``user_typing`` push."""

Sender: TypeAlias = Literal["customer", "bot", "agent", "system"]
"""Who a transcript line is from, as the customer's chat window shows it."""

AGENT_JOINED = "You are now chatting with an Agent."

_item_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Seen:
    """A line of the customer's chat window.

    Attributes:
        sender: ``customer``, ``bot``, ``agent`` or ``system`` (Botcopy's own notices).
        text: What is shown.
        at: When it was shown.

    """

    sender: Sender
    text: str
    at: datetime

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"sender": self.sender, "text": self.text, "at": iso(self.at)}


@dataclass
class EmulatedConversation:
    """Botcopy's state for one customer of one bot.

    ``session_id`` is the ``sessionId`` Botcopy sends; ``session`` the
    Dialogflow session path, whose tail is ``dialogflow_session_id`` (the
    history items' ``sessionId``). The two ids are equal or not as the
    conversation's ``reading`` says.
    """

    bot_id: str
    user_id: str
    session_id: str
    platform: Platform = "es"
    session: str = ""
    dialogflow_session_id: str = ""
    reading: Reading = field(default_factory=Reading)
    paused: bool = False
    minutes_paused: float = 0
    expires_at: datetime | None = None
    agent_name: str | None = None
    agent_avatar_url: str | None = None
    typing_until: datetime | None = None
    transcript: list[Seen] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    greeted: bool = False

    def __post_init__(self) -> None:
        if not self.dialogflow_session_id:
            self.dialogflow_session_id = self.session.rsplit("/", 1)[-1] or self.session_id
        if not self.session:
            self.session = es_session("emulator-project", self.dialogflow_session_id)

    def is_paused(self, now: datetime) -> bool:
        """Whether the bot is paused for this customer at ``now``."""
        return self.paused and self.expires_at is not None and now < self.expires_at

    def is_typing(self, now: datetime) -> bool:
        """Whether the customer sees the agent typing at ``now``."""
        return self.typing_until is not None and now < self.typing_until

    def lapse_if_due(self, now: datetime) -> None:
        """End a pause whose time ran out, as Botcopy does silently."""
        if self.paused and not self.is_paused(now):
            self.resume()

    def pause_for(self, minutes: float, now: datetime) -> None:
        """Pause (or keep paused) for ``minutes`` from ``now``."""
        self.paused = True
        self.minutes_paused = minutes
        self.expires_at = now + timedelta(minutes=minutes)

    def resume(self) -> None:
        """Hand the customer back to the bot; the chat is over, so the agent profile goes too."""
        self.paused = False
        self.minutes_paused = 0
        self.expires_at = None
        self.typing_until = None
        self.agent_name = None
        self.agent_avatar_url = None

    # -- message history, as Botcopy stores it (in this conversation's reading) --

    def _record(self, direction: str, payload: Mapping[str, Any], at: datetime) -> None:
        item_id = f"{next(_item_ids):024x}"  # shaped like Botcopy's MongoDB ObjectIds
        self.history.append(history_item(item_id, self.platform, direction, payload, at))

    def dialogflow_form(self, response: Mapping[str, Any]) -> dict[str, Any]:
        """A REST-JSON detectIntent response in the form this conversation sends."""
        return node_form(response) if self.reading.responses == "struct" else dict(response)

    def record_query(self, text: str, at: datetime) -> None:
        """Kind 1: the customer's text went to Dialogflow."""
        nested = self.reading.query_items == "nested"
        payload = query_payload(
            text,
            self.dialogflow_session_id,
            nested=nested,
            query_parameters={"payload": {"source": "botcopy-emulator"}},
        )
        self._record("in", payload, at)

    def record_event(self, name: str, at: datetime) -> None:
        """Kind 2: an event went to Dialogflow."""
        self._record("in", event_payload(name, self.dialogflow_session_id), at)

    def record_response(self, response: Mapping[str, Any], at: datetime) -> None:
        """Kind 3: Dialogflow's response, unchanged (in this conversation's form)."""
        self._record("out", self.dialogflow_form(response), at)

    def record_agent(self, text: str, at: datetime) -> None:
        """Kind 4: the live agent's text to the customer."""
        self._record("out", agent_payload(text), at)

    def record_customer_to_agent(self, text: str, at: datetime) -> None:
        """Kind 5: the customer's text to the live agent."""
        self._record("out", customer_to_agent_payload(text, self.dialogflow_session_id), at)

    def show(self, sender: Sender, text: str, now: datetime) -> None:
        """Add a line to the customer's chat window."""
        self.transcript.append(Seen(sender, text, now))

    def apply_push(
        self,
        event: PushEvent,
        now: datetime,
        bot: ScriptedBot,
        *,
        minutes: float | None = None,
        banner_with_event: bool = False,
    ) -> None:
        """Apply an accepted push event, as Botcopy shows it to the customer.

        ``minutes`` is the pause length as sent (a JSON number; the event's
        whole minutes if left out). ``banner_with_event`` shows the "has left"
        line before an unpause event's answer too.
        """
        self.lapse_if_due(now)
        if isinstance(event, ResumeEvent):
            name = self.agent_name or "The human"
            self.resume()
            unpause = event.unpause_event
            left = f"{name} has left the conversation. You are now chatting with the bot."
            if unpause is None or unpause == "default":
                self.show("system", left, now)
            elif unpause != "none":
                if banner_with_event:
                    self.show("system", left, now)
                response = bot.answer_event(unpause, self.session)
                self.record_event(unpause, now)
                self.record_response(response, now)
                for text in bot.texts(response):
                    self.show("bot", text, now)
            return
        self.pause_for(minutes if minutes is not None else event.minutes_paused, now)
        if isinstance(event, PauseEvent):
            if event.agent_name is not None:
                self.agent_name = event.agent_name
            if event.agent_avatar_url is not None:
                self.agent_avatar_url = event.agent_avatar_url
            self.show("system", AGENT_JOINED, now)
        elif isinstance(event, MessageEvent):
            self.typing_until = None
            self.record_agent(event.text, now)
            self.show("agent", event.text, now)
        else:
            self.typing_until = now + TYPING_LIFETIME

    def to_dict(self, now: datetime) -> dict[str, Any]:
        """JSON-ready form, as the control API shows it."""
        self.lapse_if_due(now)
        return {
            "botId": self.bot_id,
            "userId": self.user_id,
            "sessionId": self.session_id,
            "session": self.session,
            "reading": self.reading.to_dict(),
            "paused": self.is_paused(now),
            "minutesPaused": self.minutes_paused,
            "expiresAt": iso(self.expires_at) if self.expires_at and self.paused else None,
            "agentProfile": {"name": self.agent_name, "avatarUrl": self.agent_avatar_url},
            "typing": self.is_typing(now),
            "transcript": [line.to_dict() for line in self.transcript],
            "historyLength": len(self.history),
        }
