"""Webhook.asgi_app over real HTTP: httpx's ASGI transport and a uvicorn server on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import uvicorn

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.testing import (
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.webhook import ASGIApp, asgi_app

TOKEN = "asgi-secret-token"
HEADER = ("X-Bot-Secret", "asgi-header-secret")


async def on_handover(event: HandoverRequest) -> Reply:
    return Pause(minutes=12)


def on_customer_message(event: CustomerMessage) -> Reply:
    return End() if event.text == "bye" else Pause()


@pytest.fixture
def app() -> ASGIApp:
    webhook = Webhook(TOKEN, custom_header=HEADER, max_bytes=64 * 1024)
    return asgi_app(webhook, on_handover, on_customer_message)


@pytest.fixture
async def client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        yield client


async def post(client: httpx.AsyncClient, body: object, **options: object) -> httpx.Response:
    options.setdefault("access_token", TOKEN)
    options.setdefault("custom_header", HEADER)
    request = build_webhook_request(body, **options)  # type: ignore[arg-type]
    return await client.request(
        request.method, "/botcopy", content=request.body, headers=request.headers
    )


async def test_a_handover_is_answered_with_the_exact_reply_json(client: httpx.AsyncClient) -> None:
    response = await post(client, sample_handover())
    assert response.status_code == 200
    assert response.content == b'{"paused":true,"minutesPaused":12}'
    assert response.headers["content-type"] == "application/json"


async def test_a_customer_message_goes_to_its_sync_handler(client: httpx.AsyncClient) -> None:
    response = await post(client, sample_customer_message("bye"))
    assert response.content == b'{"paused":false,"minutesPaused":0}'


async def test_any_path_is_served_so_the_app_can_be_mounted(app: ASGIApp) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        request = build_webhook_request(
            sample_customer_message(), access_token=TOKEN, custom_header=HEADER
        )
        response = await client.post(
            "/hooks/live-chat", content=request.body, headers=request.headers
        )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "options", "status", "error"),
    [
        (sample_customer_message(), {"access_token": "wrong"}, 401, "WebhookAuthenticationError"),
        (sample_customer_message(), {"custom_header": None}, 401, "WebhookAuthenticationError"),
        (
            sample_customer_message(),
            {"content_type": "text/plain"},
            415,
            "UnsupportedMediaTypeError",
        ),
        (b"", {}, 400, "InvalidPayloadError"),
        (b"{not json", {}, 400, "InvalidPayloadError"),
        (b"[1]", {}, 400, "InvalidPayloadError"),
        (b'{"userId": "\xff"}', {}, 400, "InvalidPayloadError"),
        (b"{" + b" " * 70_000 + b"}", {}, 413, "PayloadTooLargeError"),
        (sample_customer_message(), {"method": "GET"}, 405, "MethodNotAllowedError"),
    ],
)
async def test_bad_calls_get_a_status_and_a_small_json_error(
    client: httpx.AsyncClient, body: object, options: dict[str, object], status: int, error: str
) -> None:
    response = await post(client, body, **options)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert TOKEN not in response.text


async def test_the_body_token_must_be_the_header_token_itself() -> None:
    # The app hands the header's digest from the header check to the body
    # check: the body's token is still compared with that very header.
    webhook = Webhook([TOKEN, "older-token"], custom_header=HEADER)
    transport = httpx.ASGITransport(app=asgi_app(webhook, on_handover, on_customer_message))
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        mismatch = await post(client, sample_handover(), body_access_token="older-token")
        bearer = await post(client, sample_handover(), bearer=True)
        unknown = await post(client, sample_handover(), body_access_token="not-a-token")
    assert mismatch.status_code == 401
    assert bearer.status_code == 200
    assert unknown.status_code == 401
    assert "older-token" not in mismatch.text


async def test_405_names_the_allowed_method(client: httpx.AsyncClient) -> None:
    response = await post(client, sample_customer_message(), method="PUT")
    assert response.headers["allow"] == "POST"


async def test_a_streamed_body_over_the_limit_is_refused_before_it_is_read_whole(
    client: httpx.AsyncClient,
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(100):  # 100 x 8 KiB, against a 64 KiB limit
            sent.append(n)
            yield b" " * 8192

    headers = {"Authorization": TOKEN, HEADER[0]: HEADER[1], "Content-Type": "application/json"}
    response = await client.post("/botcopy", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert len(sent) < 20


async def test_unauthenticated_calls_are_refused_without_reading_the_body(
    client: httpx.AsyncClient,
) -> None:
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for n in range(10):
            sent.append(n)
            yield b"{}"

    response = await client.post(
        "/botcopy", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert len(sent) <= 1


async def test_a_handler_past_the_deadline_gets_the_fallback() -> None:
    async def slow(event: HandoverRequest) -> Reply:
        await asyncio.sleep(0.3)
        return End()

    app = asgi_app(Webhook(TOKEN), slow, on_customer_message, reply_timeout=0.05)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy.test") as client:
        started = time.perf_counter()
        response = await post(client, sample_handover(), custom_header=None)
        assert time.perf_counter() - started < 0.25
    assert response.json() == {"paused": True, "minutesPaused": 10}
    await app.endpoint.drain(2)


def test_a_sync_redis_like_store_is_refused_by_the_asgi_app() -> None:
    class BlockingStore:
        def get(self, bot_id: str, user_id: str) -> None:
            return None

    webhook = Webhook(TOKEN)
    with pytest.raises(ConfigurationError, match="block the event loop"):
        asgi_app(
            webhook,
            on_handover,
            on_customer_message,
            store=BlockingStore(),  # type: ignore[arg-type]
        )


# -- a real server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Served = tuple[str, list[str], Callable[[], None]]


@pytest.fixture
def served() -> Iterator[Served]:
    """The app under uvicorn on loopback, with lifespan; the list records finished handlers."""
    finished: list[str] = []

    async def slow_handover(event: HandoverRequest) -> Reply:
        await asyncio.sleep(0.3)
        finished.append(event.user_id)
        return End()

    app = asgi_app(Webhook(TOKEN), slow_handover, on_customer_message, reply_timeout=0.05)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive()

    yield f"http://127.0.0.1:{port}", finished, stop
    stop()


def test_under_uvicorn_the_app_answers_real_http(served: Served) -> None:
    url, _, _ = served
    request = build_webhook_request(sample_customer_message("bye"), access_token=TOKEN)
    response = httpx.post(url + "/botcopy", content=request.body, headers=request.headers)
    assert response.status_code == 200
    assert response.content == b'{"paused":false,"minutesPaused":0}'


def test_under_uvicorn_a_content_length_over_the_limit_is_refused_from_the_headers(
    served: Served,
) -> None:
    url, _, _ = served
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /botcopy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {TOKEN}\r\nContent-Length: 999999999\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_at_shutdown_handlers_past_their_deadline_are_let_finish(
    served: Served,
) -> None:
    url, finished, stop = served
    request = build_webhook_request(sample_handover(user_id="late-user"), access_token=TOKEN)
    response = httpx.post(url + "/botcopy", content=request.body, headers=request.headers)
    assert response.json() == {"paused": True, "minutesPaused": 10}
    assert finished == []
    stop()
    assert finished == ["late-user"]


def test_lifespan_shutdown_waits_for_the_background_handler() -> None:
    finished: list[str] = []

    async def slow(event: HandoverRequest) -> Reply:
        await asyncio.sleep(0.2)
        finished.append(event.user_id)
        return End()

    app = asgi_app(Webhook(TOKEN), slow, on_customer_message, reply_timeout=0.02)

    async def scenario() -> None:
        request = build_webhook_request(sample_handover(), access_token=TOKEN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.post("/", content=request.body, headers=request.headers)
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sent: list[str] = []

        async def receive() -> dict[str, str]:
            return next(messages)

        async def send(message: object) -> None:
            assert isinstance(message, dict)
            sent.append(message["type"])

        await app({"type": "lifespan"}, receive, send)
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    asyncio.run(scenario())
    assert finished == ["user-1"]
