"""Conversation state across restarts and replicas.

* [`ConversationState`][botcopy_handover.state.ConversationState]: what a store records per
  customer.
* [`ConversationStore`][botcopy_handover.state.ConversationStore] /
  [`AsyncConversationStore`][botcopy_handover.state.AsyncConversationStore]: the operations;
  [`AgentProfile`][botcopy_handover.state.AgentProfile]: the agent keywords of ``record_pause``.
* [`MemoryStore`][botcopy_handover.MemoryStore]: one process, the default.
* [`ExpiryWatcher`][botcopy_handover.state.ExpiryWatcher] /
  [`AsyncExpiryWatcher`][botcopy_handover.state.AsyncExpiryWatcher]: call you when a pause
  is about to lapse, and when it has.
* [`Deduplicator`][botcopy_handover.state.Deduplicator] /
  [`AsyncDeduplicator`][botcopy_handover.state.AsyncDeduplicator]: the same body twice, the
  same history twice.
* `record_reply` / `record_push` (and ``arecord_*``): what a
  webhook reply or an accepted push means for the store.
* [`RedisStore`][botcopy_handover.state.redis.RedisStore] and
  [`AsyncRedisStore`][botcopy_handover.state.redis.AsyncRedisStore]: shared by replicas
  (extra ``botcopy-handover[redis]``; imported lazily so redis-py stays optional).
"""

import typing as _typing

from botcopy_handover._lazy import install as _install
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
    AgentProfile,
    AsyncConversationStore,
    Clock,
    ConversationState,
    ConversationStore,
    utc_now,
)
from botcopy_handover.state.memory import MemoryStore

if _typing.TYPE_CHECKING:
    from botcopy_handover.state.redis import AsyncRedisStore, RedisStore

__all__ = [
    "DEFAULT_DUPLICATE_WINDOW",
    "DEFAULT_RETENTION",
    "AgentProfile",
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


# redis-py is an optional extra: imported when a Redis class is first named.
_install(
    globals(), dict.fromkeys(("RedisStore", "AsyncRedisStore"), "botcopy_handover.state.redis")
)
