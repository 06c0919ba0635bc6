"""Benchmark: render_transcript against a hand-written loop over the same history.

The baseline is the least a proxy would write by hand to show a history as
HTML: one ``isinstance`` dispatch per item, the texts read through the SDK's
own views, ``html.escape`` on each, one line per item. ``render_transcript``
does more on top (time order, de-duplication by id, control characters,
quick replies, cards and payload summaries, the triggering turn, a header),
so the ratio is the price of that work. ``parse_webhook`` on the same body is
shown too: the transcript should cost no more than parsing did.

Run: ``.venv/bin/python benchmarks/transcript.py`` (about ten seconds).
"""

from __future__ import annotations

import html
import json
import timeit
from typing import Any

from botcopy_handover import (
    AgentMessage,
    BotResponse,
    CustomerEvent,
    CustomerQuery,
    CustomerToAgentMessage,
    HandoverRequest,
    parse_webhook,
    render_transcript,
)

SIZES = (10, 100, 1000)
# Out of every 40 items: 18 customer queries, 18 bot responses, 2 events,
# 1 agent message, 1 customer-to-agent message (as in benchmarks/parse.py).
MIX = (0, 2) * 9 + (1, 1, 3, 4)


def history_item(i: int) -> dict[str, Any]:
    base = {
        "_id": f"65f1c0de{i:016x}",
        "botPlatform": "dialogflowES",
        "createdAt": f"2024-03-13T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.123Z",
    }
    kind = MIX[i % len(MIX)]
    if kind == 0:
        payload: dict[str, Any] = {"query": f"I have a question about order {i}", "lang": "en"}
        return {**base, "direction": "in", "payload": payload}
    if kind == 1:
        return {**base, "direction": "in", "payload": {"event": {"name": "WELCOME"}}}
    if kind == 2:
        messages: list[dict[str, Any]] = [{"text": {"text": [f"Order {i} ships <tomorrow>."]}}]
        if i % 4 == 0:
            messages.append({"quickReplies": {"title": "More?", "quickReplies": ["Yes", "No"]}})
        payload = {"responseId": f"r{i}", "queryResult": {"fulfillmentMessages": messages}}
        return {**base, "direction": "out", "payload": payload}
    if kind == 3:
        return {**base, "direction": "out", "payload": {"text": f"Agent here about {i}"}}
    return {**base, "direction": "out", "payload": {"query": f"Thanks & bye {i}", "lang": "en"}}


def body(items: int) -> bytes:
    return json.dumps(
        {
            "userId": "u1",
            "botId": "b1",
            "dialogflowResponse": {"responseId": "now", "queryResult": {"fulfillmentText": "Hi"}},
            "messageHistory": [history_item(i) for i in range(items)],
            "queryInput": {"text": {"text": "human please"}},
        }
    ).encode()


def by_hand(event: HandoverRequest) -> str:
    lines = []
    for item in event.history:
        when = item.created_at.strftime("%Y-%m-%d %H:%M:%S") if item.created_at else ""
        if isinstance(item, CustomerQuery):
            text = f"Customer: {html.escape(item.text)}"
        elif isinstance(item, CustomerEvent):
            text = f"Customer: [event {html.escape(item.event_name)}]"
        elif isinstance(item, BotResponse):
            text = "Bot: " + "<br>".join(html.escape(t) for t in item.texts)
        elif isinstance(item, (AgentMessage, CustomerToAgentMessage)):
            text = f"{type(item).__name__}: {html.escape(item.text)}"
        else:
            text = "Unknown"
        lines.append(f"<li>{when} {text}</li>")
    return "<ol>" + "\n".join(lines) + "</ol>"


def best(stmt: Any, number: int) -> float:
    """Best of 7 rounds, in µs per call."""
    return min(timeit.repeat(stmt, number=number, repeat=7)) / number * 1e6


def main() -> None:
    print(
        "| items | parse_webhook | by hand (HTML) | render text | render HTML "
        "| HTML / by hand | HTML / parse |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in SIZES:
        raw = body(size)
        number = max(3, 3000 // size)
        parse = best(lambda raw=raw: parse_webhook(raw), number)

        # Each round gets freshly parsed events, so the views' caches start cold
        # as they do for a webhook that just arrived.
        def fresh(render: Any, raw: bytes = raw, number: int = number) -> Any:
            events = iter([parse_webhook(raw) for _ in range(number * 7 + 1)])
            return lambda: render(next(events))

        hand = best(fresh(by_hand), number)
        text = best(fresh(lambda e: render_transcript(e)), number)
        page = best(fresh(lambda e: render_transcript(e, "html")), number)
        print(
            f"| {size} | {parse:.0f} | {hand:.0f} | {text:.0f} | {page:.0f} "
            f"| {page / hand:.2f}x | {page / parse:.2f}x |"
        )


if __name__ == "__main__":
    main()
