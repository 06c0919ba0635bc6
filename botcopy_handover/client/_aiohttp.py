"""Send pushes over an ``aiohttp`` session: the ``botcopy-handover[aiohttp]`` extra.

httpx's async connection pool slows down sharply under many concurrent
requests (encode/httpx#3215), and even httpx over an aiohttp transport keeps
most of httpx's per-request cost. This backend talks to aiohttp directly and
reports outcomes in the core's terms, so retries and errors behave exactly as
with httpx.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import httpx

from botcopy_handover.client._base import UNSET, Answer, ClientCore, Failure, Send, Unset

__all__ = ["AiohttpBackend", "classify_aiohttp_error"]

# aiohttp >= 3.10 tells a connect timeout apart from a read timeout.
_CONNECT_TIMEOUT: tuple[type[BaseException], ...] = tuple(
    getattr(aiohttp, name) for name in ("ConnectionTimeoutError",) if hasattr(aiohttp, name)
)
_NOT_RETRYABLE: tuple[type[BaseException], ...] = (aiohttp.InvalidURL,)


def classify_aiohttp_error(exc: Exception) -> Failure:
    """Say whether an error raised while sending with aiohttp may have reached Botcopy.

    Anything not known to fail before the request left counts as sent.
    """
    if isinstance(exc, _CONNECT_TIMEOUT):
        return Failure(exc, sent=False, timed_out=True)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return Failure(exc, sent=True, timed_out=True)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Failure(exc, sent=False)
    if isinstance(exc, _NOT_RETRYABLE):
        return Failure(exc, sent=False, retryable=False)
    return Failure(exc, sent=True)


def client_timeout(timeout: httpx.Timeout) -> aiohttp.ClientTimeout:
    """The aiohttp equivalent of an ``httpx.Timeout`` (aiohttp has no write timeout)."""
    return aiohttp.ClientTimeout(
        total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read
    )


class AiohttpBackend:
    """Performs the core's ``Send`` steps with an ``aiohttp.ClientSession``."""

    def __init__(self, core: ClientCore, session: aiohttp.ClientSession | None) -> None:
        self._core = core
        self._session = session
        self._owns_session = session is None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self._default_timeout: aiohttp.ClientTimeout | None = None
        if isinstance(core.request_timeout, httpx.Timeout):
            self._default_timeout = client_timeout(core.request_timeout)

    def _open(self) -> aiohttp.ClientSession:
        # aiohttp wants its session created inside the running event loop.
        timeout = self._core.timeout
        self._session = aiohttp.ClientSession(
            headers=self._core.headers,
            timeout=client_timeout(timeout) if not isinstance(timeout, Unset) else None,
        )
        return self._session

    def _timeout(self, step: Send) -> aiohttp.ClientTimeout | None:
        if step.timeout is UNSET:
            return self._default_timeout
        assert isinstance(step.timeout, httpx.Timeout)
        t = step.timeout
        key = (t.connect, t.read, t.write, t.pool)
        found = self._timeouts.get(key)
        if found is None:
            if len(self._timeouts) > 64:  # per-call timeouts are few; never grow unbounded
                self._timeouts.clear()
            found = self._timeouts[key] = client_timeout(t)
        return found

    async def send(self, step: Send) -> Answer | Failure:
        """POST the step's bytes and report what happened.

        Redirects are never followed (aiohttp follows them by default): a 302
        would turn the push into a bodiless GET, a 307 re-send it elsewhere.
        Anything aiohttp raises becomes a ``Failure``.
        """
        session = self._session if self._session is not None else self._open()
        timeout = self._timeout(step)
        try:
            if timeout is None:
                response = await session.post(
                    self._core.url,
                    data=step.content,
                    headers=self._core.request_headers,
                    allow_redirects=False,
                )
            else:
                response = await session.post(
                    self._core.url,
                    data=step.content,
                    headers=self._core.request_headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
        except Exception as exc:
            return classify_aiohttp_error(exc)
        async with response:
            status = response.status
            if 200 <= status < 300:
                # An answer that breaks off or does not decode is no sure
                # success: the push may or may not have been accepted.
                try:
                    await response.read()
                except Exception as exc:
                    return replace(classify_aiohttp_error(exc), status_code=status, sent=True)
                return Answer(status)
            try:
                text = await response.text(errors="replace")
            except Exception as exc:
                text = f"(the body could not be read: {type(exc).__name__})"
            return Answer(
                status,
                response.headers.get("Retry-After"),
                text,
                response.headers.get("Location"),
            )

    async def aclose(self) -> None:
        """Close the session if the SDK created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
