"""A proxy over ``httpx.MockTransport`` with scripted answers, recording what the emulator sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from botcopy_handover.testing.emulator import BotcopyEmulator

PROXY_URL = "http://proxy.test/botcopy"


@dataclass
class ScriptedProxy:
    """Answers each webhook call with ``status`` and the next of ``replies`` (the last repeats)."""

    replies: list[Any] = field(default_factory=lambda: [{"paused": True, "minutesPaused": 10}])
    status: int = 200
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return httpx.Response(self.status, json=reply)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """Every body received, decoded."""
        return [json.loads(request.content) for request in self.requests]

    def client(self) -> httpx.Client:
        """An ``httpx.Client`` whose requests this proxy answers."""
        return httpx.Client(transport=httpx.MockTransport(self))


@contextmanager
def emulator_with(proxy: ScriptedProxy, **settings: Any) -> Iterator[BotcopyEmulator]:
    """An emulator (not serving: pushes go through ``receive_push``) that calls ``proxy``."""
    http = proxy.client()
    try:
        yield BotcopyEmulator(webhook_url=PROXY_URL, http_client=http, **settings)
    finally:
        http.close()


def push(
    botcopy: BotcopyEmulator, body: dict[str, Any], *, key: str | None = None, **headers: str
) -> int:
    """Send one push through the emulator's checks (no socket); returns the status."""
    sent = {"authorization": key or botcopy.api_key, "content-type": "application/json"}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return botcopy.receive_push(sent, json.dumps(body).encode()).status_code


def message(
    text: str, *, user: str = "user-1", bot: str = "bot-1", minutes: Any = 10
) -> dict[str, Any]:
    """A ``message`` push body."""
    return {
        "eventType": "message",
        "userId": user,
        "botId": bot,
        "paused": True,
        "minutesPaused": minutes,
        "text": text,
    }


def resume(*, user: str = "user-1", bot: str = "bot-1", **extra: Any) -> dict[str, Any]:
    """A resume (``channel_update``, ``paused: false``) push body."""
    return {"eventType": "channel_update", "userId": user, "botId": bot, "paused": False, **extra}


def pause(*, user: str = "user-1", bot: str = "bot-1", name: str | None = None) -> dict[str, Any]:
    """A pause (``channel_update``, ``paused: true``) push body, with an agent name if given."""
    body: dict[str, Any] = {
        "eventType": "channel_update",
        "userId": user,
        "botId": bot,
        "paused": True,
        "minutesPaused": 10,
    }
    if name is not None:
        body["agentProfile"] = {"name": name}
    return body
