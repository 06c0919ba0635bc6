"""The one request core every adapter shares: method, headers and body in; status and JSON out.

An adapter only moves bytes: it calls :meth:`WebhookEndpoint.precheck` with
the method and headers (so a bad or oversized call is refused before its body
is read), reads the body up to ``max_bytes``, and answers what
:meth:`WebhookEndpoint.respond` (or :meth:`~WebhookEndpoint.arespond`) returns.
Everything else — verification, parsing, which handler runs, the deadline,
the fallback, the store — is decided here, once, for sync and async servers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

from botcopy_handover._errors import (
    ConfigurationError,
    HandlerError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    WebhookError,
)
from botcopy_handover.models.replies import Continue, End, Pause, Reply
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.webhook._guard import (
    DeadlineGuard,
    LateCallback,
    Outcome,
    Overran,
    Raised,
    Returned,
)
from botcopy_handover.webhook._headers import HeadersLike
from botcopy_handover.webhook._store import AsyncWebhookStore, WebhookStore

if TYPE_CHECKING:
    from botcopy_handover.webhook._webhook import Webhook

__all__ = ["HandoverHandler", "MessageHandler", "WebhookEndpoint", "WebhookResponse"]

logger = logging.getLogger("botcopy_handover.webhook")

HandoverHandler: TypeAlias = Callable[[HandoverRequest], "Reply | Awaitable[Reply]"]
"""Your Step One handler: takes a :class:`~botcopy_handover.HandoverRequest`, returns a reply."""

MessageHandler: TypeAlias = Callable[[CustomerMessage], "Reply | Awaitable[Reply]"]
"""Your Step Two handler: takes a :class:`~botcopy_handover.CustomerMessage`, returns a reply."""

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


def _session(event: HandoverRequest | CustomerMessage) -> str:
    return event.session_id or event.session or "-"


def _label(name: str, event: HandoverRequest | CustomerMessage) -> str:
    return f"{name} for session {_session(event)}"


class WebhookEndpoint:
    """A webhook endpoint with your two handlers; adapters wrap it for one server interface.

    Made by :meth:`Webhook.endpoint <botcopy_handover.Webhook.endpoint>`; use it
    directly to write an adapter for a framework the SDK does not ship.

    Args:
        webhook: The verification settings, deadline and fallbacks.
        on_handover: Called with each :class:`~botcopy_handover.HandoverRequest`.
        on_customer_message: Called with each :class:`~botcopy_handover.CustomerMessage`.

    Raises:
        ConfigurationError: A handler is not callable.

    """

    def __init__(
        self, webhook: Webhook, on_handover: HandoverHandler, on_customer_message: MessageHandler
    ) -> None:
        for name, handler in (
            ("on_handover", on_handover),
            ("on_customer_message", on_customer_message),
        ):
            if not callable(handler):
                raise ConfigurationError(f"{name} must be callable, not {type(handler).__name__}")
        self.webhook = webhook
        self.on_handover = on_handover
        self.on_customer_message = on_customer_message
        self.guard = DeadlineGuard(webhook.reply_timeout, webhook.handler_threads)

    def __repr__(self) -> str:
        return f"WebhookEndpoint({self.webhook!r})"

    @property
    def max_bytes(self) -> int:
        """The body size limit; adapters stop reading past it and answer :meth:`too_large`."""
        return self.webhook.max_bytes

    # -- the request, step by step (adapters call these) ---------------------

    def precheck(self, method: str, headers: HeadersLike) -> WebhookResponse | None:
        """Refuse a call from its method and headers alone; ``None`` to go on and read the body.

        Answers 405 to anything but ``POST``, 401 to wrong credentials, 415 to
        a non-JSON ``Content-Type``, 413 when ``Content-Length`` is over the limit.
        """
        try:
            if method.upper() != "POST":
                raise MethodNotAllowedError("Only POST is allowed")
            self.webhook.verify_headers(headers)
        except WebhookError as error:
            return WebhookResponse.for_error(error)
        return None

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
        deadline = time.monotonic() + self.webhook.reply_timeout
        try:
            event = self.webhook.parse(body, headers=headers)
        except WebhookError as error:
            return WebhookResponse.for_error(error)
        store = self._store if self.webhook.store is not None else None
        if store is not None and store.is_duplicate(event, deadline):
            return self._answer_duplicate(event)
        name, handler = self._handler_for(event)
        outcome = self.guard.run(
            handler,
            event,
            self._late(name, event),
            budget=deadline - time.monotonic(),
            label=_label(name, event),
        )
        response = self._conclude(name, event, outcome)
        if response.reply is not None and store is not None:
            store.record(event, response.reply, deadline)
        return response

    async def arespond(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: HeadersLike | None = None,
    ) -> WebhookResponse:
        """:meth:`respond` for asyncio servers: async handlers run on the loop."""
        deadline = time.monotonic() + self.webhook.reply_timeout
        try:
            event = self.webhook.parse(body, headers=headers)
        except WebhookError as error:
            return WebhookResponse.for_error(error)
        store = self._astore if self.webhook.store is not None else None
        if store is not None and await store.is_duplicate(event, deadline):
            return self._answer_duplicate(event)
        name, handler = self._handler_for(event)
        outcome = await self.guard.arun(
            handler,
            event,
            self._late(name, event),
            budget=deadline - time.monotonic(),
            label=_label(name, event),
        )
        response = self._conclude(name, event, outcome)
        if response.reply is not None and store is not None:
            await store.record(event, response.reply, deadline)
        return response

    def handle(
        self, method: str, headers: HeadersLike, body: bytes | bytearray | memoryview | str
    ) -> WebhookResponse:
        """The whole call at once, for servers that hand over the body already read."""
        return self.precheck(method, headers) or self.respond(body, headers)

    async def ahandle(
        self, method: str, headers: HeadersLike, body: bytes | bytearray | memoryview | str
    ) -> WebhookResponse:
        """:meth:`handle` for asyncio servers."""
        return self.precheck(method, headers) or await self.arespond(body, headers)

    async def drain(self, timeout: float = 5.0) -> int:
        """Wait up to ``timeout`` s for async handlers still running past their deadline.

        Each handler still running after that is logged with its session id,
        then their count; the server may cancel them (that is logged too).

        Returns:
            How many handlers are still running.

        """
        if self.webhook.store is not None and "_astore" in self.__dict__:
            await self._astore.drain(timeout)
        left = await self.guard.drain(timeout)
        for label in left:
            logger.error(
                "%s still running %.1f s into the shutdown: abandoned, its work may be lost",
                label,
                timeout,
            )
        if left:
            logger.error("%d webhook handler(s) abandoned at shutdown", len(left))
        return len(left)

    def close(self) -> None:
        """Release the handler threads (they finish what they run first).

        Handlers still running in a thread are logged with their session id,
        then their count: a process that exits now loses their work.
        """
        running = self.guard.close()
        if self.webhook.store is not None and "_store" in self.__dict__:
            self._store.close()
        for label in running:
            logger.warning("%s still running in its thread at shutdown", label)
        if running:
            logger.warning("%d webhook handler thread(s) still running at shutdown", len(running))

    # -- the decisions, made once -------------------------------------------

    def _handler_for(
        self, event: HandoverRequest | CustomerMessage
    ) -> tuple[str, Callable[[Any], object]]:
        if isinstance(event, HandoverRequest):
            return "on_handover", self.on_handover
        return "on_customer_message", self.on_customer_message

    def _conclude(
        self, name: str, event: HandoverRequest | CustomerMessage, outcome: Outcome
    ) -> WebhookResponse:
        """The answer to a call whose handler ran: its reply, the fallback, or a 500."""
        if isinstance(outcome, Overran):
            fallback = self.webhook.fallback_for(event)
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
        return WebhookResponse.for_reply(outcome.value)  # type: ignore[arg-type]

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
        fallback = self.webhook.fallback_for(event)
        logger.info(
            "Webhook body for session %s seen before (within %s): answered %r, handler not called",
            _session(event),
            self.webhook.duplicate_window,
            fallback,
        )
        return WebhookResponse.for_reply(fallback)

    # -- the store (opt-in) ---------------------------------------------------

    @cached_property
    def _store(self) -> WebhookStore:
        webhook = self.webhook
        assert webhook.store is not None
        return WebhookStore(webhook.store, webhook.duplicate_window, webhook.store_timeout)  # type: ignore[arg-type]

    @cached_property
    def _astore(self) -> AsyncWebhookStore:
        webhook = self.webhook
        assert webhook.store is not None
        return AsyncWebhookStore(webhook.store, webhook.duplicate_window, webhook.store_timeout)

    def require_sync_store(self) -> None:
        """Fail now, not at the first call, if a sync server was given an async store.

        Raises:
            ConfigurationError: The store is asynchronous.

        """
        if self.webhook.store is not None:
            _ = self._store

    def require_async_store(self) -> None:
        """Fail now if an asyncio server was given a store that would block the event loop.

        Raises:
            ConfigurationError: The store is synchronous I/O (use ``AsyncRedisStore``).

        """
        if self.webhook.store is not None:
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
