"""Conversation state across restarts and replicas.

* :class:`ConversationState`: what a store records per customer.
* :class:`ConversationStore` / :class:`AsyncConversationStore`: the operations.
* :class:`MemoryStore`: one process, the default.
* :class:`ExpiryWatcher` / :class:`AsyncExpiryWatcher`: call you when a pause
  is about to lapse, and when it has.
* :class:`Deduplicator` / :class:`AsyncDeduplicator`: the same body twice, the
  same history twice.
* :func:`record_reply` / :func:`record_push` (and ``arecord_*``): what a
  webhook reply or an accepted push means for the store.
* :class:`~botcopy_handover.state.redis.RedisStore` and
  :class:`~botcopy_handover.state.redis.AsyncRedisStore`: shared by replicas
  (extra ``botcopy-handover[redis]``; imported lazily so redis-py stays optional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botcopy_handover.state._dedupe import (
    DEFAULT_DUPLICATE_WINDOW,
    AsyncDeduplicator,
    Deduplicator,
    body_fingerprint,
    history_key,
)
from botcopy_handover.state._expiry import AsyncExpiryWatcher, ExpiryNotice, ExpiryWatcher
from botcopy_handover.state._record import (
    arecord_push,
    arecord_reply,
    record_push,
    record_reply,
)
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
    "DEFAULT_DUPLICATE_WINDOW",
    "DEFAULT_RETENTION",
    "AsyncConversationStore",
    "AsyncDeduplicator",
    "AsyncExpiryWatcher",
    "AsyncRedisStore",
    "Clock",
    "ConversationState",
    "ConversationStore",
    "Deduplicator",
    "ExpiryNotice",
    "ExpiryWatcher",
    "MemoryStore",
    "RedisStore",
    "arecord_push",
    "arecord_reply",
    "body_fingerprint",
    "history_key",
    "record_push",
    "record_reply",
    "utc_now",
]


def __getattr__(name: str) -> Any:
    if name in ("RedisStore", "AsyncRedisStore"):
        from botcopy_handover.state import redis as _redis

        return getattr(_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
