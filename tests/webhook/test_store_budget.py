"""A store that stops answering never delays the webhook's answer past ``reply_timeout``.

The duplicate check before the handler and the record after it are inside
the reply budget: a hung Redis (a listener that accepts and never answers,
or a real Redis whose clients are paused) is treated like a Redis that is
down, logged, and the answer still goes out in time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from botcopy_handover import (
    Continue,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    StoreUnavailableError,
    Webhook,
)
from botcopy_handover.testing import build_webhook_request, sample_customer_message, sample_handover
from botcopy_handover.webhook import WebhookEndpoint, asgi_app, wsgi_app
from tests.helpers import redis_url

pytest.importorskip("redis")

TOKEN = "store-budget-token"
BUDGET = 1.0
# What the answer may take beyond the budget: the scheduling slack of a busy
# 2-core CI machine, far below the seconds a hung store used to add.
SLACK = 0.5


@pytest.fixture
def hung_redis_url() -> Iterator[str]:
    """A TCP listener that accepts connections and never answers: a hung Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def on_handover(event: HandoverRequest) -> Reply:
    return Continue()


def on_customer_message(event: CustomerMessage) -> Reply:
    return Pause(minutes=25)


async def aon_customer_message(event: CustomerMessage) -> Reply:
    return Pause(minutes=25)


def store_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "store" in r.getMessage().lower()
    ]


def test_a_sync_endpoint_answers_in_time_when_redis_hangs(
    hung_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from botcopy_handover import RedisStore

    store = RedisStore(url=hung_redis_url)
    app = wsgi_app(
        Webhook(TOKEN), on_handover, on_customer_message, store=store, reply_timeout=BUDGET
    )
    request = build_webhook_request(sample_customer_message("order 7"), access_token=TOKEN)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://hook") as client:
        started = time.monotonic()
        response = client.post("/", content=request.body, headers=request.headers)
        elapsed = time.monotonic() - started
    # The handler's own reply, not a 500: the store being down is not fatal.
    assert response.status_code == 200
    assert response.json() == {"paused": True, "minutesPaused": 25}
    assert elapsed < BUDGET + SLACK
    warnings = store_warnings(caplog)
    assert any("duplicate check" in w for w in warnings)
    assert any("record the reply" in w for w in warnings)
    app.endpoint.close()
    store.close()


async def test_an_async_endpoint_answers_in_time_when_redis_hangs(
    hung_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from botcopy_handover import AsyncRedisStore

    store = AsyncRedisStore(url=hung_redis_url)
    app = asgi_app(
        Webhook(TOKEN), on_handover, aon_customer_message, store=store, reply_timeout=BUDGET
    )
    request = build_webhook_request(sample_customer_message("order 8"), access_token=TOKEN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
        started = time.monotonic()
        response = await client.post("/", content=request.body, headers=request.headers)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"paused": True, "minutesPaused": 25}
    assert elapsed < BUDGET + SLACK
    warnings = store_warnings(caplog)
    assert any("duplicate check" in w for w in warnings)
    assert any("record the reply" in w for w in warnings)
    # The record goes on in the background until Redis's socket timeout ends it.
    await app.endpoint.drain(5)
    await store.aclose()


def test_a_handler_that_overruns_with_a_hung_store_still_gets_the_fallback_in_time(
    hung_redis_url: str,
) -> None:
    from botcopy_handover import RedisStore

    def slow(event: HandoverRequest) -> Reply:
        time.sleep(BUDGET + 0.5)
        return End()

    store = RedisStore(url=hung_redis_url)
    webhook = Webhook(TOKEN)
    endpoint = WebhookEndpoint(
        webhook,
        slow,
        on_customer_message,
        store=store,
        reply_timeout=BUDGET,
        handover_fallback=Pause(3),
    )
    request = build_webhook_request(sample_handover(), access_token=TOKEN)
    started = time.monotonic()
    response = endpoint.handle("POST", request.headers, request.body)
    elapsed = time.monotonic() - started
    assert response.reply == Pause(3)
    assert elapsed < BUDGET + SLACK
    endpoint.close()
    store.close()


async def test_a_paused_real_redis_does_not_delay_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis

    from botcopy_handover import AsyncRedisStore

    url = redis_url()
    store = AsyncRedisStore(url=url, prefix="test:budget:")
    app = asgi_app(
        Webhook(TOKEN), on_handover, aon_customer_message, store=store, reply_timeout=BUDGET
    )
    request = build_webhook_request(sample_customer_message("order 9"), access_token=TOKEN)
    admin = redis.Redis.from_url(url)
    # Every other client's commands wait 3 s, as with a Redis process paused
    # (SIGSTOP) or a failover in progress.
    admin.client_pause(3000, all=True)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hook") as client:
            started = time.monotonic()
            response = await client.post("/", content=request.body, headers=request.headers)
            elapsed = time.monotonic() - started
    finally:
        admin.client_unpause()
        admin.close()
    assert response.json() == {"paused": True, "minutesPaused": 25}
    assert elapsed < BUDGET + SLACK
    assert any("duplicate check" in w for w in store_warnings(caplog))
    await app.endpoint.drain(5)
    await store.aclose()


def test_a_store_built_from_a_url_gives_up_on_a_hung_redis_within_the_budget(
    hung_redis_url: str,
) -> None:
    from botcopy_handover import RedisStore

    store = RedisStore(url=hung_redis_url)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        store.get("bot-1", "user-1")
    # redis-py's default is 5 s per try; a URL store must fail well inside 4.5 s.
    assert time.monotonic() - started < 4.5
    store.close()


async def test_an_async_store_built_from_a_url_gives_up_within_the_budget(
    hung_redis_url: str,
) -> None:
    from botcopy_handover import AsyncRedisStore

    store = AsyncRedisStore(url=hung_redis_url)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await store.get("bot-1", "user-1")
    assert time.monotonic() - started < 4.5
    await store.aclose()


async def test_a_store_slower_than_store_timeout_is_skipped_and_the_handler_runs() -> None:
    from botcopy_handover import AsyncRedisStore

    # store_timeout, not the whole budget, bounds the duplicate check: the
    # handler still gets the rest of the budget.
    calls: list[str] = []

    async def handler(event: CustomerMessage) -> Reply:
        calls.append(event.text)
        await asyncio.sleep(0.2)
        return End()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    store = AsyncRedisStore(url=f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    webhook = Webhook(TOKEN)
    endpoint = WebhookEndpoint(
        webhook, on_handover, handler, store=store, reply_timeout=BUDGET, store_timeout=0.1
    )
    request = build_webhook_request(sample_customer_message("hello"), access_token=TOKEN)
    try:
        started = time.monotonic()
        response = await endpoint.ahandle("POST", request.headers, request.body)
        elapsed = time.monotonic() - started
    finally:
        await endpoint.drain(5)
        await store.aclose()
        listener.close()
    assert response.reply == End()
    assert calls == ["hello"]
    # 0.1 s check + 0.2 s handler + 0.1 s record: far from the 1 s budget.
    assert elapsed < 0.4 + SLACK
