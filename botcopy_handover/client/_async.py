"""``AsyncClient`` and ``AsyncConversation``: the push client for asyncio."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import httpx
from typing_extensions import Self

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.client._base import UNSET, ClientCore, PushResult, Send, TimeoutArg, advance
from botcopy_handover.client._conversation import ConversationMethods, given
from botcopy_handover.client._httpx import AsyncHttpxBackend
from botcopy_handover.client._keepalive import AsyncTypingKeepalive
from botcopy_handover.client._methods import ClientMethods
from botcopy_handover.client._recording import DEFAULT_STORE_TIMEOUT, AsyncRecorder
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.models.push import PushEvent, TypingEvent
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED
from botcopy_handover.state._store import AsyncConversationStore
from botcopy_handover.state.memory import MemoryStore

if TYPE_CHECKING:
    import aiohttp

    from botcopy_handover.client._aiohttp import AiohttpBackend

__all__ = ["AsyncClient", "AsyncConversation"]

Transport = Literal["httpx", "aiohttp"]


def _uses_aiohttp(http_client: object, transport: object) -> bool:
    """Whether to send with aiohttp; refuses a client or transport that does not fit."""
    aiohttp = sys.modules.get("aiohttp")
    session = aiohttp is not None and isinstance(http_client, aiohttp.ClientSession)
    if not (http_client is None or session or isinstance(http_client, httpx.AsyncClient)):
        raise ConfigurationError(
            "http_client must be an httpx.AsyncClient or an aiohttp.ClientSession"
        )
    if transport not in (None, "httpx", "aiohttp"):
        raise ConfigurationError('transport must be "httpx" or "aiohttp"')
    if http_client is not None and transport is not None and (transport == "aiohttp") != session:
        raise ConfigurationError(f'http_client is not a transport="{transport}" client')
    return session or transport == "aiohttp"


class AsyncClient(ClientMethods[Coroutine[Any, Any, PushResult], "AsyncConversation"]):
    """Push events to the customer through Botcopy, with asyncio.

    Its push methods are [`Client`][botcopy_handover.Client]'s, awaited: each
    returns a coroutine of the [`PushResult`][botcopy_handover.PushResult].
    Takes the same arguments as [`Client`][botcopy_handover.Client], plus
    ``transport``:

    Args:
        api_key: As for [`Client`][botcopy_handover.Client].
        base_url: As for [`Client`][botcopy_handover.Client].
        timeout: As for [`Client`][botcopy_handover.Client].
        http_client: An ``httpx.AsyncClient`` or an ``aiohttp.ClientSession``
            to send with, used as is and never closed by the SDK.
        transport: ``"httpx"`` (default) or ``"aiohttp"``: which library the
            SDK sends with when it creates the HTTP client itself. ``"aiohttp"``
            needs ``pip install botcopy-handover[aiohttp]`` and is much faster
            with many concurrent pushes.
        minutes_paused: As for [`Client`][botcopy_handover.Client].
        max_retries: As for [`Client`][botcopy_handover.Client].
        retry_unsafe: As for [`Client`][botcopy_handover.Client].
        retry: As for [`Client`][botcopy_handover.Client].
        sleep: Waits between retries; injectable for tests.
        store: Record every push Botcopy accepted in this store: an async
            store (``AsyncRedisStore``) or a ``MemoryStore``. A store failure
            does not fail the push: see `PushResult.store_error`.
        store_timeout: As for [`Client`][botcopy_handover.Client]; the store call is cancelled at
            the bound.

    Example::

        async with AsyncClient(api_key=key, transport="aiohttp") as client:
            await client.pause(user_id, bot_id, agent_name="Dana", minutes_paused=30)
            async with client.conversation(user_id, bot_id).typing():
                answer = await agent_reply()
            await client.send_message(user_id, bot_id, answer, minutes_paused=30)

    """

    # Written out as in Client, for the reasons given there.
    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutArg = UNSET,
        http_client: httpx.AsyncClient | aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        minutes_paused: int = DEFAULT_MINUTES_PAUSED,
        max_retries: int | None = None,
        retry_unsafe: bool = False,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        store: AsyncConversationStore | MemoryStore | None = None,
        store_timeout: float | None = DEFAULT_STORE_TIMEOUT,
    ) -> None:
        # Checked first: nothing is opened for a client that cannot be made.
        self._recorder = AsyncRecorder.for_client(store, store_timeout)
        use_aiohttp = _uses_aiohttp(http_client, transport)
        owns = http_client is None
        self._core = ClientCore(
            api_key, base_url, timeout, minutes_paused, max_retries, retry_unsafe, retry, owns
        )
        self._backend: AsyncHttpxBackend | AiohttpBackend
        if use_aiohttp:
            try:
                from botcopy_handover.client._aiohttp import AiohttpBackend
            except ImportError:
                raise ConfigurationError(
                    'transport="aiohttp" needs: pip install "botcopy-handover[aiohttp]"'
                ) from None
            self._backend = AiohttpBackend(self._core, http_client)  # type: ignore[arg-type]
            self.transport: Transport = "aiohttp"
        else:
            self._backend = AsyncHttpxBackend(self._core, http_client)  # type: ignore[arg-type]
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
        return step if self._recorder is None else await self._recorder.recorded(step)


class AsyncConversation(
    ConversationMethods[Coroutine[Any, Any, PushResult], AsyncTypingKeepalive, AsyncClient]
):
    """The push methods bound to one customer; from [`AsyncClient.conversation`][botcopy_handover.AsyncClient.conversation]."""  # noqa: E501 - a link in the summary

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
