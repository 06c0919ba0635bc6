"""The deadline guard under an asyncio server: how an ``async def`` handler is run.

A handler runs as an eager task of its own: its first step at once, inside
the request's call (a handler that never suspends is done before the event
loop turns, so nothing of the request outlives it); after that, as the same
task, so task-bound code (anyio cancel scopes, ``asyncio.timeout``) works
across its awaits, whether it finishes in time or runs past the deadline.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys

import anyio
import pytest

from botcopy_handover import (
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.testing import build_webhook_request, sample_customer_message
from botcopy_handover.webhook import WebhookEndpoint

TOKEN = "guard-secret-token"


def message() -> tuple[dict[str, str], bytes]:
    request = build_webhook_request(sample_customer_message("hello?"), access_token=TOKEN)
    return request.headers, request.body


def pause_handover(event: HandoverRequest) -> Reply:
    return Pause()


def endpoint_for(on_message: object, reply_timeout: float = 2.0) -> WebhookEndpoint:
    return WebhookEndpoint(
        Webhook(TOKEN),
        pause_handover,
        on_message,  # type: ignore[arg-type]
        reply_timeout=reply_timeout,
        message_fallback=Pause(minutes=7),
    )


async def test_a_handler_that_does_not_suspend_is_done_before_the_loop_turns() -> None:
    loop_turned: list[bool] = []

    async def on_message(event: CustomerMessage) -> Reply:
        loop_turned.append(bool(turns))
        return End()

    turns: list[None] = []
    asyncio.get_running_loop().call_soon(turns.append, None)
    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert loop_turned == [False]
    assert not turns  # the whole call, the handler included, ran within one step
    assert response.reply == End()


async def test_a_handler_is_one_task_of_its_own_from_its_first_step_to_its_last() -> None:
    seen: list[asyncio.Task[object] | None] = []

    async def on_message(event: CustomerMessage) -> Reply:
        seen.append(asyncio.current_task())
        await asyncio.sleep(0)
        seen.append(asyncio.current_task())
        await asyncio.sleep(0.01)
        seen.append(asyncio.current_task())
        return End()

    request_task = asyncio.current_task()
    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert response.reply == End()
    assert seen[0] is not None
    assert seen[0] is not request_task
    assert seen == [seen[0]] * 3
    assert asyncio.current_task() is request_task  # the request's task is its own again


async def test_an_anyio_cancel_scope_spans_the_handlers_awaits() -> None:
    async def on_message(event: CustomerMessage) -> Reply:
        with anyio.fail_after(5):
            await asyncio.sleep(0.01)
        with anyio.move_on_after(0.01) as scope:
            await asyncio.sleep(5)
        return End() if scope.cancelled_caught else Pause()

    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert response.status_code == 200
    assert response.reply == End()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in Python 3.11")
async def test_asyncio_timeout_in_a_handler_cancels_the_handler_not_the_request() -> None:
    async def on_message(event: CustomerMessage) -> Reply:
        try:
            async with asyncio.timeout(0.01):  # type: ignore[attr-defined,unused-ignore]
                await asyncio.sleep(5)
        except TimeoutError:
            return End()
        return Pause()

    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert response.reply == End()


async def test_a_handler_past_the_deadline_inside_a_cancel_scope_finishes_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "botcopy_handover")
    finished = asyncio.Event()

    async def on_message(event: CustomerMessage) -> Reply:
        with anyio.fail_after(5):
            await asyncio.sleep(0.2)  # the fallback goes out meanwhile
        with anyio.move_on_after(0.01):
            await asyncio.sleep(5)
        finished.set()
        return End()

    endpoint = endpoint_for(on_message, reply_timeout=0.05)
    response = await endpoint.ahandle("POST", *message())
    assert response.reply == Pause(minutes=7)
    assert not finished.is_set()
    assert await endpoint.drain(2) == 0
    assert finished.is_set()
    assert "its reply End() was not sent" in caplog.text
    assert "raised" not in caplog.text


async def test_a_handler_keeps_its_context_variables_across_its_first_await() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="caller")
    seen: list[str] = []

    async def on_message(event: CustomerMessage) -> Reply:
        seen.append(var.get())
        var.set("handler")
        await asyncio.sleep(0.01)
        seen.append(var.get())
        return End()

    var.set("request")
    await endpoint_for(on_message).ahandle("POST", *message())
    assert seen == ["request", "handler"]
    assert var.get() == "request"  # the handler's change stays in the handler


async def test_a_request_cancelled_mid_handler_leaves_the_handler_running() -> None:
    go_on = asyncio.Event()
    finished = asyncio.Event()

    async def on_message(event: CustomerMessage) -> Reply:
        await go_on.wait()
        finished.set()
        return End()

    endpoint = endpoint_for(on_message)
    request = asyncio.ensure_future(endpoint.ahandle("POST", *message()))
    await asyncio.sleep(0.01)
    request.cancel()  # a client disconnect, or the server stopping
    with pytest.raises(asyncio.CancelledError):
        await request
    assert endpoint.guard.pending == 1
    go_on.set()
    assert await endpoint.drain(2) == 0
    assert finished.is_set()


@pytest.mark.parametrize("suspends_first", [False, True])
async def test_a_handlers_error_before_or_after_its_first_await_is_a_500(
    caplog: pytest.LogCaptureFixture, suspends_first: bool
) -> None:
    async def on_message(event: CustomerMessage) -> Reply:
        if suspends_first:
            await asyncio.sleep(0)
        raise LookupError("no such ticket")

    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert response.status_code == 500
    assert "on_customer_message raised LookupError" in caplog.text


async def test_a_handler_that_cancels_itself_is_a_500_not_a_cancelled_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def on_message(event: CustomerMessage) -> Reply:
        raise asyncio.CancelledError

    response = await endpoint_for(on_message).ahandle("POST", *message())
    assert response.status_code == 500


async def test_a_handlers_task_reports_the_handlers_own_coroutine_state() -> None:
    import inspect

    states: list[str] = []

    async def on_message(event: CustomerMessage) -> Reply:
        task = asyncio.current_task()
        assert task is not None
        states.append(inspect.getcoroutinestate(task.get_coro()))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        states.append(inspect.getcoroutinestate(task.get_coro()))  # type: ignore[arg-type]
        return End()

    await endpoint_for(on_message).ahandle("POST", *message())
    assert states == [inspect.CORO_RUNNING, inspect.CORO_RUNNING]
