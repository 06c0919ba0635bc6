"""The aiohttp handler and route, through aiohttp's test server on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from botcopy_handover import ConfigurationError, HandoverRequest, Pause, RedisStore, Webhook
from botcopy_handover.integrations.aiohttp import add_webhook_route, webhook_handler
from botcopy_handover.webhook import HandoverHandler, MessageHandler
from tests.integrations.contract import (
    PATH,
    TOKEN,
    AdapterContract,
    Answer,
    Call,
    Desk,
    Loop,
    Serve,
    chunks,
    make_webhook,
    valid_handover,
)


def start(loop: Loop, app: web.Application) -> TestClient[web.Request, web.Application]:
    """Serve ``app`` on a loopback port until the loop closes."""

    async def started() -> TestClient[web.Request, web.Application]:
        # aiohttp's client must be made on the running loop.
        client = TestClient(TestServer(app, host="127.0.0.1"))
        return await loop.stack.enter_async_context(client)

    return loop.run(started())


def served(loop: Loop, app: web.Application, path: str = PATH) -> Call:
    """Serve ``app`` on a loopback port until the loop closes; send raw requests to it."""
    client = start(loop, app)

    async def send(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        # Only the headers given: aiohttp would add a Content-Type of its own.
        async with client.request(
            method, path, headers=dict(headers), data=body, skip_auto_headers=["Content-Type"]
        ) as response:
            return Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                await response.read(),
            )

    def call(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        return loop.run(send(method, headers, body))

    return call


@pytest.fixture
def serve(loop: Loop) -> Serve:
    def serve(
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call:
        app = web.Application()
        add_webhook_route(app, webhook, on_handover, on_customer_message, **options)
        return served(loop, app)

    return serve


class TestAiohttpRoute(AdapterContract):
    pass


def test_handler_can_be_routed_by_hand(loop: Loop) -> None:
    desk = Desk()
    app = web.Application()
    handler = webhook_handler(make_webhook(), desk.on_handover, desk.on_customer_message)
    app.router.add_route("*", "/hooks/bc", handler)
    request = valid_handover()
    answer = served(loop, app, "/hooks/bc")("POST", request.headers, request.body)
    assert answer.json() == {"paused": True, "minutesPaused": 30}


def test_route_is_named(loop: Loop) -> None:
    desk = Desk()
    app = web.Application()
    add_webhook_route(
        app, make_webhook(), desk.on_handover, desk.on_customer_message, path="/in", name="bc"
    )
    assert str(app.router["bc"].url_for()) == "/in"


def test_client_max_size_does_not_limit_the_webhook_body(loop: Loop) -> None:
    desk = Desk()
    app = web.Application(client_max_size=100)
    add_webhook_route(app, make_webhook(), desk.on_handover, desk.on_customer_message)
    request = valid_handover()
    assert served(loop, app)("POST", request.headers, request.body).status == 200


@pytest.mark.parametrize(("max_bytes", "status"), [(100_000, 200), (100, 413)])
def test_chunked_body_is_read_up_to_the_limit(loop: Loop, max_bytes: int, status: int) -> None:
    desk = Desk()
    app = web.Application()
    add_webhook_route(
        app, make_webhook(max_bytes=max_bytes), desk.on_handover, desk.on_customer_message
    )
    client = start(loop, app)
    body = valid_handover().body

    async def post() -> int:
        content = chunks(body[:50], body[50:])
        async with client.post(PATH, headers=valid_handover().headers, data=content) as response:
            return response.status

    assert loop.run(post()) == status
    assert len(desk.events) == (status == 200)


def test_shutdown_lets_a_late_handler_finish() -> None:
    finished = threading.Event()

    async def on_handover(event: HandoverRequest) -> Pause:
        await asyncio.sleep(0.3)
        finished.set()
        return Pause()

    app = web.Application()
    add_webhook_route(
        app, make_webhook(), on_handover, Desk().on_customer_message, reply_timeout=0.05
    )
    loop = Loop()
    try:
        request = valid_handover()
        answer = served(loop, app)("POST", request.headers, request.body)
        assert answer.json() == {"paused": True, "minutesPaused": 10}
        assert not finished.is_set()
    finally:
        loop.close()
    assert finished.is_set()


def test_a_blocking_store_is_refused_when_the_route_is_added() -> None:
    store = RedisStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError):
        add_webhook_route(
            web.Application(),
            make_webhook(),
            Desk().on_handover,
            Desk().on_customer_message,
            store=store,
        )


# -- shutdown: drain where aiohttp waits for the requests in flight (issue 12) --


async def test_a_handler_overrunning_during_shutdown_is_drained_not_dropped() -> None:
    import httpx

    from botcopy_handover import CustomerMessage, End, Reply

    started = asyncio.Event()
    finished: list[str] = []

    async def on_handover(event: HandoverRequest) -> Reply:
        started.set()
        await asyncio.sleep(0.6)
        finished.append(event.user_id)
        return End()

    async def on_customer_message(event: CustomerMessage) -> Reply:
        return Pause()

    app = web.Application()
    webhook = Webhook(TOKEN)
    add_webhook_route(
        app,
        webhook,
        on_handover,
        on_customer_message,
        shutdown_timeout=5,
        reply_timeout=0.2,
        handover_fallback=Pause(minutes=4),
    )
    runner = web.AppRunner(app, shutdown_timeout=3)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    request = valid_handover()
    async with httpx.AsyncClient() as client:
        call = asyncio.ensure_future(
            client.post(
                f"http://{host}:{port}{PATH}", content=request.body, headers=request.headers
            )
        )
        await started.wait()
        # The server stops while the call is in flight: aiohttp answers it
        # (the fallback, at its deadline), then the handler gets its drain.
        await runner.cleanup()
        response = await call
    assert response.json() == {"paused": True, "minutesPaused": 4}
    assert finished == ["user-1"]
