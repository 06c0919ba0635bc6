"""``BotcopyEmulator``: Botcopy's side of a live chat, on loopback, for tests and demos.

It plays three parts:

* **the push endpoint** (``POST /webhooks/handover/push``), strict: the bot's
  own API key in ``Authorization`` (raw, as Botcopy expects it today: a
  ``Bearer`` prefix is refused), ``Content-Type: application/json``, every
  field checked (see ``_intake``); each accepted event is applied to the
  customer's conversation and recorded;
* **the customer and the bot**:
  [`BotcopyEmulator.customer_says`][botcopy_handover.testing.emulator.BotcopyEmulator.customer_says]
  runs a
  scripted Dialogflow bot, calls your webhook with Step One when the bot's
  response carries the portal's trigger and with Step Two while paused, and
  applies your reply the way Botcopy does — including ignoring it after the
  5-second deadline (the turn's flow is in ``_driver``, the call in ``_caller``);
* **Botcopy's memory** (``_memory``): pause expiry (pushed back by every message in and
  out), the agent profile, the typing indicator (gone after 10 s or at the
  agent's next message), the transcript the customer sees, and the message
  history with all five item kinds.

Pushes for a customer the emulator has not seen are accepted (Botcopy's
document does not say otherwise) and start a conversation.

Where the document is loose, each conversation meets one reading of it (a
`Variant`, rotated), and the
behaviours it leaves open follow
`Readings`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, overload

import httpx
from typing_extensions import Unpack

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.models.push import PushEvent
from botcopy_handover.models.replies import Reply
from botcopy_handover.state._store import Clock, utc_now
from botcopy_handover.testing._payloads import PUSH_PATH
from botcopy_handover.testing.emulator._bot import Platform, ScriptedBot, default_trigger
from botcopy_handover.testing.emulator._caller import CallKind, call_webhook
from botcopy_handover.testing.emulator._conversation import EmulatedConversation, Seen
from botcopy_handover.testing.emulator._driver import close_turn, customer_speaks, open_turn
from botcopy_handover.testing.emulator._faults import Fault, FaultOptions, FaultPlan
from botcopy_handover.testing.emulator._intake import (
    AcceptedPush,
    BotKeys,
    PushOutcome,
    check_push,
)
from botcopy_handover.testing.emulator._memory import Memory
from botcopy_handover.testing.emulator._records import ReceivedPush, Turn, WebhookCall
from botcopy_handover.testing.emulator._variant import Reading, Readings, Variant

if TYPE_CHECKING:
    from botcopy_handover.testing._server import LoopbackServer
    from botcopy_handover.webhook.asgi import ASGIApplication

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_ACCESS_TOKEN",
    "BotKeys",
    "BotcopyEmulator",
    "PushOutcome",
    "ReceivedPush",
    "Turn",
    "WebhookCall",
]

logger = logging.getLogger("botcopy_handover.emulator")

DEFAULT_API_KEY = "emulator-api-key"
"""The API key the emulator accepts when none is configured."""

DEFAULT_ACCESS_TOKEN = "emulator-access-token"  # noqa: S105 - a test token
"""The access token the emulator sends your webhook when none is configured."""


class BotcopyEmulator:
    """Botcopy on loopback: a strict push endpoint, a scripted customer and bot, and their state.

    Use it in-process (``with BotcopyEmulator(...) as botcopy:``, or the
    pytest fixture ``botcopy``), or as a process (``botcopy-handover
    emulate``) driven over its control API under ``/emulator/``.

    Args:
        webhook_url: Your proxy's webhook; the emulator calls it with Step One and Two.
        access_token: The default bot's token, sent in ``Authorization`` and ``accessToken``.
        api_key: The API key your proxy must push with for the default bot.
        bots: Other bots and their own keys (``{"bot-2": BotKeys(api_key, access_token)}``),
            as the portal issues a key and a token per bot. A push whose key does
            not belong to its ``botId`` is refused (401). Bots not listed share
            ``api_key`` and ``access_token``.
        custom_header: ``(name, value)`` of the portal's custom header, if any.
        platform: The scripted bot's Dialogflow edition, ``"es"`` or ``"cx"``.
        bot: A [`ScriptedBot`][botcopy_handover.testing.emulator.ScriptedBot] of your own
            (overrides ``platform``).
        trigger: The portal's trigger: the ES output context (compared
            lower-cased) or the CX session parameter; default
            ``bc-human-handover`` (ES) or ``bcHumanHandover`` (CX). Step One fires
            when the bot's response carries it.
        variant: The wire forms to send (a
            `Variant`, ``"mixed"`` or
            ``"plain"``); ``"mixed"`` gives successive conversations every
            combination in turn.
        variant_seed: Seeds the order in which ``"mixed"`` axes rotate.
        readings: The emulator's readings of the document's open questions
            (`Readings`).
        project: The Dialogflow project in session and intent names.
        reply_deadline: Seconds the emulator waits for your webhook's reply
            (Botcopy: 5).
        clock: Returns the current time (aware); inject one to move time in tests.
        host: Where the server listens; loopback only by default.
        port: The port; 0 picks a free one (see
            [`url`][botcopy_handover.testing.emulator.BotcopyEmulator.url]).
        bot_id: The default bot for
            [`customer_says`][botcopy_handover.testing.emulator.BotcopyEmulator.customer_says] and
            friends.
        user_id: The default customer.
        fault_seed: Seeds the RNG of rate-based faults.
        http_client: The ``httpx.Client`` to call your webhook with (for
            example one over ``httpx.MockTransport``); not closed by the emulator.

    """

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        api_key: str = DEFAULT_API_KEY,
        bots: Mapping[str, BotKeys] | None = None,
        custom_header: tuple[str, str] | None = None,
        platform: Platform = "es",
        bot: ScriptedBot | None = None,
        trigger: str | None = None,
        variant: Variant | Reading | str = "mixed",
        variant_seed: int = 0,
        readings: Readings | None = None,
        project: str = "emulator-project",
        reply_deadline: float = 5.0,
        clock: Clock = utc_now,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_id: str = "bot-1",
        user_id: str = "user-1",
        fault_seed: int = 0,
        http_client: httpx.Client | None = None,
    ) -> None:
        if not api_key or not access_token:
            raise ConfigurationError("api_key and access_token must not be empty")
        if reply_deadline <= 0:
            raise ConfigurationError("reply_deadline must be positive")
        self.webhook_url = webhook_url
        self.access_token = access_token
        self.api_key = api_key
        self.custom_header = custom_header
        self.bot: ScriptedBot = bot or ScriptedBot(platform=platform)
        self.bots: dict[str, BotKeys] = dict(bots or {})
        self.trigger: str = trigger or default_trigger(self.bot.platform)
        self.variant: Variant = Variant.of(variant)
        self.readings: Readings = readings or Readings()
        self.project = project
        self.variant_seed = variant_seed
        self.reply_deadline = reply_deadline
        self.clock = clock
        self.host = host
        self.port = port
        self.bot_id = bot_id
        self.user_id = user_id
        self.faults: FaultPlan = FaultPlan(fault_seed)
        self._memory = Memory(variant_seed)
        self._http: httpx.Client | None = http_client
        self._owns_http = http_client is None
        self._server: LoopbackServer | None = None  # once started
        self._listeners: list[Callable[[str, str], None]] = []

    def __repr__(self) -> str:
        return (
            f"BotcopyEmulator(url={self.url if self._server else None!r}, "
            f"webhook_url={self.webhook_url!r}, platform={self.bot.platform!r})"
        )

    # -- the server ----------------------------------------------------------

    @property
    def url(self) -> str:
        """The emulator's base URL, e.g. ``http://127.0.0.1:43817``; use it as ``base_url``.

        Raises:
            ConfigurationError: The emulator is not running.

        """
        if self._server is None:
            raise ConfigurationError("The emulator is not running: call start() or use `with`")
        return f"http://{self.host}:{self._server.port}"

    @property
    def push_url(self) -> str:
        """The full push endpoint URL."""
        return f"{self.url}{PUSH_PATH}"

    def start(self) -> BotcopyEmulator:
        """Start serving in a background thread; returns once the server accepts connections."""
        from botcopy_handover.testing._server import LoopbackServer

        if self._server is None:
            server = LoopbackServer(self.asgi_app(), self.host, self.port, lifespan="off")
            self._server = server.start()
        return self

    def stop(self) -> None:
        """Stop the server and close the webhook client."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def __enter__(self) -> BotcopyEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def asgi_app(self) -> ASGIApplication:
        """The emulator's ASGI app (push endpoint and control API), to serve it yourself."""
        from botcopy_handover.testing.emulator._app import build_app

        return build_app(self)

    # -- listeners -----------------------------------------------------------

    def add_listener(self, listener: Callable[[str, str], None]) -> Callable[[], None]:
        """Call ``listener(bot_id, user_id)`` whenever that customer's chat window changes.

        Called from whichever thread made the change (keep it short and
        non-blocking); the chat page uses it to push updates live. Returns a
        function that removes the listener.
        """
        with self._memory.lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._memory.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def _changed(self, bot_id: str, user_id: str) -> None:
        with self._memory.lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(bot_id, user_id)
            except Exception:
                logger.exception("emulator listener failed")

    # -- the push endpoint ---------------------------------------------------

    def receive_push(self, headers: dict[str, str], body: bytes) -> PushOutcome:
        """Check and apply one push request (headers with lower-case names)."""
        checked = check_push(
            headers,
            body,
            keys=self.bots,
            default=BotKeys(self.api_key, self.access_token),
            readings=self.readings,
        )
        if not isinstance(checked, AcceptedPush):
            self._memory.refuse(checked)
            logger.info("push refused with %d: %s", checked.status_code, checked.body["message"])
            return checked
        event = checked.event
        with self._memory.lock:
            self._memory.apply_push(
                checked,
                self._conversation(event.bot_id, event.user_id),
                self.clock(),
                self.bot,
                banner_with_event=self.readings.unpause_event_banner == "shown",
            )
        self._changed(event.bot_id, event.user_id)
        logger.info("push accepted: %s", json.dumps(event.to_dict(), ensure_ascii=False))
        return PushOutcome(200, {"ok": True})

    # -- the customer and the bot --------------------------------------------

    def customer_says(
        self, text: str, *, user_id: str | None = None, bot_id: str | None = None
    ) -> Turn:
        """The customer sends ``text``: the bot answers, or your webhook is called.

        Not paused: the scripted bot answers; if its response carries the
        portal's trigger, your webhook gets Step One (with the history, in the
        conversation's variant) and your reply is applied. Paused: your
        webhook gets Step Two; ``Pause`` extends the pause, ``End`` ends it,
        ``Continue`` (or no valid reply in time) gives the message to the bot
        (see [Readings][botcopy_handover.testing.emulator.Readings] for the
        two open questions there).

        Raises:
            ConfigurationError: A webhook call is due but no ``webhook_url`` is set,
                or ``text`` is empty.

        """
        if not text or not text.strip():
            raise ConfigurationError("The customer's text must not be empty")
        bot_id = bot_id or self.bot_id
        user_id = user_id or self.user_id
        with self._memory.lock:
            now = self.clock()
            conv = self._conversation(bot_id, user_id)
            customer_speaks(self.bot, conv, text, now)
            self._changed(bot_id, user_id)
            due = open_turn(self.bot, conv, text, now, trigger=self.trigger)
            if isinstance(due, Turn):
                self._changed(bot_id, user_id)
                return due
        call = self._call_webhook(due.kind, due.body)
        with self._memory.lock:
            turn = close_turn(self.bot, conv, due, call, self.clock(), self.readings)
        self._changed(bot_id, user_id)
        return turn

    def _call_webhook(self, kind: CallKind, body: dict[str, Any]) -> WebhookCall:
        call = call_webhook(
            self._client,
            self.webhook_url,
            kind,
            body,
            access_token=self._keys(body["botId"]).access_token,
            custom_header=self.custom_header,
            deadline=self.reply_deadline,
            readings=self.readings,
        )
        self._memory.record_call(call)
        return call

    def _keys(self, bot_id: str) -> BotKeys:
        return self.bots.get(bot_id) or BotKeys(self.api_key, self.access_token)

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client()
        return self._http

    # -- what tests look at --------------------------------------------------

    def set_variant(
        self,
        variant: Variant | Reading | str,
        *,
        user_id: str | None = None,
        bot_id: str | None = None,
    ) -> Reading:
        """Give one customer's conversation its own variant; returns the reading it gets.

        The conversation starts afresh (history, pause and transcript
        forgotten), so its next webhook call is in the new reading.
        """
        key = (bot_id or self.bot_id, user_id or self.user_id)
        with self._memory.lock:
            self._memory.set_variant(key, Variant.of(variant))
            return self._conversation(*key).reading

    def _conversation(self, bot_id: str, user_id: str) -> EmulatedConversation:
        customer = (bot_id, user_id)
        platform = self.bot.platform
        return self._memory.conversation(
            customer, variant=self.variant, platform=platform, project=self.project
        )

    def conversation(
        self, *, user_id: str | None = None, bot_id: str | None = None
    ) -> EmulatedConversation:
        """A snapshot of a customer's conversation (a copy: it does not change under you)."""
        with self._memory.lock:
            conv = self._conversation(bot_id or self.bot_id, user_id or self.user_id)
            conv.lapse_if_due(self.clock())
            return copy.deepcopy(conv)

    def transcript(self, *, user_id: str | None = None, bot_id: str | None = None) -> list[Seen]:
        """Every line of the customer's chat window, in order."""
        return self.conversation(user_id=user_id, bot_id=bot_id).transcript

    def customer_sees(self, *, user_id: str | None = None, bot_id: str | None = None) -> list[str]:
        """The live agent's messages the customer has been shown, in order."""
        return [
            s.text for s in self.transcript(user_id=user_id, bot_id=bot_id) if s.sender == "agent"
        ]

    def is_paused(self, *, user_id: str | None = None, bot_id: str | None = None) -> bool:
        """Whether the bot is paused for the customer now."""
        return self.conversation(user_id=user_id, bot_id=bot_id).is_paused(self.clock())

    def is_typing(self, *, user_id: str | None = None, bot_id: str | None = None) -> bool:
        """Whether the customer sees the typing indicator now."""
        return self.conversation(user_id=user_id, bot_id=bot_id).is_typing(self.clock())

    @property
    def events(self) -> list[PushEvent]:
        """Every push event accepted, in order."""
        return [received.event for received in self._memory.received]

    @property
    def received(self) -> list[ReceivedPush]:
        """Every push event accepted, with the time it came."""
        return self._memory.received

    @property
    def refused(self) -> list[PushOutcome]:
        """Every push request refused (401, 400, 415), with the answer given."""
        return self._memory.refused

    @property
    def webhook_calls(self) -> list[WebhookCall]:
        """Every call made to your webhook, in order."""
        return self._memory.calls

    @property
    def last_reply(self) -> Reply | None:
        """The reply applied from the last webhook call (``None`` if it gave none in time)."""
        return self._memory.last_reply

    def wait_for(
        self, condition: Callable[[BotcopyEmulator], bool], *, timeout: float = 5.0
    ) -> None:
        """Wait until ``condition(emulator)`` holds, re-checked after every push and call.

        Your proxy pushes on its own time; wait for what it should have done::

            botcopy.wait_for(lambda b: b.customer_sees() == ["hello"])

        Raises:
            EmulatorTimeoutError: It did not hold within ``timeout`` seconds.

        """
        self._memory.wait_for(lambda: condition(self), timeout)

    @overload
    def inject_fault(self, fault: Fault, /) -> Fault: ...
    @overload
    def inject_fault(self, /, **options: Unpack[FaultOptions]) -> Fault: ...
    def inject_fault(self, fault: Fault | None = None, /, **options: Any) -> Fault:
        """Put a fault in force on the push endpoint: a `Fault`, or its arguments.

        Example: ``botcopy.inject_fault(kind="rate_limit", count=2, retry_after=0)``.
        """
        fault = fault or Fault(**options)
        self.faults.add(fault)
        return fault

    def reset(self) -> None:
        """Forget every conversation, event, call and fault (the server keeps running)."""
        with self._memory.lock:
            customers = self._memory.clear()
            self.faults.clear()
        for bot_id, user_id in customers:
            self._changed(bot_id, user_id)
