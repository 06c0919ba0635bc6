"""The desk behind the console: Botcopy's webhook handlers, the agents' actions, expiry notices.

Only the SDK's public API: a [`Webhook`][botcopy_handover.Webhook] with a store
answers Step One and Two, an [`AsyncClient`][botcopy_handover.AsyncClient] with the
same store pushes what agents do (``pause`` with the agent's name, messages,
the typing keepalive, ``resume``), an
[`AsyncExpiryWatcher`][botcopy_handover.state.AsyncExpiryWatcher] warns before a pause lapses, and
[`render_transcript`][botcopy_handover.render_transcript] renders the Step One history.
What was said is kept in a `chat log`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botcopy_handover import (
    AsyncClient,
    AsyncConversation,
    ConfigurationError,
    Continue,
    CustomerMessage,
    HandoverRequest,
    MemoryStore,
    Pause,
    Reply,
    Webhook,
    render_transcript,
)
from botcopy_handover.console._auth import Guard
from botcopy_handover.console._log import (
    ChatLine,
    ChatLog,
    ChatUpdate,
    MemoryChatLog,
    RedisChatLog,
    now_ms,
)
from botcopy_handover.state import AsyncConversationStore, AsyncExpiryWatcher, ExpiryNotice

__all__ = ["ConflictError", "ConsoleConfig", "Desk", "NotFoundError"]

logger = logging.getLogger("botcopy_handover.console")


@dataclass(frozen=True)
class ConsoleConfig:
    """How a console runs.

    Attributes:
        access_tokens: The tokens Botcopy's webhook calls must carry (``None``:
            ``BOTCOPY_ACCESS_TOKEN``).
        api_key: The push API key (``None``: ``BOTCOPY_API_KEY``).
        base_url: Botcopy's address (``None``: ``BOTCOPY_BASE_URL``, else Botcopy's).
        redis_url: Share conversations with other console processes through this Redis.
        redis_prefix: Namespace of the console's and the store's keys.
        login_secret: The agents' shared secret; ``None`` serves without a login
            (only allowed on loopback: the command enforces it).
        minutes_paused: How long a pause lasts without a message.
        warn_before: How long before a pause lapses the agent is warned.
        expiry_interval: Seconds between two looks for pauses about to lapse.
        typing_idle: Seconds after the agent's last keystroke that the typing
            indicator stops being kept up.

    """

    access_tokens: str | list[str] | None = None
    api_key: str | None = None
    base_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "botcopy:"
    login_secret: str | None = None
    minutes_paused: int = 10
    warn_before: timedelta = timedelta(minutes=1)
    expiry_interval: float = 5.0
    typing_idle: float = 6.0

    def __repr__(self) -> str:
        return (
            f"ConsoleConfig(base_url={self.base_url!r}, redis={self.redis_url is not None}, "
            f"login={self.login_secret is not None}, minutes_paused={self.minutes_paused})"
        )


class _Typing:
    """The typing keepalives this process keeps up, one per conversation."""

    def __init__(self, idle: float) -> None:
        self._idle = idle
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._last: dict[tuple[str, str], float] = {}

    def poke(self, chat: AsyncConversation) -> None:
        key = (chat.bot_id, chat.user_id)
        loop = asyncio.get_running_loop()
        self._last[key] = loop.time()
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = loop.create_task(self._keep(chat, key))

    async def _keep(self, chat: AsyncConversation, key: tuple[str, str]) -> None:
        loop = asyncio.get_running_loop()
        # The SDK's keepalive: one indicator now, again every 9 s, until the block ends.
        async with chat.typing():
            # Sleeps until the idle time since the last keystroke has passed.
            while (left := self._idle - (loop.time() - self._last.get(key, 0.0))) > 0:  # noqa: ASYNC110
                await asyncio.sleep(left)

    async def stop(self, key: tuple[str, str]) -> None:
        task = self._tasks.pop(key, None)
        self._last.pop(key, None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_all(self) -> None:
        for key in list(self._tasks):
            await self.stop(key)


class Desk:
    """The console's state and handlers, for one process."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.store: AsyncConversationStore | MemoryStore
        self.log: ChatLog
        if config.redis_url:
            from botcopy_handover.state.redis import AsyncRedisStore

            self.store = AsyncRedisStore(url=config.redis_url, prefix=config.redis_prefix)
            self.log = RedisChatLog(config.redis_url, prefix=config.redis_prefix)
        else:
            self.store = MemoryStore()
            self.log = MemoryChatLog()
        self.webhook = Webhook(config.access_tokens)
        self.client = AsyncClient(
            config.api_key,
            base_url=config.base_url,
            minutes_paused=config.minutes_paused,
            store=self.store,
        )
        signing = config.login_secret or self.client_key_material(config)
        self.guard = Guard(signing, config.login_secret)
        self.watcher = AsyncExpiryWatcher(
            self.store,
            self.on_expiry,
            warn_before=config.warn_before,
            interval=config.expiry_interval,
        )
        self.typing = _Typing(config.typing_idle)
        self._chats: dict[tuple[str, str], AsyncConversation] = {}

    @staticmethod
    def client_key_material(config: ConsoleConfig) -> str:
        key = config.api_key or os.environ.get("BOTCOPY_API_KEY", "")
        if not key:
            raise ConfigurationError("No API key: pass api_key= or set BOTCOPY_API_KEY")
        return key

    def chat(self, bot_id: str, user_id: str) -> AsyncConversation:
        key = (bot_id, user_id)
        if key not in self._chats:
            self._chats[key] = self.client.conversation(user_id, bot_id)
        return self._chats[key]

    async def changed(self, bot_id: str, user_id: str) -> None:
        await self.log.publish(bot_id, user_id)

    # -- Botcopy's webhook ---------------------------------------------------

    async def on_handover(self, event: HandoverRequest) -> Reply:
        await self.log.start(event.bot_id, event.user_id, render_transcript(event, "html"))
        await self.changed(event.bot_id, event.user_id)
        return Pause(self.config.minutes_paused)

    async def on_customer_message(self, event: CustomerMessage) -> Reply:
        record = await self.log.get(event.bot_id, event.user_id)
        if record is None or record.status == "closed":
            return Continue()  # nobody here has this chat: the bot answers
        await self.log.add_line(
            event.bot_id, event.user_id, ChatLine("customer", event.text, now_ms())
        )
        await self.log.update(event.bot_id, event.user_id, ChatUpdate(clear_warning=True))
        await self.changed(event.bot_id, event.user_id)
        return Pause(self.config.minutes_paused)

    # -- the expiry watcher ---------------------------------------------------

    async def on_expiry(self, notice: ExpiryNotice) -> None:
        bot_id, user_id = notice.state.bot_id, notice.state.user_id
        record = await self.log.get(bot_id, user_id)
        if record is None or record.status == "closed":
            return
        if notice.lapsed:
            note = "The pause lapsed: the bot answers the customer again."
            await self.log.add_line(bot_id, user_id, ChatLine("system", note, now_ms()))
            await self.log.update(bot_id, user_id, ChatUpdate(status="closed", warning=note))
        else:
            seconds = int(notice.remaining.total_seconds())
            warning = (
                f"The pause lapses in {seconds} s unless a message is sent: reply to keep the chat."
            )
            await self.log.update(bot_id, user_id, ChatUpdate(warning=warning))
        await self.changed(bot_id, user_id)

    # -- what agents do --------------------------------------------------------

    async def conversation_json(self, bot_id: str, user_id: str) -> dict[str, Any] | None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            return None
        data = record.to_dict()
        # A MemoryStore answers at once; a Redis store is awaited.
        if isinstance(self.store, MemoryStore):
            state = self.store.get(bot_id, user_id)
        else:
            state = await self.store.get(bot_id, user_id)
        expires = state.expires_at if state is not None and state.paused else None
        data["expiresAt"] = expires.isoformat() if expires is not None else None
        data["minutesPaused"] = state.minutes_paused if state is not None else 0
        return data

    async def open(self, bot_id: str, user_id: str, agent: str) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise NotFoundError
        if record.status == "closed":
            raise ConflictError("This chat has ended.")
        if record.status == "active" and record.agent == agent:
            return
        # Shows "You are now chatting with an Agent." with the agent's name.
        await self.chat(bot_id, user_id).pause(agent_name=agent)
        await self.log.update(
            bot_id, user_id, ChatUpdate(status="active", agent=agent, clear_warning=True)
        )
        await self.log.add_line(
            bot_id, user_id, ChatLine("system", f"{agent} joined the chat.", now_ms())
        )
        await self.changed(bot_id, user_id)

    async def reply(self, bot_id: str, user_id: str, agent: str, text: str) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise NotFoundError
        if record.status == "closed":
            raise ConflictError("This chat has ended.")
        if record.status == "waiting" or record.agent != agent:
            await self.open(bot_id, user_id, agent)
        await self.typing.stop((bot_id, user_id))
        await self.chat(bot_id, user_id).send_message(text)  # stops the typing keepalive too
        await self.log.add_line(bot_id, user_id, ChatLine("agent", text, now_ms(), agent))
        await self.log.update(bot_id, user_id, ChatUpdate(clear_warning=True))
        await self.changed(bot_id, user_id)

    async def set_typing(self, bot_id: str, user_id: str, active: bool) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise NotFoundError
        if active and record.status == "active":
            self.typing.poke(self.chat(bot_id, user_id))
        else:
            await self.typing.stop((bot_id, user_id))

    async def finish(self, bot_id: str, user_id: str, *, hand_back: bool) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise NotFoundError
        if record.status == "closed":
            return
        await self.typing.stop((bot_id, user_id))
        chat = self.chat(bot_id, user_id)
        # Hand back: "NAME has left the conversation..." is shown; End: nothing is.
        await chat.resume(unpause_event="default" if hand_back else "none")
        note = "Handed back to the bot." if hand_back else "Chat ended."
        await self.log.add_line(bot_id, user_id, ChatLine("system", note, now_ms()))
        await self.log.update(bot_id, user_id, ChatUpdate(status="closed", clear_warning=True))
        self._chats.pop((bot_id, user_id), None)
        await self.changed(bot_id, user_id)

    async def aclose(self) -> None:
        await self.typing.stop_all()
        await self.client.aclose()
        await self.log.aclose()
        closer = getattr(self.store, "aclose", None)
        if closer is not None:
            await closer()


class NotFoundError(Exception):
    """No such conversation."""


class ConflictError(Exception):
    """The conversation has ended."""
