"""Run one push through any of the three transports, so one test covers them all."""

from __future__ import annotations

import asyncio
from typing import Any

from botcopy_handover import AsyncClient, Client
from botcopy_handover.client import PushResult

TRANSPORTS = ["httpx", "async-httpx", "aiohttp"]
"""Sync ``Client`` over httpx, ``AsyncClient`` over httpx, ``AsyncClient`` over aiohttp."""


async def _no_wait(seconds: float) -> None:
    return None


def push(transport: str, key: str, url: str, **kwargs: Any) -> PushResult:
    """Send one message with a fresh client on ``transport``; retries do not wait.

    ``method`` (default ``send_message``) and ``args`` pick the call.
    """
    method = kwargs.pop("method", "send_message")
    args = kwargs.pop("args", ("u1", "b1", "hello") if method == "send_message" else ("u1", "b1"))
    if transport == "httpx":
        with Client(key, base_url=url, sleep=lambda _: None, **kwargs) as client:
            result: PushResult = getattr(client, method)(*args)
            return result

    async def run() -> PushResult:
        async with AsyncClient(
            key,
            base_url=url,
            transport="aiohttp" if transport == "aiohttp" else "httpx",
            sleep=_no_wait,
            **kwargs,
        ) as client:
            result: PushResult = await getattr(client, method)(*args)
            return result

    return asyncio.run(run())
