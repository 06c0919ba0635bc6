"""The one request core every adapter shares: method, headers and body in; status and JSON out.

An adapter only moves bytes: it calls
[`WebhookEndpoint.precheck`][botcopy_handover.webhook.WebhookEndpoint.precheck] with
the method and headers (so a bad or oversized call is refused before its body
is read), reads the body up to ``max_bytes``, and answers what
[`WebhookEndpoint.respond`][botcopy_handover.webhook.WebhookEndpoint.respond] (or
[`arespond`][botcopy_handover.webhook.WebhookEndpoint.arespond]) returns.
Everything else — verification, parsing, which handler runs, the deadline,
the fallback, the store — is decided here, once, for sync and async servers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

from typing_extensions import TypedDict

from botcopy_handover._errors import (
    ConfigurationError,
    HandlerError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    WebhookError,
)
from botcopy_handover.models.replies import Continue, End, Pause, Reply
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.state._dedupe import DEFAULT_DUPLICATE_WINDOW
from botcopy_handover.state._store import AsyncConversationStore, ConversationStore
from botcopy_handover.state.memory import MemoryStore
from botcopy_handover.webhook._context import (
    DEFAULT_AFTER_REPLY_LIMIT,
    AfterReply,
    AsyncHandlerContext,
    HandlerContext,
    wants_context,
)
from botcopy_handover.webhook._guard import (
    DeadlineGuard,
    LateCallback,
    Outcome,
    Overran,
    Raised,
    Returned,
    is_async_callable,
)
from botcopy_handover.webhook._headers import HeadersLike
from botcopy_handover.webhook._store import AsyncWebhookStore, WebhookStore
from botcopy_handover.webhook._webhook import Webhook

if TYPE_CHECKING:
    from botcopy_handover.client._async import AsyncClient
    from botcopy_handover.client._sync import Client

__all__ = [
    "DEFAULT_REPLY_TIMEOUT",
    "DEFAULT_STORE_TIMEOUT",
    "AsyncEndpointOptions",
    "EndpointOptions",
    "HandoverHandler",
    "MessageHandler",
    "WebhookEndpoint",
    "WebhookResponse",
]

logger = logging.getLogger("botcopy_handover.webhook")

DEFAULT_REPLY_TIMEOUT = 4.5
"""Seconds a handler may take before the fallback reply is sent (Botcopy waits 5)."""

DEFAULT_STORE_TIMEOUT = 0.5
"""Seconds one store call on the webhook path may take before the store counts as down."""

HandoverHandler: TypeAlias = (
    Callable[[HandoverRequest], Reply | Awaitable[Reply]]
    | Callable[[HandoverRequest, AsyncHandlerContext], Awaitable[Reply]]
    | Callable[[HandoverRequest, HandlerContext], Reply]
)
"""Your Step One handler: takes a [HandoverRequest][botcopy_handover.HandoverRequest]
(and, if it has a second parameter, an
[AsyncHandlerContext][botcopy_handover.AsyncHandlerContext] or a
[HandlerContext][botcopy_handover.HandlerContext]), returns a reply."""

MessageHandler: TypeAlias = (
    Callable[[CustomerMessage], Reply | Awaitable[Reply]]
    | Callable[[CustomerMessage, AsyncHandlerContext], Awaitable[Reply]]
    | Callable[[CustomerMessage, HandlerContext], Reply]
)
"""Your Step Two handler: takes a [CustomerMessage][botcopy_handover.CustomerMessage]
(and, optionally, a context, as for `HandoverHandler`),
returns a reply."""


class _ServingOptions(TypedDict, total=False):
    reply_timeout: float
    handover_fallback: Reply
    message_fallback: Reply
    duplicate_window: timedelta
    store_timeout: float
    handler_threads: int
    push_client: AsyncClient | None
    sync_push_client: Client | None
    after_reply_limit: int


class EndpointOptions(_ServingOptions, total=False):
    """The serving settings adapters pass on to the endpoint.

    See [WebhookEndpoint][botcopy_handover.webhook.WebhookEndpoint].
    Each key is the endpoint's keyword argument of the same name.
    """

    store: ConversationStore | AsyncConversationStore | None


class AsyncEndpointOptions(_ServingOptions, total=False):
    """`EndpointOptions` for an asyncio server (`asgi_app`).

    The ``store`` is one that does not block the event loop: an async store
    (``AsyncRedisStore``) or a ``MemoryStore``, so a type checker refuses a
    ``RedisStore`` where the server would refuse it at start-up.
    """

    store: AsyncConversationStore | MemoryStore | None


def _check_reply(value: object, name: str) -> Reply:
    if not isinstance(value, (Pause, Continue, End)):
        raise ConfigurationError(f"{name} must be Pause(), Continue() or End(), not {value!r}")
    return value


_JSON_HEADERS = (("content-type", "application/json"),)
_POST_ONLY = (*_JSON_HEADERS, ("allow", "POST"))
_HANDLER_FAILED = "The webhook handler failed"


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    """What an adapter answers: a status, JSON bytes and the headers to send.

    Attributes:
        status_code: The HTTP status.
        body: The JSON body, UTF-8.
        headers: ``(name, value)`` pairs, lower-case names.
        reply: The reply sent to Botcopy, for a 200; ``None`` otherwise.

    """

    status_code: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = _JSON_HEADERS
    reply: Reply | None = None
    context: AsyncHandlerContext | HandlerContext | None = field(
        default=None, compare=False, repr=False
    )

    def sent(self) -> None:
        """Tell the endpoint this answer has been sent: the handler's after-reply work starts.

        Every adapter calls it once the response is out; call it too in an
        adapter of your own. Does nothing when the handler took no context.
        """
        if self.context is not None:
            self.context.reply_sent()

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)

    @classmethod
    def for_error(cls, error: WebhookError) -> WebhookResponse:
        """The small JSON error body for ``error``, with its status."""
        headers = _POST_ONLY if isinstance(error, MethodNotAllowedError) else _JSON_HEADERS
        return cls(error.status_code, json.dumps(error.to_dict()).encode(), headers)

    @classmethod
    def for_reply(cls, reply: Reply) -> WebhookResponse:
        """A 200 with the reply's exact wire JSON."""
        return cls(200, reply.to_json(), _JSON_HEADERS, reply)


_REPLY_RESPONSES: dict[Reply, WebhookResponse] = {}
_REPLY_RESPONSES_MAX = 64


def _reply_response(reply: Reply) -> WebhookResponse:
    """``WebhookResponse.for_reply(reply)``, made once per distinct reply.

    Replies and responses are immutable, and nearly every call answers one of
    a handful (``Pause()``...): building a frozen dataclass costs more than
    this lookup. The cap keeps replies made up per call (``Pause(minutes=n)``
    for every ``n``) from growing it.
    """
    response = _REPLY_RESPONSES.get(reply)
    if response is None:
        response = WebhookResponse.for_reply(reply)
        if len(_REPLY_RESPONSES) < _REPLY_RESPONSES_MAX:
            _REPLY_RESPONSES[reply] = response
    return response


def _session(event: HandoverRequest | CustomerMessage) -> str:
    return event.session_id or event.session or "-"


@dataclass(frozen=True, slots=True)
class _Call:
    """One accepted call and what its handler gets: what ``respond`` and ``arespond`` share."""

    deadline: float
    event: HandoverRequest | CustomerMessage
    name: str
    handler: Callable[..., object]
    context: AsyncHandlerContext | HandlerContext | None
    late: LateCallback

    def label(self) -> str:
        """The handler and its session, for the shutdown report (made only when needed)."""
        return f"{self.name} for session {_session(self.event)}"

    @property
    def extra(self) -> tuple[object, ...]:
        """The handler's arguments after the event: the context, when it takes one."""
        return () if self.context is None else (self.context,)

    def budget(self) -> float:
        """Seconds left for the handler."""
        return self.deadline - time.monotonic()


class WebhookEndpoint:
    """A webhook endpoint with your two handlers: the serving side of the webhook.

    [Webhook][botcopy_handover.Webhook] verifies and parses; the endpoint
    runs your handlers within Botcopy's 5 seconds, answers the fallback when
    they are late, keeps duplicates away, gives handlers that ask for it a
    context with the customer's conversation and after-reply work, and closes
    all of it at shutdown. Every adapter wraps one
    (`asgi_app`,
    `wsgi_app`, the integrations) and
    takes these keyword arguments (`EndpointOptions`);
    use it directly to write an adapter for a framework the SDK does not ship.

    Args:
        webhook: Verification and parsing.
        on_handover: Called with each [HandoverRequest][botcopy_handover.HandoverRequest]
            (and a context, if it takes a second parameter).
        on_customer_message: Called with each [CustomerMessage][botcopy_handover.CustomerMessage]
            (and a context, likewise).
        reply_timeout: Seconds a handler may run before the endpoint answers
            the fallback reply instead (Botcopy ignores replies after 5 s).
        handover_fallback: The reply to a handover request whose handler ran
            out of time, or whose body was already seen.
        message_fallback: The same, for a customer message.
        store: Record every reply in this conversation store and refuse to
            pass a body seen twice within ``duplicate_window`` to a handler.
            Sync adapters take a sync store; async ones an async store or a
            [MemoryStore][botcopy_handover.MemoryStore].
        duplicate_window: How long a body counts as already seen.
        store_timeout: The most seconds each store call (the duplicate check
            before the handler, the record after it) may take; it never gets
            more than what is left of ``reply_timeout``. A store slower than
            this is treated as down: logged, and the answer goes out anyway.
        handler_threads: Worker threads for handlers that are plain functions.
        push_client: The ``AsyncClient`` behind ``context.conversation`` of
            ``async def`` handlers; by default one made from the environment
            (``BOTCOPY_API_KEY``, ``BOTCOPY_BASE_URL``) at first use and
            closed at shutdown. One you pass is yours to close.
        sync_push_client: The same, a ``Client``, for plain-function handlers.
        after_reply_limit: The most after-reply jobs running at once.

    Raises:
        ConfigurationError: A handler is not callable, or an option is out of range.

    """

    def __init__(
        self,
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        *,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
        handover_fallback: Reply = Pause(),  # noqa: B008 - frozen, immutable
        message_fallback: Reply = Pause(),  # noqa: B008 - frozen, immutable
        store: ConversationStore | AsyncConversationStore | None = None,
        duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
        store_timeout: float = DEFAULT_STORE_TIMEOUT,
        handler_threads: int = 32,
        push_client: AsyncClient | None = None,
        sync_push_client: Client | None = None,
        after_reply_limit: int = DEFAULT_AFTER_REPLY_LIMIT,
    ) -> None:
        for name, handler in (
            ("on_handover", on_handover),
            ("on_customer_message", on_customer_message),
        ):
            if not callable(handler):
                raise ConfigurationError(f"{name} must be callable, not {type(handler).__name__}")
        if not 0 < reply_timeout <= 60:
            raise ConfigurationError("reply_timeout must be between 0 and 60 seconds")
        if handler_threads < 1:
            raise ConfigurationError("handler_threads must be at least 1")
        if not store_timeout > 0:
            raise ConfigurationError("store_timeout must be positive")
        self.webhook: Webhook = webhook
        self.on_handover: HandoverHandler = on_handover
        self.on_customer_message: MessageHandler = on_customer_message
        self.reply_timeout: float = float(reply_timeout)
        self.handover_fallback: Reply = _check_reply(handover_fallback, "handover_fallback")
        self.message_fallback: Reply = _check_reply(message_fallback, "message_fallback")
        self.store: ConversationStore | AsyncConversationStore | None = store
        self.duplicate_window: timedelta = duplicate_window
        self.store_timeout: float = float(store_timeout)
        self.handler_threads: int = handler_threads
        self.guard: DeadlineGuard = DeadlineGuard(self.reply_timeout, handler_threads)
        self.after_reply: AfterReply = AfterReply(after_reply_limit)
        self._given_clients = (push_client, sync_push_client)
        self._push_client = push_client
        self._sync_push_client = sync_push_client
        self._clients_lock = threading.Lock()
        # Per handler: (takes a context, is async).
        self._kinds = {
            "on_handover": (wants_context(on_handover), is_async_callable(on_handover)),
            "on_customer_message": (
                wants_context(on_customer_message),
                is_async_callable(on_customer_message),
            ),
        }

    def __repr__(self) -> str:
        return f"WebhookEndpoint({self.webhook!r}, reply_timeout={self.reply_timeout})"

    def fallback_for(self, event: HandoverRequest | CustomerMessage) -> Reply:
        """The fallback reply for ``event``'s kind."""
        if isinstance(event, HandoverRequest):
            return self.handover_fallback
        return self.message_fallback

    @property
    def max_bytes(self) -> int:
        """The body size limit; adapters stop reading past it and answer [`too_large`][botcopy_handover.webhook.WebhookEndpoint.too_large]."""  # noqa: E501 - a link in the summary
        return self.webhook.max_bytes

    # -- the request, step by step (adapters call these) ---------------------

    def precheck(self, method: str, headers: HeadersLike) -> WebhookResponse | None:
        """Refuse a call from its method and headers alone; ``None`` to go on and read the body.

        Answers 405 to anything but ``POST``, 401 to wrong credentials, 415 to
        a non-JSON ``Content-Type``, 413 when ``Content-Length`` is over the limit.
        """
        checked = self._precheck(method, headers)
        return checked if isinstance(checked, WebhookResponse) else None

    def _precheck(self, method: str, headers: HeadersLike) -> WebhookResponse | bytes:
        """``precheck``, or the accepted token's digest for ``_arespond``."""
        try:
            if method != "POST" and method.upper() != "POST":
                raise MethodNotAllowedError("Only POST is allowed")
            return self.webhook._verified_headers(headers)[1]
        except WebhookError as error:
            return WebhookResponse.for_error(error)

    def too_large(self) -> WebhookResponse:
        """The 413 answer, for a body that grew past the limit while being read."""
        return WebhookResponse.for_error(PayloadTooLargeError(self.max_bytes))

    def respond(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: HeadersLike | None = None,
    ) -> WebhookResponse:
        """Parse an accepted call's body, run its handler in a worker thread, and answer.

        The answer is ready within the webhook's ``reply_timeout`` of this
        call, whatever the handler and the store do. Pass the request's
        ``headers`` so the body's token is checked against the header's.
        """
        call = self._accept(body, headers)
        if isinstance(call, WebhookResponse):
            return call
        store = self._store if self.store is not None else None
        if store is not None and store.is_duplicate(call.event, call.deadline):
            return self._answer_duplicate(call.event)
        runner = self.after_reply.run_coroutine if call.context is not None else None
        outcome = self.guard.run(
            call.handler,
            call.event,
            call.late,
            budget=call.budget(),
            label=call.label,
            extra=call.extra,
            runner=runner,
        )
        response = self._conclude(call, outcome)
        if response.reply is not None and store is not None:
            store.record(call.event, response.reply, call.deadline)
        return response

    async def arespond(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: HeadersLike | None = None,
    ) -> WebhookResponse:
        """[`respond`][botcopy_handover.webhook.WebhookEndpoint.respond] for asyncio servers: async handlers run on the loop."""  # noqa: E501 - a link in the summary
        return await self._arespond(body, headers, None)

    async def _arespond(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: HeadersLike | None,
        header_digest: bytes | None,
    ) -> WebhookResponse:
        """``arespond``; given ``_precheck``'s digest, the header is not read again."""
        call = self._accept(body, headers, header_digest)
        if isinstance(call, WebhookResponse):
            return call
        astore = self._astore if self.store is not None else None
        if astore is not None and await astore.is_duplicate(call.event, call.deadline):
            return self._answer_duplicate(call.event)
        budget = call.budget()
        outcome = await self.guard.arun(
            call.handler,
            call.event,
            call.late,
            budget=budget,
            label=call.label,
            extra=call.extra,
            is_async=self._kinds[call.name][1],
        )
        response = self._conclude(call, outcome)
        if response.reply is not None and astore is not None:
            await astore.record(call.event, response.reply, call.deadline)
        return response

    def handle(
        self, method: str, headers: HeadersLike, body: bytes | bytearray | memoryview | str
    ) -> WebhookResponse:
        """The whole call at once, for servers that hand over the body already read."""
        return self.precheck(method, headers) or self.respond(body, headers)

    async def ahandle(
        self, method: str, headers: HeadersLike, body: bytes | bytearray | memoryview | str
    ) -> WebhookResponse:
        """[`handle`][botcopy_handover.webhook.WebhookEndpoint.handle] for asyncio servers."""
        return self.precheck(method, headers) or await self.arespond(body, headers)

    async def drain(self, timeout: float = 5.0) -> int:
        """Wait up to ``timeout`` s for async handlers still running past their deadline.

        Then for the after-reply work (up to ``timeout`` s more), and close
        the push client the endpoint made. Each handler or job still running
        after that is logged with its session id, then their count; the
        server may cancel them (that is logged too).

        Returns:
            How many handlers are still running.

        """
        if self.store is not None and "_astore" in self.__dict__:
            await self._astore.drain(timeout)
        left = await self.guard.drain(timeout)
        await self.after_reply.drain(timeout)
        client = self._push_client
        if client is not None and self._given_clients[0] is None and not self._on_own_loop():
            self._push_client = None
            await client.aclose()
        for label in left:
            logger.error(
                "%s still running %.1f s into the shutdown: abandoned, its work may be lost",
                label,
                timeout,
            )
        if left:
            logger.error("%d webhook handler(s) abandoned at shutdown", len(left))
        return len(left)

    def close(self, timeout: float = 5.0) -> None:
        """Release the handler threads (they finish what they run first); close the push clients.

        Waits up to ``timeout`` s for after-reply work in threads (sync
        servers have no drain). Handlers and jobs still running are logged
        with their session id, then their count: a process that exits now
        loses their work. Push clients the endpoint made are closed; those
        you passed are yours to close.
        """
        running = self.guard.close()
        self.after_reply.close(timeout)
        self._close_clients()
        if self.store is not None and "_store" in self.__dict__:
            self._store.close()
        for label in running:
            logger.warning("%s still running in its thread at shutdown", label)
        if running:
            logger.warning("%d webhook handler thread(s) still running at shutdown", len(running))

    # -- the handler's context and push clients --------------------------------

    def _context(
        self, name: str, event: HandoverRequest | CustomerMessage
    ) -> AsyncHandlerContext | HandlerContext | None:
        wants, is_async = self._kinds[name]
        if not wants:
            return None
        if is_async:
            return AsyncHandlerContext(event, self.after_reply, self.async_push_client)
        return HandlerContext(event, self.after_reply, self.push_client)

    def async_push_client(self) -> AsyncClient:
        """The ``AsyncClient`` handlers push through: the one given, or one from the environment.

        Raises:
            ConfigurationError: None was given and ``BOTCOPY_API_KEY`` is not set.

        """
        with self._clients_lock:
            if self._push_client is None:
                from botcopy_handover.client._async import AsyncClient

                self._push_client = AsyncClient()
            return self._push_client

    def push_client(self) -> Client:
        """The ``Client`` plain-function handlers push through, given or made as [`async_push_client`][botcopy_handover.webhook.WebhookEndpoint.async_push_client]'s."""  # noqa: E501 - a link in the summary
        with self._clients_lock:
            if self._sync_push_client is None:
                from botcopy_handover.client._sync import Client

                self._sync_push_client = Client()
            return self._sync_push_client

    def _on_own_loop(self) -> bool:
        # Under a sync server the async client lives on the endpoint's own loop.
        return self.after_reply._loop is not None

    def _close_clients(self) -> None:
        given_async, given_sync = self._given_clients
        client, self._push_client = self._push_client, given_async
        if client is not None and given_async is None:
            loop = self.after_reply._loop
            try:
                if loop is not None:
                    self.after_reply.run_coroutine(client.aclose())
                else:
                    asyncio.run(client.aclose())
            except Exception:
                logger.exception("Closing the webhook's push client failed")
        sync, self._sync_push_client = self._sync_push_client, given_sync
        if sync is not None and given_sync is None:
            sync.close()
        self.after_reply.stop_loop()

    # -- the decisions, made once -------------------------------------------

    def _accept(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: HeadersLike | None,
        header_digest: bytes | None = None,
    ) -> _Call | WebhookResponse:
        """The call parsed, with its handler and context; the error answer to a refused body."""
        deadline = time.monotonic() + self.reply_timeout
        try:
            event = self.webhook._parse(body, headers, header_digest)
        except WebhookError as error:
            return WebhookResponse.for_error(error)
        name, handler = self._handler_for(event)
        context = self._context(name, event)
        return _Call(deadline, event, name, handler, context, self._late(name, event))

    def _handler_for(
        self, event: HandoverRequest | CustomerMessage
    ) -> tuple[str, Callable[..., object]]:
        if isinstance(event, HandoverRequest):
            return "on_handover", self.on_handover
        return "on_customer_message", self.on_customer_message

    def _conclude(self, call: _Call, outcome: Outcome) -> WebhookResponse:
        """The answer to a call whose handler ran, carrying its context for the after-reply work."""
        response = self._answer(call.name, call.event, outcome)
        if call.context is None:
            return response
        return WebhookResponse(
            response.status_code, response.body, response.headers, response.reply, call.context
        )

    def _answer(
        self, name: str, event: HandoverRequest | CustomerMessage, outcome: Outcome
    ) -> WebhookResponse:
        """The answer to a call whose handler ran: its reply, the fallback, or a 500."""
        if isinstance(outcome, Overran):
            fallback = self.fallback_for(event)
            logger.warning(
                "%s ran past its %.2f s budget for session %s: answered %r; "
                "the handler goes on in the background",
                name,
                self.guard.budget,
                _session(event),
                fallback,
            )
            return WebhookResponse.for_reply(fallback)
        error = _handler_problem(name, outcome)
        if error is not None:
            logger.error(
                "%s for session %s: %s",
                name,
                _session(event),
                error.message,
                exc_info=error.__cause__,
            )
            # The log has the detail; the caller gets no more than the kind of failure.
            shown = HandlerError(_HANDLER_FAILED, handler=name) if error.__cause__ else error
            return WebhookResponse.for_error(shown)
        assert isinstance(outcome, Returned)
        return _reply_response(outcome.value)  # type: ignore[arg-type]

    def _late(self, name: str, event: HandoverRequest | CustomerMessage) -> LateCallback:
        def report(outcome: Returned | Raised) -> None:
            if isinstance(outcome, Raised) and isinstance(outcome.error, asyncio.CancelledError):
                logger.error(
                    "%s for session %s was cancelled before it finished "
                    "(server shutdown or loop closed): its work may be lost",
                    name,
                    _session(event),
                )
                return
            error = _handler_problem(name, outcome)
            if error is not None:
                logger.error(
                    "%s for session %s, after its deadline: %s",
                    name,
                    _session(event),
                    error.message,
                    exc_info=error.__cause__,
                )
            else:
                assert isinstance(outcome, Returned)
                logger.info(
                    "%s finished after its deadline for session %s; its reply %r was not sent",
                    name,
                    _session(event),
                    outcome.value,
                )

        return report

    def _answer_duplicate(self, event: HandoverRequest | CustomerMessage) -> WebhookResponse:
        fallback = self.fallback_for(event)
        logger.info(
            "Webhook body for session %s seen before (within %s): answered %r, handler not called",
            _session(event),
            self.duplicate_window,
            fallback,
        )
        return WebhookResponse.for_reply(fallback)

    # -- the store (opt-in) ---------------------------------------------------

    @cached_property
    def _store(self) -> WebhookStore:
        assert self.store is not None
        return WebhookStore(self.store, self.duplicate_window, self.store_timeout)  # type: ignore[arg-type]

    @cached_property
    def _astore(self) -> AsyncWebhookStore:
        assert self.store is not None
        return AsyncWebhookStore(self.store, self.duplicate_window, self.store_timeout)

    def require_sync_store(self) -> None:
        """Fail now, not at the first call, if a sync server was given an async store.

        Raises:
            ConfigurationError: The store is asynchronous.

        """
        if self.store is not None:
            _ = self._store

    def require_async_store(self) -> None:
        """Fail now if an asyncio server was given a store that would block the event loop.

        Raises:
            ConfigurationError: The store is synchronous I/O (use ``AsyncRedisStore``).

        """
        if self.store is not None:
            _ = self._astore


def _handler_problem(name: str, outcome: Returned | Raised) -> HandlerError | None:
    """What is wrong with a finished handler's outcome, or ``None`` if it gave a reply."""
    if isinstance(outcome, Raised):
        error = HandlerError(f"{name} raised {type(outcome.error).__name__}", handler=name)
        error.__cause__ = outcome.error
        return error
    if isinstance(outcome.value, (Pause, Continue, End)):
        return None
    return HandlerError(
        f"{name} returned {type(outcome.value).__name__}, not a reply: "
        "return Pause(), Continue() or End()",
        handler=name,
    )
