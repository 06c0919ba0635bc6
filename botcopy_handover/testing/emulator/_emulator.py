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
  5-second deadline;
* **Botcopy's memory**: pause expiry (pushed back by every message in and
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
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

import httpx
from typing_extensions import Unpack

from botcopy_handover._errors import (
    ConfigurationError,
    EmulatorTimeoutError,
    InvalidPayloadError,
)
from botcopy_handover.models.push import PushEvent
from botcopy_handover.models.replies import Continue, End, Pause, Reply
from botcopy_handover.state._store import Clock, utc_now
from botcopy_handover.testing._payloads import (
    PUSH_PATH,
    cx_session,
    es_session,
    step_one_body,
    step_two_body,
)
from botcopy_handover.testing._requests import build_webhook_request
from botcopy_handover.testing.emulator._bot import (
    Platform,
    ScriptedBot,
    carries_trigger,
    default_trigger,
)
from botcopy_handover.testing.emulator._conversation import EmulatedConversation, Seen
from botcopy_handover.testing.emulator._faults import Fault, FaultOptions, FaultPlan
from botcopy_handover.testing.emulator._intake import (
    AcceptedPush,
    BotKeys,
    PushOutcome,
    check_push,
)
from botcopy_handover.testing.emulator._records import (
    CallOutcome,
    ReceivedPush,
    Turn,
    WebhookCall,
)
from botcopy_handover.testing.emulator._replies import read_reply
from botcopy_handover.testing.emulator._variant import (
    Reading,
    Readings,
    Variant,
    VariantRotation,
)

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
        self._rotation = VariantRotation(variant_seed)
        self._customer_variants: dict[tuple[str, str], Variant] = {}
        self.reply_deadline = reply_deadline
        self.clock = clock
        self.host = host
        self.port = port
        self.bot_id = bot_id
        self.user_id = user_id
        self.faults: FaultPlan = FaultPlan(fault_seed)
        self._lock = threading.Condition()
        self._conversations: dict[tuple[str, str], EmulatedConversation] = {}
        self._events: list[ReceivedPush] = []
        self._calls: list[WebhookCall] = []
        self._refused: list[PushOutcome] = []
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
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def _changed(self, bot_id: str, user_id: str) -> None:
        with self._lock:
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
        if isinstance(checked, AcceptedPush):
            self._apply_push(checked)
            return PushOutcome(200, {"ok": True})
        with self._lock:
            self._refused.append(checked)
        logger.info("push refused with %d: %s", checked.status_code, checked.body["message"])
        return checked

    def _apply_push(self, accepted: AcceptedPush) -> None:
        event = accepted.event
        with self._lock:
            now = self.clock()
            self._conversation(event.bot_id, event.user_id).apply_push(
                event,
                now,
                self.bot,
                minutes=accepted.minutes,
                banner_with_event=self.readings.unpause_event_banner == "shown",
            )
            self._events.append(ReceivedPush(event, now, accepted.minutes))
            self._lock.notify_all()
        self._changed(event.bot_id, event.user_id)
        logger.info("push accepted: %s", json.dumps(event.to_dict(), ensure_ascii=False))

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
        with self._lock:
            now = self.clock()
            conv = self._conversation(bot_id, user_id)
            conv.lapse_if_due(now)
            self._greet(conv, now)
            conv.show("customer", text, now)
            self._changed(bot_id, user_id)
            paused = conv.is_paused(now)
            if paused:
                conv.record_customer_to_agent(text, now)
                body = self._step_two(conv, text)
            else:
                said, response = self._ask_bot(conv, text, now)
                if not carries_trigger(response, self.bot.platform, self.trigger):
                    self._changed(bot_id, user_id)
                    return Turn(text, said, None, False)
                body = self._step_one(conv, text, response)
        call = self._call_webhook("customer_message" if paused else "handover", body)
        with self._lock:
            now = self.clock()
            reply = call.reply
            bot_said: list[str] = [] if paused else said
            if isinstance(reply, Pause):
                conv.pause_for(call.minutes or reply.minutes, now)
            elif isinstance(reply, End):
                conv.resume()
                if paused and self.readings.step_two_end == "forward":
                    bot_said, _ = self._ask_bot(conv, text, now)
            elif paused:
                # Continue, or no valid reply in time: Botcopy gives the message to the bot.
                if isinstance(reply, Continue) and self.readings.step_two_continue == "end_pause":
                    conv.resume()
                bot_said, _ = self._ask_bot(conv, text, now)
            turn = Turn(text, bot_said, call, conv.is_paused(now))
        self._changed(bot_id, user_id)
        return turn

    def _greet(self, conv: EmulatedConversation, now: datetime) -> None:
        if conv.greeted:
            return
        conv.greeted = True
        response = self.bot.answer_event("WELCOME", conv.session)
        conv.record_event("WELCOME", now)
        conv.record_response(response, now)
        for said in self.bot.texts(response):
            conv.show("bot", said, now)

    def _ask_bot(
        self, conv: EmulatedConversation, text: str, now: datetime
    ) -> tuple[list[str], dict[str, Any]]:
        response = self.bot.answer(text, conv.session)
        conv.record_query(text, now)
        conv.record_response(response, now)
        said = self.bot.texts(response)
        for line in said:
            conv.show("bot", line, now)
        return said, response

    def _step_one(
        self, conv: EmulatedConversation, text: str, response: dict[str, Any]
    ) -> dict[str, Any]:
        history = copy.deepcopy(conv.history) if conv.reading.history == "present" else None
        return step_one_body(
            user_id=conv.user_id,
            bot_id=conv.bot_id,
            session_id=conv.session_id,
            session=conv.session,
            text=text,
            dialogflow_response=conv.dialogflow_form(response),
            history=history,
        )

    def _step_two(self, conv: EmulatedConversation, text: str) -> dict[str, Any]:
        return step_two_body(
            user_id=conv.user_id,
            bot_id=conv.bot_id,
            session_id=conv.session_id,
            session=conv.session,
            text=text,
        )

    def _keys(self, bot_id: str) -> BotKeys:
        return self.bots.get(bot_id) or BotKeys(self.api_key, self.access_token)

    def _call_webhook(
        self, kind: Literal["handover", "customer_message"], body: dict[str, Any]
    ) -> WebhookCall:
        if not self.webhook_url:
            raise ConfigurationError("No webhook_url: the emulator has no proxy to call")
        if self._http is None:
            self._http = httpx.Client()
        request = build_webhook_request(
            body,
            access_token=self._keys(body["botId"]).access_token,
            custom_header=self.custom_header,
        )

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
            with self._lock:
                self._calls.append(call)
                self._lock.notify_all()
            if outcome == "replied":
                logger.info("webhook %s call for %s: replied %r", kind, call.user_id, reply)
            else:
                logger.warning(
                    "webhook %s call for %s: %s (%s)", kind, call.user_id, outcome, detail
                )
            return call

        started = time.perf_counter()
        try:
            answer = self._http.post(
                self.webhook_url,
                content=request.body,
                headers=request.headers,
                timeout=self.reply_deadline,
            )
        except httpx.TimeoutException:
            return done("timeout", None, None, f"no reply within {self.reply_deadline} s")
        except httpx.HTTPError as exc:
            return done("error", None, None, type(exc).__name__)
        status = answer.status_code
        if time.perf_counter() - started > self.reply_deadline:
            return done("late", None, status, "the reply came after the deadline")
        accepted = status == 200 or (self.readings.reply_status == "2xx" and 200 <= status < 300)
        if not accepted:
            return done("error", None, status, f"HTTP {status}")
        try:
            reply, minutes = read_reply(answer.content)
        except InvalidPayloadError as exc:
            return done("invalid", None, status, str(exc))
        return done("replied", reply, status, minutes=minutes)

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
        with self._lock:
            self._customer_variants[key] = Variant.of(variant)
            self._conversations.pop(key, None)
            return self._conversation(*key).reading

    def _conversation(self, bot_id: str, user_id: str) -> EmulatedConversation:
        key = (bot_id, user_id)
        conv = self._conversations.get(key)
        if conv is None:
            variant = self._customer_variants.get(key, self.variant)
            reading = self._rotation.next(variant)
            dialogflow_id = f"emulator-session-{user_id}"
            session_id = dialogflow_id
            if reading.session_ids == "differ":
                session_id = f"botcopy-{bot_id}-{user_id}"
            if self.bot.platform == "es":
                session = es_session(self.project, dialogflow_id)
            else:
                session = cx_session(self.project, "global", "emulator-agent", dialogflow_id)
            conv = EmulatedConversation(
                bot_id,
                user_id,
                session_id=session_id,
                platform=self.bot.platform,
                session=session,
                dialogflow_session_id=dialogflow_id,
                reading=reading,
            )
            self._conversations[key] = conv
        return conv

    def conversation(
        self, *, user_id: str | None = None, bot_id: str | None = None
    ) -> EmulatedConversation:
        """A snapshot of a customer's conversation (a copy: it does not change under you)."""
        with self._lock:
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
        with self._lock:
            return [received.event for received in self._events]

    @property
    def received(self) -> list[ReceivedPush]:
        """Every push event accepted, with the time it came."""
        with self._lock:
            return list(self._events)

    @property
    def refused(self) -> list[PushOutcome]:
        """Every push request refused (401, 400, 415), with the answer given."""
        with self._lock:
            return list(self._refused)

    @property
    def webhook_calls(self) -> list[WebhookCall]:
        """Every call made to your webhook, in order."""
        with self._lock:
            return list(self._calls)

    @property
    def last_reply(self) -> Reply | None:
        """The reply applied from the last webhook call (``None`` if it gave none in time)."""
        with self._lock:
            return self._calls[-1].reply if self._calls else None

    def wait_for(
        self, condition: Callable[[BotcopyEmulator], bool], *, timeout: float = 5.0
    ) -> None:
        """Wait until ``condition(emulator)`` holds, re-checked after every push and call.

        Your proxy pushes on its own time; wait for what it should have done::

            botcopy.wait_for(lambda b: b.customer_sees() == ["hello"])

        Raises:
            EmulatorTimeoutError: It did not hold within ``timeout`` seconds.

        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                # The condition reads through the lock again; Condition's lock is re-entrant.
                if condition(self):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulatorTimeoutError(f"The condition did not hold within {timeout} s")
                # Wake at least every 50 ms: time-based state (typing, expiry) changes silently.
                self._lock.wait(min(remaining, 0.05))

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
        with self._lock:
            customers = list(self._conversations)
            self._conversations.clear()
            self._events.clear()
            self._calls.clear()
            self._refused.clear()
            self.faults.clear()
            self._rotation.reset()
        for bot_id, user_id in customers:
            self._changed(bot_id, user_id)
