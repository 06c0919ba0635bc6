"""``botcopy-handover parse``: read a webhook body, show the typed event and its transcript."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from botcopy_handover.cli._common import clean, read_input
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest
from botcopy_handover.transcript import TranscriptFormat, _platform_name, render_transcript
from botcopy_handover.webhook import parse_webhook

__all__ = ["register", "run"]

_FORMATS: tuple[TranscriptFormat, ...] = ("text", "markdown", "html")

_HELP = "read a webhook body from a file or stdin; show the event and its transcript"
_DESCRIPTION = """\
Read a body Botcopy POSTs to your webhook (Step One or Step Two) from FILE,
or from stdin when FILE is "-" or left out, and show what the SDK reads in
it: the event kind, bot, customer and session, the customer's text, the
history, and the conversation as an agent would see it. The access token is
never shown.

An invalid body prints every problem with its field path and exits 1.
"""
_EPILOG = """\
examples:
  botcopy-handover parse body.json
  curl -s https://example.test/last-body | botcopy-handover parse --format markdown
  botcopy-handover parse --json body.json | jq .history_kinds
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``parse`` command."""
    parser = subparsers.add_parser(
        "parse",
        help=_HELP,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        default="-",
        help='the webhook body (JSON); "-" or nothing reads stdin',
    )
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        default="text",
        help="the transcript's format (default: text)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (kind, ids, language, text, history kinds, transcript)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Parse the body and print the summary and the transcript (or JSON)."""
    body = read_input(args.file, what="webhook body")
    event = parse_webhook(body)
    transcript = render_transcript(event, args.format)
    if args.json:
        print(json.dumps(_as_json(event, args.format, transcript), ensure_ascii=False, indent=2))
        return 0
    sys.stdout.write("\n".join(_summary(event)) + "\n\n" + transcript)
    return 0


def _kind(event: HandoverRequest | CustomerMessage) -> str:
    return "handover_request" if isinstance(event, HandoverRequest) else "customer_message"


def _as_json(
    event: HandoverRequest | CustomerMessage, fmt: TranscriptFormat, transcript: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": _kind(event),
        "bot_id": event.bot_id,
        "user_id": event.user_id,
        "session_id": event.session_id,
        "session": event.session,
        "language_code": event.language_code,
        "text": event.text,
        "has_access_token": event.access_token is not None,
    }
    if isinstance(event, HandoverRequest):
        view = event.dialogflow
        data["platform"] = view.platform.value if view.platform else None
        data["intent"] = view.intent_name
        data["bot_texts"] = list(view.texts)
        data["history_kinds"] = [item.kind for item in event.history]
    data["transcript_format"] = fmt
    data["transcript"] = transcript
    return data


def _summary(event: HandoverRequest | CustomerMessage) -> list[str]:
    if isinstance(event, HandoverRequest):
        title = "Step One: handover request (HandoverRequest)"
    else:
        title = "Step Two: customer message while paused (CustomerMessage)"
    rows: list[tuple[str, str | None]] = [
        ("bot", event.bot_id),
        ("customer", event.user_id),
        ("session", event.session_id or event.session),
        ("language", event.language_code),
        ("text", event.text),
    ]
    if isinstance(event, HandoverRequest):
        view = event.dialogflow
        platform = _platform_name(view.platform) if view.platform else "unknown platform"
        intent = f", intent {view.intent_name}" if view.intent_name else ""
        rows.append(("bot said", " / ".join(view.texts) or None))
        rows.append(("dialogflow", f"{platform}{intent}"))
        rows.append(("history", _history_counts(event)))
    rows.append(
        ("access token", "present (not shown)" if event.access_token is not None else "absent")
    )
    width = max(len(label) for label, _ in rows) + 1
    lines = [title]
    for label, value in rows:
        if value is not None:
            shown = clean(value).replace("\n", " / ")
            lines.append(f"  {label + ':':<{width}} {shown}")
    return lines


def _history_counts(event: HandoverRequest) -> str:
    counts = Counter(item.kind for item in event.history)
    total = len(event.history)
    noun = "item" if total == 1 else "items"
    if not counts:
        return f"0 {noun}"
    detail = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    return f"{total} {noun} ({detail})"
