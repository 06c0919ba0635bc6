"""Webhook.wsgi_app over real HTTP: wsgiref's and Werkzeug's servers on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from werkzeug.serving import make_server as make_werkzeug_server

from botcopy_handover import (
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
from botcopy_handover.webhook import WSGIApp, wsgi_app

TOKEN = "wsgi-secret-token"


def on_handover(event: HandoverRequest) -> Reply:
    return Continue() if event.text == "no thanks" else Pause(minutes=30)


async def on_customer_message(event: CustomerMessage) -> Reply:
    return End()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_wsgiref(app: WSGIApp) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, WSGIServer, QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def url(store: MemoryStore) -> Iterator[str]:
    webhook = Webhook(TOKEN, max_bytes=32 * 1024)
    yield from serve_wsgiref(wsgi_app(webhook, on_handover, on_customer_message, store=store))


def post(url: str, body: object, **options: object) -> httpx.Response:
    options.setdefault("access_token", TOKEN)
    request = build_webhook_request(body, **options)  # type: ignore[arg-type]
    return httpx.request(
        request.method, url + "/botcopy", content=request.body, headers=request.headers
    )


def test_a_handover_is_answered_with_the_exact_reply_json(url: str) -> None:
    response = post(url, sample_handover())
    assert response.status_code == 200
    assert response.content == b'{"paused":true,"minutesPaused":30}'
    assert response.headers["content-type"] == "application/json"


def test_an_async_handler_runs_under_a_sync_server(url: str) -> None:
    assert post(url, sample_customer_message()).json() == {"paused": False, "minutesPaused": 0}


def test_replies_are_recorded_in_the_store(url: str, store: MemoryStore) -> None:
    post(url, sample_handover())
    state = store.get("bot-1", "user-1")
    assert state is not None and state.paused and state.minutes_paused == 30


@pytest.mark.parametrize(
    ("body", "options", "status"),
    [
        (sample_customer_message(), {"access_token": "nope"}, 401),
        (sample_customer_message(), {"access_token": None, "body_access_token": TOKEN}, 401),
        (sample_customer_message(), {"content_type": "text/html"}, 415),
        (b"", {}, 400),
        (b'"a string"', {}, 400),
        (b'{"userId": ["u"], "botId": "b", "queryInput": {"text": {"text": "x"}}}', {}, 400),
        (b"{" + b" " * 40_000 + b"}", {}, 413),
        (sample_customer_message(), {"method": "DELETE"}, 405),
    ],
)
def test_bad_calls_get_a_status_and_a_small_json_error(
    url: str, body: object, options: dict[str, object], status: int
) -> None:
    response = post(url, body, **options)
    assert response.status_code == status
    assert set(response.json()) == {"error", "message"}


def test_a_chunked_body_wsgiref_cannot_delimit_gets_411_length_required(url: str) -> None:
    # wsgiref neither decodes chunked bodies nor sets wsgi.input_terminated:
    # the body's end is unknown, which is 411 Length Required, not a bad body.
    request = build_webhook_request(sample_customer_message(), access_token=TOKEN)
    response = httpx.post(url + "/botcopy", content=iter([request.body]), headers=request.headers)
    assert response.status_code == 411
    assert response.reason_phrase == "Length Required"
    assert response.json() == {
        "error": "LengthRequiredError",
        "message": "Content-Length is required",
    }


def test_a_content_length_over_the_limit_is_refused_before_the_body(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /botcopy HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {TOKEN}\r\nContent-Length: 999999999\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.0 413 Content Too Large")


def test_a_slow_handler_gets_the_fallback_in_time() -> None:
    # The handler holds until the answer is in: only the deadline can have
    # answered, however slow this machine is.
    release = threading.Event()

    def slow(event: HandoverRequest) -> Reply:
        release.wait(10)
        return End()

    webhook = Webhook(TOKEN)
    try:
        for url in serve_wsgiref(
            wsgi_app(
                webhook,
                slow,
                on_customer_message,
                reply_timeout=0.05,
                handover_fallback=Pause(minutes=2),
            )
        ):
            response = post(url, sample_handover())
            assert not release.is_set()
            assert response.json() == {"paused": True, "minutesPaused": 2}
    finally:
        release.set()


@pytest.fixture
def werkzeug_url() -> Iterator[str]:
    webhook = Webhook(TOKEN, max_bytes=16 * 1024)
    server = make_werkzeug_server(
        "127.0.0.1", 0, wsgi_app(webhook, on_handover, on_customer_message), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def chunked(parts: list[bytes], sent: list[int]) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        for n, part in enumerate(parts):
            sent.append(n)
            yield part

    return generate


def test_a_chunked_body_is_read_where_the_server_terminates_the_input(werkzeug_url: str) -> None:
    request = build_webhook_request(sample_handover(text="no thanks"), access_token=TOKEN)
    sent: list[int] = []
    response = httpx.post(
        werkzeug_url, content=chunked([request.body], sent)(), headers=request.headers
    )
    assert response.json() == {"paused": False}


def test_a_chunked_body_over_the_limit_is_refused(werkzeug_url: str) -> None:
    headers = {"Authorization": TOKEN, "Content-Type": "application/json"}
    sent: list[int] = []
    try:
        response = httpx.post(
            werkzeug_url, content=chunked([b" " * 4096] * 64, sent)(), headers=headers
        )
    except httpx.RemoteProtocolError:
        pytest.skip("the server closed the connection before the client read the answer")
    assert response.status_code == 413
