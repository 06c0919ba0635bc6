"""The contract every framework adapter meets, run through each real framework.

Each ``test_<framework>_adapter.py`` defines a ``serve`` fixture that mounts
a webhook with the given handlers in a real app of its framework and returns
a :class:`Call` sending raw requests through that framework's own test client
(or a loopback server), then subclasses :class:`AdapterContract`: every case
below runs once per framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
import pytest
from starlette.applications import Starlette

from botcopy_handover import (
    AsyncClient,
    Client,
    Continue,
    CustomerMessage,
    End,
    HandoverRequest,
    MemoryStore,
    Pause,
    Webhook,
)
from botcopy_handover.models.replies import Reply
from botcopy_handover.testing import (
    WebhookRequest,
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.webhook import HandoverHandler, MessageHandler

TOKEN = "tok-integrations-7d3f9a"
SECRET_HEADER = ("X-Bot-Secret", "header-secret-51c2")
PATH = "/botcopy"
UNAUTHORIZED = {
    "error": "WebhookAuthenticationError",
    "message": "Missing or invalid access token or custom header",
}
HANDLER_FAILED = {"error": "HandlerError", "message": "The webhook handler failed"}

T = TypeVar("T")


class Loop:
    """One event loop for a test's async server or client, driven from the sync contract.

    Background work (a handler running past its deadline) goes on whenever
    the loop runs again, and at :meth:`close`, which first leaves every
    context entered with :meth:`enter` (e.g. an app's lifespan).
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def enter(self, context: AbstractAsyncContextManager[T]) -> T:
        return self.run(self.stack.enter_async_context(context))

    def close(self) -> None:
        try:
            self.run(self.stack.aclose())
            self.run(self.loop.shutdown_asyncgens())
            self.run(self.loop.shutdown_default_executor())
        finally:
            self.loop.close()


def asgi_call(loop: Loop, app: Starlette, path: str = PATH) -> Call:
    """Start ``app`` (its lifespan runs until the loop closes) and send requests to it."""
    loop.enter(app.router.lifespan_context(app))
    client = loop.enter(
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://botcopy.test")
    )

    def call(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        response = loop.run(client.request(method, path, headers=dict(headers), content=body))
        return Answer(response.status_code, dict(response.headers), response.content)

    return call


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    """A request body sent in parts, without Content-Length (chunked)."""
    for part in parts:
        yield part


@dataclass(frozen=True)
class Answer:
    """What the framework answered: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Call(Protocol):
    """Send one raw request to the webhook's path through the framework."""

    def __call__(self, method: str, headers: Mapping[str, str], body: bytes) -> Answer: ...


class Serve(Protocol):
    """Mount ``webhook`` with these handlers in a fresh app; the fixture tears it down."""

    def __call__(
        self,
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call: ...


def make_webhook(**options: Any) -> Webhook:
    return Webhook(access_tokens=TOKEN, **options)


def send(call: Call, request: WebhookRequest) -> Answer:
    return call(request.method, request.headers, request.body)


def valid_handover(**options: Any) -> WebhookRequest:
    return build_webhook_request(sample_handover(), access_token=TOKEN, **options)


def valid_message(text: str = "Are you still there?", **options: Any) -> WebhookRequest:
    return build_webhook_request(sample_customer_message(text), access_token=TOKEN, **options)


@dataclass
class Desk:
    """Handlers that record what they were given and answer a set reply."""

    handover_reply: object = field(default_factory=lambda: Pause(minutes=30))
    message_reply: object = field(default_factory=Pause)
    events: list[HandoverRequest | CustomerMessage] = field(default_factory=list)

    def on_handover(self, event: HandoverRequest) -> Reply:
        self.events.append(event)
        return self.handover_reply  # type: ignore[return-value]

    def on_customer_message(self, event: CustomerMessage) -> Reply:
        self.events.append(event)
        return self.message_reply  # type: ignore[return-value]

    async def aon_handover(self, event: HandoverRequest) -> Reply:
        await asyncio.sleep(0)
        return self.on_handover(event)

    async def aon_customer_message(self, event: CustomerMessage) -> Reply:
        await asyncio.sleep(0)
        return self.on_customer_message(event)

    def serve(
        self,
        serve: Serve,
        webhook: Webhook | None = None,
        *,
        is_async: bool = False,
        **options: Any,
    ) -> Call:
        """Serve the desk's handlers; ``options`` are the endpoint's serving settings."""
        if is_async:
            return serve(
                webhook or make_webhook(), self.aon_handover, self.aon_customer_message, **options
            )
        return serve(
            webhook or make_webhook(), self.on_handover, self.on_customer_message, **options
        )


REPLIES = [
    pytest.param(Pause(minutes=15), {"paused": True, "minutesPaused": 15}, id="pause"),
    pytest.param(Continue(), {"paused": False}, id="continue"),
    pytest.param(End(), {"paused": False, "minutesPaused": 0}, id="end"),
]
KINDS = [pytest.param(False, id="sync-handlers"), pytest.param(True, id="async-handlers")]


def slow_handlers(
    released: threading.Event, *, is_async: bool
) -> tuple[HandoverHandler, MessageHandler]:
    """Handlers that do not return until the test sets ``released`` (at most 5 s)."""

    def wait() -> Reply:
        released.wait(5)
        return Continue()

    async def await_() -> Reply:
        # The event is set from the test's thread: wait for it off the loop.
        await asyncio.to_thread(released.wait, 5)
        return Continue()

    if is_async:

        async def ahandover(event: HandoverRequest) -> Reply:
            return await await_()

        async def amessage(event: CustomerMessage) -> Reply:
            return await await_()

        return ahandover, amessage
    return (lambda event: wait()), (lambda event: wait())


def raising(error: Exception) -> Callable[[object], Reply]:
    def handler(event: object) -> Reply:
        raise error

    return handler


def araising(error: Exception) -> Callable[[object], Awaitable[Reply]]:
    async def handler(event: object) -> Reply:
        raise error

    return handler


class AdapterContract:
    """Every adapter answers these cases alike; subclass it next to a ``serve`` fixture."""

    # -- replies ------------------------------------------------------------

    @pytest.mark.parametrize("is_async", KINDS)
    @pytest.mark.parametrize(("reply", "wire"), REPLIES)
    def test_handover_gets_the_exact_reply_json(
        self, serve: Serve, reply: Reply, wire: dict[str, Any], is_async: bool
    ) -> None:
        desk = Desk(handover_reply=reply)
        answer = send(desk.serve(serve, is_async=is_async), valid_handover())
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == wire
        assert [type(e) for e in desk.events] == [HandoverRequest]

    @pytest.mark.parametrize("is_async", KINDS)
    @pytest.mark.parametrize(("reply", "wire"), REPLIES)
    def test_customer_message_gets_the_exact_reply_json(
        self, serve: Serve, reply: Reply, wire: dict[str, Any], is_async: bool
    ) -> None:
        desk = Desk(message_reply=reply)
        answer = send(desk.serve(serve, is_async=is_async), valid_message("order 1042"))
        assert answer.status == 200
        assert answer.json() == wire
        assert len(desk.events) == 1
        assert isinstance(desk.events[0], CustomerMessage)
        assert desk.events[0].text == "order 1042"

    @pytest.mark.parametrize("is_async", KINDS)
    def test_a_handler_taking_a_context_pushes_after_its_reply(
        self, serve: Serve, is_async: bool
    ) -> None:
        pushed: list[dict[str, Any]] = []
        done = threading.Event()
        returned = threading.Event()

        def accept(request: httpx.Request) -> httpx.Response:
            # The handler has returned (and the adapter answered) before any push.
            assert returned.is_set()
            pushed.append(json.loads(request.content))
            done.set()
            return httpx.Response(200, json={"ok": True})

        transport = httpx.MockTransport(accept)
        options: dict[str, Any]
        if is_async:

            async def on_handover(event: HandoverRequest, context: Any) -> Reply:
                context.after_reply(context.conversation.pause(agent_name="Dana"))
                returned.set()
                return Pause(minutes=30)

            http = httpx.AsyncClient(transport=transport)
            client = AsyncClient(api_key="k", base_url="http://botcopy.test", http_client=http)
            options = {"push_client": client}
        else:

            def on_handover(event: HandoverRequest, context: Any) -> Reply:  # type: ignore[misc]
                context.after_reply(context.conversation.pause, agent_name="Dana")
                returned.set()
                return Pause(minutes=30)

            sync = Client(
                api_key="k",
                base_url="http://botcopy.test",
                http_client=httpx.Client(transport=transport),
            )
            options = {"sync_push_client": sync}
        call = serve(make_webhook(), on_handover, Desk().on_customer_message, **options)
        answer = send(call, valid_handover())
        assert answer.status == 200
        assert answer.json() == {"paused": True, "minutesPaused": 30}
        assert done.wait(10)
        assert pushed[0]["agentProfile"] == {"name": "Dana"}
        assert (pushed[0]["userId"], pushed[0]["botId"]) == ("user-1", "bot-1")

    def test_handler_gets_the_parsed_history(self, serve: Serve) -> None:
        desk = Desk()
        send(desk.serve(serve), valid_handover())
        event = desk.events[0]
        assert isinstance(event, HandoverRequest)
        assert event.user_id == "user-1"
        assert len(event.history) == 4

    def test_bearer_prefix_is_accepted(self, serve: Serve) -> None:
        answer = send(Desk().serve(serve), valid_handover(bearer=True))
        assert answer.status == 200

    def test_json_content_type_with_charset_is_accepted(self, serve: Serve) -> None:
        request = valid_message(content_type="application/json; charset=utf-8")
        assert send(Desk().serve(serve), request).status == 200

    def test_custom_header_is_accepted_when_it_matches(self, serve: Serve) -> None:
        call = Desk().serve(serve, make_webhook(custom_header=SECRET_HEADER))
        name, value = SECRET_HEADER
        answer = send(call, valid_handover(custom_header=(name.lower(), value)))
        assert answer.json() == {"paused": True, "minutesPaused": 30}

    def test_same_body_twice_reaches_the_handler_once(self, serve: Serve) -> None:
        desk = Desk()
        call = desk.serve(serve, store=MemoryStore())
        request = valid_handover()
        first, second = send(call, request), send(call, request)
        assert first.json() == {"paused": True, "minutesPaused": 30}
        assert second.json() == {"paused": True, "minutesPaused": 10}  # the fallback
        assert len(desk.events) == 1

    # -- 401 ------------------------------------------------------------------

    @pytest.mark.parametrize(
        "request_",
        [
            pytest.param(
                build_webhook_request(sample_handover(), access_token="tok-wrong"), id="wrong-token"
            ),
            pytest.param(
                build_webhook_request(
                    sample_handover(), access_token=None, body_access_token=TOKEN
                ),
                id="token-only-in-body",
            ),
            pytest.param(
                build_webhook_request(sample_handover(), access_token=None, body_access_token=None),
                id="no-token-at-all",
            ),
            pytest.param(
                build_webhook_request(
                    sample_handover(), access_token=TOKEN, body_access_token="tok-wrong"
                ),
                id="body-token-differs",
            ),
        ],
    )
    def test_bad_credentials_get_401_and_the_handler_is_not_called(
        self, serve: Serve, request_: WebhookRequest
    ) -> None:
        desk = Desk()
        answer = send(desk.serve(serve), request_)
        assert answer.status == 401
        assert answer.json() == UNAUTHORIZED
        assert desk.events == []

    @pytest.mark.parametrize(
        "custom_header",
        [
            pytest.param((SECRET_HEADER[0], "wrong-value"), id="wrong-value"),
            pytest.param(None, id="missing"),
        ],
    )
    def test_wrong_custom_header_gets_401(
        self, serve: Serve, custom_header: tuple[str, str] | None
    ) -> None:
        desk = Desk()
        call = desk.serve(serve, make_webhook(custom_header=SECRET_HEADER))
        answer = send(call, valid_handover(custom_header=custom_header))
        assert answer.status == 401
        assert answer.json() == UNAUTHORIZED
        assert desk.events == []

    def test_refusals_log_no_secret(self, serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        call = Desk().serve(serve, make_webhook(custom_header=SECRET_HEADER))
        send(call, valid_handover(custom_header=(SECRET_HEADER[0], "nearly-" + SECRET_HEADER[1])))
        assert "Refused a webhook call" in caplog.text
        assert TOKEN not in caplog.text
        assert SECRET_HEADER[1] not in caplog.text

    # -- 415 ------------------------------------------------------------------

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", None]
    )
    def test_non_json_content_type_gets_415(self, serve: Serve, content_type: str | None) -> None:
        desk = Desk()
        answer = send(desk.serve(serve), valid_handover(content_type=content_type))
        assert answer.status == 415
        assert answer.json() == {
            "error": "UnsupportedMediaTypeError",
            "message": "Content-Type must be application/json",
        }
        assert desk.events == []

    # -- 400 ------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("body", "says"),
        [
            pytest.param(b"", "empty", id="empty"),
            pytest.param(b"{not json", "not valid JSON", id="not-json"),
            pytest.param(b"[1, 2, 3]", "must be a JSON object", id="json-array"),
            pytest.param(
                b'{"userId": 5, "botId": "b", "queryInput": {"text": {"text": "hi"}}}',
                "userId",
                id="wrong-field-type",
            ),
            pytest.param(b'{"userId": "\xff\xfe", "botId": "b"}', "UTF-8", id="invalid-utf8"),
        ],
    )
    def test_bad_body_gets_400_saying_what_is_wrong(
        self, serve: Serve, body: bytes, says: str
    ) -> None:
        desk = Desk()
        answer = send(desk.serve(serve), build_webhook_request(body, access_token=TOKEN))
        assert answer.status == 400
        assert answer.json()["error"] == "InvalidPayloadError"
        assert says in answer.json()["message"]
        assert desk.events == []

    # -- 413 ------------------------------------------------------------------

    def test_body_over_the_limit_gets_413(self, serve: Serve) -> None:
        desk = Desk()
        request = valid_handover()
        call = desk.serve(serve, make_webhook(max_bytes=len(request.body) - 1))
        answer = send(call, request)
        assert answer.status == 413
        assert answer.json() == {
            "error": "PayloadTooLargeError",
            "message": f"Request body is larger than the limit of {len(request.body) - 1} bytes",
        }
        assert desk.events == []

    def test_content_length_over_the_limit_is_refused_before_the_body_is_read(
        self, serve: Serve
    ) -> None:
        # The declared body never comes: only a refusal from the headers can answer 413.
        call = Desk().serve(serve, make_webhook(max_bytes=1000))
        headers = {**valid_handover().headers, "Content-Length": "50000000"}
        answer = call("POST", headers, b"")
        assert answer.status == 413
        assert answer.json()["error"] == "PayloadTooLargeError"

    # -- 405 ------------------------------------------------------------------

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
    def test_other_methods_get_our_405_with_allow(self, serve: Serve, method: str) -> None:
        answer = Desk().serve(serve)(method, valid_handover().headers, b"")
        assert answer.status == 405
        assert answer.headers["allow"] == "POST"
        assert answer.json() == {
            "error": "MethodNotAllowedError",
            "message": "Only POST is allowed",
        }

    # -- 500 ------------------------------------------------------------------

    @pytest.mark.parametrize("is_async", KINDS)
    def test_handler_that_raises_gets_a_generic_500_logged_without_secrets(
        self, serve: Serve, caplog: pytest.LogCaptureFixture, is_async: bool
    ) -> None:
        error = RuntimeError("desk is down")
        handler = araising(error) if is_async else raising(error)
        call = serve(make_webhook(), handler, Desk().on_customer_message)
        answer = send(call, valid_handover())
        assert answer.status == 500
        assert answer.json() == HANDLER_FAILED
        assert "on_handover raised RuntimeError" in caplog.text
        assert "desk is down" in caplog.text  # the traceback is logged for the developer
        assert TOKEN not in caplog.text

    @pytest.mark.parametrize("is_async", KINDS)
    def test_handler_returning_no_reply_gets_a_500_that_says_so(
        self, serve: Serve, caplog: pytest.LogCaptureFixture, is_async: bool
    ) -> None:
        desk = Desk(message_reply={"paused": True})
        answer = send(desk.serve(serve, is_async=is_async), valid_message())
        assert answer.status == 500
        assert answer.json() == {
            "error": "HandlerError",
            "message": "on_customer_message returned dict, not a reply: "
            "return Pause(), Continue() or End()",
        }
        assert "on_customer_message returned dict" in caplog.text

    # -- the deadline ---------------------------------------------------------

    @pytest.mark.parametrize("is_async", KINDS)
    def test_handler_overrunning_the_deadline_gets_the_fallback(
        self, serve: Serve, caplog: pytest.LogCaptureFixture, is_async: bool
    ) -> None:
        released = threading.Event()
        on_handover, on_message = slow_handlers(released, is_async=is_async)
        call = serve(
            make_webhook(), on_handover, on_message, reply_timeout=0.1, message_fallback=End()
        )
        try:
            handover = send(call, valid_handover())
            message = send(call, valid_message())
        finally:
            released.set()
        assert handover.status == 200
        assert handover.json() == {"paused": True, "minutesPaused": 10}
        assert message.json() == {"paused": False, "minutesPaused": 0}
        assert "on_handover ran past its 0.10 s budget for session session-1" in caplog.text
