"""The signing side, for tests: build the requests Botcopy would send to your webhook.

``build_webhook_request`` makes a valid request (headers and body) from a
typed event, a dict or raw bytes, or a deliberately invalid one, so you can
test your own endpoint in any framework's test client::

    request = build_webhook_request(sample_handover(), access_token="tok")
    response = test_client.post("/botcopy", content=request.body, headers=request.headers)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.testing._payloads import (
    CX_TRIGGER,
    ES_TRIGGER,
    Platform,
    cx_response,
    cx_session,
    es_response,
    es_session,
    history_item,
    query_payload,
    step_one_body,
    step_two_body,
)

__all__ = [
    "SAME_TOKEN",
    "WebhookRequest",
    "build_webhook_request",
    "sample_customer_message",
    "sample_handover",
]


class _SameToken:
    def __repr__(self) -> str:
        return "SAME_TOKEN"


SAME_TOKEN: Final = _SameToken()
"""Put the same access token in the body as in ``Authorization`` (the default)."""


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook request as Botcopy would send it.

    Attributes:
        body: The JSON body, UTF-8.
        headers: The headers, with Botcopy's spelling.
        method: Always ``POST`` unless you built a wrong one on purpose.

    """

    body: bytes
    headers: dict[str, str]
    method: str = "POST"

    def __repr__(self) -> str:
        # Both the headers and the body hold the access token.
        return f"WebhookRequest(method={self.method!r}, body=<{len(self.body)} bytes>)"

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


def build_webhook_request(
    event: HandoverRequest | CustomerMessage | Mapping[str, Any] | bytes,
    *,
    access_token: str | None,
    body_access_token: str | _SameToken | None = SAME_TOKEN,
    custom_header: tuple[str, str] | None = None,
    bearer: bool = False,
    content_type: str | None = "application/json",
    method: str = "POST",
) -> WebhookRequest:
    """Build a webhook request: valid by default, wrong in exactly the way you ask.

    Args:
        event: The body: a typed event, a dict (e.g. from
            [`sample_handover`][botcopy_handover.testing.sample_handover]),
            or raw bytes sent as they are.
        access_token: The token for ``Authorization``; ``None`` leaves the header out.
        body_access_token: The body's ``accessToken``: the same as
            ``access_token`` by default, another string, or ``None`` to leave it out.
            Ignored when ``event`` is raw bytes.
        custom_header: ``(name, value)`` of the portal's custom header, if any.
        bearer: Send ``Authorization: Bearer <token>``, as older bots did.
        content_type: The ``Content-Type``; ``None`` leaves it out.
        method: The HTTP method.

    Examples:
        >>> request = build_webhook_request(sample_customer_message("hi"), access_token="t")
        >>> request.headers["Authorization"], request.json()["queryInput"]["text"]["text"]
        ('t', 'hi')

    """
    if isinstance(event, bytes):
        body = event
    else:
        if isinstance(event, (HandoverRequest, CustomerMessage)):
            data = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        else:
            data = dict(event)
        data.pop("accessToken", None)
        token = access_token if isinstance(body_access_token, _SameToken) else body_access_token
        if token is not None:
            data = {"accessToken": token, **data}
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}" if bearer else access_token
    if custom_header is not None:
        headers[custom_header[0]] = custom_header[1]
    return WebhookRequest(body=body, headers=headers, method=method)


def sample_handover(
    text: str = "I want to talk to a human",
    *,
    bot_id: str = "bot-1",
    user_id: str = "user-1",
    session_id: str = "session-1",
    platform: Platform = "es",
) -> dict[str, Any]:
    """A realistic Step One body (without ``accessToken``): a trigger fired, history attached.

    The history holds a customer question, the bot's answer, and the
    customer's request for a human, as Dialogflow ES or CX sends them.
    """
    if platform == "es":
        session = es_session("sample-project", session_id)
    else:
        session = cx_session("sample-project", "global", "sample-agent", session_id)
    reply = "Connecting you with an agent now."

    def answer(question: str, said: str, *, handover: bool) -> dict[str, Any]:
        intent = "human.handover" if handover else "order.status"
        if platform == "es":
            return es_response(
                session=session,
                said=said,
                intent=intent,
                query_text=question,
                confidence=0.92,
                contexts=[ES_TRIGGER] if handover else (),
            )
        return cx_response(
            session=session,
            said=said,
            intent=intent,
            text=question,
            confidence=0.92,
            parameters={CX_TRIGGER: True} if handover else None,
        )

    def item(n: int, direction: str, payload: dict[str, Any]) -> dict[str, Any]:
        at = datetime(2026, 1, 5, 10, 0, n, tzinfo=timezone.utc)
        return history_item(f"{session_id}-{n}", platform, direction, payload, at)

    question = "Where is my order?"
    history = [
        item(1, "in", query_payload(question, session_id, nested=False)),
        item(2, "out", answer(question, "What is your order number?", handover=False)),
        item(3, "in", query_payload(text, session_id, nested=False)),
        item(4, "out", answer(text, reply, handover=True)),
    ]
    return step_one_body(
        user_id=user_id,
        bot_id=bot_id,
        session_id=session_id,
        session=session,
        text=text,
        dialogflow_response=answer(text, reply, handover=True),
        history=history,
    )


def sample_customer_message(
    text: str = "Are you still there?",
    *,
    bot_id: str = "bot-1",
    user_id: str = "user-1",
    session_id: str = "session-1",
) -> dict[str, Any]:
    """A Step Two body (without ``accessToken``): the customer wrote while the bot is paused."""
    return step_two_body(
        user_id=user_id,
        bot_id=bot_id,
        session_id=session_id,
        session=es_session("sample-project", session_id),
        text=text,
    )
