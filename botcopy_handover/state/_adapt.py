"""Let async code take a [`MemoryStore`][botcopy_handover.MemoryStore] as it takes an async store."""  # noqa: E501 - a link in the summary

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, cast

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.state._store import (
    AsyncConversationStore,
    Clock,
    ConversationStore,
)
from botcopy_handover.state.memory import MemoryStore

__all__ = ["as_async_store", "as_sync_store"]


_OPERATIONS = (
    "get",
    "record_pause",
    "touch",
    "record_resume",
    "record_lapse",
    "link_ticket",
    "find_by_ticket",
    "remember_history",
    "expiring",
    "claim",
    "delete",
)
"""The operations of a store (both protocols): the wrapper awaits each one."""


class _MemoryAsAsync:
    """A `MemoryStore` seen through `AsyncConversationStore`.

    Each operation of the protocol is the memory store's own, as a coroutine
    function (made below, so the signatures stay written once, in
    [`MemoryStore`][botcopy_handover.MemoryStore]). Calls go straight through, on
    the event loop: the memory store holds its lock for a few dictionary
    operations only, so a thread hop would cost more than it saves.
    """

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    @property
    def clock(self) -> Clock:
        return self.store.clock

    def __repr__(self) -> str:
        return repr(self.store)


def _awaitable(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def operation(self: _MemoryAsAsync, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.store, name)(*args, **kwargs)

    operation.__name__ = name
    operation.__qualname__ = f"_MemoryAsAsync.{name}"
    operation.__doc__ = getattr(MemoryStore, name).__doc__
    return operation


for _name in _OPERATIONS:
    setattr(_MemoryAsAsync, _name, _awaitable(_name))


def as_async_store(store: ConversationStore | AsyncConversationStore) -> AsyncConversationStore:
    """``store`` as an async store: async stores as they are, a `MemoryStore` wrapped.

    Raises:
        ConfigurationError: ``store`` is synchronous and would block the event
            loop on I/O (for example a [`RedisStore`][botcopy_handover.RedisStore]: use
            [`AsyncRedisStore`][botcopy_handover.AsyncRedisStore] in async code).

    """
    if isinstance(store, MemoryStore):
        return cast(AsyncConversationStore, _MemoryAsAsync(store))
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
