"""The console over real HTTP: the webhook's answers, the API's checks, the login."""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

import httpx
import pytest

from botcopy_handover import Client, Continue, Pause
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.console.helpers import serve


def csrf(http: httpx.Client) -> str:
    match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', http.get("/").text)
    assert match is not None
    return match.group(1)


def test_step_one_pauses_and_lists_the_customer_as_waiting(emulator: BotcopyEmulator) -> None:
    server = serve(emulator)
    try:
        turn = emulator.customer_says("a human please", user_id="u-1")
        assert turn.webhook_call is not None and turn.webhook_call.reply == Pause(10)
        with httpx.Client(base_url=server.url) as http:
            listed = http.get("/api/conversations").json()
            opened = http.get("/api/conversation", params={"bot": "bot-1", "user": "u-1"}).json()
        assert [(c["userId"], c["status"]) for c in listed] == [("u-1", "waiting")]
        assert "a human please" in opened["historyHtml"]
        assert opened["expiresAt"] is not None and opened["lines"] == []
    finally:
        server.stop()


def test_a_message_for_a_chat_nobody_here_has_goes_back_to_the_bot(
    emulator: BotcopyEmulator,
) -> None:
    server = serve(emulator)
    try:
        with Client(api_key=emulator.api_key, base_url=emulator.url) as client:
            client.pause("stranger", "bot-1")  # paused by someone else: no handover seen here
        turn = emulator.customer_says("hello?", user_id="stranger")
        assert turn.webhook_call is not None and turn.webhook_call.reply == Continue()
        assert turn.bot_said and not turn.paused
    finally:
        server.stop()


def test_the_expiry_watchers_warning_is_shown_on_the_conversation(
    emulator: BotcopyEmulator,
) -> None:
    server = serve(emulator, warn_before=timedelta(minutes=30), expiry_interval=0.05)
    try:
        emulator.customer_says("agent", user_id="u-2")
        with httpx.Client(base_url=server.url) as http:
            for _ in range(200):
                data = http.get("/api/conversation", params={"bot": "bot-1", "user": "u-2"}).json()
                if data["warning"]:
                    break
                time.sleep(0.05)
        assert data["warning"] is not None
        assert re.fullmatch(
            r"The pause lapses in \d+ s unless a message is sent: .*", data["warning"]
        )
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("action", "body", "status"),
    [
        ("reply", {"bot": "bot-1", "user": "u-3", "agent": "Dana"}, 400),
        ("reply", {"bot": "bot-1", "user": "u-3", "agent": "Dana", "text": "  "}, 400),
        ("reply", {"bot": "bot-1", "user": "u-3", "agent": "D" * 81, "text": "hi"}, 400),
        ("open", {"bot": "bot-1", "agent": "Dana"}, 400),
        ("open", {"bot": "bot-1", "user": "nobody", "agent": "Dana"}, 404),
        ("dance", {"bot": "bot-1", "user": "u-3"}, 404),
        ("open", ["not", "an", "object"], 400),
    ],
)
def test_bad_actions_get_a_clear_error(
    emulator: BotcopyEmulator, action: str, body: object, status: int
) -> None:
    server = serve(emulator)
    try:
        emulator.customer_says("human", user_id="u-3")
        with httpx.Client(base_url=server.url) as http:
            answer = http.post(f"/api/{action}", json=body, headers={"x-csrf-token": csrf(http)})
        assert answer.status_code == status
        assert isinstance(answer.json()["error"], str)
    finally:
        server.stop()


def test_an_action_on_an_ended_chat_is_a_conflict(emulator: BotcopyEmulator) -> None:
    server = serve(emulator)
    try:
        emulator.customer_says("human", user_id="u-4")
        with httpx.Client(base_url=server.url) as http:
            token = {"x-csrf-token": csrf(http)}
            who = {"bot": "bot-1", "user": "u-4"}
            assert http.post("/api/end", json=who, headers=token).status_code == 200
            late = http.post(
                "/api/reply", json={**who, "agent": "Dana", "text": "hi"}, headers=token
            )
        assert late.status_code == 409
        assert not emulator.is_paused(user_id="u-4")
    finally:
        server.stop()


def test_without_a_login_only_a_loopback_host_is_served(emulator: BotcopyEmulator) -> None:
    server = serve(emulator)
    try:
        with httpx.Client(base_url=server.url) as http:
            rebound = http.get("/", headers={"host": "attacker.example"})
            api = http.get("/api/conversations", headers={"host": "attacker.example:80"})
            home = http.get("/", headers={"host": "localhost"})
        assert (rebound.status_code, api.status_code, home.status_code) == (421, 421, 200)
    finally:
        server.stop()


def test_with_a_secret_agents_log_in_first(emulator: BotcopyEmulator) -> None:
    server = serve(emulator, login_secret="open sesame")
    try:
        with httpx.Client(base_url=server.url) as http:
            assert http.get("/").headers["location"] == "/login"
            assert http.get("/api/conversations").status_code == 401
            # Any Host is served behind the login (it is meant to be reached from afar).
            assert http.get("/login", headers={"host": "desk.example"}).status_code == 200
            wrong = http.post("/login", data={"secret": "guess"})
            assert wrong.status_code == 401 and "not right" in wrong.text
            assert "botcopy_console" not in wrong.cookies
            http.cookies.set("botcopy_console", "9999999999.forged")
            assert http.get("/api/conversations").status_code == 401
            http.cookies.clear()
            right = http.post("/login", data={"secret": "open sesame"})
            assert right.status_code == 303
            assert "httponly" in right.headers["set-cookie"].lower()
            assert "samesite=strict" in right.headers["set-cookie"].lower()
            assert http.get("/api/conversations").status_code == 200
            token = csrf(http)
            out = http.post("/logout", headers={"x-csrf-token": token})
            assert out.status_code == 303
    finally:
        server.stop()


def test_a_login_from_another_site_is_refused(emulator: BotcopyEmulator) -> None:
    server = serve(emulator, login_secret="open sesame")
    try:
        with httpx.Client(base_url=server.url) as http:
            answer = http.post(
                "/login", data={"secret": "open sesame"}, headers={"origin": "http://evil.example"}
            )
        assert answer.status_code == 403
    finally:
        server.stop()


def test_the_webhook_refuses_a_wrong_token(emulator: BotcopyEmulator) -> None:
    server = serve(emulator)
    try:
        answer = httpx.post(
            f"{server.url}/botcopy",
            content=b'{"userId":"u","botId":"b"}',
            headers={"authorization": "wrong", "content-type": "application/json"},
        )
        assert answer.status_code == 401
    finally:
        server.stop()


def test_a_redis_that_is_down_is_a_clear_503(emulator: BotcopyEmulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]  # nothing listens there once the probe closes
    started = time.monotonic()
    server = serve(emulator, redis_url=f"redis://127.0.0.1:{dead}/0")
    # It starts once the first subscription has failed, not after its 5 s bound.
    assert time.monotonic() - started < 2.5
    try:
        answer = httpx.get(f"{server.url}/api/conversations")
        assert answer.status_code == 503
        assert "Redis" in answer.json()["error"]
    finally:
        server.stop()
