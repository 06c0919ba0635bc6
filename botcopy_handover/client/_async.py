"""``AsyncClient`` and ``AsyncConversation``: the push client for asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Generator
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol

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
from botcopy_handover.client._keepalive import DEFAULT_TYPING_INTERVAL, AsyncTypingKeepalive
from botcopy_handover.client._recording import (
    DEFAULT_STORE_TIMEOUT,
    AsyncRecorder,
    check_store_timeout,
)
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
from botcopy_handover.state._adapt import as_async_store
from botcopy_handover.state._store import AsyncConversationStore
from botcopy_handover.state.memory import MemoryStore

if TYPE_CHECKING:
    import aiohttp

__all__ = ["AsyncClient", "AsyncConversation"]

Transport = Literal["httpx", "aiohttp"]


class _Backend(Protocol):
    async def send(self, step: Send) -> Answer | Failure: ...
    async def aclose(self) -> None: ...


class _HttpxBackend:
    """Performs the core's ``Send`` steps with an ``httpx.AsyncClient``."""

    def __init__(self, core: ClientCore, http: httpx.AsyncClient | None) -> None:
        self._core = core
        if http is None:
            assert isinstance(core.timeout, httpx.Timeout)
            http = httpx.AsyncClient(headers=core.headers, timeout=core.timeout)
        self._http = http

    async def send(self, step: Send) -> Answer | Failure:
        # As Client._send: anything httpx raises becomes a Failure.
        try:
            response = await self._http.send(
                self._http.build_request(
                    "POST",
                    self._core.url,
                    content=step.content,
                    headers=self._core.request_headers,
                    timeout=httpx.USE_CLIENT_DEFAULT if step.timeout is UNSET else step.timeout,
                ),
                stream=True,
                follow_redirects=False,
            )
        except Exception as exc:
            return classify_httpx_error(exc)
        try:
            status = response.status_code
            if 200 <= status < 300:
                try:
                    await response.aread()
                except Exception as exc:
                    return replace(classify_httpx_error(exc), status_code=status, sent=True)
                return Answer(status)
            return Answer(
                status,
                response.headers.get("retry-after"),
                await _read_text(response),
                response.headers.get("location"),
            )
        finally:
            with contextlib.suppress(Exception):
                await response.aclose()

    async def aclose(self) -> None:
        if self._core.owns_http_client:
            await self._http.aclose()


async def _read_text(response: httpx.Response) -> str:
    """The body of an error answer; what could be read if it breaks off or does not decode."""
    try:
        await response.aread()
        return response.text
    except Exception as exc:
        return f"(the body could not be read: {type(exc).__name__})"


def _is_aiohttp_session(obj: object) -> bool:
    aiohttp = sys.modules.get("aiohttp")
    return aiohttp is not None and isinstance(obj, aiohttp.ClientSession)


class AsyncClient:
    """Push events to the customer through Botcopy, with asyncio.

    Takes the same arguments as [`Client`][botcopy_handover.Client], plus:

    Args:
        api_key: As for [`Client`][botcopy_handover.Client].
        base_url: As for [`Client`][botcopy_handover.Client].
        timeout: As for [`Client`][botcopy_handover.Client].
        minutes_paused: As for [`Client`][botcopy_handover.Client].
        max_retries: As for [`Client`][botcopy_handover.Client].
        retry_unsafe: As for [`Client`][botcopy_handover.Client].
        retry: As for [`Client`][botcopy_handover.Client].
        http_client: An ``httpx.AsyncClient`` or an ``aiohttp.ClientSession``
            to send with, used as is and never closed by the SDK.
        transport: ``"httpx"`` (default) or ``"aiohttp"``: which library the
            SDK sends with when it creates the HTTP client itself. ``"aiohttp"``
            needs ``pip install botcopy-handover[aiohttp]`` and is much faster
            with many concurrent pushes.
        store_timeout: As for [`Client`][botcopy_handover.Client]; the store call is cancelled at
            the bound.
        sleep: Waits between retries; injectable for tests.
        store: Record every push Botcopy accepted in this store: an async
            store (``AsyncRedisStore``) or a ``MemoryStore``. A store failure
            does not fail the push: see `PushResult.store_error`.

    Example::

        async with AsyncClient(api_key=key) as client:
            chat = client.conversation(user_id, bot_id, minutes_paused=30)
            async with chat.typing():  # re-sent every 9 s until the block ends
                answer = await agent_reply()
            await chat.send_message(answer)

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
        http_client: httpx.AsyncClient | aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        store: AsyncConversationStore | MemoryStore | None = None,
        store_timeout: float | None = DEFAULT_STORE_TIMEOUT,
    ) -> None:
        # Checked first: nothing is opened for a client that cannot be made.
        bound = check_store_timeout(store_timeout)
        self._recorder = AsyncRecorder(as_async_store(store), bound) if store is not None else None
        use_aiohttp = _is_aiohttp_session(http_client)
        if (
            http_client is not None
            and not use_aiohttp
            and not isinstance(http_client, httpx.AsyncClient)
        ):
            raise ConfigurationError(
                "http_client must be an httpx.AsyncClient or an aiohttp.ClientSession"
            )
        if transport not in (None, "httpx", "aiohttp"):
            raise ConfigurationError('transport must be "httpx" or "aiohttp"')
        if (
            http_client is not None
            and transport is not None
            and (transport == "aiohttp") != use_aiohttp
        ):
            raise ConfigurationError(f'http_client is not a transport="{transport}" client')
        self._core = ClientCore(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            minutes_paused=minutes_paused,
            retry=make_policy(retry, max_retries),
            retry_unsafe=retry_unsafe,
            owns_http_client=http_client is None,
        )
        self._backend: _Backend
        if use_aiohttp or transport == "aiohttp":
            try:
                from botcopy_handover.client._aiohttp import AiohttpBackend
            except ImportError:
                raise ConfigurationError(
                    'transport="aiohttp" needs: pip install "botcopy-handover[aiohttp]"'
                ) from None
            self._backend = AiohttpBackend(self._core, http_client)  # type: ignore[arg-type]
            self.transport: Transport = "aiohttp"
        else:
            self._backend = _HttpxBackend(self._core, http_client)  # type: ignore[arg-type]
            self.transport = "httpx"
        self._sleep = sleep

    @property
    def base_url(self) -> str:
        """Botcopy's address, without the push path."""
        return self._core.base_url

    @property
    def minutes_paused(self) -> int:
        """The default ``minutesPaused`` of paused events."""
        return self._core.minutes_paused

    async def send_message(
        self,
        user_id: str,
        bot_id: str,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Send the agent's ``text`` to the customer (see [`Client.send_message`][botcopy_handover.Client.send_message])."""  # noqa: E501 - a link in the summary
        event = self._core.message_event(user_id, bot_id, text, minutes_paused, None)
        return await self._push(event, timeout, retry_unsafe)

    async def pause(
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
        """Show "You are now chatting with an Agent." (see [`Client.pause`][botcopy_handover.Client.pause])."""  # noqa: E501 - a link in the summary
        event = self._core.pause_event(
            user_id, bot_id, minutes_paused, None, agent_name, agent_avatar_url
        )
        return await self._push(event, timeout, retry_unsafe)

    async def resume(
        self,
        user_id: str,
        bot_id: str,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Hand the customer back to the bot (see [`Client.resume`][botcopy_handover.Client.resume])."""  # noqa: E501 - a link in the summary
        event = self._core.resume_event(user_id, bot_id, unpause_event)
        return await self._push(event, timeout, retry_unsafe)

    async def typing(
        self,
        user_id: str,
        bot_id: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Show the typing indicator once (see [`Client.typing`][botcopy_handover.Client.typing])."""  # noqa: E501 - a link in the summary
        event = self._core.typing_event(user_id, bot_id, minutes_paused, None)
        return await self._push(event, timeout, retry_unsafe)

    async def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> PushResult:
        """Push a prebuilt event model (``MessageEvent``, ``PauseEvent``, ...)."""
        return await self._push(event, timeout, retry_unsafe)

    def conversation(
        self, user_id: str, bot_id: str, *, minutes_paused: int | None = None
    ) -> AsyncConversation:
        """A handle with the same methods, bound to one customer."""
        return AsyncConversation(self, user_id, bot_id, minutes_paused=minutes_paused)

    async def aclose(self) -> None:
        """Close the HTTP client if the SDK created it; an injected one is left open."""
        await self._backend.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self._core.base_url!r}, transport={self.transport!r})"

    async def _push(
        self, event: PushEvent, timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> PushResult:
        result = await self._run(self._core.push(event, timeout=timeout, retry_unsafe=retry_unsafe))
        if self._recorder is not None:
            error = await self._recorder.record(result.event)
            if error is not None:
                return store_failed(result, error)
        return result

    async def _run(
        self, plan: Generator[Send | Sleep, Answer | Failure | None, PushResult]
    ) -> PushResult:
        try:
            step = next(plan)
            while True:
                if isinstance(step, Send):
                    step = plan.send(await self._backend.send(step))
                else:
                    await self._sleep(step.seconds)
                    step = plan.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            plan.close()


class AsyncConversation(ConversationCore):
    """The push methods bound to one customer; from [`AsyncClient.conversation`][botcopy_handover.AsyncClient.conversation]."""  # noqa: E501 - a link in the summary

    def __init__(
        self, client: AsyncClient, user_id: str, bot_id: str, *, minutes_paused: int | None = None
    ) -> None:
        super().__init__(client._core, user_id, bot_id, minutes_paused)
        self._client = client
        self._keepalives: set[AsyncTypingKeepalive] = set()

    @property
    def client(self) -> AsyncClient:
        """The client this conversation pushes through."""
        return self._client

    async def send_message(
        self,
        text: str,
        *,
        minutes_paused: int | None = None,
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Send the agent's ``text``; stops this conversation's typing keepalives first."""
        event = self._message_event(text, minutes_paused)
        await self._stop_typing()
        return await self._client._push(event, timeout, retry_unsafe)

    async def pause(
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
        return await self._client._push(event, timeout, retry_unsafe)

    async def resume(
        self,
        *,
        unpause_event: str | None = "default",
        timeout: TimeoutArg = UNSET,
        retry_unsafe: bool | None = None,
    ) -> PushResult:
        """Hand the customer back to the bot (see [`Client.resume`][botcopy_handover.Client.resume])."""  # noqa: E501 - a link in the summary
        event = self._resume_event(unpause_event)
        await self._stop_typing()
        return await self._client._push(event, timeout, retry_unsafe)

    def typing(
        self,
        *,
        interval: float = DEFAULT_TYPING_INTERVAL,
        raise_errors: bool = False,
        timeout: TimeoutArg = UNSET,
    ) -> AsyncTypingKeepalive:
        """``await`` it to show the typing indicator once; ``async with`` it to keep it up.

        See [`Conversation.typing`][botcopy_handover.Conversation.typing]; here the keepalive is an
        asyncio task,
        cancelled and awaited when the block ends or a message is sent.
        """
        event = self._typing_event()

        async def send() -> PushResult:
            return await self._client._push(event, timeout, None)

        return AsyncTypingKeepalive(
            send, interval=interval, raise_errors=raise_errors, registry=self._keepalives
        )

    async def send(
        self, event: PushEvent, *, timeout: TimeoutArg = UNSET, retry_unsafe: bool | None = None
    ) -> PushResult:
        """Push a prebuilt event for this customer (see [`Conversation.send`][botcopy_handover.Conversation.send])."""  # noqa: E501 - a link in the summary
        if self._stops_typing(event):
            await self._stop_typing()
        return await self._client._push(event, timeout, retry_unsafe)

    async def _stop_typing(self) -> None:
        for keepalive in list(self._keepalives):
            await keepalive.stop()
