"""Botcopy's memory: each customer's conversation, and every push and webhook call, under one lock.

The lock is a re-entrant ``threading.Condition``: whoever changes the
memory notifies it, so [`wait_for`][botcopy_handover.testing.emulator.BotcopyEmulator.wait_for]
re-checks its condition after every push and call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from botcopy_handover._errors import EmulatorTimeoutError
from botcopy_handover.models.replies import Reply
from botcopy_handover.testing._payloads import Platform, cx_session, es_session
from botcopy_handover.testing.emulator._bot import ScriptedBot
from botcopy_handover.testing.emulator._conversation import EmulatedConversation
from botcopy_handover.testing.emulator._intake import AcceptedPush, PushOutcome
from botcopy_handover.testing.emulator._records import ReceivedPush, WebhookCall
from botcopy_handover.testing.emulator._variant import Reading, Variant, VariantRotation

__all__ = ["Customer", "Memory"]

Customer = tuple[str, str]
"""A customer of a bot: ``(bot_id, user_id)``."""


class Memory:
    """Conversations by customer, accepted and refused pushes, and webhook calls.

    Args:
        variant_seed: Seeds the order in which ``"mixed"`` variants rotate.

    """

    def __init__(self, variant_seed: int) -> None:
        self.lock = threading.Condition()
        self._rotation = VariantRotation(variant_seed)
        self._variants: dict[Customer, Variant] = {}
        self._conversations: dict[Customer, EmulatedConversation] = {}
        self._events: list[ReceivedPush] = []
        self._calls: list[WebhookCall] = []
        self._refused: list[PushOutcome] = []

    # -- conversations -------------------------------------------------------

    def conversation(
        self, customer: Customer, *, variant: Variant, platform: Platform, project: str
    ) -> EmulatedConversation:
        """The customer's live conversation, started (in the next reading of its variant) if new.

        ``variant`` is the emulator's; a customer given its own with ``set_variant`` keeps it.
        """
        with self.lock:
            conv = self._conversations.get(customer)
            if conv is None:
                reading = self._rotation.next(self._variants.get(customer, variant))
                conv = _start(customer, reading, platform, project)
                self._conversations[customer] = conv
            return conv

    def set_variant(self, customer: Customer, variant: Variant) -> None:
        """Give the customer its own variant and forget its conversation."""
        with self.lock:
            self._variants[customer] = variant
            self._conversations.pop(customer, None)

    # -- pushes and calls ----------------------------------------------------

    def apply_push(
        self,
        accepted: AcceptedPush,
        conv: EmulatedConversation,
        now: datetime,
        bot: ScriptedBot,
        *,
        banner_with_event: bool,
    ) -> None:
        """Apply an accepted push to its customer's conversation, and record it."""
        with self.lock:
            conv.apply_push(
                accepted.event,
                now,
                bot,
                minutes=accepted.minutes,
                banner_with_event=banner_with_event,
            )
            self._events.append(ReceivedPush(accepted.event, now, accepted.minutes))
            self.lock.notify_all()

    def refuse(self, outcome: PushOutcome) -> None:
        """Record a refused push."""
        with self.lock:
            self._refused.append(outcome)

    def record_call(self, call: WebhookCall) -> None:
        """Record a call made to your webhook."""
        with self.lock:
            self._calls.append(call)
            self.lock.notify_all()

    @property
    def received(self) -> list[ReceivedPush]:
        """Every push accepted, in order (a copy)."""
        with self.lock:
            return list(self._events)

    @property
    def refused(self) -> list[PushOutcome]:
        """Every push refused, in order (a copy)."""
        with self.lock:
            return list(self._refused)

    @property
    def calls(self) -> list[WebhookCall]:
        """Every webhook call, in order (a copy)."""
        with self.lock:
            return list(self._calls)

    @property
    def last_reply(self) -> Reply | None:
        """The reply of the last webhook call, if any."""
        with self.lock:
            return self._calls[-1].reply if self._calls else None

    # -- waiting and forgetting ----------------------------------------------

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> None:
        """Wait until ``condition()`` holds, re-checked after every push and call.

        Raises:
            EmulatorTimeoutError: It did not hold within ``timeout`` seconds.

        """
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                # The condition reads through the lock again; Condition's lock is re-entrant.
                if condition():
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulatorTimeoutError(f"The condition did not hold within {timeout} s")
                # Wake at least every 50 ms: time-based state (typing, expiry) changes silently.
                self.lock.wait(min(remaining, 0.05))

    def clear(self) -> list[Customer]:
        """Forget every conversation, push and call; returns the customers forgotten."""
        with self.lock:
            customers = list(self._conversations)
            self._conversations.clear()
            self._events.clear()
            self._calls.clear()
            self._refused.clear()
            self._rotation.reset()
            return customers


def _start(
    customer: Customer, reading: Reading, platform: Platform, project: str
) -> EmulatedConversation:
    bot_id, user_id = customer
    dialogflow_id = f"emulator-session-{user_id}"
    session_id = dialogflow_id
    if reading.session_ids == "differ":
        session_id = f"botcopy-{bot_id}-{user_id}"
    if platform == "es":
        session = es_session(project, dialogflow_id)
    else:
        session = cx_session(project, "global", "emulator-agent", dialogflow_id)
    return EmulatedConversation(
        bot_id,
        user_id,
        session_id=session_id,
        platform=platform,
        session=session,
        dialogflow_session_id=dialogflow_id,
        reading=reading,
    )
