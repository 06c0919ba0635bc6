"""One customer's conversation as Botcopy keeps it: pause, agent, typing, transcript, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias

from botcopy_handover.models.push import MessageEvent, PauseEvent, PushEvent, ResumeEvent
from botcopy_handover.testing.emulator._bot import ScriptedBot

__all__ = ["TYPING_LIFETIME", "Conversation", "Seen", "Sender"]

TYPING_LIFETIME = timedelta(seconds=10)
"""How long the typing indicator stays up after a ``user_typing`` push."""

Sender: TypeAlias = Literal["customer", "bot", "agent", "system"]
"""Who a transcript line is from, as the customer's chat window shows it."""

AGENT_JOINED = "You are now chatting with an Agent."


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


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
        return {"sender": self.sender, "text": self.text, "at": _iso(self.at)}


@dataclass
class Conversation:
    """Botcopy's state for one customer of one bot."""

    bot_id: str
    user_id: str
    session_id: str
    paused: bool = False
    minutes_paused: int = 0
    expires_at: datetime | None = None
    agent_name: str | None = None
    agent_avatar_url: str | None = None
    typing_until: datetime | None = None
    transcript: list[Seen] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    greeted: bool = False

    @property
    def session(self) -> str:
        """The Dialogflow session path."""
        return f"projects/emulator-agent/agent/sessions/{self.session_id}"

    def is_paused(self, now: datetime) -> bool:
        """Whether the bot is paused for this customer at ``now``."""
        return self.paused and self.expires_at is not None and now < self.expires_at

    def is_typing(self, now: datetime) -> bool:
        """Whether the customer sees the agent typing at ``now``."""
        return self.typing_until is not None and now < self.typing_until

    def lapse_if_due(self, now: datetime) -> None:
        """End a pause whose time ran out, as Botcopy does silently."""
        if self.paused and not self.is_paused(now):
            self.paused = False
            self.typing_until = None

    def pause_for(self, minutes: int, now: datetime) -> None:
        """Pause (or keep paused) for ``minutes`` from ``now``."""
        self.paused = True
        self.minutes_paused = minutes
        self.expires_at = now + timedelta(minutes=minutes)

    def resume(self) -> None:
        """Hand the customer back to the bot."""
        self.paused = False
        self.minutes_paused = 0
        self.expires_at = None
        self.typing_until = None

    def show(self, sender: Sender, text: str, now: datetime) -> None:
        """Add a line to the customer's chat window."""
        self.transcript.append(Seen(sender, text, now))

    def apply_push(self, event: PushEvent, now: datetime, bot: ScriptedBot) -> None:
        """Apply an accepted push event, as Botcopy shows it to the customer."""
        self.lapse_if_due(now)
        if isinstance(event, ResumeEvent):
            name = self.agent_name or "The human"
            self.resume()
            unpause = event.unpause_event
            if unpause is None or unpause == "default":
                self.show(
                    "system",
                    f"{name} has left the conversation. You are now chatting with the bot.",
                    now,
                )
            elif unpause != "none":
                response = bot.answer_event(unpause, self.session)
                self.history.append(bot.event_item(unpause, self.session_id, now))
                self.history.append(bot.response_item(response, now))
                for text in bot.texts(response):
                    self.show("bot", text, now)
            return
        self.pause_for(event.minutes_paused, now)
        if isinstance(event, PauseEvent):
            if event.agent_name is not None:
                self.agent_name = event.agent_name
            if event.agent_avatar_url is not None:
                self.agent_avatar_url = event.agent_avatar_url
            self.show("system", AGENT_JOINED, now)
        elif isinstance(event, MessageEvent):
            self.typing_until = None
            self.history.append(bot.agent_item(event.text, now))
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
            "paused": self.is_paused(now),
            "minutesPaused": self.minutes_paused,
            "expiresAt": _iso(self.expires_at) if self.expires_at and self.paused else None,
            "agentProfile": {"name": self.agent_name, "avatarUrl": self.agent_avatar_url},
            "typing": self.is_typing(now),
            "transcript": [line.to_dict() for line in self.transcript],
            "historyLength": len(self.history),
        }
