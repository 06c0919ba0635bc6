"""What every store shares: argument checks, and the record's flat encoding.

The Redis stores (sync and async) keep a conversation as a Redis hash that
their Lua scripts (``state/_lua.py``) write; `decode_fields` reads such a
hash back into a ``ConversationState``, and `to_ms`/`from_ms` are
the millisecond timestamps the scripts store. The memory store keeps its own
records and shares only the argument checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from botcopy_handover._errors import InvalidEventError, StoreError
from botcopy_handover.models.replies import check_minutes
from botcopy_handover.state._store import AgentProfile, ConversationState

__all__ = [
    "check_customer",
    "check_duration",
    "check_ids",
    "check_minutes_arg",
    "check_profile",
    "check_text",
    "decode_fields",
    "from_ms",
    "to_ms",
]


def check_text(value: object, name: str) -> str:
    """``value`` if it is a non-empty ``str``, else a [`StoreError`][botcopy_handover.StoreError] naming ``name``."""  # noqa: E501 - a link in the summary
    if not isinstance(value, str) or not value:
        raise StoreError(f"{name} must be a non-empty string")
    return value


def check_customer(bot_id: object, user_id: object) -> tuple[str, str]:
    """``(bot_id, user_id)`` checked as non-empty strings."""
    return check_text(bot_id, "bot_id"), check_text(user_id, "user_id")


def check_minutes_arg(minutes: object) -> int:
    """``minutes`` checked as a pause length the SDK would send."""
    try:
        return check_minutes(minutes)
    except InvalidEventError as exc:
        raise StoreError(f"minutes {exc.errors[0].message}") from None


def check_profile(agent: AgentProfile) -> tuple[str | None, str | None]:
    """``(agent_name, agent_avatar_url)`` of ``record_pause``'s agent keywords, checked.

    The keywords arrive as ``**agent``, so Python no longer refuses a
    misspelt one: this does, as a [`StoreError`][botcopy_handover.StoreError].
    """
    unknown = sorted(set(agent) - {"agent_name", "agent_avatar_url"})
    if unknown:
        raise StoreError(
            f"record_pause() got an unexpected keyword argument {unknown[0]!r} "
            "(an agent is agent_name and agent_avatar_url)"
        )
    name, avatar = agent.get("agent_name"), agent.get("agent_avatar_url")
    for key, value in (("agent_name", name), ("agent_avatar_url", avatar)):
        if not (value is None or isinstance(value, str)):
            raise StoreError(f"{key} must be a string or None")
    return name, avatar


def check_duration(value: object, name: str) -> timedelta:
    """``value`` if it is a ``timedelta`` (zero or more), else a [`StoreError`][botcopy_handover.StoreError]."""  # noqa: E501 - a link in the summary
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise StoreError(f"{name} must be a timedelta of zero or more")
    return value


def check_ids(ids: Iterable[str]) -> list[str]:
    """History ids checked as non-empty strings, duplicates within the call dropped."""
    if isinstance(ids, (str, bytes)):
        raise StoreError("ids must be an iterable of strings, not a single string")
    seen: dict[str, None] = {}
    for item in ids:
        seen[check_text(item, "history id")] = None
    return list(seen)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware ``datetime``."""
    if moment.tzinfo is None:
        raise StoreError("the store's clock must return timezone-aware datetimes")
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """The aware UTC ``datetime`` of a millisecond timestamp."""
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def _text(fields: Mapping[str, str], key: str) -> str | None:
    value = fields.get(key)
    return value if value else None


def decode_fields(fields: Mapping[str, str]) -> ConversationState:
    """Read a record from its flat string fields (a Redis hash, or the memory store's dict)."""
    try:
        paused = fields.get("paused") == "1"
        expires = fields.get("expires_ms")
        updated = fields.get("updated_ms")
        return ConversationState(
            bot_id=fields["bot_id"],
            user_id=fields["user_id"],
            paused=paused,
            minutes_paused=int(fields.get("minutes") or 0) if paused else 0,
            expires_at=from_ms(int(expires)) if paused and expires else None,
            agent_name=_text(fields, "agent_name"),
            agent_avatar_url=_text(fields, "agent_avatar_url"),
            ticket_id=_text(fields, "ticket_id"),
            last_history_id=_text(fields, "last_history_id"),
            updated_at=from_ms(int(updated)) if updated else None,
        )
    except (KeyError, ValueError) as exc:
        raise StoreError(f"unreadable conversation record ({type(exc).__name__})") from None
