"""``botcopy-handover trigger``: a signed Step One or Step Two call to any webhook URL."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
from botcopy_handover.cli import main
from botcopy_handover.testing import LoopbackServer, sample_customer_message, sample_handover
from botcopy_handover.testing.emulator import DEFAULT_ACCESS_TOKEN
from botcopy_handover.webhook import asgi_app

TOKEN = "trigger-token-0123456789"


class Proxy:
    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[HandoverRequest | CustomerMessage] = []


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    proxy = Proxy("")

    def on_handover(event: HandoverRequest) -> Reply:
        proxy.events.append(event)
        return Pause(minutes=20)

    def on_customer_message(event: CustomerMessage) -> Reply:
        proxy.events.append(event)
        return Pause(minutes=25)

    app = asgi_app(Webhook(TOKEN), on_handover, on_customer_message)
    with LoopbackServer(app) as server:
        proxy.url = f"{server.url}/botcopy"
        yield proxy


@pytest.fixture(autouse=True)
def no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOTCOPY_ACCESS_TOKEN", raising=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_handover_posts_a_signed_sample_and_prints_the_answer_and_its_timing(
    proxy: Proxy, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["trigger", "handover", "--to", proxy.url, "--access-token", TOKEN])
    out, err = capsys.readouterr()
    assert status == 0, err
    (event,) = proxy.events
    assert isinstance(event, HandoverRequest)
    assert event.text == "I want to talk to a human"
    lines = out.splitlines()
    assert re.fullmatch(
        rf"POST {re.escape(proxy.url)}  \(Step One: handover request, \d+ bytes\)", lines[0]
    )
    assert re.fullmatch(r"HTTP 200 in \d+\.\d ms", lines[1])
    assert json.loads(lines[2]) == {"paused": True, "minutesPaused": 20}
    assert lines[3] == "reply: Pause(minutes=20)"
    assert TOKEN not in out + err


def test_message_takes_the_token_from_the_environment(
    proxy: Proxy, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTCOPY_ACCESS_TOKEN", TOKEN)
    status = main(["trigger", "message", "--to", proxy.url, "--text", "hi there", "--user", "u9"])
    assert status == 0, capsys.readouterr().err
    (event,) = proxy.events
    assert isinstance(event, CustomerMessage)
    assert (event.text, event.user_id) == ("hi there", "u9")
    assert "reply: Pause(minutes=25)" in capsys.readouterr().out


def test_a_saved_body_is_sent_re_signed_with_the_token_given(
    proxy: Proxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = {**sample_handover("my parcel is lost", user_id="saved-user"), "accessToken": "old"}
    body = tmp_path / "body.json"
    body.write_text(json.dumps(saved))
    status = main(
        ["trigger", "handover", "--to", proxy.url, "--body", str(body), "--access-token", TOKEN]
    )
    assert status == 0, capsys.readouterr().err
    (event,) = proxy.events
    assert (event.text, event.user_id) == ("my parcel is lost", "saved-user")


def test_a_saved_body_of_the_other_step_is_refused_before_sending(
    proxy: Proxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "step-two.json"
    body.write_text(json.dumps(sample_customer_message("hello")))
    status = main(["trigger", "handover", "--to", proxy.url, "--body", str(body)])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Step Two" in err
    assert "trigger message" in err
    assert proxy.events == []


def test_an_invalid_saved_body_names_the_fields(
    proxy: Proxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "bad.json"
    body.write_text('{"userId": "u1"}')
    assert main(["trigger", "message", "--to", proxy.url, "--body", str(body)]) == 1
    assert "botId" in capsys.readouterr().err
    assert proxy.events == []


def test_a_wrong_token_is_a_401_with_a_hint_to_check_the_token(
    proxy: Proxy, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["trigger", "handover", "--to", proxy.url, "--access-token", "not-the-token"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines()[1].startswith("HTTP 401 in ")
    assert err.startswith("hint: your webhook refused the access token (401): check --access-token")
    assert "not-the-token" not in out + err
    assert proxy.events == []


def test_without_a_token_it_signs_with_the_emulators_test_token(
    proxy: Proxy, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trigger", "handover", "--to", proxy.url]) == 1  # the proxy wants TOKEN
    err = capsys.readouterr().err
    assert "check $BOTCOPY_ACCESS_TOKEN (or --access-token)" in err
    assert DEFAULT_ACCESS_TOKEN not in err


def test_a_refused_connection_asks_whether_the_proxy_is_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{free_port()}/botcopy"
    status = main(["trigger", "message", "--to", url])
    out, err = capsys.readouterr()
    assert status == 1
    assert re.fullmatch(r"no answer after \d+\.\d ms", out.splitlines()[1])
    assert err == f"hint: could not connect to {url}: is your proxy running there?\n"


def test_a_200_that_is_not_a_reply_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    async def not_a_proxy(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with LoopbackServer(not_a_proxy, lifespan="off") as server:
        assert main(["trigger", "handover", "--to", server.url]) == 1
    assert "hint: the webhook answered 200 but not with a reply" in capsys.readouterr().err


def test_json_output_for_scripts(proxy: Proxy, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["trigger", "handover", "--to", proxy.url, "--access-token", TOKEN, "--json"])
    assert status == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    assert result["status"] == 200
    assert result["reply"] == "Pause(minutes=20)"
    assert result["hint"] is None
    assert 0 < result["elapsed"] < 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "0"), "argument --timeout: must be more than 0 and at most 300 seconds"),
        (("--timeout", "1e9"), "argument --timeout: must be more than 0 and at most 300"),
        (("--timeout", "soon"), "argument --timeout: 'soon' is not a number of seconds"),
    ],
)
def test_durations_are_range_checked_with_a_usage_error(
    args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trigger", "handover", "--to", "http://127.0.0.1:9/x", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_url_must_be_http(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trigger", "handover", "--to", "ftp://example.test/x"]) == 1
    assert capsys.readouterr().err == "error: --to must be an http:// or https:// URL\n"
