"""The Flask blueprint and view, through Flask's own test client."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pytest
from flask import Flask, url_for

from botcopy_handover import AsyncRedisStore, ConfigurationError, Webhook
from botcopy_handover.integrations.flask import WEBHOOK_METHODS, webhook_blueprint, webhook_view
from botcopy_handover.webhook import HandoverHandler, MessageHandler
from tests.integrations.contract import (
    PATH,
    AdapterContract,
    Answer,
    Call,
    Desk,
    Serve,
    make_webhook,
    valid_handover,
)


def flask_call(app: Flask, path: str = PATH) -> Call:
    client = app.test_client()

    def call(method: str, headers: Mapping[str, str], body: bytes) -> Answer:
        headers = dict(headers)
        # The test client computes Content-Length from the data; a declared one goes in as sent.
        length = headers.pop("Content-Length", None)
        overrides = {} if length is None else {"CONTENT_LENGTH": length}
        # buffered: the response is read and closed, as a real server does once it is sent.
        response = client.open(
            path,
            method=method,
            headers=headers,
            data=body,
            environ_overrides=overrides,
            buffered=True,
        )
        return Answer(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.get_data(),
        )

    return call


@pytest.fixture
def serve() -> Serve:
    def serve(
        webhook: Webhook,
        on_handover: HandoverHandler,
        on_customer_message: MessageHandler,
        **options: Any,
    ) -> Call:
        app = Flask(__name__)
        app.register_blueprint(
            webhook_blueprint(webhook, on_handover, on_customer_message, **options)
        )
        return flask_call(app)

    return serve


class TestFlaskBlueprint(AdapterContract):
    pass


def test_view_can_be_routed_by_hand() -> None:
    app = Flask(__name__)
    view = webhook_view(make_webhook(), Desk().on_handover, Desk().on_customer_message)
    app.add_url_rule("/hooks/botcopy", "botcopy", view, methods=WEBHOOK_METHODS)
    answer = flask_call(app, "/hooks/botcopy")(
        "POST", valid_handover().headers, valid_handover().body
    )
    assert answer.json() == {"paused": True, "minutesPaused": 30}


def test_blueprint_takes_a_url_prefix_and_names_its_endpoint() -> None:
    app = Flask(__name__)
    desk = Desk()
    blueprint = webhook_blueprint(
        make_webhook(), desk.on_handover, desk.on_customer_message, url="/in", name="bc"
    )
    app.register_blueprint(blueprint, url_prefix="/webhooks")
    with app.test_request_context():
        assert url_for("bc.webhook") == "/webhooks/in"
    request = valid_handover()
    assert flask_call(app, "/webhooks/in")("POST", request.headers, request.body).status == 200


def streamed(app: Flask, body: bytes) -> tuple[int, bytes]:
    """POST ``body`` as a chunked request: no Content-Length, the server marks its end."""
    environ = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}
    response = app.test_client().post(
        PATH,
        headers=valid_handover().headers,
        input_stream=io.BytesIO(body),
        environ_overrides=environ,
    )
    return response.status_code, response.get_data()


@pytest.mark.parametrize(("max_bytes", "status"), [(100_000, 200), (100, 413)])
def test_chunked_body_is_read_up_to_the_limit(max_bytes: int, status: int) -> None:
    app = Flask(__name__)
    desk = Desk()
    webhook = make_webhook(max_bytes=max_bytes)
    app.register_blueprint(webhook_blueprint(webhook, desk.on_handover, desk.on_customer_message))
    assert streamed(app, valid_handover().body)[0] == status
    assert len(desk.events) == (status == 200)


def test_an_async_store_is_refused_when_the_blueprint_is_made() -> None:
    store = AsyncRedisStore(url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError):
        webhook_blueprint(
            make_webhook(), Desk().on_handover, Desk().on_customer_message, store=store
        )
