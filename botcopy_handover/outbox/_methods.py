"""The shortcut methods of ``Outbox`` and ``AsyncOutbox``, written once.

Each shortcut hands a builder of its event to the twin's ``_submit``, which
builds it with the client's default pause length and stores it with ``send``:
blocking (``Outbox``: the receipt) or awaited (``AsyncOutbox``: a coroutine,
so a bad argument raises when awaited, as from an ``async def``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)

__all__ = ["OutboxMethods"]

R = TypeVar("R")
"""What a shortcut returns: an ``OutboxReceipt``, or a coroutine of one."""

Build = Callable[[int], PushEvent]
"""Builds a shortcut's event, given the client's default ``minutesPaused``."""


def _minutes(given: int | None, default: int) -> int:
    return default if given is None else given


def _message(
    user_id: str, bot_id: str, text: str, minutes_paused: int | None, default: int
) -> PushEvent:
    minutes = _minutes(minutes_paused, default)
    return MessageEvent(user_id=user_id, bot_id=bot_id, text=text, minutes_paused=minutes)


def _pause(
    user_id: str,
    bot_id: str,
    minutes_paused: int | None,
    agent_name: str | None,
    agent_avatar_url: str | None,
    default: int,
) -> PushEvent:
    return PauseEvent(
        user_id=user_id,
        bot_id=bot_id,
        minutes_paused=_minutes(minutes_paused, default),
        agent_name=agent_name,
        agent_avatar_url=agent_avatar_url,
    )


def _resume(user_id: str, bot_id: str, unpause_event: str | None, default: int) -> PushEvent:
    return ResumeEvent(user_id=user_id, bot_id=bot_id, unpause_event=unpause_event)


def _typing(user_id: str, bot_id: str, minutes_paused: int | None, default: int) -> PushEvent:
    minutes = _minutes(minutes_paused, default)
    return TypingEvent(user_id=user_id, bot_id=bot_id, minutes_paused=minutes)


class OutboxMethods(ABC, Generic[R]):
    """The shortcuts; a subclass stores the event they build (`_submit`)."""

    @abstractmethod
    def _submit(self, build: Build) -> R:
        """Build the event with the client's default pause length and ``send`` it."""

    def send_message(
        self, user_id: str, bot_id: str, text: str, *, minutes_paused: int | None = None
    ) -> R:
        """Queue the agent's ``text`` for the customer.

        Args:
            user_id: The customer (the webhook's ``userId``).
            bot_id: The bot (the webhook's ``botId``).
            text: The message; not empty.
            minutes_paused: The pause length the message carries; default the client's.

        Returns:
            The event's receipt, once it is stored (awaited, on ``AsyncOutbox``).

        """
        return self._submit(partial(_message, user_id, bot_id, text, minutes_paused))

    def pause(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> R:
        """Queue "You are now chatting with an Agent." with the agent's name and avatar.

        ``minutes_paused`` unset: the client's default.
        """
        return self._submit(
            partial(_pause, user_id, bot_id, minutes_paused, agent_name, agent_avatar_url)
        )

    def resume(self, user_id: str, bot_id: str, *, unpause_event: str | None = "default") -> R:
        """Queue handing the customer back to the bot, after every event queued before it."""
        return self._submit(partial(_resume, user_id, bot_id, unpause_event))

    def typing(self, user_id: str, bot_id: str, *, minutes_paused: int | None = None) -> R:
        """Push the typing indicator at once (not queued)."""
        return self._submit(partial(_typing, user_id, bot_id, minutes_paused))
