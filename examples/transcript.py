"""Show an agent the conversation so far, as a desk would receive it.

Run: ``python examples/transcript.py [text|markdown|html] [body.json]``; the body
defaults to a sample Step One body with every kind of history item.

A later customer message (Step Two) and the agent's own pushes are appended by
passing them in a list after the handover.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from botcopy_handover import (
    HandoverRequest,
    InvalidPayloadError,
    MessageEvent,
    TranscriptFormat,
    parse_webhook,
    render_transcript,
)

SAMPLE = Path(__file__).parent.parent / "tests" / "fixtures" / "webhooks" / "step_one_rich_es.json"
FORMATS: dict[str, TranscriptFormat] = {"text": "text", "markdown": "markdown", "html": "html"}


def main(argv: list[str]) -> int:
    """Render the body named in ``argv`` (or the sample) in the format named there."""
    fmt = FORMATS.get(argv[1] if len(argv) > 1 else "text")
    if fmt is None:
        print(f"format must be one of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    path = Path(argv[2]) if len(argv) > 2 else SAMPLE
    try:
        event = parse_webhook(path.read_bytes())
    except InvalidPayloadError as exc:
        print(f"not a valid Botcopy webhook body: {exc}", file=sys.stderr)
        return 1
    if not isinstance(event, HandoverRequest):
        print(render_transcript(event, fmt), end="")
        return 0
    # What happened after the handover: the agent's first push, then the
    # customer's answer as Botcopy's Step Two call brings it.
    agent = MessageEvent(user_id=event.user_id, bot_id=event.bot_id, text="Still there?")
    step_two = {
        "userId": event.user_id,
        "botId": event.bot_id,
        "queryInput": {"text": {"text": "Yes!"}},
    }
    answer = parse_webhook(json.dumps(step_two))
    print(render_transcript([event, agent, answer], fmt), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
