"""What ``Conversation`` and ``AsyncConversation`` share: one customer's events, without I/O."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from botcopy_handover.client._base import UNSET, ClientCore, TimeoutArg, check_customer
from botcopy_handover.client._keepalive import DEFAULT_TYPING_INTERVAL
from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)

if TYPE_CHECKING:
    from botcopy_handover.client._methods import ClientMethods

__all__ = ["ConversationCore", "ConversationMethods", "given"]

R = TypeVar("R")
"""What a push method returns: a ``PushResult``, or a coroutine of one."""
K = TypeVar("K")
"""The typing keepalive of the conversation."""
C = TypeVar("C", bound="ClientMethods[Any, Any]")
"""The client the conversation pushes through."""


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


class ConversationMethods(ConversationCore, ABC, Generic[R, K, C]):
    """The push methods bound to one customer; a subclass performs them.

    ``_submit`` builds the event, stops the typing keepalives when the event
    ends them (a message, a resume), and pushes it; ``_keepalive`` starts a
    typing keepalive.

    Args:
        client: The client to push through.
        user_id: The customer's Botcopy user id.
        bot_id: The bot the customer talks to.
        minutes_paused: This conversation's default ``minutesPaused``; ``None``
            for the client's.

    """

    def __init__(
        self, client: C, user_id: str, bot_id: str, *, minutes_paused: int | None = None
    ) -> None:
        super().__init__(client._core, user_id, bot_id, minutes_paused)
        self._client = client
        self._keepalives: set[K] = set()

    @property
    def client(self) -> C:
        """The client this conversation pushes through."""
        return self._client

    def send_message(
        self,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Send the agent's ``text``; stops this conversation's typing keepalives first."""
        return self._submit(
            partial(self._message_event, text, minutes_paused), timeout, retry_unsafe
        )

    def pause(
        self,
        *,
        minutes_paused: int | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Show "You are now chatting with an Agent." (see [`Client.pause`][botcopy_handover.Client.pause])."""  # noqa: E501 - a link in the summary
        build = partial(self._pause_event, minutes_paused, agent_name, agent_avatar_url)
        return self._submit(build, timeout, retry_unsafe)

    def resume(
        self,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Hand the customer back to the bot (see [`Client.resume`][botcopy_handover.Client.resume])."""  # noqa: E501 - a link in the summary
        return self._submit(partial(self._resume_event, unpause_event), timeout, retry_unsafe)

    def typing(
        self,
        *,
        interval: float = DEFAULT_TYPING_INTERVAL,
        raise_errors: bool = False,
        timeout: TimeoutArg = UNSET,
    ) -> K:
        """Show the typing indicator now; as a context manager, keep it up.

        The first indicator is sent at once (``AsyncConversation``: when the
        keepalive is awaited or entered). Inside ``with chat.typing():`` (or
        ``async with``) it is re-sent every ``interval`` seconds (9 by
        default: Botcopy hides it after 10), by a background thread (an
        asyncio task), until the block ends or a message is sent on this
        conversation.

        Failures are logged on the ``botcopy_handover`` logger and kept in
        ``.error``; they stop the keepalive but do not interrupt the agent's
        code. With ``raise_errors=True`` the first send raises, and a later
        failure is raised when the block ends.
        """
        return self._keepalive(self._typing_event(), interval, raise_errors, timeout)

    def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> R:
        """Push a prebuilt event for this customer.

        Raises:
            InvalidEventError: the event names another customer.

        """
        return self._submit(partial(given, event), timeout, retry_unsafe)

    @abstractmethod
    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> R:
        """Build the event, stop the keepalives if it ends them, push it."""

    @abstractmethod
    def _keepalive(
        self, event: TypingEvent, interval: float, raise_errors: bool, timeout: TimeoutArg
    ) -> K:
        """A keepalive that pushes ``event``."""


def given(event: PushEvent) -> PushEvent:
    """``event`` itself: the builder of a prebuilt event."""
    return event
