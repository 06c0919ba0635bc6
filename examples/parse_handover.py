"""Parse a Step One webhook body and show what an agent needs to know.

Run: ``python examples/parse_handover.py [body.json]`` (defaults to a sample
body shipped with the tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

from botcopy_handover import (
    AgentMessage,
    BotResponse,
    CustomerEvent,
    CustomerQuery,
    CustomerToAgentMessage,
    HandoverRequest,
    InvalidPayloadError,
    parse_webhook,
)

SAMPLE = Path(__file__).parent.parent / "tests" / "fixtures" / "webhooks" / "step_one_spec.json"


def describe(event: HandoverRequest) -> list[str]:
    """One line per fact an agent wants before answering."""
    lines = [
        f"customer {event.user_id} on bot {event.bot_id} asked for a human: {event.text!r}",
        f"the bot last said: {' / '.join(event.dialogflow.texts)}",
        f"history ({len(event.history)} items):",
    ]
    for item in event.history:
        when = item.created_at.strftime("%Y-%m-%d %H:%M %Z") if item.created_at else "?"
        if isinstance(item, CustomerQuery):
            lines.append(f"  {when}  customer -> bot:   {item.text}")
        elif isinstance(item, CustomerEvent):
            lines.append(f"  {when}  event:             {item.event_name}")
        elif isinstance(item, BotResponse):
            lines.append(f"  {when}  bot -> customer:   {' / '.join(item.texts)}")
        elif isinstance(item, AgentMessage):
            lines.append(f"  {when}  agent -> customer: {item.text}")
        elif isinstance(item, CustomerToAgentMessage):
            lines.append(f"  {when}  customer -> agent: {item.text}")
        else:
            lines.append(f"  {when}  (unknown item kept as raw data)")
    return lines


def main(argv: list[str]) -> int:
    """Parse the body file named in ``argv`` (or the sample) and print it."""
    path = Path(argv[1]) if len(argv) > 1 else SAMPLE
    try:
        event = parse_webhook(path.read_bytes())
    except InvalidPayloadError as exc:
        print(f"not a valid Botcopy webhook body: {exc}", file=sys.stderr)
        return 1
    if not isinstance(event, HandoverRequest):
        print(f"a customer message while paused: {event.text!r}")
        return 0
    print("\n".join(describe(event)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
