"""At shutdown no handler is lost without a trace: each one left behind is logged.

A handler that overran its deadline runs on in the background. When the
shutdown drain ends before it does, or the server (or the loop's end)
cancels it, the log names it with its session id, and gives the count.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.testing import build_webhook_request, sample_handover
from botcopy_handover.webhook import WebhookEndpoint

TOKEN = "shutdown-report-token"


async def stuck(event: HandoverRequest | CustomerMessage) -> Reply:
    await asyncio.sleep(30)
    return Pause()


def handover(session: str) -> tuple[dict[str, str], bytes]:
    body = sample_handover()
    body["sessionId"] = session
    request = build_webhook_request(body, access_token=TOKEN)
    return request.headers, request.body


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_handlers_left_after_the_drain_are_logged_with_their_session_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), stuck, stuck, reply_timeout=0.05)
    for session in ("sess-a", "sess-b"):
        headers, body = handover(session)
        assert (await endpoint.ahandle("POST", headers, body)).reply == Pause()
    assert await endpoint.drain(0.05) == 2
    logged = errors(caplog)
    assert any("on_handover for session sess-a" in line and "abandoned" in line for line in logged)
    assert any("on_handover for session sess-b" in line and "abandoned" in line for line in logged)
    assert "2 webhook handler(s) abandoned at shutdown" in logged
    endpoint.close()


def test_a_handler_cancelled_when_the_loop_ends_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = WebhookEndpoint(Webhook(TOKEN), stuck, stuck, reply_timeout=0.05)
    headers, body = handover("sess-cancelled")

    async def serve_one_call_then_stop() -> None:
        # A server that stops without draining: asyncio.run cancels what is left.
        await endpoint.ahandle("POST", headers, body)

    asyncio.run(serve_one_call_then_stop())
    assert any(
        "on_handover for session sess-cancelled was cancelled before it finished" in line
        for line in errors(caplog)
    )
    endpoint.close()


def test_handler_threads_still_running_at_close_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()

    def blocked(event: HandoverRequest | CustomerMessage) -> Reply:
        release.wait(10)
        return Pause()

    endpoint = WebhookEndpoint(Webhook(TOKEN), blocked, blocked, reply_timeout=0.05)
    headers, body = handover("sess-thread")
    assert endpoint.handle("POST", headers, body).reply == Pause()
    with caplog.at_level(logging.WARNING, logger="botcopy_handover.webhook"):
        endpoint.close()
    release.set()
    lines = [r.getMessage() for r in caplog.records]
    assert "on_handover for session sess-thread still running in its thread at shutdown" in lines
    assert "1 webhook handler thread(s) still running at shutdown" in lines
