"""The chat page's WebSocket and the emulator's listeners, without a browser."""

from __future__ import annotations

import json
import socket
from collections import deque
from typing import Any

import httpx
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    RejectConnection,
    Request,
    TextMessage,
)

from botcopy_handover import Client
from botcopy_handover.testing.emulator import BotcopyEmulator


class Socket:
    """A small WebSocket client over a real loopback connection (wsproto)."""

    def __init__(self, base_url: str, target: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: deque[Event] = deque()
        self.sock.sendall(self.ws.send(Request(host=f"{host}:{port}", target=target)))
        opened = self._next()
        assert isinstance(opened, (AcceptConnection, RejectConnection))
        self.accepted = isinstance(opened, AcceptConnection)

    def _next(self) -> Event:
        while not self.events:
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            self.events.extend(self.ws.events())
        return self.events.popleft()

    def receive(self) -> TextMessage | CloseConnection:
        text = ""
        while True:
            event = self._next()
            if isinstance(event, CloseConnection):
                return event
            if isinstance(event, TextMessage):
                text += event.data
                if event.message_finished:
                    return TextMessage(data=text)

    def receive_json(self) -> Any:
        message = self.receive()
        assert isinstance(message, TextMessage), message
        return json.loads(message.data)

    def close(self) -> None:
        self.sock.close()


def test_listeners_hear_of_every_change_until_removed() -> None:
    heard: list[tuple[str, str]] = []
    with BotcopyEmulator() as emulator:
        remove = emulator.add_listener(lambda bot, user: heard.append((bot, user)))
        emulator.customer_says("hi", user_id="u1")
        with Client(api_key=emulator.api_key, base_url=emulator.url) as client:
            client.typing("u2", "bot-1")
        emulator.reset()
        remove()
        emulator.customer_says("hi again", user_id="u1")
    assert ("bot-1", "u1") in heard and ("bot-1", "u2") in heard
    assert heard[-2:] == [("bot-1", "u1"), ("bot-1", "u2")]  # the reset, for both customers
    assert heard.count(("bot-1", "u1")) == 3  # the customer's line, the bot's answer, the reset


def test_a_listener_that_raises_does_not_break_the_emulator() -> None:
    def broken(bot: str, user: str) -> None:
        raise RuntimeError("boom")

    with BotcopyEmulator() as emulator:
        emulator.add_listener(broken)
        turn = emulator.customer_says("hello", user_id="u1")
    assert turn.bot_said


def test_the_live_socket_sends_the_conversation_again_at_each_change() -> None:
    with BotcopyEmulator() as emulator:
        live = Socket(emulator.url, "/emulator/live?user=u9&bot=bot-9")
        try:
            first = live.receive_json()
            assert (first["userId"], first["botId"], first["transcript"]) == ("u9", "bot-9", [])
            emulator.customer_says("hello <b>there</b>", user_id="u9", bot_id="bot-9")
            seen = live.receive_json()
            while len(seen["transcript"]) < 3:  # greeting, the customer, the bot
                seen = live.receive_json()
            assert [line["sender"] for line in seen["transcript"]] == ["bot", "customer", "bot"]
            assert seen["transcript"][1]["text"] == "hello <b>there</b>"
            with Client(api_key=emulator.api_key, base_url=emulator.url) as client:
                client.typing("u9", "bot-9")
            # Snapshots queued before the push may come first; each is the whole state.
            typing = live.receive_json()
            while typing["typingMs"] == 0 and len(typing["transcript"]) == 3:
                typing = live.receive_json()
            assert 5000 < typing["typingMs"] <= 10000
        finally:
            live.close()
        page = httpx.get(f"{emulator.url}/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'role="log" aria-label="Conversation"' in page.text


def test_an_overlong_customer_id_is_refused() -> None:
    with BotcopyEmulator() as emulator:
        live = Socket(emulator.url, "/emulator/live?user=" + "x" * 201)
        try:
            message = live.receive()
        finally:
            live.close()
    assert isinstance(message, CloseConnection) and message.code == 1008
