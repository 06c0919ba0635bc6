"""What the emulator records for your tests: turns, webhook calls, accepted pushes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

from botcopy_handover.models.push import PushEvent
from botcopy_handover.models.replies import Reply
from botcopy_handover.testing._payloads import iso

__all__ = ["CallOutcome", "ReceivedPush", "Turn", "WebhookCall"]

CallOutcome: TypeAlias = Literal["replied", "late", "timeout", "error", "invalid"]


@dataclass(frozen=True)
class WebhookCall:
    """One call the emulator made to your webhook, and what came of it.

    Attributes:
        kind: ``handover`` (Step One) or ``customer_message`` (Step Two).
        bot_id: The bot.
        user_id: The customer.
        body: The JSON body sent, without ``accessToken``.
        outcome: ``replied`` (a valid reply in time, applied), ``late`` (after
            the deadline: ignored), ``timeout`` (no answer by the deadline),
            ``error`` (a connection error or a non-200 status), ``invalid``
            (a 200 whose body is not a reply).
        reply: The applied reply when ``outcome`` is ``replied``. A pause of a
            fractional number of minutes shows as the next whole minute here;
            ``minutes`` has the exact figure.
        status_code: The HTTP status, if an answer came.
        elapsed: Seconds from sending to the answer (or to giving up).
        detail: A short explanation for anything but ``replied``.
        minutes: The pause applied, in minutes, as your reply's JSON number
            (``None`` unless the reply paused).

    """

    kind: Literal["handover", "customer_message"]
    bot_id: str
    user_id: str
    body: dict[str, Any] = field(repr=False)
    outcome: CallOutcome
    reply: Reply | None
    status_code: int | None
    elapsed: float
    detail: str = ""
    minutes: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "botId": self.bot_id,
            "userId": self.user_id,
            "outcome": self.outcome,
            "reply": self.reply.to_dict() if self.reply is not None else None,
            "statusCode": self.status_code,
            "elapsed": round(self.elapsed, 4),
            "detail": self.detail,
            "minutes": self.minutes,
        }


@dataclass(frozen=True)
class Turn:
    """What happened when the customer said something.

    Attributes:
        text: What the customer said.
        bot_said: What the bot answered (empty if the message went to the agent).
        webhook_call: The call made to your webhook, if any.
        paused: Whether the bot is paused for this customer afterwards.

    """

    text: str
    bot_said: list[str]
    webhook_call: WebhookCall | None
    paused: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "text": self.text,
            "botSaid": self.bot_said,
            "webhookCall": self.webhook_call.to_dict() if self.webhook_call else None,
            "paused": self.paused,
        }


@dataclass(frozen=True)
class ReceivedPush:
    """A push event the emulator accepted.

    Attributes:
        event: The validated event.
        at: When it was received (the emulator's clock).
        minutes: The pause length as sent (a JSON number, e.g. ``2.5``), for
            paused events; the event holds it rounded up to whole minutes.

    """

    event: PushEvent
    at: datetime
    minutes: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the event's wire JSON and the time received."""
        return {"event": self.event.to_dict(), "receivedAt": iso(self.at)}
