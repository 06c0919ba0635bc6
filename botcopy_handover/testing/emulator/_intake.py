"""The push endpoint's checks, in Botcopy's order: key → content type → event.

* **Key**: ``Authorization`` carries the raw API key of the bot the body's
  ``botId`` names (each bot has its own key on the portal). A key no bot
  owns, or one that belongs to another bot, is refused with 401. Compared in
  constant time against every configured key.
* **Content type**: ``application/json``, parameters allowed
  (``; charset=utf-8``); anything else, ``+json`` types included, is 415.
* **Event**: checked by [`parse_push_event`][botcopy_handover.models.push.parse_push_event],
  except that ``minutesPaused`` is a JSON number as a JavaScript server reads
  it: ``10.0`` is 10 and ``2.5`` is two and a half minutes.
"""

from __future__ import annotations

import hmac
import json
import math
from dataclasses import dataclass, field
from typing import Any

from botcopy_handover._errors import ConfigurationError, InvalidEventError
from botcopy_handover.models.push import PushEvent, parse_push_event
from botcopy_handover.models.replies import MAX_MINUTES_PAUSED
from botcopy_handover.testing._payloads import json_number
from botcopy_handover.testing.emulator._variant import Readings

__all__ = ["AcceptedPush", "BotKeys", "PushOutcome", "check_push", "is_strict_json"]


@dataclass(frozen=True)
class BotKeys:
    """One bot's secrets, as the portal issues them.

    Args:
        api_key: What your proxy's pushes for this bot must carry.
        access_token: What the emulator sends your webhook for this bot.

    """

    api_key: str = field(repr=False)
    access_token: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.api_key or not self.access_token:
            raise ConfigurationError("A bot's api_key and access_token must not be empty")

    def __repr__(self) -> str:
        return "BotKeys(api_key=<hidden>, access_token=<hidden>)"


@dataclass(frozen=True)
class PushOutcome:
    """The emulator's answer to one push request, before faults are applied.

    Attributes:
        status_code: The HTTP status.
        body: The JSON body.
        headers: Extra response headers.

    """

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptedPush:
    """A push that passed every check.

    Attributes:
        event: The validated event.
        minutes: The pause length as sent (a JSON number), for paused events.

    """

    event: PushEvent
    minutes: float | None


def is_strict_json(value: str | None) -> bool:
    """Whether a ``Content-Type`` is ``application/json`` (any case, parameters allowed)."""
    if not value:
        return False
    return value.split(";", 1)[0].strip().lower() == "application/json"


def _refuse(status: int, error: str, message: str, **extra: Any) -> PushOutcome:
    return PushOutcome(status, {"error": error, "message": message, **extra})


def _unauthorized(message: str = "Invalid API key") -> PushOutcome:
    return _refuse(401, "unauthorized", message)


def _invalid(exc: InvalidEventError) -> PushOutcome:
    return _refuse(
        400,
        "invalid_event",
        str(exc),
        errors=[{"field": e.path, "message": e.message} for e in exc.errors],
    )


def _key_owners(supplied: bytes, keys: dict[str, BotKeys], default: BotKeys) -> set[str | None]:
    """The bots (``None`` for the default key) whose key ``supplied`` is; every key compared."""
    owners: set[str | None] = set()
    for bot_id, bot in keys.items():
        if hmac.compare_digest(supplied, bot.api_key.encode()):
            owners.add(bot_id)
    if hmac.compare_digest(supplied, default.api_key.encode()):
        owners.add(None)
    return owners


def check_push(
    headers: dict[str, str],
    body: bytes,
    *,
    keys: dict[str, BotKeys],
    default: BotKeys,
    readings: Readings,
) -> PushOutcome | AcceptedPush:
    """Check one push request (headers with lower-case names) the way Botcopy would.

    ``keys`` maps each configured bot to its keys; a bot not in it uses
    ``default`` (a single-bot setup). Returns the refusal, or the accepted event.
    """
    supplied = headers.get("authorization", "")
    if readings.push_bearer_key == "accept" and supplied[:7].lower() == "bearer ":
        supplied = supplied[7:]
    owners = _key_owners(supplied.encode("utf-8", "surrogatepass"), keys, default)
    if not owners:
        return _unauthorized()
    if not is_strict_json(headers.get("content-type")):
        return _refuse(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        obj = None
    if not isinstance(obj, dict):
        try:
            parse_push_event(body)  # raises the precise error
        except InvalidEventError as exc:
            return _invalid(exc)
        raise AssertionError("unreachable: a non-object parsed as a push event")  # pragma: no cover
    bot_id = obj.get("botId")
    if isinstance(bot_id, str):
        owner = bot_id if bot_id in keys else None
        if owner not in owners:
            return _unauthorized("The API key does not belong to this bot")
    return _check_event(obj, readings)


def _check_event(obj: dict[str, Any], readings: Readings) -> PushOutcome | AcceptedPush:
    minutes: float | None = None
    number = json_number(obj.get("minutesPaused"))
    if obj.get("paused") is True and number is not None and number > 0:
        # A JavaScript server reads any positive number; the SDK's model takes whole minutes.
        minutes = number
        obj["minutesPaused"] = min(math.ceil(number), MAX_MINUTES_PAUSED)
    if obj.get("paused") is False and number == 0 and obj.get("eventType") == "channel_update":
        if readings.resume_minutes_zero == "refuse":
            return _refuse(
                400,
                "invalid_event",
                "Invalid push event",
                errors=[{"field": "minutesPaused", "message": "is not a field of a resume"}],
            )
        del obj["minutesPaused"]
    # parse_push_event names one unknown field at a time; when they are accepted,
    # drop each one named and check again.
    for _ in range(len(obj) + 8):
        try:
            event = parse_push_event(obj)
        except InvalidEventError as exc:
            extras = [e.path for e in exc.errors if e.type == "extra_forbidden"]
            if (
                readings.push_unknown_fields == "refuse"
                or not extras
                or len(extras) != len(exc.errors)
            ):
                return _invalid(exc)
            for path in extras:
                _drop(obj, path)
            continue
        return AcceptedPush(event, minutes if minutes is not None else _minutes_of(event))
    return _refuse(400, "invalid_event", "Too many unknown fields")  # pragma: no cover


def _drop(obj: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if rest and isinstance(obj.get(head), dict):
        obj[head] = {k: v for k, v in obj[head].items() if k != rest}
    else:
        obj.pop(path, None)


def _minutes_of(event: PushEvent) -> float | None:
    value = getattr(event, "minutes_paused", None)
    return float(value) if isinstance(value, int) else None
