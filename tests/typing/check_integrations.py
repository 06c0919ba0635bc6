"""Type-checked, never run: the integrations take the handlers users write (mypy --strict)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web
from django.http import HttpRequest, HttpResponse
from fastapi import APIRouter, Request
from flask import Blueprint, Response
from typing_extensions import assert_type

from botcopy_handover import Continue, CustomerMessage, End, HandoverRequest, Pause, Webhook
from botcopy_handover.integrations import aiohttp, django, fastapi, flask, starlette


def sync_handover(event: HandoverRequest) -> Pause:
    return Pause(minutes=30)


def sync_message(event: CustomerMessage) -> Pause | End:
    return End() if event.text == "bye" else Pause()


async def async_handover(event: HandoverRequest) -> Continue:
    return Continue()


async def async_message(event: CustomerMessage) -> End:
    return End()


def check_sync_and_async_handlers_are_accepted(webhook: Webhook) -> None:
    assert_type(fastapi.webhook_router(webhook, async_handover, sync_message), APIRouter)
    assert_type(
        starlette.webhook_route(webhook, sync_handover, async_message), starlette.WebhookRoute
    )
    assert_type(flask.webhook_blueprint(webhook, sync_handover, sync_message), Blueprint)
    assert_type(flask.webhook_view(webhook, async_handover, sync_message), Callable[[], Response])
    assert_type(
        django.webhook_view(webhook, sync_handover, sync_message),
        Callable[[HttpRequest], HttpResponse],
    )
    assert_type(
        django.async_webhook_view(webhook, async_handover, async_message),
        Callable[[HttpRequest], Coroutine[Any, Any, HttpResponse]],
    )
    assert_type(
        aiohttp.webhook_handler(webhook, async_handover, async_message),
        Callable[[web.Request], Awaitable[web.Response]],
    )
    assert_type(
        aiohttp.add_webhook_route(web.Application(), webhook, sync_handover, sync_message),
        web.AbstractRoute,
    )


def check_handlers_must_take_the_event(webhook: Webhook) -> None:
    def takes_text(text: str) -> Pause:
        return Pause()

    def returns_dict(event: HandoverRequest) -> dict[str, bool]:
        return {"paused": True}

    flask.webhook_view(webhook, takes_text, sync_message)  # type: ignore[arg-type]
    fastapi.webhook_router(webhook, returns_dict, sync_message)  # type: ignore[arg-type]


async def check_verified_event_gives_the_typed_event(webhook: Webhook, request: Request) -> None:
    dependency = fastapi.verified_event(webhook)
    assert_type(await dependency(request), HandoverRequest | CustomerMessage)
    assert_type(await starlette.receive_event(webhook, request), HandoverRequest | CustomerMessage)
