"""Webhook.receive: verification of the token, the custom header and the content type."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    HandoverRequest,
    InvalidPayloadError,
    PayloadTooLargeError,
    Webhook,
    WebhookAuthenticationError,
)
from botcopy_handover.testing import (
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.webhook import UnsupportedMediaTypeError, WebhookEndpoint

TOKEN = "tok-new-4f1c2a"
OLD_TOKEN = "tok-old-9d3e7b"
HEADER = ("X-Bot-Secret", "s3cret-header-value")


@pytest.fixture
def webhook() -> Webhook:
    return Webhook(access_tokens=[TOKEN, OLD_TOKEN], custom_header=HEADER)


def test_a_valid_handover_request_is_verified_and_typed(webhook: Webhook) -> None:
    request = build_webhook_request(sample_handover(), access_token=TOKEN, custom_header=HEADER)
    event = webhook.receive(request.body, request.headers)
    assert isinstance(event, HandoverRequest)
    assert event.text == "I want to talk to a human"
    assert len(event.history) == 4


def test_a_valid_customer_message_is_verified_and_typed(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message("still there?"), access_token=TOKEN, custom_header=HEADER
    )
    event = webhook.receive(request.body, request.headers)
    assert isinstance(event, CustomerMessage)
    assert event.text == "still there?"


def test_the_spec_example_bodies_are_accepted(step_one_body: bytes, step_two_body: bytes) -> None:
    webhook = Webhook("portal-access-token")
    headers = {"Content-Type": "application/json", "Authorization": "portal-access-token"}
    assert isinstance(webhook.receive(step_one_body, headers), HandoverRequest)
    assert isinstance(webhook.receive(step_two_body, headers), CustomerMessage)


def test_every_accepted_token_works_during_a_rotation(webhook: Webhook) -> None:
    for token in (TOKEN, OLD_TOKEN):
        request = build_webhook_request(
            sample_customer_message(), access_token=token, custom_header=HEADER
        )
        assert webhook.receive(request.body, request.headers).user_id == "user-1"


def test_a_bearer_prefix_is_accepted_for_older_bots(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER, bearer=True
    )
    assert webhook.receive(request.body, request.headers).user_id == "user-1"


def test_a_lower_case_bearer_prefix_is_accepted_too(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    headers = {**request.headers, "Authorization": f"bearer {TOKEN}"}
    assert webhook.receive(request.body, headers).user_id == "user-1"


def test_the_token_may_be_only_in_the_header(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, body_access_token=None, custom_header=HEADER
    )
    assert "accessToken" not in request.json()
    assert webhook.receive(request.body, request.headers).access_token is None


def _refused(webhook: Webhook, **options: Any) -> WebhookAuthenticationError:
    options.setdefault("access_token", TOKEN)
    options.setdefault("custom_header", HEADER)
    request = build_webhook_request(sample_customer_message(), **options)
    with pytest.raises(WebhookAuthenticationError) as caught:
        webhook.receive(request.body, request.headers)
    return caught.value


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"access_token": "wrong"}, id="wrong token in both places"),
        pytest.param({"access_token": None}, id="no Authorization header"),
        pytest.param({"access_token": None, "body_access_token": TOKEN}, id="token only in body"),
        pytest.param({"body_access_token": "wrong"}, id="header right, body token wrong"),
        pytest.param({"access_token": "", "body_access_token": TOKEN}, id="empty header"),
        pytest.param({"access_token": TOKEN[:-1]}, id="token one character short"),
        pytest.param({"access_token": TOKEN + "x"}, id="token one character long"),
        pytest.param({"custom_header": None}, id="no custom header"),
        pytest.param({"custom_header": (HEADER[0], "wrong")}, id="wrong custom header value"),
        pytest.param({"custom_header": ("X-Other", HEADER[1])}, id="custom header misnamed"),
    ],
)
def test_wrong_credentials_are_refused_with_401(webhook: Webhook, options: dict[str, Any]) -> None:
    error = _refused(webhook, **options)
    assert error.status_code == 401
    assert str(error) == "Missing or invalid access token or custom header"


def test_the_refusal_never_says_which_check_failed(webhook: Webhook) -> None:
    messages = {
        str(_refused(webhook, access_token="wrong")),
        str(_refused(webhook, custom_header=None)),
        str(_refused(webhook, body_access_token="wrong")),
    }
    assert len(messages) == 1


def test_the_custom_header_name_is_case_insensitive(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=("x-BOT-secret", HEADER[1])
    )
    assert webhook.receive(request.body, request.headers).user_id == "user-1"


def test_header_names_are_case_insensitive(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    headers = {name.upper(): value for name, value in request.headers.items()}
    assert webhook.receive(request.body, headers).user_id == "user-1"


def test_two_authorization_headers_are_refused(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    pairs = [*request.headers.items(), ("authorization", "other")]
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, pairs)


def test_headers_may_be_asgi_byte_pairs(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    pairs = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    assert webhook.receive(request.body, pairs).user_id == "user-1"


class _ItemsOnly:
    """Headers like Werkzeug's: not a Mapping, but with items()."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs.items())


def test_headers_may_be_any_object_with_items(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    assert webhook.receive(request.body, _ItemsOnly(request.headers)).user_id == "user-1"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", None],
)
def test_json_content_types_are_accepted_and_others_refused(
    webhook: Webhook, content_type: str | None
) -> None:
    request = build_webhook_request(
        sample_customer_message(),
        access_token=TOKEN,
        custom_header=HEADER,
        content_type=content_type,
    )
    if content_type is None:
        with pytest.raises(UnsupportedMediaTypeError) as caught:
            webhook.receive(request.body, request.headers)
        assert caught.value.status_code == 415
    else:
        assert webhook.receive(request.body, request.headers).user_id == "user-1"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_non_json_content_types_are_refused_with_415(webhook: Webhook, content_type: str) -> None:
    request = build_webhook_request(
        sample_customer_message(),
        access_token=TOKEN,
        custom_header=HEADER,
        content_type=content_type,
    )
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        webhook.receive(request.body, request.headers)
    assert caught.value.status_code == 415


def test_credentials_are_checked_before_the_content_type(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token="wrong", content_type="text/plain"
    )
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, request.headers)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty"),
        (b"not json", "Request body is not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"userId": 5, "botId": "b", "queryInput": {"text": {"text": "x"}}}', "userId"),
        (b'{"userId": "\xff\xfe"}', "not valid UTF-8"),
    ],
)
def test_bad_bodies_are_refused_with_400(webhook: Webhook, body: bytes, message: str) -> None:
    request = build_webhook_request(body, access_token=TOKEN, custom_header=HEADER)
    with pytest.raises(InvalidPayloadError) as caught:
        webhook.receive(request.body, request.headers)
    assert caught.value.status_code == 400
    assert message in str(caught.value)


def test_a_body_over_the_limit_is_refused_with_413() -> None:
    webhook = Webhook(TOKEN, max_bytes=100)
    request = build_webhook_request(sample_handover(), access_token=TOKEN)
    with pytest.raises(PayloadTooLargeError) as caught:
        webhook.receive(request.body, request.headers)
    assert caught.value.status_code == 413


def test_a_content_length_over_the_limit_is_refused_from_the_headers() -> None:
    webhook = Webhook(TOKEN, max_bytes=100)
    headers = {"Authorization": TOKEN, "Content-Type": "application/json", "Content-Length": "101"}
    with pytest.raises(PayloadTooLargeError):
        webhook.verify_headers(headers)
    assert webhook.verify_headers({**headers, "Content-Length": "100"}) == 100


@pytest.mark.parametrize("length", ["-1", "ten", "1e3", "²"])
def test_a_malformed_content_length_is_refused_with_400(length: str) -> None:
    webhook = Webhook(TOKEN)
    headers = {"Authorization": TOKEN, "Content-Type": "application/json", "Content-Length": length}
    with pytest.raises(InvalidPayloadError):
        webhook.verify_headers(headers)


def test_no_secret_appears_in_errors_reprs_or_logs(
    webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[WebhookAuthenticationError] = [
        _refused(webhook, access_token=TOKEN + "x"),
        _refused(webhook, custom_header=(HEADER[0], HEADER[1] + "x")),
        _refused(webhook, body_access_token=OLD_TOKEN + "x"),
    ]
    shown = " ".join([repr(webhook), *(f"{e} {e!r} {e.to_dict()}" for e in errors)]) + caplog.text
    for secret in (TOKEN, OLD_TOKEN, HEADER[1]):
        assert secret not in shown
    assert "Refused a webhook call" in caplog.text


def test_the_parsed_event_does_not_show_its_token(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    event = webhook.receive(request.body, request.headers)
    assert event.access_token == TOKEN
    assert TOKEN not in repr(event)
    assert TOKEN not in event.model_dump_json()


def test_tokens_come_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOTCOPY_ACCESS_TOKEN", f"{TOKEN}, {OLD_TOKEN}")
    webhook = Webhook()
    for token in (TOKEN, OLD_TOKEN):
        request = build_webhook_request(sample_customer_message(), access_token=token)
        assert webhook.receive(request.body, request.headers).user_id == "user-1"


@pytest.mark.parametrize(
    ("args", "options"),
    [
        ((), {}),
        (([],), {}),
        ((["ok", ""],), {}),
        (("tok",), {"custom_header": ("X-A", "")}),
        (("tok",), {"max_bytes": 0}),
    ],
)
def test_bad_settings_raise_configuration_error(
    monkeypatch: pytest.MonkeyPatch, args: tuple[Any, ...], options: dict[str, Any]
) -> None:
    monkeypatch.delenv("BOTCOPY_ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigurationError):
        Webhook(*args, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"reply_timeout": 0},
        {"reply_timeout": 61},
        {"handler_threads": 0},
        {"store_timeout": 0},
        {"after_reply_limit": 0},
        {"handover_fallback": {"paused": True}},
        {"message_fallback": None},
    ],
)
def test_bad_serving_settings_raise_configuration_error(options: dict[str, Any]) -> None:
    from botcopy_handover import Pause

    with pytest.raises(ConfigurationError):
        WebhookEndpoint(Webhook("tok"), lambda e: Pause(), lambda e: Pause(), **options)


def test_the_webhook_takes_no_serving_settings() -> None:
    with pytest.raises(TypeError):
        Webhook("tok", reply_timeout=1)  # type: ignore[call-arg]


def test_a_single_string_is_one_token_not_its_characters() -> None:
    webhook = Webhook("abc")
    request = build_webhook_request(sample_customer_message(), access_token="a")
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, request.headers)


# -- tokens: the header's and the body's are one token (issue 12) --------------


def test_a_body_token_other_than_the_header_token_is_refused_though_both_are_accepted(
    webhook: Webhook,
) -> None:
    request = build_webhook_request(
        sample_customer_message(),
        access_token=TOKEN,
        body_access_token=OLD_TOKEN,
        custom_header=HEADER,
    )
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, request.headers)


def test_the_endpoint_refuses_a_header_and_body_token_mismatch_with_401(webhook: Webhook) -> None:
    from botcopy_handover import Pause

    endpoint = WebhookEndpoint(webhook, lambda e: Pause(), lambda e: Pause())
    request = build_webhook_request(
        sample_customer_message(),
        access_token=OLD_TOKEN,
        body_access_token=TOKEN,
        custom_header=HEADER,
    )
    assert endpoint.handle("POST", request.headers, request.body).status_code == 401
    same = build_webhook_request(
        sample_customer_message(), access_token=OLD_TOKEN, custom_header=HEADER
    )
    assert endpoint.handle("POST", same.headers, same.body).status_code == 200


def test_a_bearer_header_matches_the_same_token_in_the_body(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, bearer=True, custom_header=HEADER
    )
    assert isinstance(webhook.receive(request.body, request.headers), CustomerMessage)


@pytest.mark.parametrize(
    "spelling", ["access_token", "AccessToken", "ACCESS_TOKEN", "access-token"]
)
def test_any_spelling_of_the_token_field_is_verified(webhook: Webhook, spelling: str) -> None:
    body = sample_customer_message()
    body[spelling] = "not-a-token-we-know"
    request = build_webhook_request(body, access_token=TOKEN, custom_header=HEADER)
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, request.headers)


@pytest.mark.parametrize("spelling", ["access_token", "AccessToken", "ACCESS_TOKEN"])
def test_any_spelling_of_the_token_field_is_hidden(webhook: Webhook, spelling: str) -> None:
    body = sample_customer_message()
    body[spelling] = TOKEN
    request = build_webhook_request(body, access_token=TOKEN, custom_header=HEADER)
    event = webhook.receive(request.body, request.headers)
    assert spelling not in event.extra
    assert TOKEN not in repr(event)
    assert TOKEN not in event.model_dump_json()
    assert TOKEN not in str(event.model_dump())


def test_a_token_field_that_is_not_a_string_is_refused(webhook: Webhook) -> None:
    body = sample_customer_message()
    body["ACCESS_TOKEN"] = 12345
    request = build_webhook_request(body, access_token=TOKEN, custom_header=HEADER)
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(request.body, request.headers)


def test_webhook_headers_stay_out_of_repr(webhook: Webhook) -> None:
    body = sample_customer_message()
    body["queryParams"] = {"webhookHeaders": {"Authorization": "Basic fulfilment-secret"}}
    request = build_webhook_request(body, access_token=TOKEN, custom_header=HEADER)
    event = webhook.receive(request.body, request.headers)
    assert "fulfilment-secret" not in repr(event)
    assert "fulfilment-secret" not in repr(event.query_params)
    # Still readable on purpose.
    assert event.query_params.webhook_headers == {"Authorization": "Basic fulfilment-secret"}


def test_a_str_body_with_a_lone_surrogate_is_an_invalid_payload(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    body = request.body.decode().replace("still", "st\ud800ill")
    with pytest.raises(InvalidPayloadError, match="not valid UTF-8"):
        webhook.receive(body, request.headers)


def test_a_decoded_dict_body_is_verified_like_raw_bytes(webhook: Webhook) -> None:
    request = build_webhook_request(
        sample_customer_message(), access_token=TOKEN, custom_header=HEADER
    )
    event = webhook.receive(request.json(), request.headers)
    assert isinstance(event, CustomerMessage)
    wrong = build_webhook_request(
        sample_customer_message(),
        access_token=TOKEN,
        body_access_token="nope",
        custom_header=HEADER,
    )
    with pytest.raises(WebhookAuthenticationError):
        webhook.receive(wrong.json(), wrong.headers)


# -- a token scanner does not flood the logs (issue 12) ------------------------


def test_refused_calls_are_logged_one_by_one_then_counted_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import time

    webhook = Webhook(TOKEN, refusal_log_burst=3, refusal_log_interval=0.3)
    scan = build_webhook_request(sample_customer_message(), access_token="guess")

    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused")]

    with caplog.at_level(logging.WARNING, logger="botcopy_handover.webhook"):
        for _ in range(50):
            with pytest.raises(WebhookAuthenticationError):
                webhook.receive(scan.body, scan.headers)
        assert len(refusals()) == 3
        time.sleep(0.35)
        with pytest.raises(WebhookAuthenticationError):
            webhook.receive(scan.body, scan.headers)
    lines = refusals()
    assert len(lines) == 5
    assert lines[3].startswith("Refused 47 more webhook call(s) in ")
    assert lines[4] == "Refused a webhook call: missing or invalid access token or custom header"
    assert "guess" not in caplog.text


@pytest.mark.parametrize("options", [{"refusal_log_burst": -1}, {"refusal_log_interval": 0}])
def test_bad_logging_and_store_options_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        Webhook(TOKEN, **options)
