"""What ``Conversation`` and ``AsyncConversation`` share: one customer's events, without I/O."""

from __future__ import annotations

from botcopy_handover.client._base import ClientCore, check_customer
from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)

__all__ = ["ConversationCore"]


class ConversationCore:
    """One customer's ids and default ``minutesPaused``, and the events built from them.

    The conversation twins add only the pushing (blocking or awaited) and
    their typing keepalives.
    """

    def __init__(
        self, core: ClientCore, user_id: str, bot_id: str, minutes_paused: int | None
    ) -> None:
        self._core = core
        # Validate the ids and minutes now, not at the first push.
        core.typing_event(user_id, bot_id, minutes_paused, None)
        self.user_id = user_id
        self.bot_id = bot_id
        self.minutes_paused: int = core.minutes(minutes_paused)

    def _message_event(self, text: str, minutes_paused: int | None) -> MessageEvent:
        return self._core.message_event(
            self.user_id, self.bot_id, text, minutes_paused, self.minutes_paused
        )

    def _pause_event(
        self, minutes_paused: int | None, agent_name: str | None, agent_avatar_url: str | None
    ) -> PauseEvent:
        return self._core.pause_event(
            self.user_id,
            self.bot_id,
            minutes_paused,
            self.minutes_paused,
            agent_name,
            agent_avatar_url,
        )

    def _resume_event(self, unpause_event: str | None) -> ResumeEvent:
        return self._core.resume_event(self.user_id, self.bot_id, unpause_event)

    def _typing_event(self) -> TypingEvent:
        return self._core.typing_event(self.user_id, self.bot_id, None, self.minutes_paused)

    def _stops_typing(self, event: PushEvent) -> bool:
        """Refuse another customer's event; say whether it ends the typing keepalives."""
        check_customer(event, self.user_id, self.bot_id)
        return isinstance(event, (MessageEvent, ResumeEvent))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(user_id={self.user_id!r}, bot_id={self.bot_id!r}, "
            f"minutes_paused={self.minutes_paused})"
        )
