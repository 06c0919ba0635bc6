"""``AsyncClient`` and ``AsyncConversation``: the push client for asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, Protocol

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
from botcopy_handover.client._conversation import ConversationMethods, given
from botcopy_handover.client._keepalive import AsyncTypingKeepalive
from botcopy_handover.client._methods import ClientMethods
from botcopy_handover.client._recording import (
    DEFAULT_STORE_TIMEOUT,
    AsyncRecorder,
    check_store_timeout,
)
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent, TypingEvent
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
            request = httpx_request(self._http, self._core, step)
            response = await self._http.send(request, stream=True, follow_redirects=False)
        except Exception as exc:
            return classify_httpx_error(exc)
        try:
            await response.aread()
        except Exception as exc:
            return httpx_outcome(response, exc)
        else:
            return httpx_outcome(response, None)
        finally:
            with contextlib.suppress(Exception):
                await response.aclose()

    async def aclose(self) -> None:
        if self._core.owns_http_client:
            await self._http.aclose()


def _is_aiohttp_session(obj: object) -> bool:
    aiohttp = sys.modules.get("aiohttp")
    return aiohttp is not None and isinstance(obj, aiohttp.ClientSession)


class AsyncClient(ClientMethods[Coroutine[Any, Any, PushResult], "AsyncConversation"]):
    """Push events to the customer through Botcopy, with asyncio.

    Its push methods are [`Client`][botcopy_handover.Client]'s, awaited: each
    returns a coroutine of the [`PushResult`][botcopy_handover.PushResult].
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

    async def aclose(self) -> None:
        """Close the HTTP client if the SDK created it; an injected one is left open."""
        await self._backend.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self._core.base_url!r}, transport={self.transport!r})"

    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> Coroutine[Any, Any, PushResult]:
        return self._push(build, timeout, retry_unsafe)

    def _conversation(
        self, user_id: str, bot_id: str, minutes_paused: int | None
    ) -> AsyncConversation:
        return AsyncConversation(self, user_id, bot_id, minutes_paused=minutes_paused)

    async def _push(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> PushResult:
        # The event is built here, so a bad argument raises when awaited.
        plan = self._core.push(build(), timeout=timeout, retry_unsafe=retry_unsafe)
        try:
            step = advance(plan, None)
            while not isinstance(step, PushResult):
                if isinstance(step, Send):
                    step = advance(plan, await self._backend.send(step))
                else:
                    await self._sleep(step.seconds)
                    step = advance(plan, None)
        finally:
            plan.close()
        error = None if self._recorder is None else await self._recorder.record(step.event)
        return step if error is None else store_failed(step, error)


class AsyncConversation(ConversationMethods[Coroutine[Any, Any, PushResult], AsyncTypingKeepalive]):
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

    def _submit(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> Coroutine[Any, Any, PushResult]:
        return self._push(build, timeout, retry_unsafe)

    async def _push(
        self, build: Callable[[], PushEvent], timeout: TimeoutArg, retry_unsafe: bool | None
    ) -> PushResult:
        event = build()
        if self._stops_typing(event):
            await self._stop_typing()
        return await self._client._push(partial(given, event), timeout, retry_unsafe)

    def _keepalive(
        self, event: TypingEvent, interval: float, raise_errors: bool, timeout: TimeoutArg
    ) -> AsyncTypingKeepalive:
        send = partial(self._client._push, partial(given, event), timeout, None)
        return AsyncTypingKeepalive(
            send, interval=interval, raise_errors=raise_errors, registry=self._keepalives
        )

    async def _stop_typing(self) -> None:
        for keepalive in list(self._keepalives):
            await keepalive.stop()
