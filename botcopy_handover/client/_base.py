"""The push client's one core, shared by ``Client`` and ``AsyncClient``.

Everything that is not I/O lives here and is written once: settings from
arguments or the environment, the events built from method arguments, the
request headers, retry decisions, error mapping and logging. A push is a
small generator (`ClientCore.push`) that yields *steps* — "send these
bytes", "sleep this long" — and receives what happened; the sync and async
classes only perform the steps.
"""

from __future__ import annotations

import enum
import logging
import os
import platform
import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Final
from urllib.parse import urlsplit

import httpx

from botcopy_handover._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidEventError,
    RateLimitError,
    StoreError,
)
from botcopy_handover._version import __version__
from botcopy_handover.client._redact import Redactor
from botcopy_handover.client._retry import (
    SAFE_STATUSES,
    RetryPolicy,
    is_unsafe_retryable_status,
    parse_retry_after,
)
from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)
from botcopy_handover.models.replies import check_minutes

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "PUSH_PATH",
    "UNSET",
    "Answer",
    "ClientCore",
    "Failure",
    "PushResult",
    "Send",
    "Sleep",
    "TimeoutArg",
    "Unset",
    "advance",
    "check_customer",
    "user_agent",
]

logger = logging.getLogger("botcopy_handover")

API_KEY_ENV: Final = "BOTCOPY_API_KEY"
BASE_URL_ENV: Final = "BOTCOPY_BASE_URL"
DEFAULT_BASE_URL: Final = "https://api.botcopy.com"
PUSH_PATH: Final = "/webhooks/handover/push"
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)
"""5 s to connect, 10 s for each read, write and wait for a pooled connection."""

_MAX_ERROR_TEXT = 1000


class Unset(enum.Enum):
    """Marks an argument that was not given (``None`` already means "no timeout")."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET
TimeoutArg = float | httpx.Timeout | None | Unset
"""A timeout argument: seconds, an ``httpx.Timeout``, ``None`` for none, or unset."""


def user_agent() -> str:
    """``botcopy-handover/<version> python/<x.y> httpx/<version>``."""
    python = ".".join(platform.python_version_tuple()[:2])
    return f"botcopy-handover/{__version__} python/{python} httpx/{httpx.__version__}"


@dataclass(frozen=True, slots=True)
class PushResult:
    """What a successful push did.

    Attributes:
        event: The event that was sent, exactly as validated.
        status_code: Botcopy's 2xx status.
        attempts: How many requests it took (``1`` when no retry was needed).
        elapsed: Seconds from the first attempt to the answer, waits included.
        store_error: With ``store=``: the error if recording the push in the
            store failed. The push itself succeeded (the customer got it), so
            this is reported here and logged, never raised: raising would
            invite a retry that shows the customer the message twice.

    """

    event: PushEvent
    status_code: int
    attempts: int
    elapsed: float
    store_error: StoreError | None = None


def store_failed(result: PushResult, error: StoreError) -> PushResult:
    """``result`` with the store's error kept, logged once (no secret: ids and the reason)."""
    logger.warning(
        "Botcopy accepted the %s push for user %s on bot %s, but the store could not record it: %s",
        result.event.event_type,
        result.event.user_id,
        result.event.bot_id,
        error,
    )
    return replace(result, store_error=error)


# Steps the core asks the I/O layer to perform.


@dataclass(frozen=True, slots=True)
class Send:
    """POST ``content`` to the push endpoint; ``timeout`` unset means the HTTP client's own."""

    content: bytes
    timeout: httpx.Timeout | Unset


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` before the next attempt."""

    seconds: float


# What the I/O layer reports back after a Send.


@dataclass(frozen=True, slots=True)
class Answer:
    """Botcopy answered. ``text`` is the body, read only when the status is not 2xx.

    ``location`` is the ``Location`` header of a redirect, which is never followed.
    """

    status_code: int
    retry_after: str | None = None
    text: str = ""
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """No answer came.

    Attributes:
        error: The transport's own exception, chained as the cause.
        sent: ``False`` only when the request surely never left (connection
            refused, connect timeout, no pooled connection in time).
        timed_out: The failure was a timeout.
        retryable: ``False`` for failures a retry cannot fix (a bad URL scheme).
        status_code: A 2xx status that came before the answer broke off or
            could not be decoded.

    """

    error: Exception
    sent: bool
    timed_out: bool = False
    retryable: bool = True
    status_code: int | None = None


def advance(
    plan: Generator[Send | Sleep, Answer | Failure | None, PushResult],
    outcome: Answer | Failure | None,
) -> Send | Sleep | PushResult:
    """Tell a push plan what its last step did: its next step, or its result."""
    try:
        return plan.send(outcome)
    except StopIteration as done:
        result: PushResult = done.value
        return result


def _resolve_api_key(api_key: str | None) -> str:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
        if api_key is None:
            raise ConfigurationError(
                f"No API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
            )
    if not isinstance(api_key, str):
        raise ConfigurationError("api_key must be a string")
    api_key = api_key.strip()
    if not api_key:
        raise ConfigurationError("The API key is empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in api_key) or not api_key.isascii():
        # Never echo the key: it is a secret even when malformed.
        raise ConfigurationError("The API key holds characters not allowed in an HTTP header")
    return api_key


def _resolve_base_url(base_url: str | None) -> str:
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL: {DEFAULT_BASE_URL}")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not have a query string or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, bool) or not (
        timeout is None or isinstance(timeout, (int, float, httpx.Timeout))
    ):
        raise ConfigurationError("timeout must be seconds, an httpx.Timeout, or None")
    if isinstance(timeout, (int, float)) and not timeout > 0:
        raise ConfigurationError("timeout must be more than 0 seconds")
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def _retry_idempotent(event: PushEvent) -> bool:
    # A repeated typing indicator or channel update sets the same state again, so
    # they may be retried like opted-in calls. A resume that fires a Dialogflow
    # event would fire it twice, so it is treated like a message.
    if isinstance(event, ResumeEvent):
        return event.unpause_event in (None, "default", "none")
    return isinstance(event, (TypingEvent, PauseEvent))


class ClientCore:
    """Settings and decisions of one client; no I/O.

    Args:
        api_key: Botcopy's push API key, or ``None`` to read ``BOTCOPY_API_KEY``.
        base_url: Where Botcopy lives, or ``None`` to read ``BOTCOPY_BASE_URL``.
        timeout: Per-request timeout; unset means `DEFAULT_TIMEOUT` for an
            HTTP client the SDK creates, and the injected client's own otherwise.
        minutes_paused: Default ``minutesPaused`` of every paused event.
        max_retries: Overrides ``retry.max_retries`` unless ``None``.
        retry_unsafe: Also retry what may have reached Botcopy (see ``_retry``).
        retry: The retry policy, or ``None`` for the default one.
        owns_http_client: Whether the SDK creates (and closes) the HTTP client;
            it then carries the headers and timeout itself.

    """

    __slots__ = (
        "_api_key",
        "_headers",
        "_redactor",
        "base_url",
        "minutes_paused",
        "owns_http_client",
        "request_headers",
        "request_timeout",
        "retry",
        "retry_unsafe",
        "timeout",
        "url",
    )

    # Positional: each client forwards its own constructor's arguments in this
    # order, in one line (the keyword form would repeat eight lines per twin).
    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: TimeoutArg,
        minutes_paused: int,
        max_retries: int | None,
        retry_unsafe: bool,
        retry: RetryPolicy | None,
        owns_http_client: bool,
        /,
    ) -> None:
        self._api_key: str = _resolve_api_key(api_key)
        self._redactor: Redactor = Redactor((self._api_key,))
        self.base_url: str = _resolve_base_url(base_url)
        self.url: str = self.base_url + PUSH_PATH
        try:
            self.minutes_paused: int = check_minutes(minutes_paused, "minutes_paused")
        except InvalidEventError as exc:
            raise ConfigurationError(str(exc)) from None
        if not isinstance(retry, (RetryPolicy, type(None))):
            raise ConfigurationError("retry must be a RetryPolicy")
        policy = RetryPolicy() if retry is None else retry
        if max_retries is not None:
            policy = replace(policy, max_retries=max_retries)
        self.retry: RetryPolicy = policy
        self.retry_unsafe: bool = bool(retry_unsafe)
        self.owns_http_client: bool = owns_http_client
        self.timeout: httpx.Timeout | Unset
        if isinstance(timeout, Unset):
            self.timeout = DEFAULT_TIMEOUT if owns_http_client else UNSET
        else:
            self.timeout = _as_timeout(timeout)
        self._headers = {
            "Content-Type": "application/json",
            "Authorization": self._api_key,
            "User-Agent": user_agent(),
        }
        # An owned HTTP client carries headers and timeout as its defaults, so a
        # request passes nothing; an injected one gets them on every request.
        self.request_headers: dict[str, str] | None = None if owns_http_client else self._headers
        self.request_timeout: httpx.Timeout | Unset = UNSET if owns_http_client else self.timeout

    @property
    def headers(self) -> dict[str, str]:
        """The headers of every push: content type, raw API key, user agent."""
        return dict(self._headers)

    # -- events -----------------------------------------------------------------

    def minutes(self, minutes_paused: int | None, default: int | None = None) -> int:
        """The minutes to send: the call's, else the conversation's, else the client's."""
        if minutes_paused is not None:
            return minutes_paused
        return default if default is not None else self.minutes_paused

    def message_event(
        self, user_id: str, bot_id: str, text: str, minutes_paused: int | None, default: int | None
    ) -> MessageEvent:
        """Build and validate a ``message`` event."""
        return MessageEvent(
            user_id=user_id,
            bot_id=bot_id,
            text=text,
            minutes_paused=self.minutes(minutes_paused, default),
        )

    def pause_event(
        self,
        user_id: str,
        bot_id: str,
        minutes_paused: int | None,
        default: int | None,
        agent_name: str | None,
        agent_avatar_url: str | None,
    ) -> PauseEvent:
        """Build and validate a ``channel_update`` event that pauses the bot."""
        return PauseEvent(
            user_id=user_id,
            bot_id=bot_id,
            minutes_paused=self.minutes(minutes_paused, default),
            agent_name=agent_name,
            agent_avatar_url=agent_avatar_url,
        )

    def resume_event(self, user_id: str, bot_id: str, unpause_event: str | None) -> ResumeEvent:
        """Build and validate a ``channel_update`` event that resumes the bot."""
        return ResumeEvent(user_id=user_id, bot_id=bot_id, unpause_event=unpause_event)

    def typing_event(
        self, user_id: str, bot_id: str, minutes_paused: int | None, default: int | None
    ) -> TypingEvent:
        """Build and validate a ``user_typing`` event."""
        return TypingEvent(
            user_id=user_id, bot_id=bot_id, minutes_paused=self.minutes(minutes_paused, default)
        )

    # -- one push ---------------------------------------------------------------

    def push(
        self, event: PushEvent, *, timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> Generator[Send | Sleep, Answer | Failure | None, PushResult]:
        """Push ``event``: yields steps, receives their outcomes, returns the result.

        Raises:
            InvalidEventError: ``event`` is not a push event model.
            APIError: the push failed (a subclass says how).

        """
        if not isinstance(event, (MessageEvent, PauseEvent, ResumeEvent, TypingEvent)):
            raise InvalidEventError(
                "send() takes a MessageEvent, PauseEvent, ResumeEvent or TypingEvent"
            )
        send = Send(
            event.to_json(),
            self.request_timeout if isinstance(timeout, Unset) else _as_timeout(timeout),
        )
        if retry_unsafe is None:
            retry_unsafe = self.retry_unsafe or _retry_idempotent(event)
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter()
        attempt = 0
        maybe_delivered = False  # any attempt so far may have reached the customer
        while True:
            attempt += 1
            sent_at = time.perf_counter() if debug else 0.0
            outcome = yield send
            if debug:
                self._log_attempt(outcome, attempt, time.perf_counter() - sent_at)
            if isinstance(outcome, Answer) and 200 <= outcome.status_code < 300:
                return self._succeeded(event, outcome, attempt, time.perf_counter() - started)
            if outcome is None:  # pragma: no cover - a driver bug, not a wire event
                raise RuntimeError("a Send step must be answered with an Answer or a Failure")
            error, retryable, retry_after = self._judge(outcome, attempt, retry_unsafe)
            maybe_delivered = maybe_delivered or error.maybe_delivered
            delay = self.retry.delay(attempt, retry_after) if retryable else None
            if delay is None:
                error.maybe_delivered = maybe_delivered
                if isinstance(outcome, Failure):
                    raise error from outcome.error
                raise error
            logger.warning(
                "Retrying POST %s in %.2f s after %s (retry %d of %d)",
                PUSH_PATH,
                delay,
                _describe(outcome),
                attempt,
                self.retry.max_retries,
            )
            yield Sleep(delay)

    def _succeeded(
        self, event: PushEvent, answer: Answer, attempts: int, elapsed: float
    ) -> PushResult:
        # The one place a push is known to have succeeded: record it here.
        return PushResult(
            event=event, status_code=answer.status_code, attempts=attempts, elapsed=elapsed
        )

    def _judge(
        self, outcome: Answer | Failure, attempt: int, retry_unsafe: bool
    ) -> tuple[APIError, bool, float | None]:
        """The error to raise, whether a retry is allowed, and Botcopy's ``Retry-After``."""
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        if isinstance(outcome, Failure):
            exc = outcome.error
            # A server that echoes the key into a malformed answer puts it in
            # the transport's exception text: scrub the chain we attach.
            self._redactor.exception(exc)
            detail = _detail(exc)
            sent = outcome.sent
            if outcome.status_code is not None:
                error: APIError = APIConnectionError(
                    self._redactor.text(
                        f"Botcopy answered HTTP {outcome.status_code}{tries}, but the answer "
                        f"could not be read ({detail}): the push may have been accepted"
                    ),
                    maybe_delivered=True,
                    status_code=outcome.status_code,
                )
            elif outcome.timed_out:
                error = APITimeoutError(
                    self._redactor.text(f"The push to {self.base_url} timed out{tries} ({detail})"),
                    maybe_delivered=sent,
                )
            elif sent:
                error = APIConnectionError(
                    self._redactor.text(
                        f"The connection to {self.base_url} failed after the push was sent"
                        f"{tries} ({detail})"
                    ),
                    maybe_delivered=True,
                )
            else:
                error = APIConnectionError(
                    self._redactor.text(f"Could not reach {self.base_url}{tries} ({detail})"),
                    maybe_delivered=False,
                )
            retryable = outcome.retryable and (not sent or retry_unsafe)
            return error, retryable, None
        status = outcome.status_code
        text = self._redact(outcome.text)
        shown = f": {text[:200]}" if text.strip() else ""
        if 300 <= status < 400:
            where = f" to {self._redact(outcome.location)[:200]}" if outcome.location else ""
            return (
                APIStatusError(
                    f"Botcopy answered HTTP {status}, a redirect{where} that the SDK does not "
                    f"follow (it would re-send or drop the push){tries}; set base_url to "
                    f"Botcopy's current address{shown}",
                    status_code=status,
                    body=text,
                    maybe_delivered=False,
                ),
                False,
                None,
            )
        if status in (401, 403):
            return (
                AuthenticationError(
                    f"Botcopy refused the API key (HTTP {status}){tries}{shown}",
                    status_code=status,
                    body=text,
                ),
                False,
                None,
            )
        retry_after = parse_retry_after(outcome.retry_after)
        if status == 429:
            wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
            error = RateLimitError(
                f"Botcopy is rate limiting pushes (HTTP 429){tries}{wait}",
                body=text,
                retry_after=retry_after,
            )
        else:
            # 503 says Botcopy did not act; 408 and other 5xx may come after it did.
            error = APIStatusError(
                f"Botcopy answered HTTP {status}{tries}{shown}",
                status_code=status,
                body=text,
                maybe_delivered=is_unsafe_retryable_status(status) and status not in SAFE_STATUSES,
            )
        retryable = status in SAFE_STATUSES or (retry_unsafe and is_unsafe_retryable_status(status))
        return error, retryable, retry_after

    def _redact(self, text: str) -> str:
        # A proxy that echoes the request must not put the key into an error.
        return self._redactor.text(text[: _MAX_ERROR_TEXT * 2])[:_MAX_ERROR_TEXT]

    def _log_attempt(self, outcome: Answer | Failure | None, attempt: int, elapsed: float) -> None:
        logger.debug(
            "POST %s -> %s (attempt %d, %.1f ms)",
            PUSH_PATH,
            _describe(outcome),
            attempt,
            elapsed * 1000,
        )

    def __repr__(self) -> str:
        return f"ClientCore(base_url={self.base_url!r})"


def _detail(exc: BaseException) -> str:
    # The transport's words, shortened: an aiohttp parser error spans lines.
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe(outcome: Answer | Failure | None) -> str:
    if isinstance(outcome, Answer):
        return f"HTTP {outcome.status_code}"
    if isinstance(outcome, Failure):
        return type(outcome.error).__name__
    return "nothing"  # pragma: no cover


def check_customer(event: PushEvent, user_id: str, bot_id: str) -> None:
    """Refuse an event for another customer than a conversation's."""
    # Not a push event at all: ClientCore.push explains what send() takes.
    customer = getattr(event, "customer", None)
    if customer is not None and customer != (bot_id, user_id):
        raise InvalidEventError("The event is for another customer than this conversation")
