"""Events you push to Botcopy's endpoint, validated before they leave.

Each event serialises to exactly the JSON of the spec (``to_dict``/``to_json``);
building an invalid one raises [`InvalidEventError`][botcopy_handover.InvalidEventError]::

    >>> MessageEvent(user_id="u1", bot_id="b1", text="Hi!").to_dict()
    {'eventType': 'message', 'userId': 'u1', 'botId': 'b1', 'paused': True, 'minutesPaused': 10, 'text': 'Hi!'}
"""  # noqa: E501

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasPath,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel

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
    """Fields and behaviour every push event shares.

    Each field's wire name is its pydantic alias (camelCase of the attribute,
    or an explicit ``alias``/``validation_alias``), declared once on the field;
    ``to_dict`` and ``parse_push_event`` both read it.
    Constructors take the attribute names only.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=False,
        loc_by_alias=False,
        defer_build=True,
    )

    event_type: ClassVar[EventType]
    paused: ClassVar[bool]
    # (wire key, attribute or None for a class constant, value, parent object or None),
    # in wire order; built once per class from the aliases.
    _wire_plan: ClassVar[tuple[tuple[str, str | None, Any, str | None], ...]] = ()
    # attribute -> its wire path (``agentProfile.name``), for error messages.
    _wire_paths: ClassVar[dict[str, str]] = {}

    user_id: _Id
    """The customer, as sent in the webhook's ``userId``."""
    bot_id: _Id
    """The bot, as sent in the webhook's ``botId``."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields: list[tuple[str, str | None, Any, str | None]] = []
        paths: dict[str, str] = {}
        for attr, info in cls.model_fields.items():
            wire = info.validation_alias if info.validation_alias is not None else info.alias
            if isinstance(wire, AliasPath):
                parent, key = (str(part) for part in wire.path)
                fields.append((key, attr, None, parent))
                paths[attr] = f"{parent}.{key}"
            else:
                assert isinstance(wire, str)
                fields.append((wire, attr, None, None))
                paths[attr] = wire
        # eventType first, paused after the ids, as the spec's examples order them.
        shared = len(_PushEventBase.model_fields)
        cls._wire_plan = (
            ("eventType", None, cls.event_type, None),
            *fields[:shared],
            ("paused", None, cls.paused, None),
            *fields[shared:],
        )
        cls._wire_paths = paths

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise InvalidEventError(f"Invalid {type(self).__name__}", error_details(exc)) from None

    @property
    def customer(self) -> tuple[str, str]:
        """``(bot_id, user_id)``: the key that names this customer's conversation."""
        return (self.bot_id, self.user_id)

    def to_dict(self) -> dict[str, Any]:
        """The event's wire JSON as a dict, exactly as the spec names it.

        Fields left ``None`` are left out; an object (``agentProfile``) appears
        only when one of its fields is set.
        """
        values = self.__dict__
        data: dict[str, Any] = {}
        for key, attr, constant, parent in self._wire_plan:
            value = constant if attr is None else values[attr]
            if value is None:
                continue
            if parent is None:
                data[key] = value
            else:
                data.setdefault(parent, {})[key] = value
        return data

    def to_json(self) -> bytes:
        """The event's wire JSON, compact, UTF-8."""
        return _encode(self.to_dict()).encode()


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class MessageEvent(_PushEventBase):
    """An agent's message to the customer (``eventType: message``)."""

    event_type: ClassVar[EventType] = "message"
    paused: ClassVar[bool] = True

    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """Pushes the pause expiry back to this many minutes from now."""
    text: _Text
    """The message text; not empty."""


class PauseEvent(_PushEventBase):
    """Tell the customer an agent has joined (``channel_update`` with ``paused: true``).

    Botcopy shows "You are now chatting with an Agent." and, when given, the
    agent's name and avatar.
    """

    event_type: ClassVar[EventType] = "channel_update"
    paused: ClassVar[bool] = True

    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """How long the pause lasts without further messages."""
    agent_name: _OptionalName = Field(None, validation_alias=AliasPath("agentProfile", "name"))
    """The agent's name, shown in the snackbar (``agentProfile.name``)."""
    agent_avatar_url: _OptionalUrl = Field(
        None, validation_alias=AliasPath("agentProfile", "avatarUrl")
    )
    """An absolute http(s) URL of the agent's picture (``agentProfile.avatarUrl``)."""


class ResumeEvent(_PushEventBase):
    """Hand the customer back to the bot (``channel_update`` with ``paused: false``).

    ``unpause_event``: ``None`` or ``"default"`` shows "NAME has left the
    conversation..."; ``"none"`` shows nothing; any other value names a
    Dialogflow event to fire as the bot resumes.
    """

    event_type: ClassVar[EventType] = "channel_update"
    paused: ClassVar[bool] = False

    unpause_event: Annotated[str, AfterValidator(_check_unpause)] | None = Field(
        None, alias="unpauseChatEvent"
    )
    """``"default"``, ``"none"``, a Dialogflow event name, or ``None`` (left out)."""


class TypingEvent(_PushEventBase):
    """Show the typing indicator; it vanishes after 10 s (``eventType: user_typing``)."""

    event_type: ClassVar[EventType] = "user_typing"
    paused: ClassVar[bool] = True

    minutes_paused: _Minutes = DEFAULT_MINUTES_PAUSED
    """Pushes the pause expiry back to this many minutes from now."""


PushEvent = MessageEvent | PauseEvent | ResumeEvent | TypingEvent
"""Any event the push endpoint accepts."""


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
    model = _MODELS[(event_type, paused)]

    # The wire keys and the objects they sit in, from the model's aliases.
    top: set[str] = {"eventType", "paused"}
    nested: dict[str, set[str]] = {}
    for key, _, _, parent in model._wire_plan:
        if parent is None:
            top.add(key)
        else:
            top.add(parent)
            nested.setdefault(parent, set()).add(key)
    for key in obj:
        if key not in top:
            raise _invalid(str(key), f"is not a field of a {event_type} event", "extra_forbidden")
    for parent, keys in nested.items():
        if parent not in obj:
            continue
        inner = obj[parent]
        if not isinstance(inner, Mapping):
            raise _invalid(parent, "must be an object", "dict_type")
        for key in inner:
            if key not in keys:
                raise _invalid(f"{parent}.{key}", f"is not a field of {parent}", "extra_forbidden")
    # Optional when you build an event, but a sender must always say how long.
    if paused and model._wire_paths["minutes_paused"] not in obj:
        raise _invalid(
            model._wire_paths["minutes_paused"], "Field required while paused", "missing"
        )

    kwargs: dict[str, Any] = {}
    for key, attr, _, parent in model._wire_plan:
        source = obj if parent is None else obj.get(parent, {})
        if attr is not None and key in source:
            kwargs[attr] = source[key]
    try:
        return model(**kwargs)  # type: ignore[return-value]
    except InvalidEventError as exc:
        raise InvalidEventError(
            "Invalid push event",
            tuple(
                ErrorDetail(model._wire_paths.get(e.path, e.path), e.message, e.type)
                for e in exc.errors
            ),
        ) from None


_MODELS: dict[tuple[str, bool], type[_PushEventBase]] = {
    (event.event_type, event.paused): event
    for event in (MessageEvent, PauseEvent, ResumeEvent, TypingEvent)
}
