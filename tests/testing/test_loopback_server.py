"""``LoopbackServer.stop``: at once when idle, gracefully when a request is in flight."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from botcopy_handover.testing import LoopbackServer


class SlowApp:
    """An ASGI app: ``/slow`` answers after a pause, anything else at once; records its lifespan."""

    def __init__(self) -> None:
        self.entered = threading.Event()  # a /slow request is being handled
        self.lifespan: list[str] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.lifespan.append("startup")
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.lifespan.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b"at once"
        if scope["path"] == "/slow":
            self.entered.set()
            await asyncio.sleep(0.3)
            body = b"finished"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def test_a_request_in_flight_at_stop_is_answered_in_full() -> None:
    app = SlowApp()
    server = LoopbackServer(app).start()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(httpx.get, f"{server.url}/slow", timeout=10)
        assert app.entered.wait(10)
        server.stop()
        response = answer.result()
    assert (response.status_code, response.text) == (200, "finished")
    assert app.lifespan == ["startup", "shutdown"]


def test_stop_with_an_idle_keep_alive_connection_closes_it_and_the_port() -> None:
    app = SlowApp()
    server = LoopbackServer(app).start()
    url = server.url
    with httpx.Client() as client:
        assert client.get(f"{url}/").text == "at once"  # the connection stays open, idle
        server.stop()
        assert app.lifespan == ["startup", "shutdown"]
        with pytest.raises(httpx.TransportError):
            client.get(f"{url}/")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/")
