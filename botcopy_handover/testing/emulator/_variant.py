"""The emulator's readings of Botcopy's loose document: wire forms and behaviours.

Botcopy's document can be read more than one way. Where the difference is
in *what Botcopy sends* (the shape of a history item, the form of a
Dialogflow response, whether a field is there), a proxy must accept every
form, so the emulator varies them: a `Variant` names one form per
axis or ``"mixed"``, and each new conversation gets one concrete
`Reading`, taken in turn from a seeded shuffle of every combination.

Where the difference is in *what Botcopy does* (with ``{paused: false}``
in Step Two, with an unknown field in a push), the emulator picks one
reading and offers the other in `Readings`.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, fields
from typing import Literal, TypeAlias

from botcopy_handover._errors import ConfigurationError

__all__ = [
    "HistoryPresence",
    "QueryItemForm",
    "Reading",
    "Readings",
    "ResponseForm",
    "SessionIds",
    "Variant",
    "VariantRotation",
]

QueryItemForm: TypeAlias = Literal["nested", "flat"]
"""Kind-1 history items: ``query``, ``lang``, ``sessionId`` under ``payload.queryParameters``
(``nested``, the document's JSON) or directly under ``payload`` (``flat``)."""

ResponseForm: TypeAlias = Literal["rest", "struct"]
"""Dialogflow responses (Step One and history) as REST JSON or in the Node.js client's
protobuf form (``Struct`` as ``fields``/``kind``, oneof siblings)."""

HistoryPresence: TypeAlias = Literal["present", "absent"]
"""Whether Step One carries ``messageHistory`` (storing history is a portal option)."""

SessionIds: TypeAlias = Literal["equal", "differ"]
"""Whether ``sessionId`` equals the tail of ``session`` and the history items' ``sessionId``
(``equal``), or is Botcopy's own id while the other two carry Dialogflow's (``differ``)."""

_AXES: dict[str, tuple[str, ...]] = {
    "query_items": ("nested", "flat"),
    "responses": ("rest", "struct"),
    "history": ("present", "absent"),
    "session_ids": ("equal", "differ"),
}


@dataclass(frozen=True)
class Reading:
    """One concrete form on every axis: what one conversation's webhook calls look like.

    Attributes:
        query_items: ``nested`` or ``flat`` kind-1 history items.
        responses: ``rest`` or ``struct`` Dialogflow responses.
        history: ``present`` or ``absent`` ``messageHistory``.
        session_ids: ``equal`` or ``differ`` session ids.

    """

    query_items: QueryItemForm = "nested"
    responses: ResponseForm = "rest"
    history: HistoryPresence = "present"
    session_ids: SessionIds = "equal"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form, with the wire-style names of the control API."""
        return {
            "queryItems": self.query_items,
            "responses": self.responses,
            "history": self.history,
            "sessionIds": self.session_ids,
        }


@dataclass(frozen=True)
class Variant:
    """Which forms the emulator sends: one reading per axis, or ``"mixed"`` to meet them all.

    The default is ``"mixed"`` on every axis: successive conversations take
    every combination in a seeded order. Pin one axis and leave the rest
    mixed, or pin all four::

        Variant(responses="struct")                  # Node.js form, the rest mixed
        Variant.plain()                              # the document's own reading

    Args:
        query_items: ``"nested"``, ``"flat"`` or ``"mixed"``.
        responses: ``"rest"``, ``"struct"`` or ``"mixed"``.
        history: ``"present"``, ``"absent"`` or ``"mixed"``.
        session_ids: ``"equal"``, ``"differ"`` or ``"mixed"``.

    Raises:
        ConfigurationError: A value is not a reading of its axis.

    """

    query_items: QueryItemForm | Literal["mixed"] = "mixed"
    responses: ResponseForm | Literal["mixed"] = "mixed"
    history: HistoryPresence | Literal["mixed"] = "mixed"
    session_ids: SessionIds | Literal["mixed"] = "mixed"

    def __post_init__(self) -> None:
        for axis, readings in _AXES.items():
            value = getattr(self, axis)
            if value != "mixed" and value not in readings:
                raise ConfigurationError(
                    f"Variant {axis}={value!r}: one of {', '.join(readings)} or 'mixed'"
                )

    @classmethod
    def plain(cls) -> Variant:
        """The document read literally: nested kind-1 items, REST JSON, history, equal ids."""
        return cls("nested", "rest", "present", "equal")

    @classmethod
    def of(cls, value: Variant | Reading | str) -> Variant:
        """A variant from a ``Variant``, a ``Reading``, ``"mixed"`` or ``"plain"``.

        Raises:
            ConfigurationError: An unknown name.

        """
        if isinstance(value, Variant):
            return value
        if isinstance(value, Reading):
            return cls(value.query_items, value.responses, value.history, value.session_ids)
        if value == "mixed":
            return cls()
        if value == "plain":
            return cls.plain()
        raise ConfigurationError(f"Unknown variant {value!r}: 'mixed', 'plain' or a Variant")

    def readings(self) -> list[Reading]:
        """Every concrete reading this variant allows, in a fixed order."""
        choices = [
            _AXES[axis] if getattr(self, axis) == "mixed" else (getattr(self, axis),)
            for axis in _AXES
        ]
        return [Reading(*combo) for combo in itertools.product(*choices)]


class VariantRotation:
    """Hands each new conversation the next reading of its variant, in a seeded order.

    Each variant's readings are shuffled once with the seed; conversations
    take them in turn, so every ``len(variant.readings())`` consecutive
    conversations of one variant meet every combination.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._orders: dict[Variant, list[Reading]] = {}
        self._next: dict[Variant, int] = {}
        self._lock = threading.Lock()

    def next(self, variant: Variant) -> Reading:
        """The next reading of ``variant``."""
        with self._lock:
            order = self._orders.get(variant)
            if order is None:
                order = variant.readings()
                random.Random(self.seed).shuffle(order)  # noqa: S311 - test data, not security
                self._orders[variant] = order
            index = self._next.get(variant, 0)
            self._next[variant] = index + 1
            return order[index % len(order)]

    def reset(self) -> None:
        """Start every rotation again from its first reading."""
        with self._lock:
            self._next.clear()


StepTwoContinue: TypeAlias = Literal["end_pause", "keep_pause"]
StepTwoEnd: TypeAlias = Literal["drop", "forward"]
UnpauseEventBanner: TypeAlias = Literal["hidden", "shown"]
RefuseOrAccept: TypeAlias = Literal["refuse", "accept"]
ReplyStatus: TypeAlias = Literal["200", "2xx"]

_CHOICES: dict[str, tuple[str, ...]] = {
    "step_two_continue": ("end_pause", "keep_pause"),
    "step_two_end": ("drop", "forward"),
    "unpause_event_banner": ("hidden", "shown"),
    "push_unknown_fields": ("refuse", "accept"),
    "push_bearer_key": ("refuse", "accept"),
    "resume_minutes_zero": ("refuse", "accept"),
    "reply_status": ("200", "2xx"),
}


@dataclass(frozen=True)
class Readings:
    """How the emulator reads the places where Botcopy's document can be read two ways.

    Each default is the emulator's reading; the other value is the other
    reading, there so your tests can pin it. The table in the docs'
    "Testing your proxy" page says why each default was chosen.

    Args:
        step_two_continue: ``{paused: false}`` to Step Two forwards the
            message to the bot and ``"end_pause"`` (ends the live chat) or
            ``"keep_pause"`` (the next message comes to you again).
        step_two_end: ``{paused: false, minutesPaused: 0}`` to Step Two ends
            the live chat and the message is ``"drop"``-ped or ``"forward"``-ed
            to the bot.
        unpause_event_banner: A resume with an event name in ``unpauseChatEvent``
            fires the event; the "has left the conversation" line is
            ``"hidden"`` or ``"shown"`` as well.
        push_unknown_fields: A push with a field the document does not list is
            ``"refuse"``-d (400) or ``"accept"``-ed (the field ignored).
        push_bearer_key: A push with ``Authorization: Bearer <key>`` is
            ``"refuse"``-d (401) or ``"accept"``-ed.
        resume_minutes_zero: A resume (``paused: false``) carrying
            ``minutesPaused: 0`` is ``"refuse"``-d (400) or ``"accept"``-ed.
        reply_status: Your webhook's reply counts only with HTTP ``"200"``,
            or with any ``"2xx"`` status.

    Raises:
        ConfigurationError: A value is not one of the two readings.

    """

    step_two_continue: StepTwoContinue = "end_pause"
    step_two_end: StepTwoEnd = "drop"
    unpause_event_banner: UnpauseEventBanner = "hidden"
    push_unknown_fields: RefuseOrAccept = "refuse"
    push_bearer_key: RefuseOrAccept = "refuse"
    resume_minutes_zero: RefuseOrAccept = "refuse"
    reply_status: ReplyStatus = "200"

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            allowed = _CHOICES[option.name]
            if value not in allowed:
                raise ConfigurationError(
                    f"Readings {option.name}={value!r}: one of {', '.join(allowed)}"
                )

    def others(self) -> dict[str, str]:
        """For each reading, the other value (the one not in force)."""
        return {
            option.name: next(v for v in _CHOICES[option.name] if v != getattr(self, option.name))
            for option in fields(self)
        }
