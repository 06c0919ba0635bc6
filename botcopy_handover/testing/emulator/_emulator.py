"""``BotcopyEmulator``: Botcopy's side of a live chat, on loopback, for tests and demos.

It plays three parts:

* **the push endpoint** (``POST /webhooks/handover/push``), strict: the API
  key in ``Authorization`` (raw, as Botcopy expects it today: a ``Bearer``
  prefix is refused), ``Content-Type: application/json``, every field checked
  by :func:`~botcopy_handover.parse_push_event`; each accepted event is
  applied to the customer's conversation and recorded;
* **the customer and the bot**: :meth:`BotcopyEmulator.customer_says` runs a
  scripted Dialogflow bot, calls your webhook with Step One when the bot asks
  for a human and with Step Two while paused, and applies your reply the way
  Botcopy does — including ignoring it after the 5-second deadline;
* **Botcopy's memory**: pause expiry (pushed back by every message in and
  out), the agent profile, the typing indicator (gone after 10 s or at the
  agent's next message), the transcript the customer sees, and the message
  history with all five item kinds.

Pushes for a customer the emulator has not seen are accepted (Botcopy's
document does not say otherwise) and start a conversation.
"""

from __future__ import annotations

import copy
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeAlias

import httpx

from botcopy_handover._errors import (
    BotcopyError,
    ConfigurationError,
    EmulatorTimeoutError,
    InvalidEventError,
    InvalidPayloadError,
)
from botcopy_handover.models.push import PushEvent, parse_push_event
from botcopy_handover.models.replies import Continue, End, Pause, Reply
from botcopy_handover.state._store import Clock, utc_now
from botcopy_handover.testing._requests import build_webhook_request
from botcopy_handover.testing.emulator._bot import Platform, ScriptedBot
from botcopy_handover.testing.emulator._conversation import Conversation, Seen
from botcopy_handover.testing.emulator._faults import Fault, FaultPlan
from botcopy_handover.webhook._headers import is_json_content_type

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_ACCESS_TOKEN",
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

CallOutcome: TypeAlias = Literal["replied", "late", "timeout", "error", "invalid"]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


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
        reply: The applied reply when ``outcome`` is ``replied``.
        status_code: The HTTP status, if an answer came.
        elapsed: Seconds from sending to the answer (or to giving up).
        detail: A short explanation for anything but ``replied``.

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

    """

    event: PushEvent
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the event's wire JSON and the time received."""
        return {"event": self.event.to_dict(), "receivedAt": _iso(self.at)}


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


class BotcopyEmulator:
    """Botcopy on loopback: a strict push endpoint, a scripted customer and bot, and their state.

    Use it in-process (``with BotcopyEmulator(...) as botcopy:``, or the
    pytest fixture ``botcopy``), or as a process (``botcopy-handover
    emulate``) driven over its control API under ``/emulator/``.

    Args:
        webhook_url: Your proxy's webhook; the emulator calls it with Step One and Two.
        access_token: The token sent in ``Authorization`` and ``accessToken``.
        api_key: The API key your proxy must push with.
        custom_header: ``(name, value)`` of the portal's custom header, if any.
        platform: The scripted bot's Dialogflow edition, ``"es"`` or ``"cx"``.
        bot: A :class:`~botcopy_handover.testing.emulator.ScriptedBot` of your own
            (overrides ``platform``).
        reply_deadline: Seconds the emulator waits for your webhook's reply
            (Botcopy: 5).
        clock: Returns the current time (aware); inject one to move time in tests.
        host: Where the server listens; loopback only by default.
        port: The port; 0 picks a free one (see :attr:`url`).
        bot_id: The default bot for :meth:`customer_says` and friends.
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
        custom_header: tuple[str, str] | None = None,
        platform: Platform = "es",
        bot: ScriptedBot | None = None,
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
        self.bot = bot or ScriptedBot(platform=platform)
        self.reply_deadline = reply_deadline
        self.clock = clock
        self.host = host
        self.port = port
        self.bot_id = bot_id
        self.user_id = user_id
        self.faults = FaultPlan(fault_seed)
        self._api_key = api_key.encode()
        self._lock = threading.Condition()
        self._conversations: dict[tuple[str, str], Conversation] = {}
        self._events: list[ReceivedPush] = []
        self._calls: list[WebhookCall] = []
        self._refused: list[PushOutcome] = []
        self._http: httpx.Client | None = http_client
        self._owns_http = http_client is None
        self._server: Any = None  # the runner's uvicorn server, once started
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
        return f"{self.url}/webhooks/handover/push"

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

    def asgi_app(self) -> Any:
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
        supplied = headers.get("authorization", "").encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(supplied, self._api_key):
            outcome = PushOutcome(401, {"error": "unauthorized", "message": "Invalid API key"})
        elif not is_json_content_type(headers.get("content-type")):
            outcome = PushOutcome(
                415,
                {
                    "error": "unsupported_media_type",
                    "message": "Content-Type must be application/json",
                },
            )
        else:
            try:
                event = parse_push_event(body)
            except InvalidEventError as exc:
                outcome = PushOutcome(
                    400,
                    {
                        "error": "invalid_event",
                        "message": str(exc),
                        "errors": [{"field": e.path, "message": e.message} for e in exc.errors],
                    },
                )
            else:
                self._apply_push(event)
                return PushOutcome(200, {"ok": True})
        with self._lock:
            self._refused.append(outcome)
        logger.info("push refused with %d: %s", outcome.status_code, outcome.body["message"])
        return outcome

    def _apply_push(self, event: PushEvent) -> None:
        with self._lock:
            now = self.clock()
            self._conversation(event.bot_id, event.user_id).apply_push(event, now, self.bot)
            self._events.append(ReceivedPush(event, now))
            self._lock.notify_all()
        self._changed(event.bot_id, event.user_id)
        logger.info("push accepted: %s", json.dumps(event.to_dict(), ensure_ascii=False))

    # -- the customer and the bot --------------------------------------------

    def customer_says(
        self, text: str, *, user_id: str | None = None, bot_id: str | None = None
    ) -> Turn:
        """The customer sends ``text``: the bot answers, or your webhook is called.

        Not paused: the scripted bot answers; if it hands over, your webhook
        gets Step One with the history and your reply is applied. Paused: your
        webhook gets Step Two; ``Pause`` extends the pause, ``End`` ends it,
        ``Continue`` (or no valid reply in time) gives the message to the bot.

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
                conv.history.append(self.bot.customer_to_agent_item(text, conv.session_id, now))
                body = self._step_two(conv, text)
            else:
                said, response = self._ask_bot(conv, text, now)
                if not self.bot.wants_human(text):
                    self._changed(bot_id, user_id)
                    return Turn(text, said, None, False)
                body = self._step_one(conv, text, response)
        call = self._call_webhook("customer_message" if paused else "handover", body)
        with self._lock:
            now = self.clock()
            reply = call.reply
            bot_said: list[str] = [] if paused else said
            if isinstance(reply, Pause):
                conv.pause_for(reply.minutes, now)
            elif isinstance(reply, End):
                conv.resume()
            elif paused:
                # Continue, or no valid reply in time: Botcopy gives the message to the bot.
                if isinstance(reply, Continue):
                    conv.resume()
                bot_said, _ = self._ask_bot(conv, text, now)
            turn = Turn(text, bot_said, call, conv.is_paused(now))
        self._changed(bot_id, user_id)
        return turn

    def _greet(self, conv: Conversation, now: datetime) -> None:
        if conv.greeted:
            return
        conv.greeted = True
        response = self.bot.answer_event("WELCOME", conv.session)
        conv.history.append(self.bot.event_item("WELCOME", conv.session_id, now))
        conv.history.append(self.bot.response_item(response, now))
        for said in self.bot.texts(response):
            conv.show("bot", said, now)

    def _ask_bot(
        self, conv: Conversation, text: str, now: datetime
    ) -> tuple[list[str], dict[str, Any]]:
        response = self.bot.answer(text, conv.session)
        conv.history.append(self.bot.customer_query_item(text, conv.session_id, now))
        conv.history.append(self.bot.response_item(response, now))
        said = self.bot.texts(response)
        for line in said:
            conv.show("bot", line, now)
        return said, response

    def _step_one(self, conv: Conversation, text: str, response: dict[str, Any]) -> dict[str, Any]:
        return {
            "userId": conv.user_id,
            "botId": conv.bot_id,
            "sessionId": conv.session_id,
            "dialogflowResponse": response,
            "messageHistory": copy.deepcopy(conv.history),
            "session": conv.session,
            "queryInput": {"text": {"text": text, "languageCode": "en"}},
            "queryParams": {"contexts": []},
        }

    def _step_two(self, conv: Conversation, text: str) -> dict[str, Any]:
        return {
            "userId": conv.user_id,
            "botId": conv.bot_id,
            "sessionId": conv.session_id,
            "session": conv.session,
            "queryInput": {"text": {"text": text, "languageCode": "en"}},
            "queryParams": {"contexts": [], "payload": {}, "webhookHeaders": {}},
        }

    def _call_webhook(
        self, kind: Literal["handover", "customer_message"], body: dict[str, Any]
    ) -> WebhookCall:
        if not self.webhook_url:
            raise ConfigurationError("No webhook_url: the emulator has no proxy to call")
        if self._http is None:
            self._http = httpx.Client()
        request = build_webhook_request(
            body, access_token=self.access_token, custom_header=self.custom_header
        )

        def done(
            outcome: CallOutcome, reply: Reply | None, status: int | None, detail: str = ""
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
        if time.perf_counter() - started > self.reply_deadline:
            return done("late", None, answer.status_code, "the reply came after the deadline")
        if answer.status_code != 200:
            return done("error", None, answer.status_code, f"HTTP {answer.status_code}")
        try:
            reply = _read_reply(answer.content)
        except InvalidPayloadError as exc:
            return done("invalid", None, 200, str(exc))
        return done("replied", reply, 200)

    # -- what tests look at --------------------------------------------------

    def _conversation(self, bot_id: str, user_id: str) -> Conversation:
        key = (bot_id, user_id)
        conv = self._conversations.get(key)
        if conv is None:
            conv = Conversation(bot_id, user_id, session_id=f"emulator-session-{user_id}")
            self._conversations[key] = conv
        return conv

    def conversation(
        self, *, user_id: str | None = None, bot_id: str | None = None
    ) -> Conversation:
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

    def inject_fault(self, fault: Fault | None = None, /, **options: Any) -> Fault:
        """Put a fault in force on the push endpoint.

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
        for bot_id, user_id in customers:
            self._changed(bot_id, user_id)


def _read_reply(content: bytes) -> Reply:
    from botcopy_handover.models.replies import parse_reply

    try:
        return parse_reply(content)
    except BotcopyError as exc:
        raise InvalidPayloadError(str(exc)) from None
