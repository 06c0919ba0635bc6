"""botcopy_handover.testing: the signing side builds the requests Botcopy sends."""

from __future__ import annotations

import json

import pytest

from botcopy_handover import (
    CustomerMessage,
    HandoverRequest,
    Webhook,
    WebhookAuthenticationError,
    parse_webhook,
)
from botcopy_handover.testing import (
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)


def test_a_request_carries_botcopys_headers_and_the_token_in_the_body() -> None:
    request = build_webhook_request(sample_customer_message("hi"), access_token="tok")
    assert request.method == "POST"
    assert request.headers == {"Content-Type": "application/json", "Authorization": "tok"}
    assert request.json()["accessToken"] == "tok"


def test_a_custom_header_and_bearer_prefix_can_be_added() -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token="tok", custom_header=("X-Key", "v"), bearer=True
    )
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["X-Key"] == "v"


def test_the_body_token_can_differ_from_the_header_or_be_left_out() -> None:
    other = build_webhook_request(
        sample_customer_message(), access_token="tok", body_access_token="other"
    )
    assert other.json()["accessToken"] == "other"
    left_out = build_webhook_request(
        sample_customer_message(), access_token="tok", body_access_token=None
    )
    assert "accessToken" not in left_out.json()


def test_no_authorization_and_no_content_type_can_be_asked_for() -> None:
    request = build_webhook_request(sample_customer_message(), access_token=None, content_type=None)
    assert request.headers == {}
    assert "accessToken" not in request.json()


def test_raw_bytes_are_sent_as_they_are() -> None:
    request = build_webhook_request(b"\xff not json", access_token="tok")
    assert request.body == b"\xff not json"


def test_a_typed_event_round_trips_through_a_request(step_one_body: bytes) -> None:
    event = parse_webhook(step_one_body)
    request = build_webhook_request(event, access_token="portal-access-token")
    again = Webhook("portal-access-token").receive(request.body, request.headers)
    assert isinstance(again, HandoverRequest) and isinstance(event, HandoverRequest)
    assert again == event
    assert again.history == event.history


@pytest.mark.parametrize("platform", ["es", "cx"])
def test_sample_handover_is_a_realistic_step_one_body(platform: str) -> None:
    body = sample_handover("get me a person", user_id="u9", platform=platform)  # type: ignore[arg-type]
    event = parse_webhook(json.dumps(body))
    assert isinstance(event, HandoverRequest)
    assert event.user_id == "u9"
    assert event.text == "get me a person"
    assert event.dialogflow.is_handover("bc-human-handover" if platform == "es" else None)
    assert [item.direction for item in event.history] == ["in", "out", "in", "out"]


def test_sample_customer_message_is_a_step_two_body() -> None:
    event = parse_webhook(json.dumps(sample_customer_message("ok", bot_id="b2")))
    assert isinstance(event, CustomerMessage)
    assert (event.bot_id, event.text) == ("b2", "ok")


def test_a_deliberately_wrong_request_is_refused_by_a_webhook() -> None:
    request = build_webhook_request(sample_customer_message(), access_token="forged")
    with pytest.raises(WebhookAuthenticationError):
        Webhook("real").receive(request.body, request.headers)


def test_the_request_repr_hides_the_headers() -> None:
    request = build_webhook_request(sample_customer_message(), access_token="tok-secret")
    assert "tok-secret" not in repr(request)
