"""``Client`` and ``Conversation``: the push client over a blocking ``httpx.Client``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from functools import partial

import httpx
from typing_extensions import Self

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.client._base import (
    UNSET,
    Answer,
    ClientCore,
    Failure,
    PushResult,
    Send,
    TimeoutArg,
    advance,
    classify_httpx_error,
    httpx_outcome,
    httpx_request,
    make_policy,
    store_failed,
)
from botcopy_handover.client._conversation import ConversationMethods
from botcopy_handover.client._keepalive import TypingKeepalive
from botcopy_handover.client._methods import ClientMethods
from botcopy_handover.client._recording import (
    DEFAULT_STORE_TIMEOUT,
    SyncRecorder,
    check_store_timeout,
)
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent, TypingEvent
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
from botcopy_handover.state._adapt import as_sync_store
from botcopy_handover.state._store import ConversationStore

__all__ = ["Client", "Conversation"]


class Client(ClientMethods[PushResult, "Conversation"]):
    """Push events to the customer through Botcopy, blocking.

    Args:
        api_key: Botcopy's push API key (from the portal's Connect page). When
            ``None``, read from ``BOTCOPY_API_KEY``; neither raises
            [`ConfigurationError`][botcopy_handover.ConfigurationError].
        base_url: Botcopy's address. When ``None``, read from
            ``BOTCOPY_BASE_URL``, else ``https://api.botcopy.com``. Point it at
            the local emulator or a proxy.
        timeout: Per-request timeout in seconds or an ``httpx.Timeout``
            (``None``: no timeout). Default: 5 s to connect, 10 s for the rest;
            with an injected ``http_client`` and no ``timeout``, that client's own.
        minutes_paused: Default ``minutesPaused`` of every paused event (10).
        max_retries: Retries after the first attempt (default 2); overrides
            ``retry.max_retries``.
        retry_unsafe: Also retry what may already have reached Botcopy (a
            timeout after sending, 5xx other than 503). Off by default, since a
            retried message could reach the customer twice.
        retry: Backoff and ``Retry-After`` settings.
        http_client: An ``httpx.Client`` to send with, used as is and never
            closed by the SDK. By default the SDK creates one and closes it.
        sleep: Waits between retries; injectable for tests.
        store: Record every push Botcopy accepted in this conversation store
            (``MemoryStore``, ``RedisStore``), as
            `record_push` says. A store failure
            does not fail the push: see `PushResult.store_error`.
        store_timeout: The longest a push waits for its store record (1 s);
            a store slower than that is reported in ``store_error`` like one
            that is down, and the push returns. ``None``: wait as long as the
            store takes.

    Example::

        with Client() as client:  # key from BOTCOPY_API_KEY
            client.pause(user_id, bot_id, agent_name="Dana")
            client.send_message(user_id, bot_id, "Hi, I'm Dana. How can I help?")

    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        minutes_paused: int = DEFAULT_MINUTES_PAUSED,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        store: ConversationStore | None = None,
        store_timeout: float | None = DEFAULT_STORE_TIMEOUT,
    ) -> None:
        # Checked first: nothing is opened for a client that cannot be made.
        bound = check_store_timeout(store_timeout)
        self._recorder = SyncRecorder(as_sync_store(store), bound) if store is not None else None
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError("http_client must be an httpx.Client")
        self._core = ClientCore(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            minutes_paused=minutes_paused,
            retry=make_policy(retry, max_retries),
            retry_unsafe=retry_unsafe,
            owns_http_client=http_client is None,
        )
        if http_client is None:
            assert isinstance(self._core.timeout, httpx.Timeout)
            http_client = httpx.Client(headers=self._core.headers, timeout=self._core.timeout)
        self._http = http_client
        self._sleep = sleep

    def close(self) -> None:
        """Close the HTTP client if the SDK created it; an injected one is left open."""
        if self._recorder is not None:
            self._recorder.close()
        if self._core.owns_http_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={self._core.base_url!r})"

    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> PushResult:
        return self._push(build(), timeout, retry_unsafe)

    def _conversation(self, user_id: str, bot_id: str, minutes_paused: int | None) -> Conversation:
        return Conversation(self, user_id, bot_id, minutes_paused=minutes_paused)

    def _push(self, event: PushEvent, timeout: TimeoutArg, retry_unsafe: bool | None) -> PushResult:
        plan = self._core.push(event, timeout=timeout, retry_unsafe=retry_unsafe)
        try:
            step = advance(plan, None)
            while not isinstance(step, PushResult):
                outcome = self._send(step) if isinstance(step, Send) else self._sleep(step.seconds)
                step = advance(plan, outcome)
        finally:
            plan.close()
        if self._recorder is not None:
            error = self._recorder.record(step.event)
            if error is not None:
                return store_failed(step, error)
        return step

    def _send(self, step: Send) -> Answer | Failure:
        # Anything httpx raises becomes a Failure: only BotcopyError leaves the client.
        try:
            request = httpx_request(self._http, self._core, step)
            # Redirects are not followed, also when an injected client follows them.
            response = self._http.send(request, stream=True, follow_redirects=False)
        except Exception as exc:
            return classify_httpx_error(exc)
        try:
            response.read()
        except Exception as exc:
            return httpx_outcome(response, exc)
        else:
            return httpx_outcome(response, None)
        finally:
            with contextlib.suppress(Exception):
                response.close()


class Conversation(ConversationMethods[PushResult, TypingKeepalive]):
    """The push methods bound to one customer; from `Client.conversation`.

    Example::

        chat = client.conversation(user_id, bot_id, minutes_paused=30)
        with chat.typing():  # re-sent every 9 s until the block ends
            answer = agent_reply()
        chat.send_message(answer)

    """

    def __init__(
        self, client: Client, user_id: str, bot_id: str, *, minutes_paused: int | None = None
    ) -> None:
        super().__init__(client._core, user_id, bot_id, minutes_paused)
        self._client = client
        self._keepalives: set[TypingKeepalive] = set()

    @property
    def client(self) -> Client:
        """The client this conversation pushes through."""
        return self._client

    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> PushResult:
        event = build()
        if self._stops_typing(event):
            self._stop_typing()
        return self._client._push(event, timeout, retry_unsafe)

    def _keepalive(
        self, event: TypingEvent, interval: float, raise_errors: bool, timeout: TimeoutArg
    ) -> TypingKeepalive:
        send = partial(self._client._push, event, timeout, None)
        return TypingKeepalive(
            send, interval=interval, raise_errors=raise_errors, registry=self._keepalives
        )

    def _stop_typing(self) -> None:
        for keepalive in list(self._keepalives):
            keepalive.stop()
