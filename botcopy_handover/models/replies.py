"""What your webhook answers Botcopy, within 5 seconds.

=================  =========================================  ==========================
reply              wire JSON                                  Botcopy does
=================  =========================================  ==========================
``Pause()``        ``{"paused": true, "minutesPaused": 10}``  pauses the bot (or keeps it
                                                              paused) for that long
``Continue()``     ``{"paused": false}``                      lets the bot answer
``End()``          ``{"paused": false, "minutesPaused": 0}``  ends the live chat
=================  =========================================  ==========================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from botcopy_handover._errors import ErrorDetail, InvalidEventError, InvalidPayloadError
from botcopy_handover.models._base import load_object

__all__ = [
    "DEFAULT_MINUTES_PAUSED",
    "MAX_MINUTES_PAUSED",
    "Continue",
    "End",
    "Pause",
    "Reply",
    "check_minutes",
    "parse_reply",
]

DEFAULT_MINUTES_PAUSED = 10
"""Botcopy's default pause length when ``minutesPaused`` is left out."""

MAX_MINUTES_PAUSED = 60 * 24 * 365
"""The longest pause the SDK will send (a year); longer is surely a unit mistake."""


def check_minutes(value: object, field: str = "minutes") -> int:
    """Return ``value`` if it is a whole number of minutes in ``1..MAX_MINUTES_PAUSED``.

    Raises:
        InvalidEventError: ``value`` is not an ``int`` (``bool`` is refused too)
            or is out of range.

    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEventError(
            "Invalid minutes",
            (ErrorDetail(field, "must be a whole number of minutes", "int_type"),),
        )
    if not 0 < value <= MAX_MINUTES_PAUSED:
        raise InvalidEventError(
            "Invalid minutes",
            (
                ErrorDetail(
                    field, f"must be between 1 and {MAX_MINUTES_PAUSED} minutes", "out_of_range"
                ),
            ),
        )
    return value


@dataclass(frozen=True, slots=True)
class Pause:
    """Pause the bot and keep the customer with a live agent for ``minutes``.

    Each reply or push pushes the expiry back; when it lapses, the bot answers
    again.

    Examples:
        >>> Pause().to_dict()
        {'paused': True, 'minutesPaused': 10}

    """

    minutes: int = DEFAULT_MINUTES_PAUSED
    paused: ClassVar[Literal[True]] = True

    def __post_init__(self) -> None:
        check_minutes(self.minutes)

    def to_dict(self) -> dict[str, Any]:
        """The reply's wire JSON as a dict."""
        return {"paused": True, "minutesPaused": self.minutes}

    def to_json(self) -> bytes:
        """The reply's wire JSON, compact, UTF-8."""
        return b'{"paused":true,"minutesPaused":%d}' % self.minutes


@dataclass(frozen=True, slots=True)
class Continue:
    """Do not pause: the bot goes on answering the customer.

    Examples:
        >>> Continue().to_dict()
        {'paused': False}

    """

    paused: ClassVar[Literal[False]] = False

    def to_dict(self) -> dict[str, Any]:
        """The reply's wire JSON as a dict."""
        return {"paused": False}

    def to_json(self) -> bytes:
        """The reply's wire JSON, compact, UTF-8."""
        return b'{"paused":false}'


@dataclass(frozen=True, slots=True)
class End:
    """End the live chat now: the bot takes over again.

    Examples:
        >>> End().to_dict()
        {'paused': False, 'minutesPaused': 0}

    """

    paused: ClassVar[Literal[False]] = False

    def to_dict(self) -> dict[str, Any]:
        """The reply's wire JSON as a dict."""
        return {"paused": False, "minutesPaused": 0}

    def to_json(self) -> bytes:
        """The reply's wire JSON, compact, UTF-8."""
        return b'{"paused":false,"minutesPaused":0}'


Reply = Pause | Continue | End
"""Any webhook reply."""


def parse_reply(data: bytes | str | Mapping[str, Any]) -> Reply:
    """Read a webhook reply the way Botcopy does.

    ``paused: true`` pauses for ``minutesPaused`` (default 10); ``paused: false``
    with ``minutesPaused: 0`` ends the live chat; any other ``paused: false``
    continues. Used by the emulator, and handy in tests of your endpoint.

    Raises:
        InvalidPayloadError: ``data`` is not a JSON object with a boolean ``paused``,
            or ``minutesPaused`` is not a positive whole number when pausing.

    """
    obj = load_object(data, "Reply", InvalidPayloadError)
    paused = obj.get("paused")
    if not isinstance(paused, bool):
        raise InvalidPayloadError(
            "Invalid reply", (ErrorDetail("paused", "must be true or false", "bool_type"),)
        )
    minutes = obj.get("minutesPaused")
    if not paused:
        return End() if minutes == 0 and not isinstance(minutes, bool) else Continue()
    if minutes is None:
        return Pause()
    try:
        return Pause(minutes)
    except InvalidEventError as exc:
        raise InvalidPayloadError(
            "Invalid reply",
            tuple(ErrorDetail("minutesPaused", e.message, e.type) for e in exc.errors),
        ) from None
