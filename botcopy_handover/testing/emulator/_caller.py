"""Calling your proxy's webhook as Botcopy does, and reading its reply against the deadline."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx

from botcopy_handover._errors import ConfigurationError, InvalidPayloadError
from botcopy_handover.models.replies import Reply
from botcopy_handover.testing._requests import build_webhook_request
from botcopy_handover.testing.emulator._records import CallOutcome, WebhookCall
from botcopy_handover.testing.emulator._replies import read_reply
from botcopy_handover.testing.emulator._variant import Readings

__all__ = ["CallKind", "call_webhook"]

logger = logging.getLogger("botcopy_handover.emulator")

CallKind = Literal["handover", "customer_message"]


def call_webhook(
    client: Callable[[], httpx.Client],
    webhook_url: str | None,
    kind: CallKind,
    body: dict[str, Any],
    *,
    access_token: str,
    custom_header: tuple[str, str] | None,
    deadline: float,
    readings: Readings,
) -> WebhookCall:
    """Send Step One or Two to ``webhook_url`` and read the reply as Botcopy would.

    A reply after ``deadline`` seconds is ignored (``late``); a status other
    than 200 (or 2xx, as ``readings`` says) is an ``error``; a body that is
    not a reply is ``invalid``. Returns the call's record (not yet stored).

    ``client`` gives the ``httpx.Client`` to send with, once the call is due.

    Raises:
        ConfigurationError: No ``webhook_url``.

    """
    if not webhook_url:
        raise ConfigurationError("No webhook_url: the emulator has no proxy to call")
    http = client()
    request = build_webhook_request(body, access_token=access_token, custom_header=custom_header)

    def done(
        outcome: CallOutcome,
        reply: Reply | None,
        status: int | None,
        detail: str = "",
        minutes: float | None = None,
    ) -> WebhookCall:
        call = WebhookCall(
            kind,
            body["botId"],
            body["userId"],
            body,
            outcome,
            reply,
            status,
            time.perf_counter() - started,
            detail,
            minutes,
        )
        if outcome == "replied":
            logger.info("webhook %s call for %s: replied %r", kind, call.user_id, reply)
        else:
            logger.warning("webhook %s call for %s: %s (%s)", kind, call.user_id, outcome, detail)
        return call

    started = time.perf_counter()
    try:
        answer = http.post(
            webhook_url, content=request.body, headers=request.headers, timeout=deadline
        )
    except httpx.TimeoutException:
        return done("timeout", None, None, f"no reply within {deadline} s")
    except httpx.HTTPError as exc:
        return done("error", None, None, type(exc).__name__)
    status = answer.status_code
    if time.perf_counter() - started > deadline:
        return done("late", None, status, "the reply came after the deadline")
    accepted = status == 200 or (readings.reply_status == "2xx" and 200 <= status < 300)
    if not accepted:
        return done("error", None, status, f"HTTP {status}")
    try:
        reply, minutes = read_reply(answer.content)
    except InvalidPayloadError as exc:
        return done("invalid", None, status, str(exc))
    return done("replied", reply, status, minutes=minutes)
