"""WebhookEndpoint: which handler runs, the deadline, the fallback, handler failures, the store."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from botcopy_handover import (
    ConfigurationError,
    Continue,
    CustomerMessage,
    End,
    HandoverRequest,
    MemoryStore,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.testing import (
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.webhook import WebhookEndpoint, WebhookResponse, wsgi_app

TOKEN = "endpoint-secret-token"


def handover() -> tuple[dict[str, str], bytes]:
    request = build_webhook_request(sample_handover(), access_token=TOKEN)
    return request.headers, request.body


def message(text: str = "hello?") -> tuple[dict[str, str], bytes]:
    request = build_webhook_request(sample_customer_message(text), access_token=TOKEN)
    return request.headers, request.body


def pause_handover(event: HandoverRequest) -> Reply:
    return Pause(minutes=15)


def end_message(event: CustomerMessage) -> Reply:
    return End()


def test_a_handover_goes_to_on_handover_and_its_reply_is_sent_exactly() -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, end_message)
    response = endpoint.handle("POST", *handover())
    assert response.status_code == 200
    assert response.body == b'{"paused":true,"minutesPaused":15}'
    assert response.headers == (("content-type", "application/json"),)
    assert response.reply == Pause(15)


def test_a_customer_message_goes_to_on_customer_message() -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, end_message)
    response = endpoint.handle("POST", *message())
    assert response.body == b'{"paused":false,"minutesPaused":0}'


async def test_async_handlers_run_on_the_event_loop() -> None:
    loop = asyncio.get_running_loop()
    seen: list[asyncio.AbstractEventLoop] = []

    async def on_handover(event: HandoverRequest) -> Reply:
        seen.append(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return Continue()

    endpoint = WebhookEndpoint(Webhook(TOKEN), on_handover, end_message)
    response = await endpoint.ahandle("POST", *handover())
    assert response.body == b'{"paused":false}'
    assert seen == [loop]


async def test_sync_handlers_run_in_a_worker_thread_from_async_servers() -> None:
    threads: list[str] = []

    def on_message(event: CustomerMessage) -> Reply:
        threads.append(threading.current_thread().name)
        return Pause()

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    response = await endpoint.ahandle("POST", *message())
    assert response.reply == Pause()
    assert threads[0].startswith("botcopy-handler")


def test_async_handlers_work_from_sync_servers() -> None:
    async def on_message(event: CustomerMessage) -> Reply:
        await asyncio.sleep(0)
        return Pause(minutes=3)

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    assert endpoint.handle("POST", *message()).reply == Pause(3)


def test_handlers_see_the_callers_context_variables() -> None:
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    seen: list[str] = []

    def on_message(event: CustomerMessage) -> Reply:
        seen.append(request_id.get())
        return Pause()

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    request_id.set("req-42")
    endpoint.handle("POST", *message())
    assert seen == ["req-42"]


def test_a_slow_sync_handler_gets_the_fallback_in_time_and_finishes_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "botcopy_handover")
    finished = threading.Event()

    def slow(event: CustomerMessage) -> Reply:
        time.sleep(0.3)
        finished.set()
        return End()

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, slow, reply_timeout=0.05)
    started = time.perf_counter()
    response = endpoint.handle("POST", *message())
    assert time.perf_counter() - started < 0.25
    assert response.reply == Pause()
    assert "on_customer_message ran past its 0.05 s budget for session session-1" in caplog.text
    assert finished.wait(2)
    deadline = time.monotonic() + 2
    while "finished after its deadline" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "its reply End() was not sent" in caplog.text


async def test_a_slow_async_handler_gets_the_fallback_and_runs_on_in_the_background() -> None:
    finished = asyncio.Event()

    async def slow(event: HandoverRequest) -> Reply:
        await asyncio.sleep(0.2)
        finished.set()
        return Pause()

    webhook = Webhook(TOKEN)
    endpoint = WebhookEndpoint(
        webhook, slow, end_message, reply_timeout=0.02, handover_fallback=Continue()
    )
    response = await endpoint.ahandle("POST", *handover())
    assert response.reply == Continue()
    assert endpoint.guard.pending == 1
    await endpoint.drain(2)
    assert finished.is_set()
    assert endpoint.guard.pending == 0


async def test_a_slow_handler_that_later_fails_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def slow(event: HandoverRequest) -> Reply:
        await asyncio.sleep(0.05)
        raise RuntimeError("desk down")

    endpoint = WebhookEndpoint(Webhook(TOKEN), slow, end_message, reply_timeout=0.01)
    await endpoint.ahandle("POST", *handover())
    await endpoint.drain(2)
    assert "on_handover for session session-1, after its deadline: on_handover raised" in (
        caplog.text
    )


def test_a_handler_timeout_error_is_a_failure_not_an_overrun() -> None:
    def on_message(event: CustomerMessage) -> Reply:
        raise TimeoutError("the desk timed out")

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    assert endpoint.handle("POST", *message()).status_code == 500


@pytest.mark.parametrize("use_async", [False, True])
async def test_a_handler_that_raises_gets_a_generic_500_and_is_logged(
    caplog: pytest.LogCaptureFixture, use_async: bool
) -> None:
    def on_message(event: CustomerMessage) -> Reply:
        raise ValueError("database password is hunter2")

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    if use_async:
        response = await endpoint.ahandle("POST", *message())
    else:
        response = endpoint.handle("POST", *message())
    assert response.status_code == 500
    assert response.json() == {"error": "HandlerError", "message": "The webhook handler failed"}
    assert "hunter2" not in response.body.decode()
    assert "on_customer_message raised ValueError" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("wrong", [None, {"paused": True}, "Pause()", True])
def test_a_handler_returning_no_reply_gets_a_clear_500(
    caplog: pytest.LogCaptureFixture, wrong: object
) -> None:
    def on_message(event: CustomerMessage) -> Reply:
        return wrong  # type: ignore[return-value]

    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, on_message)
    response = endpoint.handle("POST", *message())
    assert response.status_code == 500
    expected = (
        f"on_customer_message returned {type(wrong).__name__}, not a reply: "
        "return Pause(), Continue() or End()"
    )
    assert response.json() == {"error": "HandlerError", "message": expected}
    assert expected in caplog.text


def test_handlers_must_be_callable() -> None:
    with pytest.raises(ConfigurationError, match="on_customer_message must be callable"):
        WebhookEndpoint(Webhook(TOKEN), pause_handover, Pause())  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_methods_other_than_post_get_405_with_allow(method: str) -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, end_message)
    response = endpoint.handle(method, *message())
    assert response.status_code == 405
    assert ("allow", "POST") in response.headers
    assert response.json()["error"] == "MethodNotAllowedError"


def test_errors_are_answered_as_small_json_bodies() -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, end_message)
    headers, _ = message()
    response = endpoint.handle("POST", headers, b"[]")
    assert response.status_code == 400
    assert response.json() == {
        "error": "InvalidPayloadError",
        "message": "Request body must be a JSON object, not array",
    }


def test_the_endpoint_repr_shows_no_secret() -> None:
    endpoint = WebhookEndpoint(
        Webhook(TOKEN, custom_header=("X-Key", "hidden-value")), pause_handover, end_message
    )
    assert TOKEN not in repr(endpoint)
    assert "hidden-value" not in repr(endpoint)


def test_webhook_response_for_reply_holds_the_wire_json() -> None:
    assert WebhookResponse.for_reply(Continue()).json() == {"paused": False}


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_with_a_store_every_reply_is_recorded() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    endpoint = WebhookEndpoint(Webhook(TOKEN), pause_handover, end_message, store=store)
    endpoint.handle("POST", *handover())
    state = store.get("bot-1", "user-1")
    assert state is not None and state.paused and state.minutes_paused == 15
    assert state.expires_at == clock.now + timedelta(minutes=15)
    endpoint.handle("POST", *message())
    state = store.get("bot-1", "user-1")
    assert state is not None and not state.paused


async def test_with_a_store_async_servers_record_too() -> None:
    store = MemoryStore()

    async def on_handover(event: HandoverRequest) -> Reply:
        return Pause(minutes=7)

    endpoint = WebhookEndpoint(Webhook(TOKEN), on_handover, end_message, store=store)
    await endpoint.ahandle("POST", *handover())
    state = store.get("bot-1", "user-1")
    assert state is not None and state.minutes_paused == 7


def test_the_fallback_is_what_gets_recorded_when_a_handler_overruns() -> None:
    store = MemoryStore()

    def slow(event: HandoverRequest) -> Reply:
        time.sleep(0.2)
        return Continue()

    webhook = Webhook(TOKEN)
    WebhookEndpoint(
        webhook,
        slow,
        end_message,
        store=store,
        reply_timeout=0.02,
        handover_fallback=Pause(minutes=4),
    ).handle("POST", *handover())
    state = store.get("bot-1", "user-1")
    assert state is not None and state.paused and state.minutes_paused == 4


def test_a_body_seen_twice_is_answered_without_calling_the_handler_again() -> None:
    calls: list[str] = []

    def on_message(event: CustomerMessage) -> Reply:
        calls.append(event.text)
        return Pause(minutes=20)

    webhook = Webhook(TOKEN)
    endpoint = WebhookEndpoint(
        webhook, pause_handover, on_message, store=MemoryStore(), message_fallback=Pause(minutes=9)
    )
    first = endpoint.handle("POST", *message("my order is 1042"))
    again = endpoint.handle("POST", *message("my order is 1042"))
    other = endpoint.handle("POST", *message("and 1043"))
    assert calls == ["my order is 1042", "and 1043"]
    assert first.reply == Pause(20)
    assert again.reply == Pause(9)
    assert other.reply == Pause(20)


def test_a_body_is_the_same_delivery_whatever_its_token_or_formatting() -> None:
    calls: list[str] = []

    def on_message(event: CustomerMessage) -> Reply:
        calls.append(event.text)
        return Pause()

    webhook = Webhook([TOKEN, "other-token"])
    endpoint = WebhookEndpoint(webhook, pause_handover, on_message, store=MemoryStore())
    headers, body = message()
    endpoint.handle("POST", headers, body)
    rotated = build_webhook_request(sample_customer_message("hello?"), access_token="other-token")
    endpoint.handle("POST", rotated.headers, rotated.body + b"\n")
    assert calls == ["hello?"]


def test_a_body_seen_after_the_window_is_passed_on_again() -> None:
    clock = FakeClock()
    calls: list[str] = []

    def on_message(event: CustomerMessage) -> Reply:
        calls.append(event.text)
        return Pause()

    webhook = Webhook(TOKEN)
    endpoint = WebhookEndpoint(
        webhook,
        pause_handover,
        on_message,
        store=MemoryStore(clock=clock),
        duplicate_window=timedelta(seconds=5),
    )
    endpoint.handle("POST", *message())
    clock.now += timedelta(seconds=6)
    endpoint.handle("POST", *message())
    assert calls == ["hello?", "hello?"]


async def test_an_async_store_is_refused_by_a_sync_server() -> None:
    class AsyncOnly:
        async def get(self, bot_id: str, user_id: str) -> None:
            return None

    webhook = Webhook(TOKEN)
    with pytest.raises(ConfigurationError, match="asynchronous"):
        wsgi_app(webhook, pause_handover, end_message, store=AsyncOnly())  # type: ignore[arg-type]
