"""The Starlette route and ``receive_event``, through a real Starlette app.

Requests go through ``httpx.ASGITransport`` and the app's own lifespan.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from botcopy_handover import (
    ConfigurationError,
    Continue,
    HandoverRequest,
    Pause,
    RedisStore,
    Webhook,
    WebhookError,
)
from botcopy_handover.integrations.starlette import receive_event, webhook_route
from botcopy_handover.webhook import HandoverHandler, MessageHandler
from tests.integrations.contract import (
    PATH,
    UNAUTHORIZED,
    AdapterContract,
    Call,
    Desk,
    Loop,
    Serve,
    asgi_call,
    chunks,
    make_webhook,
    valid_handover,
)


@pytest.fixture
def serve(loop: Loop) -> Serve:
    def serve(
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call:
        route = webhook_route(webhook, on_handover, on_customer_message, **options)
        return asgi_call(loop, Starlette(routes=[route], lifespan=route.lifespan))

    return serve


class TestStarletteRoute(AdapterContract):
    pass


def test_route_has_its_name_and_path_and_stays_out_of_schemas() -> None:
    desk = Desk()
    route = webhook_route(
        make_webhook(), desk.on_handover, desk.on_customer_message, path="/in/bc", name="bc"
    )
    app = Starlette(routes=[route])
    assert app.url_path_for("bc") == "/in/bc"
    assert route.include_in_schema is False


def test_lifespan_lets_a_late_handler_finish_at_shutdown() -> None:
    finished = threading.Event()

    async def on_handover(event: HandoverRequest) -> Pause:
        await asyncio.sleep(0.3)
        finished.set()
        return Pause()

    route = webhook_route(
        make_webhook(), on_handover, Desk().on_customer_message, reply_timeout=0.05
    )
    loop = Loop()
    try:
        call = asgi_call(loop, Starlette(routes=[route], lifespan=route.lifespan))
        request = valid_handover()
        assert call("POST", request.headers, request.body).json() == {
            "paused": True,
            "minutesPaused": 10,
        }
        assert not finished.is_set()
    finally:
        loop.close()
    assert finished.is_set()


@pytest.mark.parametrize(("max_bytes", "status"), [(100_000, 200), (100, 413)])
def test_chunked_body_is_read_up_to_the_limit(loop: Loop, max_bytes: int, status: int) -> None:
    desk = Desk()
    webhook = make_webhook(max_bytes=max_bytes)
    route = webhook_route(webhook, desk.on_handover, desk.on_customer_message)
    app = Starlette(routes=[route])
    body = valid_handover().body
    transport = httpx.ASGITransport(app)

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://botcopy.test") as client:
            headers = valid_handover().headers
            return await client.post(PATH, headers=headers, content=chunks(body[:50], body[50:]))

    assert loop.run(post()).status_code == status
    assert len(desk.events) == (status == 200)


async def own_endpoint(request: Request) -> Response:
    webhook: Webhook = request.app.state.webhook
    try:
        event = await receive_event(webhook, request)
    except WebhookError as error:
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    return Response(
        Continue().to_json(), media_type="application/json", headers={"x-user": event.user_id}
    )


@pytest.fixture
def own_app() -> Starlette:
    app = Starlette(routes=[Route(PATH, own_endpoint, methods=["POST"])])
    app.state.webhook = make_webhook(max_bytes=10_000)
    return app


def test_receive_event_gives_your_endpoint_the_typed_event(loop: Loop, own_app: Starlette) -> None:
    request = valid_handover()
    answer = asgi_call(loop, own_app)("POST", request.headers, request.body)
    assert answer.json() == {"paused": False}
    assert answer.headers["x-user"] == "user-1"


def test_receive_event_refuses_bad_credentials(loop: Loop, own_app: Starlette) -> None:
    request = valid_handover()
    headers = {**request.headers, "Authorization": "tok-wrong"}
    answer = asgi_call(loop, own_app)("POST", headers, request.body)
    assert answer.status == 401
    assert answer.json() == UNAUTHORIZED


def test_receive_event_stops_reading_past_the_limit(loop: Loop, own_app: Starlette) -> None:
    body = valid_handover().body + b" " * 20_000
    transport = httpx.ASGITransport(own_app)

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://botcopy.test") as client:
            headers = valid_handover().headers
            return await client.post(
                PATH, headers=headers, content=chunks(body[:1500], body[1500:])
            )

    assert loop.run(post()).status_code == 413


def test_a_blocking_store_is_refused_when_the_route_is_made() -> None:
    store = RedisStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError):
        webhook_route(make_webhook(), Desk().on_handover, Desk().on_customer_message, store=store)
