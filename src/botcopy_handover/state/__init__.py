"""Conversation state across restarts and replicas.

* :class:`ConversationState`: what a store records per customer.
* :class:`ConversationStore` / :class:`AsyncConversationStore`: the operations.
* :class:`MemoryStore`: one process, the default.
* :class:`~botcopy_handover.state.redis.RedisStore` and
  :class:`~botcopy_handover.state.redis.AsyncRedisStore`: shared by replicas
  (extra ``botcopy-handover[redis]``; imported lazily so redis-py stays optional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botcopy_handover.state._store import (
    DEFAULT_RETENTION,
    AsyncConversationStore,
    Clock,
    ConversationState,
    ConversationStore,
    utc_now,
)
from botcopy_handover.state.memory import MemoryStore

if TYPE_CHECKING:
    from botcopy_handover.state.redis import AsyncRedisStore, RedisStore

__all__ = [
    "DEFAULT_RETENTION",
    "AsyncConversationStore",
    "AsyncRedisStore",
    "Clock",
    "ConversationState",
    "ConversationStore",
    "MemoryStore",
    "RedisStore",
    "utc_now",
]


def __getattr__(name: str) -> Any:
    if name in ("RedisStore", "AsyncRedisStore"):
        from botcopy_handover.state import redis as _redis

        return getattr(_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
