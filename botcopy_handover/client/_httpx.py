"""Send pushes with httpx: the default transport of ``Client`` and ``AsyncClient``.

The request of a ``Send`` step and the reading of httpx's answer (or error)
into the core's ``Answer``/``Failure`` are written once here for both httpx
clients; `HttpxBackend` and `AsyncHttpxBackend` only perform the call, the one
blocking and the other awaited. ``_aiohttp`` is the same for aiohttp.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TypeVar

import httpx

from botcopy_handover.client._base import UNSET, Answer, ClientCore, Failure, Send
from botcopy_handover.client._pool import fix_pool

__all__ = [
    "AsyncHttpxBackend",
    "HttpxBackend",
    "classify_httpx_error",
    "httpx_outcome",
    "httpx_request",
]


def classify_httpx_error(exc: Exception) -> Failure:
    """Say whether an error raised while sending with httpx may have reached Botcopy.

    Anything not known to fail before the request left counts as sent.
    """
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Failure(exc, sent=False, timed_out=True)
    if isinstance(exc, httpx.TimeoutException):
        return Failure(exc, sent=True, timed_out=True)
    if isinstance(exc, (httpx.ConnectError, httpx.ProxyError)):
        return Failure(exc, sent=False)
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)):
        return Failure(exc, sent=False, retryable=False)
    return Failure(exc, sent=True)


def _unreadable(exc: Exception) -> str:
    """The text of an error answer whose body broke off or did not decode."""
    return f"(the body could not be read: {type(exc).__name__})"


def httpx_request(
    http: httpx.Client | httpx.AsyncClient, core: ClientCore, step: Send
) -> httpx.Request:
    """The request of one ``Send`` step, for either httpx client."""
    return http.build_request(
        "POST",
        core.url,
        content=step.content,
        headers=core.request_headers,
        timeout=httpx.USE_CLIENT_DEFAULT if step.timeout is UNSET else step.timeout,
    )


def httpx_outcome(response: httpx.Response, read_error: Exception | None) -> Answer | Failure:
    """What an httpx answer says, once its body was read (or failed to be, ``read_error``)."""
    status = response.status_code
    if 200 <= status < 300:
        if read_error is None:
            return Answer(status)
        # An answer that breaks off or does not decode is no sure success:
        # the push may or may not have been accepted.
        return replace(classify_httpx_error(read_error), status_code=status, sent=True)
    if read_error is None:
        try:
            text = response.text
        except Exception as exc:
            text = _unreadable(exc)
    else:
        text = _unreadable(read_error)
    return Answer(
        status, response.headers.get("retry-after"), text, response.headers.get("location")
    )


_H = TypeVar("_H", httpx.Client, httpx.AsyncClient)


def _http_client(core: ClientCore, http: _H | None, kind: type[_H]) -> _H:
    """``http``, or a new ``kind`` that carries the headers and timeout as its defaults.

    The new client's transport is httpx's own with its defaults (as the client
    would make it), its pool given the fixed assignment pass (`fix_pool`).
    """
    if http is not None:
        return http
    assert isinstance(core.timeout, httpx.Timeout)  # never unset when the SDK owns the client
    if issubclass(kind, httpx.AsyncClient):
        async_transport = httpx.AsyncHTTPTransport()
        fix_pool(async_transport)
        return kind(headers=core.headers, timeout=core.timeout, transport=async_transport)
    transport = httpx.HTTPTransport()
    fix_pool(transport)
    return kind(headers=core.headers, timeout=core.timeout, transport=transport)


class HttpxBackend:
    """Performs the core's ``Send`` steps with a blocking ``httpx.Client``."""

    def __init__(self, core: ClientCore, http: httpx.Client | None) -> None:
        self._core = core
        self._http = _http_client(core, http, httpx.Client)

    def send(self, step: Send) -> Answer | Failure:
        """Anything httpx raises becomes a `Failure`: only `BotcopyError` leaves a client."""
        try:
            request = httpx_request(self._http, self._core, step)
            # Redirects are not followed, also when an injected client follows them.
            response = self._http.send(request, stream=True, follow_redirects=False)
        except Exception as exc:
            return classify_httpx_error(exc)
        read_error: Exception | None = None
        try:
            response.read()
        except Exception as exc:
            read_error = exc
        finally:
            with contextlib.suppress(Exception):
                response.close()
        return httpx_outcome(response, read_error)

    def close(self) -> None:
        """Close the HTTP client if the SDK created it."""
        if self._core.owns_http_client:
            self._http.close()


class AsyncHttpxBackend:
    """Performs the core's ``Send`` steps with an ``httpx.AsyncClient``; as `HttpxBackend`."""

    def __init__(self, core: ClientCore, http: httpx.AsyncClient | None) -> None:
        self._core = core
        self._http = _http_client(core, http, httpx.AsyncClient)

    async def send(self, step: Send) -> Answer | Failure:
        """As `HttpxBackend.send`, awaited."""
        try:
            request = httpx_request(self._http, self._core, step)
            response = await self._http.send(request, stream=True, follow_redirects=False)
        except Exception as exc:
            return classify_httpx_error(exc)
        read_error: Exception | None = None
        try:
            await response.aread()
        except Exception as exc:
            read_error = exc
        finally:
            with contextlib.suppress(Exception):
                await response.aclose()
        return httpx_outcome(response, read_error)

    async def aclose(self) -> None:
        """Close the HTTP client if the SDK created it."""
        if self._core.owns_http_client:
            await self._http.aclose()
