"""Handlers that talk back: the context's conversation, and work after the reply (issue 13)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from botcopy_handover import (
    AsyncClient,
    AsyncHandlerContext,
    Client,
    CustomerMessage,
    HandlerContext,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.testing import build_webhook_request, sample_customer_message, sample_handover
from botcopy_handover.webhook import WebhookEndpoint, asgi_app, wsgi_app

TOKEN = "context-token"
WEBHOOK = Webhook(TOKEN)


class Pushes:
    """Botcopy's push API, as a MockTransport recording each event it accepts."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.events.append(json.loads(request.content))
        return httpx.Response(200, json={"ok": True})

    def async_client(self) -> AsyncClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return AsyncClient(api_key="k", base_url="http://botcopy.test", http_client=http)

    def client(self) -> Client:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        return Client(api_key="k", base_url="http://botcopy.test", http_client=http)


def handover_call() -> tuple[bytes, dict[str, str]]:
    request = build_webhook_request(sample_handover(), access_token=TOKEN)
    return request.body, dict(request.headers)


def message_call(text: str = "hi") -> tuple[bytes, dict[str, str]]:
    request = build_webhook_request(sample_customer_message(text), access_token=TOKEN)
    return request.body, dict(request.headers)


async def call_asgi(app: Any, body: bytes, headers: dict[str, str], log: list[str]) -> int:
    """One HTTP call through an ASGI app; ``log`` gets "response sent" when the body is out."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            log.append("response sent")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/botcopy",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    await app(scope, receive, send)
    return status


async def wait_for(check: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


# -- ASGI, async handlers ------------------------------------------------------


async def test_async_work_runs_after_the_response_is_sent_and_pushes_to_the_customer() -> None:
    pushes, log = Pushes(), []

    async def join(context: AsyncHandlerContext) -> None:
        log.append("work started")
        await context.conversation.pause(agent_name="Dana")

    async def on_handover(
        event: HandoverRequest | CustomerMessage, context: AsyncHandlerContext
    ) -> Reply:
        assert (context.user_id, context.bot_id) == (event.user_id, event.bot_id)
        context.after_reply(join, context)
        await asyncio.sleep(0.05)  # the work must not start while the handler runs
        log.append("handler returned")
        return Pause(minutes=30)

    async def on_message(event: CustomerMessage) -> Reply:  # the event alone still works
        return Pause()

    app = asgi_app(WEBHOOK, on_handover, on_message, push_client=pushes.async_client())
    assert await call_asgi(app, *handover_call(), log) == 200
    await wait_for(lambda: pushes.events)
    assert log == ["handler returned", "response sent", "work started"]
    event = pushes.events[0]
    assert event["eventType"] == "channel_update" and event["agentProfile"]["name"] == "Dana"
    assert (event["userId"], event["botId"]) == ("user-1", "bot-1")
    assert await call_asgi(app, *message_call(), log) == 200
    assert await app.endpoint.drain(1.0) == 0


async def test_work_handed_off_by_a_late_handler_starts_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    async def slow(event: HandoverRequest | CustomerMessage, context: AsyncHandlerContext) -> Reply:
        await asyncio.sleep(0.2)
        context.after_reply(work())
        return Pause()

    app = asgi_app(WEBHOOK, slow, slow, reply_timeout=0.05, push_client=Pushes().async_client())
    assert await call_asgi(app, *handover_call(), []) == 200
    await asyncio.wait_for(ran.wait(), 5)
    await app.endpoint.drain(1.0)


async def test_failing_work_is_logged_with_the_session_id(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("desk down")

    async def on_handover(
        event: HandoverRequest | CustomerMessage, context: AsyncHandlerContext
    ) -> Reply:
        context.after_reply(broken)
        return Pause()

    app = asgi_app(WEBHOOK, on_handover, on_handover, push_client=Pushes().async_client())
    with caplog.at_level(logging.ERROR, "botcopy_handover.webhook"):
        assert await call_asgi(app, *handover_call(), []) == 200
        await app.endpoint.drain(1.0)
    assert "after-reply work for session session-1 failed" in caplog.text
    assert "desk down" in caplog.text


async def test_work_is_bounded_and_drained_with_a_timeout_at_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    running, most, release = 0, 0, asyncio.Event()

    async def job() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await release.wait()
        finally:
            running -= 1

    async def on_handover(
        event: HandoverRequest | CustomerMessage, context: AsyncHandlerContext
    ) -> Reply:
        for _ in range(5):
            context.after_reply(job)
        return Pause()

    app = asgi_app(
        WEBHOOK, on_handover, on_handover, after_reply_limit=2, push_client=Pushes().async_client()
    )
    await call_asgi(app, *handover_call(), [])
    await wait_for(lambda: running == 2)
    await asyncio.sleep(0.05)
    assert most == 2
    with caplog.at_level(logging.ERROR, "botcopy_handover.webhook"):
        await app.endpoint.drain(0.1)
    assert "after-reply work for session session-1 still running" in caplog.text
    assert "5 after-reply job(s) abandoned at shutdown" in caplog.text
    release.set()
    await wait_for(lambda: app.endpoint.after_reply.pending == 0)
    assert most == 2


async def test_a_sync_handler_under_asgi_gets_a_sync_conversation() -> None:
    pushes = Pushes()

    def on_handover(event: HandoverRequest | CustomerMessage, context: HandlerContext) -> Reply:
        context.after_reply(context.conversation.send_message, "hello")
        return Pause()

    app = asgi_app(WEBHOOK, on_handover, on_handover, sync_push_client=pushes.client())
    assert await call_asgi(app, *handover_call(), []) == 200
    await wait_for(lambda: pushes.events)
    assert pushes.events[0]["text"] == "hello"
    await app.endpoint.drain(1.0)
    app.endpoint.close()


async def test_the_push_client_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOTCOPY_API_KEY", "env-key")
    monkeypatch.setenv("BOTCOPY_BASE_URL", "http://127.0.0.1:9")
    endpoint = WebhookEndpoint(WEBHOOK, lambda e, c: Pause(), lambda e, c: Pause())
    client = endpoint.async_push_client()
    assert client.base_url.startswith("http://127.0.0.1:9")
    assert endpoint.async_push_client() is client
    await endpoint.drain(0.1)
    assert endpoint.async_push_client() is not client  # closed and let go at shutdown


def test_without_an_api_key_the_conversation_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botcopy_handover import ConfigurationError

    monkeypatch.delenv("BOTCOPY_API_KEY", raising=False)
    endpoint = WebhookEndpoint(WEBHOOK, lambda e, c: Pause(), lambda e, c: Pause())
    with pytest.raises(ConfigurationError, match="BOTCOPY_API_KEY"):
        endpoint.push_client()


# -- WSGI ------------------------------------------------------------------------


@pytest.fixture
def wsgi_pushes() -> Pushes:
    return Pushes()


def test_under_wsgi_the_work_starts_when_the_server_closes_the_response(
    wsgi_pushes: Pushes,
) -> None:
    log: list[str] = []

    def on_handover(event: HandoverRequest | CustomerMessage, context: HandlerContext) -> Reply:
        def join() -> None:
            log.append("work started")
            context.conversation.pause(agent_name="Dana")

        context.after_reply(join)
        return Pause()

    app = wsgi_app(WEBHOOK, on_handover, on_handover, sync_push_client=wsgi_pushes.client())
    body, headers = handover_call()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": headers["Authorization"],
        "wsgi.input": __import__("io").BytesIO(body),
    }
    result = app(environ, lambda status, headers: None)
    time.sleep(0.1)
    assert log == []  # not before the server has sent the body and closed it
    result.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while not wsgi_pushes.events and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log == ["work started"]
    assert wsgi_pushes.events[0]["agentProfile"]["name"] == "Dana"
    app.endpoint.close(1.0)


def test_an_async_handler_under_wsgi_pushes_through_the_endpoints_own_loop(
    wsgi_pushes: Pushes,
) -> None:
    async def on_handover(
        event: HandoverRequest | CustomerMessage, context: AsyncHandlerContext
    ) -> Reply:
        await context.conversation.typing()  # within the handler, on the endpoint's loop
        context.after_reply(context.conversation.send_message("after"))
        return Pause()

    app = wsgi_app(WEBHOOK, on_handover, on_handover, push_client=wsgi_pushes.async_client())
    statuses: list[str] = []

    def start_response(status: str, headers: object) -> None:
        statuses.append(status)

    for _ in range(2):  # twice: the client outlives one call
        body, headers = handover_call()
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_TYPE": headers["Content-Type"],
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": headers["Authorization"],
            "wsgi.input": __import__("io").BytesIO(body),
        }
        result = app(environ, start_response)
        assert statuses[-1] == "200 OK"
        result.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while len(wsgi_pushes.events) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    kinds = [e["eventType"] for e in wsgi_pushes.events]
    assert sorted(kinds) == ["message", "message", "user_typing", "user_typing"]
    app.endpoint.close(1.0)


async def test_an_app_with_a_path_answers_404_elsewhere() -> None:
    app = asgi_app(WEBHOOK, lambda e: Pause(), lambda e: Pause(), path="/botcopy")
    body, headers = handover_call()
    assert await call_asgi(app, body, headers, []) == 200
    scope_path_app = asgi_app(WEBHOOK, lambda e: Pause(), lambda e: Pause(), path="/other")
    assert await call_asgi(scope_path_app, body, headers, []) == 404


async def test_after_a_drain_close_does_not_report_the_work_twice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()

    def on_handover(event: HandoverRequest | CustomerMessage, context: HandlerContext) -> Reply:
        context.after_reply(release.wait, 5)
        return Pause()

    app = asgi_app(WEBHOOK, on_handover, on_handover, sync_push_client=Pushes().client())
    await call_asgi(app, *handover_call(), [])
    with caplog.at_level(logging.ERROR, "botcopy_handover.webhook"):
        await app.endpoint.drain(0.05)
        app.endpoint.close(0.0)
    assert caplog.text.count("still running") == 1
    release.set()


def test_verification_does_not_import_the_serving_side() -> None:
    import ast
    import inspect

    from botcopy_handover.webhook import _webhook

    tree = ast.parse(inspect.getsource(_webhook))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    serving = {"_endpoint", "_guard", "_context", "asgi", "wsgi", "_store"}
    assert not {m for m in imported if m.rsplit(".", 1)[-1] in serving}


async def test_work_is_dropped_and_logged_when_the_reply_cannot_be_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[str] = []

    async def work() -> None:
        started.append("work")

    async def on_handover(event: HandoverRequest | CustomerMessage, context: Any) -> Reply:
        context.after_reply(work)
        return Pause()

    app = asgi_app(WEBHOOK, on_handover, on_handover, push_client=Pushes().async_client())
    body, headers = handover_call()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        raise OSError("connection reset")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/botcopy",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    with pytest.raises(OSError, match="reset"):
        await app(scope, receive, send)
    await asyncio.sleep(0.05)
    assert started == []
    assert "1 after-reply job(s) for session session-1 dropped" in caplog.text
