"""Logging on the ``botcopy_handover`` logger: one debug line per request, never the key."""

from __future__ import annotations

import logging

import pytest

from botcopy_handover import APIConnectionError, Client
from botcopy_handover.client import RetryPolicy
from tests.client.pushserver import PushServer, Reply

KEY = "sk-live-do-not-log"


def test_one_debug_line_per_request(server: PushServer, caplog: pytest.LogCaptureFixture) -> None:
    with Client(KEY, base_url=server.url) as client, caplog.at_level(logging.DEBUG):
        client.send_message("u1", "b1", "hi")
    lines = [r for r in caplog.records if r.name == "botcopy_handover"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert lines[0].levelno == logging.DEBUG
    assert "POST /webhooks/handover/push" in message
    assert "HTTP 200" in message
    assert "attempt 1" in message
    assert " ms" in message


def test_each_attempt_is_logged(server: PushServer, caplog: pytest.LogCaptureFixture) -> None:
    server.reply(Reply(503))
    policy = RetryPolicy(initial_backoff=0.001, jitter=0)
    with Client(KEY, base_url=server.url, retry=policy) as client, caplog.at_level(logging.DEBUG):
        client.typing("u1", "b1")
    debug = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.DEBUG and r.name == "botcopy_handover"
    ]
    assert ["HTTP 503" in d and "attempt 1" in d for d in debug] == [True, False]
    assert "HTTP 200" in debug[1] and "attempt 2" in debug[1]


def test_connection_failures_are_logged_by_kind(
    closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(KEY, base_url=closed_port_url, max_retries=0)
    with client, caplog.at_level(logging.DEBUG), pytest.raises(APIConnectionError):
        client.typing("u1", "b1")
    ours = [r.getMessage() for r in caplog.records if r.name == "botcopy_handover"]
    assert len(ours) == 1
    assert "-> ConnectError (attempt 1" in ours[0]


def test_api_key_never_appears_in_any_log_line(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(Reply(503), Reply(401, body=f"echo {KEY}"))
    policy = RetryPolicy(initial_backoff=0.001)
    with Client(KEY, base_url=server.url, retry=policy) as client, caplog.at_level(logging.DEBUG):
        chat = client.conversation("u1", "b1")
        with chat.typing(interval=0.01):
            pass
    assert caplog.records
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in caplog.text


def test_nothing_is_logged_at_info_when_all_goes_well(
    server: PushServer, caplog: pytest.LogCaptureFixture
) -> None:
    with Client(KEY, base_url=server.url) as client, caplog.at_level(logging.INFO):
        client.send_message("u1", "b1", "hi")
    assert [r for r in caplog.records if r.name == "botcopy_handover"] == []
