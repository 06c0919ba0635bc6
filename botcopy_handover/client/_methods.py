"""The push methods of ``Client`` and ``AsyncClient``, written once.

Each method validates nothing and sends nothing itself: it hands a builder of
its event to the twin's ``_submit``, which builds it and pushes it, blocking
(``Client``: the result) or awaited (``AsyncClient``: a coroutine, so a bad
argument raises when awaited, as from an ``async def``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

from botcopy_handover.client._base import UNSET, ClientCore, TimeoutArg
from botcopy_handover.client._conversation import given
from botcopy_handover.models.push import PushEvent

__all__ = ["ClientMethods"]

R = TypeVar("R")
"""What a push method returns: a ``PushResult``, or a coroutine of one."""
C = TypeVar("C")
"""The conversation handle of the client."""


class ClientMethods(ABC, Generic[R, C]):
    """The push methods; a subclass performs them (`_submit`) and makes conversations."""

    _core: ClientCore

    @property
    def base_url(self) -> str:
        """Botcopy's address, without the push path."""
        return self._core.base_url

    @property
    def minutes_paused(self) -> int:
        """The default ``minutesPaused`` of paused events."""
        return self._core.minutes_paused

    def send_message(
        self,
        user_id: str,
        bot_id: str,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Send the agent's ``text`` to the customer, keeping the bot paused.

        Args:
            user_id: The customer (the webhook's ``userId``).
            bot_id: The bot (the webhook's ``botId``).
            text: The message; not empty.
            minutes_paused: Push the pause expiry this far out; default the client's.
            timeout: This call's timeout, instead of the client's.
            retry_unsafe: Retry even if the message may have arrived (risking a
                duplicate); default the client's setting.

        Raises:
            InvalidEventError: an argument is invalid; nothing was sent.
            APIError: the push failed; see its subclasses.

        """
        build = partial(self._core.message_event, user_id, bot_id, text, minutes_paused, None)
        return self._submit(build, timeout, retry_unsafe)

    def pause(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Show "You are now chatting with an Agent." and pause the bot.

        ``agent_name`` and ``agent_avatar_url`` set the agent's profile in the
        widget. Retried like an opted-in call: a repeated pause changes nothing.
        """
        build = partial(
            self._core.pause_event,
            user_id,
            bot_id,
            minutes_paused,
            None,
            agent_name,
            agent_avatar_url,
        )
        return self._submit(build, timeout, retry_unsafe)

    def resume(
        self,
        user_id: str,
        bot_id: str,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Hand the customer back to the bot.

        ``unpause_event``: ``"default"`` shows "... has left the conversation",
        ``"none"`` shows nothing, another name fires that Dialogflow event
        (such a resume is not retried unless opted in: it would fire twice);
        ``None`` leaves ``unpauseChatEvent`` out.
        """
        build = partial(self._core.resume_event, user_id, bot_id, unpause_event)
        return self._submit(build, timeout, retry_unsafe)

    def typing(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> R:
        """Show the typing indicator once (it vanishes after 10 s).

        To keep it up while the agent types, use
        ``client.conversation(...).typing()`` as a context manager.
        """
        build = partial(self._core.typing_event, user_id, bot_id, minutes_paused, None)
        return self._submit(build, timeout, retry_unsafe)

    def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> R:
        """Push a prebuilt event model (``MessageEvent``, ``PauseEvent``, ...)."""
        return self._submit(partial(given, event), timeout, retry_unsafe)

    def conversation(self, user_id: str, bot_id: str, *, minutes_paused: int | None = None) -> C:
        """A handle with the same methods, bound to one customer.

        ``minutes_paused`` is the conversation's default, else the client's.
        """
        return self._conversation(user_id, bot_id, minutes_paused)

    @abstractmethod
    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> R:
        """Build the event and push it (or return the coroutine that does)."""

    @abstractmethod
    def _conversation(self, user_id: str, bot_id: str, minutes_paused: int | None) -> C:
        """A conversation handle of this client."""
