"""``Client`` and ``Conversation``: the push client over a blocking ``httpx.Client``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator
from dataclasses import replace
from types import TracebackType

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
    Sleep,
    TimeoutArg,
    classify_httpx_error,
    make_policy,
    store_failed,
)
from botcopy_handover.client._conversation import ConversationCore
from botcopy_handover.client._keepalive import DEFAULT_TYPING_INTERVAL, TypingKeepalive
from botcopy_handover.client._recording import (
    DEFAULT_STORE_TIMEOUT,
    SyncRecorder,
    check_store_timeout,
)
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
from botcopy_handover.state._adapt import as_sync_store
from botcopy_handover.state._store import ConversationStore

__all__ = ["Client", "Conversation"]


class Client:
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

    @property
    def base_url(self) -> str:
        """Botcopy's address, without the push path."""
        return self._core.base_url

    @property
    def minutes_paused(self) -> int:
        """The default ``minutesPaused`` of paused events."""
        return self._core.minutes_paused

    def send_message(
        self,
        user_id: str,
        bot_id: str,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Send the agent's ``text`` to the customer, keeping the bot paused.

        Args:
            user_id: The customer (the webhook's ``userId``).
            bot_id: The bot (the webhook's ``botId``).
            text: The message; not empty.
            minutes_paused: Push the pause expiry this far out; default the client's.
            timeout: This call's timeout, instead of the client's.
            retry_unsafe: Retry even if the message may have arrived (risking a
                duplicate); default the client's setting.

        Raises:
            InvalidEventError: an argument is invalid; nothing was sent.
            APIError: the push failed; see its subclasses.

        """
        event = self._core.message_event(user_id, bot_id, text, minutes_paused, None)
        return self._push(event, timeout, retry_unsafe)

    def pause(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Show "You are now chatting with an Agent." and pause the bot.

        ``agent_name`` and ``agent_avatar_url`` set the agent's profile in the
        widget. Retried like an opted-in call: a repeated pause changes nothing.
        """
        event = self._core.pause_event(
            user_id, bot_id, minutes_paused, None, agent_name, agent_avatar_url
        )
        return self._push(event, timeout, retry_unsafe)

    def resume(
        self,
        user_id: str,
        bot_id: str,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Hand the customer back to the bot.

        ``unpause_event``: ``"default"`` shows "... has left the conversation",
        ``"none"`` shows nothing, another name fires that Dialogflow event
        (such a resume is not retried unless opted in: it would fire twice);
        ``None`` leaves ``unpauseChatEvent`` out.
        """
        event = self._core.resume_event(user_id, bot_id, unpause_event)
        return self._push(event, timeout, retry_unsafe)

    def typing(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Show the typing indicator once (it vanishes after 10 s).

        To keep it up while the agent types, use
        ``client.conversation(...).typing()`` as a context manager.
        """
        event = self._core.typing_event(user_id, bot_id, minutes_paused, None)
        return self._push(event, timeout, retry_unsafe)

    def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> PushResult:
        """Push a prebuilt event model (``MessageEvent``, ``PauseEvent``, ...)."""
        return self._push(event, timeout, retry_unsafe)

    def conversation(
        self, user_id: str, bot_id: str, *, minutes_paused: int | None = None
    ) -> Conversation:
        """A handle with the same methods, bound to one customer.

        ``minutes_paused`` is the conversation's default, else the client's.
        """
        return Conversation(self, user_id, bot_id, minutes_paused=minutes_paused)

    def close(self) -> None:
        """Close the HTTP client if the SDK created it; an injected one is left open."""
        if self._recorder is not None:
            self._recorder.close()
        if self._core.owns_http_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={self._core.base_url!r})"

    def _push(self, event: PushEvent, timeout: TimeoutArg, retry_unsafe: bool | None) -> PushResult:
        result = self._run(self._core.push(event, timeout=timeout, retry_unsafe=retry_unsafe))
        if self._recorder is not None:
            error = self._recorder.record(result.event)
            if error is not None:
                return store_failed(result, error)
        return result

    def _run(
        self, plan: Generator[Send | Sleep, Answer | Failure | None, PushResult]
    ) -> PushResult:
        try:
            step = next(plan)
            while True:
                if isinstance(step, Send):
                    step = plan.send(self._send(step))
                else:
                    self._sleep(step.seconds)
                    step = plan.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            plan.close()

    def _send(self, step: Send) -> Answer | Failure:
        # Anything httpx raises becomes a Failure: only BotcopyError leaves the client.
        try:
            response = self._http.send(
                self._http.build_request(
                    "POST",
                    self._core.url,
                    content=step.content,
                    headers=self._core.request_headers,
                    timeout=httpx.USE_CLIENT_DEFAULT if step.timeout is UNSET else step.timeout,
                ),
                stream=True,
                follow_redirects=False,  # also when an injected client follows them
            )
        except Exception as exc:
            return classify_httpx_error(exc)
        try:
            status = response.status_code
            if 200 <= status < 300:
                # An answer that breaks off or does not decode is no sure
                # success: the push may or may not have been accepted.
                try:
                    response.read()
                except Exception as exc:
                    return replace(classify_httpx_error(exc), status_code=status, sent=True)
                return Answer(status)
            return Answer(
                status,
                response.headers.get("retry-after"),
                _read_text(response),
                response.headers.get("location"),
            )
        finally:
            with contextlib.suppress(Exception):
                response.close()


def _read_text(response: httpx.Response) -> str:
    """The body of an error answer; what could be read if it breaks off or does not decode."""
    try:
        response.read()
        return response.text
    except Exception as exc:
        return f"(the body could not be read: {type(exc).__name__})"


class Conversation(ConversationCore):
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

    def send_message(
        self,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Send the agent's ``text``; stops this conversation's typing keepalives first."""
        event = self._message_event(text, minutes_paused)
        self._stop_typing()
        return self._client._push(event, timeout, retry_unsafe)

    def pause(
        self,
        *,
        minutes_paused: int | None = None,
        agent_name: str | None = None,
        agent_avatar_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Show "You are now chatting with an Agent." (see [`Client.pause`][botcopy_handover.Client.pause])."""  # noqa: E501 - a link in the summary
        event = self._pause_event(minutes_paused, agent_name, agent_avatar_url)
        return self._client._push(event, timeout, retry_unsafe)

    def resume(
        self,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Hand the customer back to the bot (see [`Client.resume`][botcopy_handover.Client.resume])."""  # noqa: E501 - a link in the summary
        event = self._resume_event(unpause_event)
        self._stop_typing()
        return self._client._push(event, timeout, retry_unsafe)

    def typing(
        self,
        *,
        interval: float = DEFAULT_TYPING_INTERVAL,
        raise_errors: bool = False,
        timeout: TimeoutArg = UNSET,
    ) -> TypingKeepalive:
        """Show the typing indicator now; as a context manager, keep it up.

        The first indicator is sent at once. Inside ``with chat.typing():`` a
        background thread re-sends it every ``interval`` seconds (9 by
        default: Botcopy hides it after 10) until the block ends or a message
        is sent on this conversation.

        Failures are logged on the ``botcopy_handover`` logger and kept in
        ``.error``; they stop the keepalive but do not interrupt the agent's
        code. With ``raise_errors=True`` the first send raises, and a later
        failure is raised when the block ends.
        """
        event = self._typing_event()

        def send() -> PushResult:
            return self._client._push(event, timeout, None)

        return TypingKeepalive(
            send, interval=interval, raise_errors=raise_errors, registry=self._keepalives
        )

    def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> PushResult:
        """Push a prebuilt event for this customer.

        Raises:
            InvalidEventError: the event names another customer.

        """
        if self._stops_typing(event):
            self._stop_typing()
        return self._client._push(event, timeout, retry_unsafe)

    def _stop_typing(self) -> None:
        for keepalive in list(self._keepalives):
            keepalive.stop()
