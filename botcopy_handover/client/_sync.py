"""``Client`` and ``Conversation``: the push client over a blocking ``httpx.Client``."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import httpx
from typing_extensions import Self

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.client._base import UNSET, ClientCore, PushResult, Send, TimeoutArg, advance
from botcopy_handover.client._conversation import ConversationMethods
from botcopy_handover.client._httpx import HttpxBackend
from botcopy_handover.client._keepalive import TypingKeepalive
from botcopy_handover.client._methods import ClientMethods
from botcopy_handover.client._recording import DEFAULT_STORE_TIMEOUT, SyncRecorder
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent, TypingEvent
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
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
        http_client: An ``httpx.Client`` to send with, used as is and never
            closed by the SDK. By default the SDK creates one and closes it.
        minutes_paused: Default ``minutesPaused`` of every paused event (10).
        max_retries: Retries after the first attempt (default 2); overrides
            ``retry.max_retries``.
        retry_unsafe: Also retry what may already have reached Botcopy (a
            timeout after sending, 5xx other than 503). Off by default, since a
            retried message could reach the customer twice.
        retry: Backoff and ``Retry-After`` settings.
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

    # The signature is written out here and in AsyncClient, not shared through
    # a TypedDict and ``**options: Unpack[...]``: that form would hide each
    # option's default from signature help, ``help()`` and the reference docs.
    # Both list the options in the same groups -- where to send and with
    # what, the events, retries, the store -- each with its own I/O
    # parameters in the group; everything the options mean lives in ClientCore.
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        http_client: httpx.Client | None = None,
        minutes_paused: int = DEFAULT_MINUTES_PAUSED,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        store: ConversationStore | None = None,
        store_timeout: float | None = DEFAULT_STORE_TIMEOUT,
    ) -> None:
        # Checked first: nothing is opened for a client that cannot be made.
        recorder = SyncRecorder.for_client(store, store_timeout)
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError("http_client must be an httpx.Client")
        owns = http_client is None
        self._core = ClientCore(
            api_key, base_url, timeout, minutes_paused, max_retries, retry_unsafe, retry, owns
        )
        self._backend = HttpxBackend(self._core, http_client)
        self._recorder = recorder
        self._sleep = sleep

    def close(self) -> None:
        """Close the HTTP client if the SDK created it; an injected one is left open."""
        if self._recorder is not None:
            self._recorder.close()
        self._backend.close()

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
                if isinstance(step, Send):
                    step = advance(plan, self._backend.send(step))
                else:
                    self._sleep(step.seconds)
                    step = advance(plan, None)
        finally:
            plan.close()
        return step if self._recorder is None else self._recorder.recorded(step)


class Conversation(ConversationMethods[PushResult, TypingKeepalive, Client]):
    """The push methods bound to one customer; from `Client.conversation`.

    Example::

        chat = client.conversation(user_id, bot_id, minutes_paused=30)
        with chat.typing():  # re-sent every 9 s until the block ends
            answer = agent_reply()
        chat.send_message(answer)

    """

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
