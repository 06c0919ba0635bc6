"""Conversation state across restarts and replicas.

* [`ConversationState`][botcopy_handover.ConversationState]: what a store records per customer.
* [`ConversationStore`][botcopy_handover.ConversationStore] /
[`AsyncConversationStore`][botcopy_handover.AsyncConversationStore]: the operations.
* [`MemoryStore`][botcopy_handover.MemoryStore]: one process, the default.
* [`ExpiryWatcher`][botcopy_handover.ExpiryWatcher] /
  [`AsyncExpiryWatcher`][botcopy_handover.AsyncExpiryWatcher]: call you when a pause
  is about to lapse, and when it has.
* [`Deduplicator`][botcopy_handover.Deduplicator] /
  [`AsyncDeduplicator`][botcopy_handover.AsyncDeduplicator]: the same body twice, the
  same history twice.
* `record_reply` / `record_push` (and ``arecord_*``): what a
  webhook reply or an accepted push means for the store.
* [`RedisStore`][botcopy_handover.state.redis.RedisStore] and
  [`AsyncRedisStore`][botcopy_handover.state.redis.AsyncRedisStore]: shared by replicas
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
