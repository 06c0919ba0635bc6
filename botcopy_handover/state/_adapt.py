"""Let async code take a [`MemoryStore`][botcopy_handover.MemoryStore] as it takes an async store."""  # noqa: E501 - a link in the summary

from __future__ import annotations

import inspect
from collections.abc import Iterable
from datetime import datetime, timedelta

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.state._store import (
    AsyncConversationStore,
    Clock,
    ConversationState,
    ConversationStore,
)
from botcopy_handover.state.memory import MemoryStore

__all__ = ["as_async_store", "as_sync_store"]


class _MemoryAsAsync:
    """A `MemoryStore` seen through `AsyncConversationStore`.

    Calls go straight through, on the event loop: the memory store holds its
    lock for a few dictionary operations only, so a thread hop would cost more
    than it saves.
    """

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    @property
    def clock(self) -> Clock:
        return self.store.clock

    def __repr__(self) -> str:
        return repr(self.store)

    async def get(self, bot_id: str, user_id: str) -> ConversationState | None:
        return self.store.get(bot_id, user_id)

    async def record_pause(
        self,
        bot_id: str,
        user_id: str,
        *,
        minutes: int,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ConversationState:
        return self.store.record_pause(
            bot_id,
            user_id,
            minutes=minutes,
            agent_name=agent_name,
            agent_avatar_url=agent_avatar_url,
        )

    async def touch(self, bot_id: str, user_id: str) -> ConversationState | None:
        return self.store.touch(bot_id, user_id)

    async def record_resume(self, bot_id: str, user_id: str) -> ConversationState:
        return self.store.record_resume(bot_id, user_id)

    async def record_lapse(self, bot_id: str, user_id: str, expires_at: datetime) -> bool:
        return self.store.record_lapse(bot_id, user_id, expires_at)

    async def link_ticket(self, bot_id: str, user_id: str, ticket_id: str) -> ConversationState:
        return self.store.link_ticket(bot_id, user_id, ticket_id)

    async def find_by_ticket(self, ticket_id: str) -> ConversationState | None:
        return self.store.find_by_ticket(ticket_id)

    async def remember_history(self, bot_id: str, user_id: str, ids: Iterable[str]) -> list[str]:
        return self.store.remember_history(bot_id, user_id, ids)

    async def expiring(self, within: timedelta) -> list[ConversationState]:
        return self.store.expiring(within)

    async def claim(self, token: str, ttl: timedelta) -> bool:
        return self.store.claim(token, ttl)

    async def delete(self, bot_id: str, user_id: str) -> bool:
        return self.store.delete(bot_id, user_id)


def as_async_store(store: ConversationStore | AsyncConversationStore) -> AsyncConversationStore:
    """``store`` as an async store: async stores as they are, a `MemoryStore` wrapped.

    Raises:
        ConfigurationError: ``store`` is synchronous and would block the event
            loop on I/O (for example a [`RedisStore`][botcopy_handover.RedisStore]: use
            [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore] in async code).

    """
    if isinstance(store, MemoryStore):
        return _MemoryAsAsync(store)
    if inspect.iscoroutinefunction(getattr(type(store), "get", None)):
        return store  # type: ignore[return-value]
    raise ConfigurationError(
        f"{type(store).__name__} is synchronous and would block the event loop; "
        "async code takes an async store (such as AsyncRedisStore) or a MemoryStore"
    )


def as_sync_store(store: ConversationStore | AsyncConversationStore) -> ConversationStore:
    """``store`` checked as a synchronous store.

    Raises:
        ConfigurationError: ``store`` is an async store given to sync code.

    """
    if inspect.iscoroutinefunction(getattr(type(store), "get", None)):
        raise ConfigurationError(
            f"{type(store).__name__} is asynchronous; sync code takes a sync store "
            "(such as RedisStore or MemoryStore)"
        )
    return store  # type: ignore[return-value]
