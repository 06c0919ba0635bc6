"""What a webhook reply or a push tells the store: decided once, for sync and async.

These are the hooks ``Webhook`` and the push clients call when given
``store=``; call them yourself if you answer or push by other means.

=====================================  ==========================================
reply or push                          store call
=====================================  ==========================================
``Pause(minutes)`` to either body      ``record_pause(minutes=...)``
``End()``                              ``record_resume``
``Continue()`` to a customer message   ``record_resume`` (the bot answers again)
``Continue()`` to a handover request   nothing: no live chat began
``MessageEvent`` / ``TypingEvent``     ``record_pause(minutes=event.minutes_paused)``
``PauseEvent``                         ``record_pause`` with the agent profile
``ResumeEvent``                        ``record_resume``
=====================================  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass

from botcopy_handover.models.push import PauseEvent, PushEvent, ResumeEvent
from botcopy_handover.models.replies import Continue, End, Pause, Reply
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.state._adapt import as_async_store, as_sync_store
from botcopy_handover.state._store import (
    AsyncConversationStore,
    ConversationState,
    ConversationStore,
)
from botcopy_handover.state.memory import MemoryStore

__all__ = ["arecord_push", "arecord_reply", "record_push", "record_reply"]


@dataclass(frozen=True, slots=True)
class _Change:
    bot_id: str
    user_id: str
    pause_minutes: int | None  # None: resume
    agent_name: str | None = None
    agent_avatar_url: str | None = None


def _for_reply(event: HandoverRequest | CustomerMessage, reply: Reply) -> _Change | None:
    if isinstance(reply, Pause):
        return _Change(event.bot_id, event.user_id, reply.minutes)
    if isinstance(reply, End) or (
        isinstance(reply, Continue) and isinstance(event, CustomerMessage)
    ):
        return _Change(event.bot_id, event.user_id, None)
    return None


def _for_push(event: PushEvent) -> _Change:
    if isinstance(event, ResumeEvent):
        return _Change(event.bot_id, event.user_id, None)
    if isinstance(event, PauseEvent):
        return _Change(
            event.bot_id,
            event.user_id,
            event.minutes_paused,
            event.agent_name,
            event.agent_avatar_url,
        )
    return _Change(event.bot_id, event.user_id, event.minutes_paused)


def _apply(store: ConversationStore, change: _Change | None) -> ConversationState | None:
    if change is None:
        return None
    if change.pause_minutes is None:
        return store.record_resume(change.bot_id, change.user_id)
    return store.record_pause(
        change.bot_id,
        change.user_id,
        minutes=change.pause_minutes,
        agent_name=change.agent_name,
        agent_avatar_url=change.agent_avatar_url,
    )


async def _aapply(
    store: AsyncConversationStore, change: _Change | None
) -> ConversationState | None:
    if change is None:
        return None
    if change.pause_minutes is None:
        return await store.record_resume(change.bot_id, change.user_id)
    return await store.record_pause(
        change.bot_id,
        change.user_id,
        minutes=change.pause_minutes,
        agent_name=change.agent_name,
        agent_avatar_url=change.agent_avatar_url,
    )


def record_reply(
    store: ConversationStore, event: HandoverRequest | CustomerMessage, reply: Reply
) -> ConversationState | None:
    """Record the reply given to a webhook body; the new state, or ``None`` if nothing changed."""
    return _apply(as_sync_store(store), _for_reply(event, reply))


def record_push(store: ConversationStore, event: PushEvent) -> ConversationState:
    """Record a push Botcopy accepted; the new state."""
    state = _apply(as_sync_store(store), _for_push(event))
    assert state is not None
    return state


async def arecord_reply(
    store: AsyncConversationStore | MemoryStore,
    event: HandoverRequest | CustomerMessage,
    reply: Reply,
) -> ConversationState | None:
    """`record_reply` for async code (an async store, or a ``MemoryStore``)."""
    return await _aapply(as_async_store(store), _for_reply(event, reply))


async def arecord_push(
    store: AsyncConversationStore | MemoryStore, event: PushEvent
) -> ConversationState:
    """`record_push` for async code (an async store, or a ``MemoryStore``)."""
    state = await _aapply(as_async_store(store), _for_push(event))
    assert state is not None
    return state
