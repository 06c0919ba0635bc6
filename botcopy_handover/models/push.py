"""Events you push to Botcopy's endpoint, validated before they leave.

Each event serialises to exactly the JSON of the spec (``to_dict``/``to_json``);
building an invalid one raises :class:`~botcopy_handover.InvalidEventError`::

    >>> MessageEvent(user_id="u1", bot_id="b1", text="Hi!").to_dict()
    {'eventType': 'message', 'userId': 'u1', 'botId': 'b1', 'paused': True, 'minutesPaused': 10, 'text': 'Hi!'}
"""  # noqa: E501

from __future__ import annotations

import json
import re
from abc import abstractmethod
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from botcopy_handover._errors import ErrorDetail, InvalidEventError
from botcopy_handover.models._base import error_details, load_object
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED, MAX_MINUTES_PAUSED

__all__ = [
    "EventType",
    "MessageEvent",
    "PauseEvent",
    "PushEvent",
    "ResumeEvent",
    "TypingEvent",
    "parse_push_event",
]

EventType = Literal["message", "channel_update", "user_typing"]
"""The push endpoint's ``eventType`` values."""

_Id = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"\S")]
_Minutes = Annotated[int, Field(gt=0, le=MAX_MINUTES_PAUSED)]
_EVENT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,149}")


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an absolute http(s) URL")
    return value


def _check_unpause(value: str) -> str:
    if not _EVENT_NAME.fullmatch(value):
        raise ValueError(
            'must be "default", "none" or a Dialogflow event name '
            "(letters, digits, '_', '-', '.'; at most 150 characters)"
        )
    return value


_Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_check_text)]
_OptionalName = Annotated[str, StringConstraints(min_length=1, max_length=256)] | None
_OptionalUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_check_url)] | None


class _PushEventBase(BaseModel):
    """Fields and behaviour every push event shares."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)

    event_type: ClassVar[EventType]
    paused: ClassVar[bool]

    user_id: _Id
    """The customer, as sent in the webhook's ``userId``."""
    bot_id: _Id
    """The bot, as sent in the webhook's ``botId``."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InvalidEventError(f"Invalid {type(self).__name__}", error_details(exc)) from None

    @property
    def customer(self) -> tuple[str, str]:
        """``(bot_id, user_id)``: the key that names this customer's conversation."""
        return (self.bot_id, self.user_id)

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it."""

    def to_json(self) -> bytes:
        """The event's wire JSON, compact, UTF-8."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()


class MessageEvent(_PushEventBase):
    """An agent's message to the customer (``eventType: message``)."""

    event_type: ClassVar[EventType] = "message"
    paused: ClassVar[bool] = True

    text: _Text
    """The message text; not empty."""
    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """Pushes the pause expiry back to this many minutes from now."""

    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it."""
        return {
            "eventType": "message",
            "userId": self.user_id,
            "botId": self.bot_id,
            "paused": True,
            "minutesPaused": self.minutes_paused,
            "text": self.text,
        }


class PauseEvent(_PushEventBase):
    """Tell the customer an agent has joined (``channel_update`` with ``paused: true``).

    Botcopy shows "You are now chatting with an Agent." and, when given, the
    agent's name and avatar.
    """

    event_type: ClassVar[EventType] = "channel_update"
    paused: ClassVar[bool] = True

    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """How long the pause lasts without further messages."""
    agent_name: _OptionalName = None
    """The agent's name, shown in the snackbar."""
    agent_avatar_url: _OptionalUrl = None
    """An absolute http(s) URL of the agent's picture."""

    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it."""
        data: dict[str, Any] = {
            "eventType": "channel_update",
            "userId": self.user_id,
            "botId": self.bot_id,
            "paused": True,
            "minutesPaused": self.minutes_paused,
        }
        profile: dict[str, str] = {}
        if self.agent_name is not None:
            profile["name"] = self.agent_name
        if self.agent_avatar_url is not None:
            profile["avatarUrl"] = self.agent_avatar_url
        if profile:
            data["agentProfile"] = profile
        return data


class ResumeEvent(_PushEventBase):
    """Hand the customer back to the bot (``channel_update`` with ``paused: false``).

    ``unpause_event``: ``None`` or ``"default"`` shows "NAME has left the
    conversation..."; ``"none"`` shows nothing; any other value names a
    Dialogflow event to fire as the bot resumes.
    """

    event_type: ClassVar[EventType] = "channel_update"
    paused: ClassVar[bool] = False

    unpause_event: Annotated[str, AfterValidator(_check_unpause)] | None = None
    """``"default"``, ``"none"``, a Dialogflow event name, or ``None`` (left out)."""

    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it."""
        data: dict[str, Any] = {
            "eventType": "channel_update",
            "userId": self.user_id,
            "botId": self.bot_id,
            "paused": False,
        }
        if self.unpause_event is not None:
            data["unpauseChatEvent"] = self.unpause_event
        return data


class TypingEvent(_PushEventBase):
    """Show the typing indicator; it vanishes after 10 s (``eventType: user_typing``)."""

    event_type: ClassVar[EventType] = "user_typing"
    paused: ClassVar[bool] = True

    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """Pushes the pause expiry back to this many minutes from now."""

    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it."""
        return {
            "eventType": "user_typing",
            "userId": self.user_id,
            "botId": self.bot_id,
            "paused": True,
            "minutesPaused": self.minutes_paused,
        }


PushEvent = MessageEvent | PauseEvent | ResumeEvent | TypingEvent
"""Any event the push endpoint accepts."""

# wire name -> (attribute name, required?) for each event, for parse_push_event.
_WIRE_FIELDS: dict[str, dict[str, str]] = {
    "message": {"userId": "user_id", "botId": "bot_id", "text": "text"},
    "pause": {"userId": "user_id", "botId": "bot_id"},
    "resume": {"userId": "user_id", "botId": "bot_id", "unpauseChatEvent": "unpause_event"},
    "user_typing": {"userId": "user_id", "botId": "bot_id"},
}


def _invalid(path: str, message: str, type_: str) -> InvalidEventError:
    return InvalidEventError("Invalid push event", (ErrorDetail(path, message, type_),))


def parse_push_event(data: bytes | str | Mapping[str, Any]) -> PushEvent:
    """Read a push event from its wire JSON, as strictly as a careful server would.

    The inverse of ``to_dict``: every field is checked and an unknown field is
    an error. The local emulator uses it to validate what your proxy sends.

    Raises:
        InvalidEventError: the body is not a valid push event; ``errors`` says
            which field (by wire name) and why.

    """
    obj = load_object(data, "Push event", InvalidEventError)
    event_type = obj.get("eventType")
    paused = obj.get("paused")
    if event_type not in ("message", "channel_update", "user_typing"):
        raise _invalid("eventType", 'must be "message", "channel_update" or "user_typing"', "enum")
    if not isinstance(paused, bool):
        raise _invalid("paused", "must be true or false", "bool_type")
    if event_type != "channel_update" and not paused:
        raise _invalid("paused", f"must be true for {event_type}", "literal_error")

    kind = "user_typing" if event_type == "user_typing" else event_type
    if event_type == "channel_update":
        kind = "pause" if paused else "resume"
    fields = dict(_WIRE_FIELDS[kind])
    if paused:
        fields["minutesPaused"] = "minutes_paused"
    known = {"eventType", "paused", *fields}
    if kind == "pause":
        known.add("agentProfile")
    for key in obj:
        if key not in known:
            raise _invalid(str(key), f"is not a field of a {event_type} event", "extra_forbidden")

    kwargs: dict[str, Any] = {attr: obj[wire] for wire, attr in fields.items() if wire in obj}
    if paused and "minutesPaused" not in obj:
        raise _invalid("minutesPaused", "Field required while paused", "missing")
    if kind == "pause" and "agentProfile" in obj:
        profile = obj["agentProfile"]
        if not isinstance(profile, Mapping):
            raise _invalid("agentProfile", "must be an object", "dict_type")
        for key in profile:
            if key not in ("name", "avatarUrl"):
                raise _invalid(
                    f"agentProfile.{key}", "is not a field of agentProfile", "extra_forbidden"
                )
        kwargs["agent_name"] = profile.get("name")
        kwargs["agent_avatar_url"] = profile.get("avatarUrl")

    models: dict[str, type[_PushEventBase]] = {
        "message": MessageEvent,
        "pause": PauseEvent,
        "resume": ResumeEvent,
        "user_typing": TypingEvent,
    }
    model = models[kind]
    wire_name = {attr: wire for wire, attr in fields.items()}
    wire_name.update(
        {"agent_name": "agentProfile.name", "agent_avatar_url": "agentProfile.avatarUrl"}
    )
    try:
        return model(**kwargs)  # type: ignore[return-value]
    except InvalidEventError as exc:
        raise InvalidEventError(
            "Invalid push event",
            tuple(
                ErrorDetail(wire_name.get(e.path, e.path), e.message, e.type) for e in exc.errors
            ),
        ) from None
