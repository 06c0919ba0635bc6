"""One contract for every transport: what each server behaviour becomes for the caller.

Sync httpx, async httpx and aiohttp must agree on every row, so they cannot
drift apart: statuses (2xx, 3xx, 4xx, 408, 429, 5xx), redirects (never
followed), broken encodings, connections dropped before and after the body,
garbage, and answers slower than the timeout. Nothing but a ``BotcopyError``
may come out, and each error says whether the push may have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from botcopy_handover import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BotcopyError,
    RateLimitError,
)
from tests.client.rawserver import (
    Behaviour,
    RawServer,
    answer,
    cut_short,
    hang_up,
    raw,
    slow,
)
from tests.client.transports import TRANSPORTS, push

KEY = "contract-key-0123456789"
BROKEN_GZIP = {"Content-Encoding": "gzip"}


@dataclass(frozen=True)
class Row:
    """A behaviour and what the caller must see: a result, or an error and its facts."""

    behaviour: Behaviour
    error: type[APIError] | None = None
    status: int | None = None
    maybe_delivered: bool = False
    requests: int = 1


ROWS: dict[str, Row] = {
    "200": Row(answer(200)),
    "204 without a body": Row(answer(204, b"")),
    # A 2xx answer that cannot be read whole is no sure success: reported, may have arrived.
    "202 with a broken gzip body": Row(
        answer(202, b"not gzip", BROKEN_GZIP), APIConnectionError, maybe_delivered=True
    ),
    "200 whose body breaks off": Row(cut_short(200), APIConnectionError, maybe_delivered=True),
    "400": Row(answer(400, b"bad"), APIStatusError, 400),
    "400 with a broken gzip body": Row(answer(400, b"not gzip", BROKEN_GZIP), APIStatusError, 400),
    "401": Row(answer(401), AuthenticationError, 401),
    "403": Row(answer(403), AuthenticationError, 403),
    "404": Row(answer(404), APIStatusError, 404),
    "408": Row(answer(408), APIStatusError, 408, maybe_delivered=True),
    "429 then 429": Row(answer(429, headers={"Retry-After": "0"}), RateLimitError, 429, requests=2),
    "500": Row(answer(500), APIStatusError, 500, maybe_delivered=True),
    "500 whose body breaks off": Row(cut_short(500), APIStatusError, 500, maybe_delivered=True),
    "502": Row(answer(502), APIStatusError, 502, maybe_delivered=True),
    "503 then 503": Row(answer(503), APIStatusError, 503, requests=2),
    "504": Row(answer(504), APIStatusError, 504, maybe_delivered=True),
    "dropped after the request, before an answer": Row(
        hang_up(), APIConnectionError, maybe_delivered=True
    ),
    "an answer that is not HTTP": Row(
        raw("SSH-2.0-OpenSSH\r\n\r\n"), APIConnectionError, maybe_delivered=True
    ),
    "a status line without a status": Row(
        raw("HTTP/1.1 OK\r\n\r\n"), APIConnectionError, maybe_delivered=True
    ),
    "slower than the timeout": Row(slow(5), APITimeoutError, maybe_delivered=True),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("row", list(ROWS.values()), ids=list(ROWS))
def test_server_behaviour(raw_server: RawServer, transport: str, row: Row) -> None:
    raw_server.default = row.behaviour
    if row.error is None:
        result = push(transport, KEY, raw_server.url, max_retries=1, timeout=0.5)
        assert 200 <= result.status_code < 300
        assert result.attempts == 1
    else:
        with pytest.raises(BotcopyError) as info:
            push(transport, KEY, raw_server.url, max_retries=1, timeout=0.5)
        assert type(info.value) is row.error
        assert info.value.maybe_delivered is row.maybe_delivered
        if row.status is not None:
            assert isinstance(info.value, APIStatusError)
            assert info.value.status_code == row.status
    assert len(raw_server.received) == row.requests


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_2xx_that_cannot_be_read_says_so(raw_server: RawServer, transport: str) -> None:
    raw_server.default = answer(200, b"not gzip", BROKEN_GZIP)
    with pytest.raises(APIConnectionError) as info:
        push(transport, KEY, raw_server.url)
    assert str(info.value).startswith("Botcopy answered HTTP 200, but the answer could not be read")
    assert "the push may have been accepted" in str(info.value)
    assert info.value.maybe_delivered is True
    assert info.value.status_code == 200  # Botcopy answered: it is done with the push


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(
    raw_server: RawServer, elsewhere: RawServer, transport: str, status: int
) -> None:
    raw_server.default = answer(
        status, b"", {"Location": f"{elsewhere.url}/webhooks/handover/push"}
    )
    with pytest.raises(APIStatusError) as info:
        push(transport, KEY, raw_server.url)
    assert info.value.status_code == status
    assert info.value.maybe_delivered is False
    assert elsewhere.url in str(info.value)
    assert len(raw_server.received) == 1
    assert elsewhere.received == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_redirect_on_the_same_origin_is_not_followed_either(
    raw_server: RawServer, transport: str
) -> None:
    raw_server.play(answer(302, b"", {"Location": "/moved"}))
    with pytest.raises(APIStatusError) as info:
        push(transport, KEY, raw_server.url)
    assert info.value.status_code == 302
    assert [r.path for r in raw_server.received] == ["/webhooks/handover/push"]


def test_an_injected_httpx_client_that_follows_redirects_does_not_follow_a_push(
    raw_server: RawServer, elsewhere: RawServer
) -> None:
    import httpx

    from botcopy_handover import Client

    raw_server.default = answer(307, b"", {"Location": elsewhere.url})
    with (
        httpx.Client(follow_redirects=True) as http,
        Client(KEY, base_url=raw_server.url, http_client=http) as client,
        pytest.raises(APIStatusError),
    ):
        client.send_message("u1", "b1", "hi")
    assert elsewhere.received == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_connection_dropped_before_the_body_is_read(
    raw_server: RawServer, transport: str
) -> None:
    raw_server.drop_before_body = True
    with pytest.raises(APIConnectionError) as info:
        push(transport, KEY, raw_server.url, max_retries=1)
    assert info.value.maybe_delivered is True
    assert len(raw_server.received) == 1  # a message that may have arrived is not retried


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_refused_connection_is_not_delivered_and_is_retried(
    closed_port_url: str, transport: str
) -> None:
    with pytest.raises(APIConnectionError) as info:
        push(transport, KEY, closed_port_url, max_retries=1)
    assert type(info.value) is APIConnectionError
    assert info.value.maybe_delivered is False
    assert "after 2 attempts" in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_maybe_delivered_remembers_every_attempt(raw_server: RawServer, transport: str) -> None:
    # The first attempt may have arrived; the last one surely did not: the push may have.
    raw_server.play(hang_up(), answer(503))
    with pytest.raises(APIStatusError) as info:
        push(transport, KEY, raw_server.url, max_retries=1, retry_unsafe=True)
    assert info.value.status_code == 503
    assert info.value.maybe_delivered is True
    assert len(raw_server.received) == 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_typing_indicator_that_may_have_arrived_is_retried(
    raw_server: RawServer, transport: str
) -> None:
    raw_server.play(hang_up())
    result = push(transport, KEY, raw_server.url, method="typing")
    assert result.attempts == 2
