"""The API key never leaves through an error, whatever a hostile server answers.

A server (or a proxy in between) that echoes the ``Authorization`` value
into a malformed status line or header makes h11 and aiohttp quote it in
their exceptions, and aiohttp keeps the request headers on its errors. The
SDK's error chains those exceptions: every text it exposes must be clean,
on all three transports, as a traceback or an error tracker would show it.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from botcopy_handover import APIError, APIStatusError, BotcopyError, Client, ConfigurationError
from botcopy_handover.client import RedactingFilter
from botcopy_handover.client._redact import Redactor
from tests.client.rawserver import Behaviour, RawRequest, RawServer, raw
from tests.client.transports import TRANSPORTS, push

KEY = "sk-live-7f3a9c2e41d84b6fa0c5e9d1b2a7c3f8"
# Quotes and a backslash: repr() and JSON escape them, so the key must be found escaped too.
ODD_KEY = "sk-live-'quote\"double\\slash-0123456789"


def echo_half(template: str) -> Behaviour:
    """Like ``raw``, but echo only the first half of the key (a parser that cuts lines short)."""

    def behave(sock: Any, request: RawRequest, stop: threading.Event) -> None:
        half = request.authorization[: len(request.authorization) // 2]
        sock.sendall(template.replace("{key}", half).encode("latin-1"))

    return behave


HOSTILE: dict[str, Behaviour] = {
    "key as the status line": raw("HTTP/1.1 {key}\r\n\r\n"),
    "key glued to the status": raw("HTTP/1.1 200{key}\r\nContent-Length: 0\r\n\r\n"),
    "key as the protocol": raw("{key} 200 OK\r\nContent-Length: 0\r\n\r\n"),
    "key as a header line": raw("HTTP/1.1 200 OK\r\n{key}\r\nContent-Length: 0\r\n\r\n"),
    "key as the content length": raw("HTTP/1.1 200 OK\r\nContent-Length: {key}\r\n\r\n"),
    "key as a header name": raw("HTTP/1.1 500 OK\r\n{key}@: x\r\nContent-Length: 0\r\n\r\n"),
    "half the key in the status line": echo_half("HTTP/1.1 {key}\r\n\r\n"),
}


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


def every_text(exc: BaseException) -> str:
    """What a traceback, a log line or an error tracker could show of ``exc`` and its chain."""
    texts = ["".join(traceback.format_exception(type(exc), exc, exc.__traceback__))]
    for current in chain(exc):
        texts += [type(current).__name__, str(current), repr(current), repr(current.args)]
        for value in vars(current).values():
            texts.append(repr(value))
            for name in ("headers", "request_info"):
                inner = getattr(value, name, None)
                if inner is not None:  # httpx masks Authorization in repr(); look at the raw values
                    texts.append(repr(dict(inner)) if hasattr(inner, "items") else repr(inner))
            if isinstance(value, httpx.Request):
                texts.append(repr(dict(value.headers)))
    return "\n".join(texts)


def assert_clean(text: str, key: str) -> None:
    assert key not in text
    for start in range(len(key) - 8):  # no piece of 9 characters either
        assert key[start : start + 9] not in text, key[start : start + 9]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("behaviour", list(HOSTILE.values()), ids=list(HOSTILE))
def test_no_error_text_holds_the_key(
    raw_server: RawServer, transport: str, behaviour: Behaviour
) -> None:
    raw_server.default = behaviour
    with pytest.raises(BotcopyError) as info:
        push(transport, KEY, raw_server.url, max_retries=0)
    assert isinstance(info.value, APIError)
    assert raw_server.received[0].authorization == KEY  # it was echoed back
    assert_clean(every_text(info.value), KEY)
    assert "[redacted]" in every_text(info.value) or "half" in str(behaviour)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_key_with_quotes_and_backslashes_is_found_escaped(
    raw_server: RawServer, transport: str
) -> None:
    raw_server.default = raw("HTTP/1.1 {key}\r\n\r\n")
    with pytest.raises(APIError) as info:
        push(transport, ODD_KEY, raw_server.url, max_retries=0)
    text = every_text(info.value)
    for form in (ODD_KEY, repr(ODD_KEY)[1:-1], repr(ODD_KEY.encode())[2:-1]):
        assert form not in text


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_transport_error_is_still_chained(raw_server: RawServer, transport: str) -> None:
    raw_server.default = raw("HTTP/1.1 {key}\r\n\r\n")
    with pytest.raises(APIError) as info:
        push(transport, KEY, raw_server.url, max_retries=0)
    cause = info.value.__cause__
    assert cause is not None
    assert type(cause).__module__.split(".")[0] in ("httpx", "aiohttp")
    assert "[redacted]" in str(cause) or "[redacted]" in repr(cause)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_echoed_key_in_an_error_body_and_redirect_is_redacted(
    raw_server: RawServer, transport: str
) -> None:
    raw_server.default = raw(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/?k={key}\r\n"
        f"Content-Length: {len(KEY)}\r\nConnection: close\r\n\r\n{{key}}"
    )
    with pytest.raises(APIStatusError) as info:
        push(transport, KEY, raw_server.url, max_retries=0)
    assert info.value.body == "[redacted]"
    assert "?k=[redacted]" in str(info.value)
    assert_clean(every_text(info.value), KEY)


# -- the logging filter ---------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream, handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def echo_into_reason_and_header() -> Behaviour:
    # A valid answer: httpx logs the reason phrase at INFO, httpcore the headers at DEBUG.
    return raw(
        "HTTP/1.1 400 {key}\r\nX-Echo: {key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )


def test_third_party_debug_logs_show_an_echoed_key_without_the_filter(
    raw_server: RawServer, captured: tuple[io.StringIO, logging.Handler]
) -> None:
    # What the filter is for: httpx and httpcore print what the server sent.
    stream, _ = captured
    raw_server.default = echo_into_reason_and_header()
    with Client(KEY, base_url=raw_server.url, max_retries=0) as client, pytest.raises(APIError):
        client.send_message("u1", "b1", "hi")
    assert KEY in stream.getvalue()


def test_the_redacting_filter_takes_the_key_out_of_third_party_logs(
    raw_server: RawServer, captured: tuple[io.StringIO, logging.Handler]
) -> None:
    stream, handler = captured
    handler.addFilter(RedactingFilter(KEY))
    raw_server.default = echo_into_reason_and_header()
    with Client(KEY, base_url=raw_server.url, max_retries=0) as client, pytest.raises(APIError):
        client.send_message("u1", "b1", "hi")
    logged = stream.getvalue()
    assert "httpcore" in logged and "httpx" in logged
    assert "[redacted]" in logged
    assert_clean(logged, KEY)


def test_the_filter_redacts_arguments_and_tracebacks(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    stream, handler = captured
    handler.addFilter(RedactingFilter(KEY))
    log = logging.getLogger("some.library")
    log.debug("sent %s to %s", {"Authorization": KEY}, "host")
    try:
        raise ValueError(f"bad header {KEY[:20]}")
    except ValueError:
        log.exception("failed")
    log.warning("nothing secret here: %d", 42)
    logged = stream.getvalue()
    assert_clean(logged, KEY)
    assert "sent {'Authorization': '[redacted]'} to host" in logged
    assert "ValueError: bad header [redacted]" in logged
    assert "nothing secret here: 42" in logged


def test_the_filter_keeps_records_without_a_secret_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s b", ("c",), None)
    assert RedactingFilter(KEY).filter(record) is True
    assert (record.msg, record.args) == ("a %s b", ("c",))


@pytest.mark.parametrize("secrets", [(), ("",), ("  ",)])
def test_the_filter_needs_a_secret(secrets: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError):
        RedactingFilter(*secrets)


# -- the redactor itself --------------------------------------------------------


def test_pieces_of_eight_characters_or_more_are_redacted() -> None:
    redactor = Redactor([KEY])
    assert redactor.text(f"x{KEY[:8]}y") == "x[redacted]y"
    assert redactor.text(f"x{KEY[10:30]}y") == "x[redacted]y"
    assert redactor.text(f"x{KEY[:7]}y") == f"x{KEY[:7]}y"
    assert redactor.text(f"{KEY} and {KEY}") == "[redacted] and [redacted]"


def test_short_secrets_are_redacted_whole_only() -> None:
    redactor = Redactor(["abc12"])
    assert redactor.text("xabc12y abc1") == "x[redacted]y abc1"


def test_percent_encoded_and_json_escaped_forms_are_redacted() -> None:
    redactor = Redactor([ODD_KEY])
    assert ODD_KEY not in redactor.text(ODD_KEY)
    assert redactor.text(quote(ODD_KEY, safe="")) == "[redacted]"
    assert redactor.text(json.dumps({"k": ODD_KEY})) == '{"k": "[redacted]"}'
