"""Type-checked, never run: Webhook and its handlers type well for users (mypy --strict)."""

from __future__ import annotations

from typing_extensions import assert_type

from botcopy_handover import Continue, CustomerMessage, End, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.webhook import (
    ASGIApp,
    WebhookEndpoint,
    WebhookResponse,
    WSGIApp,
    asgi_app,
    wsgi_app,
)


def sync_handover(event: HandoverRequest) -> Pause:
    return Pause(minutes=15 if event.history else 10)


async def async_message(event: CustomerMessage) -> Reply:
    return End() if event.text == "bye" else Pause()


def sync_message(event: CustomerMessage) -> Continue:
    return Continue()


def returns_a_dict(event: HandoverRequest) -> dict[str, bool]:
    return {"paused": True}


def check_receive(webhook: Webhook, body: bytes, headers: dict[str, str]) -> None:
    event = webhook.receive(body, headers)
    assert_type(event, HandoverRequest | CustomerMessage)
    webhook.receive(body.decode(), [("authorization", "t")])
    webhook.receive(body, [(b"authorization", b"t")])


def check_apps(webhook: Webhook) -> None:
    assert_type(asgi_app(webhook, sync_handover, async_message), ASGIApp)
    assert_type(wsgi_app(webhook, sync_handover, sync_message), WSGIApp)
    asgi_app(webhook, returns_a_dict, async_message)  # type: ignore[arg-type]
    asgi_app(webhook, async_message, sync_handover)  # type: ignore[arg-type]


async def check_endpoint(webhook: Webhook, body: bytes) -> None:
    endpoint = WebhookEndpoint(webhook, sync_handover, async_message)
    assert_type(endpoint.precheck("POST", {}), WebhookResponse | None)
    assert_type(await endpoint.arespond(body), WebhookResponse)
    assert_type(endpoint.handle("POST", {}, body).reply, Pause | Continue | End | None)
