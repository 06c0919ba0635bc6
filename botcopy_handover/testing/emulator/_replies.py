"""Your webhook's reply, read as Botcopy's JavaScript backend reads it."""

from __future__ import annotations

import json
import math

from botcopy_handover._errors import InvalidPayloadError
from botcopy_handover.models.replies import MAX_MINUTES_PAUSED, Continue, End, Pause, Reply
from botcopy_handover.testing._payloads import json_number

__all__ = ["read_reply"]


def read_reply(content: bytes) -> tuple[Reply, float | None]:
    """Read your webhook's reply as Botcopy's JavaScript backend would.

    ``paused`` must be a boolean. ``minutesPaused`` is a JSON number: with
    ``paused: true`` any positive number is a pause of that many minutes
    (``10.0`` is 10; left out, 10); with ``paused: false``, ``0`` ends the
    live chat and anything else continues. Returns the reply and the pause's
    minutes (``None`` unless pausing).

    Raises:
        InvalidPayloadError: Not a JSON object with a boolean ``paused``, or a
            pause whose ``minutesPaused`` is not a positive number.

    """
    try:
        obj = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InvalidPayloadError("The reply is not JSON") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("paused"), bool):
        raise InvalidPayloadError("The reply must be a JSON object with a boolean paused")
    number = json_number(obj.get("minutesPaused"))
    if not obj["paused"]:
        return (End() if number == 0 else Continue()), None
    if "minutesPaused" not in obj or obj["minutesPaused"] is None:
        return Pause(), float(Pause().minutes)
    if number is None or number <= 0:
        raise InvalidPayloadError("minutesPaused must be a positive number when pausing")
    return Pause(min(math.ceil(number), MAX_MINUTES_PAUSED)), number
