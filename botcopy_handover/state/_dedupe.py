"""Duplicate and order safety: the same webhook body twice, the same history twice.

* **Bodies.** Botcopy's Step Two body has no message id, and a customer's
  retry or two replicas racing on one delivery look the same. A body's
  fingerprint is the SHA-256 of its parsed content as canonical JSON (sorted
  keys, no whitespace), **without the access token**, which rotates and is no
  part of the message. Two bodies with the same fingerprint within a short
  window (default `DEFAULT_DUPLICATE_WINDOW`) are one delivery. The
  price: a customer who really sends the same text twice within the window is
  forwarded once. Keep the window short.
* **History.** Each Step One call carries the whole history again. Items are
  remembered by id (``_id``; an item without one by the fingerprint of its raw
  content), so a desk shown the history once is shown only what is new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from botcopy_handover.models.history import HistoryItem, UnknownHistoryItem
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.state._adapt import as_async_store, as_sync_store
from botcopy_handover.state._core import check_duration
from botcopy_handover.state._store import AsyncConversationStore, ConversationStore
from botcopy_handover.state.memory import MemoryStore

__all__ = [
    "DEFAULT_DUPLICATE_WINDOW",
    "AsyncDeduplicator",
    "Deduplicator",
    "body_fingerprint",
    "history_key",
]

DEFAULT_DUPLICATE_WINDOW = timedelta(seconds=10)
"""How long a webhook body counts as already seen."""


def _digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def body_fingerprint(event: HandoverRequest | CustomerMessage) -> str:
    """A stable fingerprint of a webhook body: same content, same fingerprint.

    SHA-256 (hex) of the parsed body as canonical JSON, without the access
    token. Key order, whitespace and unknown-field order make no difference;
    any change to the customer, session, text or history does.

    Examples:
        >>> from botcopy_handover import parse_webhook
        >>> body = b'{"userId": "u", "botId": "b", "queryInput": {"text": {"text": "hi"}}}'
        >>> body_fingerprint(parse_webhook(body)) == body_fingerprint(parse_webhook(body + b" "))
        True

    """
    # The kind is part of the identity: the same ids and text as Step One and
    # as Step Two are different deliveries.
    return _digest([type(event).__name__, event.model_dump(mode="json", by_alias=True)])


def history_key(item: HistoryItem) -> str:
    """The key a history item is remembered by: its id, else a fingerprint of its content."""
    if isinstance(item, UnknownHistoryItem):
        if item.id:
            return item.id
        return "sha256:" + _digest(item.model_dump(mode="json", by_alias=True))
    return item.id


def _claim_token(event: HandoverRequest | CustomerMessage) -> str:
    return f"body:{body_fingerprint(event)}"


def _item_keys(event: HandoverRequest) -> list[str]:
    return [history_key(item) for item in event.history]


def _pick(event: HandoverRequest, item_keys: list[str], new: list[str]) -> list[HistoryItem]:
    fresh = set(new)
    return [item for item, key in zip(event.history, item_keys, strict=True) if key in fresh]


class Deduplicator:
    """Tells a repeated webhook body, and history already seen, using a store.

    Shares what it has seen through the store, so replicas agree.

    Args:
        store: A synchronous store ([`MemoryStore`][botcopy_handover.MemoryStore],
            [`RedisStore`][botcopy_handover.RedisStore]).
        window: How long a body counts as already seen.

    """

    def __init__(
        self, store: ConversationStore, *, window: timedelta = DEFAULT_DUPLICATE_WINDOW
    ) -> None:
        self.store: ConversationStore = as_sync_store(store)
        self.window: timedelta = check_duration(window, "window")

    def is_duplicate(self, event: HandoverRequest | CustomerMessage) -> bool:
        """Whether the same body was seen within the window; the first sighting returns ``False``.

        Check-and-remember is one atomic step, so of two replicas given the
        same body at once exactly one gets ``False``.
        """
        return not self.store.claim(_claim_token(event), self.window)

    def new_history(self, event: HandoverRequest) -> list[HistoryItem]:
        """The event's history items not seen in an earlier Step One, in Botcopy's order."""
        item_keys = _item_keys(event)
        new = self.store.remember_history(event.bot_id, event.user_id, item_keys)
        return _pick(event, item_keys, new)


class AsyncDeduplicator:
    """[`Deduplicator`][botcopy_handover.state.Deduplicator] for asyncio code.

    Args:
        store: An async store ([`AsyncRedisStore`][botcopy_handover.AsyncRedisStore]) or
            a [`MemoryStore`][botcopy_handover.MemoryStore].
        window: How long a body counts as already seen.

    """

    def __init__(
        self,
        store: AsyncConversationStore | MemoryStore,
        *,
        window: timedelta = DEFAULT_DUPLICATE_WINDOW,
    ) -> None:
        self.store: AsyncConversationStore = as_async_store(store)
        self.window: timedelta = check_duration(window, "window")

    async def is_duplicate(self, event: HandoverRequest | CustomerMessage) -> bool:
        """Whether the same body was seen within the window (see [`Deduplicator`][botcopy_handover.state.Deduplicator])."""  # noqa: E501 - a link in the summary
        return not await self.store.claim(_claim_token(event), self.window)

    async def new_history(self, event: HandoverRequest) -> list[HistoryItem]:
        """The event's history items not seen in an earlier Step One, in Botcopy's order."""
        item_keys = _item_keys(event)
        new = await self.store.remember_history(event.bot_id, event.user_id, item_keys)
        return _pick(event, item_keys, new)
