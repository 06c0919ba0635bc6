"""The Django views, through Django's own test clients.

``webhook_view`` is served by the WSGI test ``Client``, ``async_webhook_view``
by the ASGI ``AsyncClient``; both with CSRF checks enforced, to show the
views are exempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import django
import pytest
from django.conf import settings
from django.http.response import ResponseHeaders
from django.test import AsyncClient, Client, override_settings
from django.urls import path

from botcopy_handover import AsyncRedisStore, ConfigurationError, RedisStore, Webhook
from botcopy_handover.integrations.django import async_webhook_view, webhook_view
from botcopy_handover.webhook import HandoverHandler, MessageHandler
from tests.integrations.contract import (
    PATH,
    AdapterContract,
    Answer,
    Call,
    Desk,
    Loop,
    Serve,
    make_webhook,
    valid_handover,
)

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-key-not-a-botcopy-secret",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        USE_TZ=True,
    )
    django.setup()

urlpatterns: list[Any] = []


class URLConf:
    """A URLconf made in the test, given to ``ROOT_URLCONF`` as an object (hashable)."""

    def __init__(self, view: Callable[..., Any]) -> None:
        self.urlpatterns = [path(PATH.lstrip("/"), view)]


class ClientResponse(Protocol):
    """What both Django test clients return."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> ResponseHeaders: ...
    @property
    def content(self) -> bytes: ...


def answer_of(response: ClientResponse) -> Answer:
    return Answer(
        response.status_code,
        {k.lower(): v for k, v in response.headers.items()},
        response.content,
    )


def request_arguments(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """``generic()`` arguments sending exactly ``headers`` and ``body``.

    With a body, ``generic()`` adds its ``content_type`` argument as the
    Content-Type (and would send a second one from ``headers``).
    """
    headers = dict(headers)
    if not body:
        return {"headers": headers}
    content_type = headers.pop("Content-Type", "application/octet-stream")
    return {"data": body, "content_type": content_type, "headers": headers}


def wsgi_call(view: Callable[..., Any]) -> Call:
    client = Client(enforce_csrf_checks=True)
    urlconf = URLConf(view)

    def call(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        with override_settings(ROOT_URLCONF=urlconf):
            response = client.generic(method, PATH, **request_arguments(headers, body))
        return answer_of(response)

    return call


def asgi_call(loop: Loop, view: Callable[..., Any]) -> Call:
    client = AsyncClient(enforce_csrf_checks=True)
    urlconf = URLConf(view)

    def call(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        with override_settings(ROOT_URLCONF=urlconf):
            response = loop.run(client.generic(method, PATH, **request_arguments(headers, body)))
        return answer_of(response)

    return call


@pytest.fixture(params=["wsgi", "asgi"])
def serve(request: pytest.FixtureRequest, loop: Loop) -> Serve:
    def serve(
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call:
        if request.param == "wsgi":
            return wsgi_call(webhook_view(webhook, on_handover, on_customer_message, **options))
        return asgi_call(
            loop, async_webhook_view(webhook, on_handover, on_customer_message, **options)
        )

    return serve


class TestDjangoViews(AdapterContract):
    pass


def test_views_are_marked_csrf_exempt() -> None:
    desk = Desk()
    for make in (webhook_view, async_webhook_view):
        view = make(make_webhook(), desk.on_handover, desk.on_customer_message)
        assert getattr(view, "csrf_exempt", False) is True


def test_async_view_is_a_coroutine_function() -> None:
    from asgiref.sync import iscoroutinefunction

    desk = Desk()
    view = async_webhook_view(make_webhook(), desk.on_handover, desk.on_customer_message)
    assert iscoroutinefunction(view)
    assert not iscoroutinefunction(
        webhook_view(make_webhook(), desk.on_handover, desk.on_customer_message)
    )


def test_body_over_django_upload_limit_but_within_ours_is_served() -> None:
    desk = Desk()
    call = wsgi_call(webhook_view(make_webhook(), desk.on_handover, desk.on_customer_message))
    request = valid_handover()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        answer = call("POST", request.headers, request.body)
    assert answer.status == 200


def test_each_view_refuses_the_other_kind_of_store() -> None:
    desk = Desk()
    async_store = AsyncRedisStore(url="redis://127.0.0.1:1/0")
    sync_store = RedisStore(url="redis://127.0.0.1:1/0")
    webhook = make_webhook()
    with pytest.raises(ConfigurationError):
        webhook_view(webhook, desk.on_handover, desk.on_customer_message, store=async_store)
    with pytest.raises(ConfigurationError):
        async_webhook_view(webhook, desk.on_handover, desk.on_customer_message, store=sync_store)


# -- a chunked body under a real WSGI server (issue 12) -------------------------


def _serve_django(server_kind: str) -> tuple[Any, str]:
    """Django's own WSGI handler with the webhook view, on a loopback WSGI server."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from django.core.handlers.wsgi import WSGIHandler
    from werkzeug.serving import make_server as make_werkzeug_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = WSGIHandler()
    if server_kind == "werkzeug":
        server: Any = make_werkzeug_server("127.0.0.1", 0, handler, threaded=True)
    else:
        server = make_server("127.0.0.1", 0, handler, WSGIServer, Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}{PATH}"


@pytest.mark.parametrize(
    ("server_kind", "status"),
    [
        # Werkzeug decodes the chunks and sets wsgi.input_terminated: read the stream.
        pytest.param("werkzeug", 200, id="werkzeug-terminated"),
        # wsgiref cannot say where the body ends: 411 Length Required, not 400.
        pytest.param("wsgiref", 411, id="wsgiref-unterminated"),
    ],
)
def test_a_chunked_body_under_wsgi_is_read_or_refused_with_411(
    server_kind: str, status: int
) -> None:
    import httpx

    desk = Desk()
    view = webhook_view(make_webhook(), desk.on_handover, desk.on_customer_message)
    request = valid_handover()
    with override_settings(ROOT_URLCONF=URLConf(view), ALLOWED_HOSTS=["127.0.0.1"]):
        server, url = _serve_django(server_kind)
        try:
            response = httpx.post(url, content=iter([request.body]), headers=request.headers)
        finally:
            server.shutdown()
            server.server_close()
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"paused": True, "minutesPaused": 30}
        assert len(desk.events) == 1
    else:
        assert response.json()["error"] == "LengthRequiredError"
        assert desk.events == []
