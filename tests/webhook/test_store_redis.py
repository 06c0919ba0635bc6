"""A webhook endpoint with store= and a real Redis: replicas share replies and catch duplicates."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.testing import build_webhook_request, sample_customer_message
from botcopy_handover.webhook import WebhookEndpoint, asgi_app
from tests.helpers import redis_url

TOKEN = "redis-webhook-token"


@pytest.fixture
def prefix() -> Iterator[str]:
    url = redis_url()
    name = f"test:webhook:{uuid.uuid4().hex}:"
    yield name
    import redis

    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{name}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
async def replicas(prefix: str) -> AsyncIterator[tuple[list[str], list[httpx.AsyncClient]]]:
    """Two ASGI replicas, each with its own AsyncRedisStore on one Redis."""
    from botcopy_handover import AsyncRedisStore

    forwarded: list[str] = []

    async def on_handover(event: HandoverRequest) -> Reply:
        return Pause()

    async def on_customer_message(event: CustomerMessage) -> Reply:
        await asyncio.sleep(0.01)
        forwarded.append(event.text)
        return Pause(minutes=25)

    stores = [AsyncRedisStore(url=redis_url(), prefix=prefix) for _ in range(2)]
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=asgi_app(Webhook(TOKEN), on_handover, on_customer_message, store=store)
            ),
            base_url="http://replica.test",
        )
        for store in stores
    ]
    yield forwarded, clients
    for client in clients:
        await client.aclose()
    for store in stores:
        await store.aclose()


async def test_one_body_delivered_to_two_replicas_at_once_is_forwarded_once(
    replicas: tuple[list[str], list[httpx.AsyncClient]],
) -> None:
    forwarded, clients = replicas
    request = build_webhook_request(sample_customer_message("order 1042"), access_token=TOKEN)
    answers = await asyncio.gather(
        *(c.post("/", content=request.body, headers=request.headers) for c in clients)
    )
    assert sorted(a.json()["minutesPaused"] for a in answers) == [10, 25]
    assert forwarded == ["order 1042"]


async def test_a_reply_on_one_replica_is_seen_by_the_other(
    replicas: tuple[list[str], list[httpx.AsyncClient]], prefix: str
) -> None:
    from botcopy_handover import AsyncRedisStore

    _, clients = replicas
    request = build_webhook_request(sample_customer_message("hello"), access_token=TOKEN)
    await clients[0].post("/", content=request.body, headers=request.headers)
    other = AsyncRedisStore(url=redis_url(), prefix=prefix)
    try:
        state = await other.get("bot-1", "user-1")
    finally:
        await other.aclose()
    assert state is not None and state.paused and state.minutes_paused == 25


def test_a_sync_endpoint_records_in_a_sync_redis_store(prefix: str) -> None:
    from botcopy_handover import RedisStore

    def on_handover(event: HandoverRequest) -> Reply:
        return Pause()

    def on_customer_message(event: CustomerMessage) -> Reply:
        return Pause(minutes=40)

    store = RedisStore(url=redis_url(), prefix=prefix)
    try:
        endpoint = WebhookEndpoint(Webhook(TOKEN), on_handover, on_customer_message, store=store)
        request = build_webhook_request(sample_customer_message(), access_token=TOKEN)
        assert endpoint.handle("POST", request.headers, request.body).reply == Pause(40)
        state = store.get("bot-1", "user-1")
        assert state is not None and state.minutes_paused == 40
    finally:
        store.close()
