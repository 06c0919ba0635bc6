"""The outbox's own errors, as handed to ``on_failure`` in `OutboxFailure.error`.

    BotcopyError
    └── OutboxError                 the outbox did not deliver an event
        ├── ChatEndedError          the chat had ended: the message was not sent
        ├── DeliveryExpiredError    the give-up deadline passed before any push
        └── PushInterruptedError    its runner stopped mid-push: it may have arrived

A push that failed is reported with the push client's own error instead
(``RateLimitError``, ``APITimeoutError``, ``APIStatusError``...).
"""

from __future__ import annotations

from botcopy_handover._errors import BotcopyError

__all__ = ["ChatEndedError", "DeliveryExpiredError", "OutboxError", "PushInterruptedError"]


class OutboxError(BotcopyError):
    """The outbox did not deliver an event (see [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure])."""  # noqa: E501 - a link in the summary


class ChatEndedError(OutboxError):
    """The customer's chat had ended (resume, end or lapse recorded): the message was not sent.

    Pushing it would have paused the bot again behind the customer's back.
    """


class DeliveryExpiredError(OutboxError):
    """The give-up deadline passed while the event waited its turn; it was never pushed."""


class PushInterruptedError(OutboxError):
    """The runner pushing this event stopped (crash, lost lease) before it knew the outcome.

    Botcopy may have shown it to the customer, so it is not pushed again
    unless the outbox delivers at least once.
    """
