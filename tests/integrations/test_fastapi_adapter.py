"""The FastAPI router and the ``verified_event`` dependency, through a real FastAPI app.

Requests go through ``httpx.ASGITransport`` and the app's own lifespan, which
FastAPI merges with the router's.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    HandoverRequest,
    Pause,
    RedisStore,
    Webhook,
)
from botcopy_handover.integrations.fastapi import verified_event, webhook_router
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
    make_webhook,
    valid_handover,
    valid_message,
)


@pytest.fixture
def serve(loop: Loop) -> Serve:
    def serve(
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call:
        app = FastAPI()
        app.include_router(webhook_router(webhook, on_handover, on_customer_message, **options))
        return asgi_call(loop, app)

    return serve


class TestFastAPIRouter(AdapterContract):
    pass


def test_router_takes_a_prefix_and_stays_out_of_the_openapi_schema(loop: Loop) -> None:
    desk = Desk()
    app = FastAPI()
    app.include_router(
        webhook_router(make_webhook(), desk.on_handover, desk.on_customer_message, path="/in"),
        prefix="/hooks",
    )
    request = valid_handover()
    assert asgi_call(loop, app, "/hooks/in")("POST", request.headers, request.body).status == 200
    assert app.url_path_for("botcopy") == "/hooks/in"
    assert "/hooks/in" not in app.openapi()["paths"]


def test_app_lifespan_lets_a_late_handler_finish_at_shutdown() -> None:
    finished = threading.Event()

    async def on_handover(event: HandoverRequest) -> Pause:
        await asyncio.sleep(0.3)
        finished.set()
        return Pause()

    app = FastAPI()
    app.include_router(
        webhook_router(make_webhook(), on_handover, Desk().on_customer_message, reply_timeout=0.05)
    )
    loop = Loop()
    try:
        request = valid_handover()
        answer = asgi_call(loop, app)("POST", request.headers, request.body)
        assert answer.json() == {"paused": True, "minutesPaused": 10}
        assert not finished.is_set()
    finally:
        loop.close()
    assert finished.is_set()


OWN_WEBHOOK = make_webhook(max_bytes=100_000)
Event = Annotated[HandoverRequest | CustomerMessage, Depends(verified_event(OWN_WEBHOOK))]


def own_app() -> FastAPI:
    app = FastAPI()

    @app.post(PATH)
    async def botcopy(event: Event) -> dict[str, object]:
        if isinstance(event, HandoverRequest):
            return Pause(minutes=20).to_dict()
        return {"paused": True, "minutesPaused": 5, "echo": event.text}

    return app


def test_verified_event_gives_your_route_the_typed_event(loop: Loop) -> None:
    call = asgi_call(loop, own_app())
    handover = valid_handover()
    message = valid_message("order 1042")
    assert call("POST", handover.headers, handover.body).json() == {
        "paused": True,
        "minutesPaused": 20,
    }
    assert call("POST", message.headers, message.body).json()["echo"] == "order 1042"


def test_verified_event_refuses_bad_credentials_under_detail(loop: Loop) -> None:
    request = valid_handover()
    headers = {**request.headers, "Authorization": "tok-wrong"}
    answer = asgi_call(loop, own_app())("POST", headers, request.body)
    assert answer.status == 401
    assert answer.json() == {"detail": UNAUTHORIZED}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        pytest.param({"Content-Type": "text/plain"}, b"{}", 415, id="content-type"),
        pytest.param({}, b"[1]", 400, id="json-array"),
        pytest.param({"Content-Length": "99999999"}, b"", 413, id="content-length"),
    ],
)
def test_verified_event_answers_the_webhook_status(
    loop: Loop, headers: dict[str, str], body: bytes, status: int
) -> None:
    request = valid_handover()
    call = asgi_call(loop, own_app())
    answer = call("POST", {**request.headers, **headers}, body)
    assert answer.status == status
    assert set(answer.json()["detail"]) == {"error", "message"}


def test_a_blocking_store_is_refused_when_the_router_is_made() -> None:
    store = RedisStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError):
        webhook_router(make_webhook(), Desk().on_handover, Desk().on_customer_message, store=store)
