"""Type-checked, never run: a store may spell out ``record_pause``'s agent keywords.

The protocols take the agent as ``**agent: Unpack[AgentProfile]``; a store
written with ``agent_name`` and ``agent_avatar_url`` as plain keywords still
fits them, and one that drops a keyword does not (its ``# type: ignore`` would
be unused, and mypy would fail, were it accepted).
"""

# pyright: reportUnnecessaryTypeIgnoreComment=true

from __future__ import annotations

from botcopy_handover import MemoryStore
from botcopy_handover.state import AgentProfile, ConversationState, ConversationStore


class SpeltOut(MemoryStore):
    def record_pause(
        self,
        bot_id: str,
        user_id: str,
        *,
        minutes: int,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
    ) -> ConversationState:
        return super().record_pause(
            bot_id,
            user_id,
            minutes=minutes,
            agent_name=agent_name,
            agent_avatar_url=agent_avatar_url,
        )


class NoAvatar(MemoryStore):
    def record_pause(  # type: ignore[override]
        self, bot_id: str, user_id: str, *, minutes: int, agent_name: str | None = None
    ) -> ConversationState:
        return super().record_pause(bot_id, user_id, minutes=minutes, agent_name=agent_name)


def check_calls(store: ConversationStore, profile: AgentProfile) -> None:
    accepted: ConversationStore = SpeltOut()
    accepted.record_pause("b", "u", minutes=5, agent_name="Dana")
    store.record_pause("b", "u", minutes=5, **profile)
    store.record_pause("b", "u", minutes=5, agent_nam="Dana")  # type: ignore[call-arg]
    store.record_pause("b", "u", minutes=5, agent_name=7)  # type: ignore[arg-type]
