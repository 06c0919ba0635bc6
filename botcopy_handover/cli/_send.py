"""``botcopy-handover send``: say something as the customer, through a running emulator."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import httpx

from botcopy_handover._errors import APIConnectionError, APIStatusError, ConfigurationError
from botcopy_handover.cli._common import clean, explain_webhook_failure, seconds_in
from botcopy_handover.cli._emulate import DEFAULT_PORT
from botcopy_handover.cli._style import Style

__all__ = ["EMULATOR_URL_ENV", "MAX_WAIT", "register", "run"]

EMULATOR_URL_ENV = "BOTCOPY_EMULATOR_URL"

MAX_WAIT = 600.0
"""The longest ``--wait`` accepted, in seconds."""

_HELP = "say something as the customer, through a running emulator"
_DESCRIPTION = f"""\
Send TEXT as the customer to a running "botcopy-handover emulate". The bot
answers, or, if the text asks for a human (or the bot is paused), your proxy's
webhook is called; the command prints what the bot said, how your webhook
answered, and, with --wait, what the customer sees in the next seconds.

--webhook-url URL first points the running emulator at another webhook
(your proxy moved, or restarted on another port); given alone, it only
does that.

The emulator is found at --emulator, ${EMULATOR_URL_ENV}, or
http://127.0.0.1:{DEFAULT_PORT}.
"""
_EPILOG = """\
examples:
  botcopy-handover send "Where is my order?"
  botcopy-handover send "I want to talk to a human" --wait 3
  botcopy-handover send --user u2 --json "still there?"
  botcopy-handover send --webhook-url http://127.0.0.1:8001/botcopy
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``send`` command."""
    parser = subparsers.add_parser(
        "send",
        help=_HELP,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        help="what the customer says (optional with --webhook-url)",
    )
    parser.add_argument(
        "--user", default="user-1", metavar="USER_ID", help="the customer (default: %(default)s)"
    )
    parser.add_argument(
        "--bot", default="bot-1", metavar="BOT_ID", help="the bot (default: %(default)s)"
    )
    parser.add_argument("--emulator", metavar="URL", help="the emulator's URL")
    parser.add_argument(
        "--webhook-url",
        metavar="URL",
        help="first point the emulator at this webhook (your proxy's URL)",
    )
    parser.add_argument(
        "--wait",
        type=seconds_in(0, MAX_WAIT),
        default=0.0,
        metavar="SECONDS",
        help="then show what the customer sees for this long (the agent's answers)",
    )
    parser.add_argument("--json", action="store_true", help="print the turn as JSON")
    parser.set_defaults(handler=run)


def _call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise APIConnectionError(
            f"no emulator at {client.base_url} ({type(exc).__name__}); "
            'start one with "botcopy-handover emulate"'
        ) from None
    if response.status_code != 200:
        raise APIStatusError(
            f"the emulator answered {response.status_code}: {response.text[:200]}",
            status_code=response.status_code,
            body=response.text,
        )
    return response.json()


def run(args: argparse.Namespace) -> int:
    """Send the text and print the turn."""
    if args.text is None and args.webhook_url is None:
        raise ConfigurationError("nothing to do: give TEXT to say, or --webhook-url URL")
    base = args.emulator or os.environ.get(EMULATOR_URL_ENV) or f"http://127.0.0.1:{DEFAULT_PORT}"
    with httpx.Client(base_url=base.rstrip("/"), timeout=30) as client:
        if args.webhook_url is not None:
            _call(client, "PUT", "/emulator/webhook-url", json={"webhookUrl": args.webhook_url})
            if args.text is None:
                print(f"the emulator now calls {clean(args.webhook_url)}")
                return 0
        webhook_url = _call(client, "GET", "/emulator/webhook-url").get("webhookUrl")
        path = f"/emulator/conversations/{args.bot}/{args.user}"
        before = len(_call(client, "GET", path)["transcript"])
        turn = _call(
            client,
            "POST",
            "/emulator/customer/says",
            json={"text": args.text, "userId": args.user, "botId": args.bot},
        )
        seen: list[dict[str, str]] = []
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline:
            time.sleep(0.1)
        if args.wait > 0 or not args.json:
            transcript = _call(client, "GET", path)["transcript"]
            seen = [line for line in transcript[before:] if line["sender"] != "customer"]
    call = turn.get("webhookCall")
    hint = _hint(call, webhook_url or "your webhook") if call else None
    if args.json:
        print(json.dumps({**turn, "customerSees": seen, "hint": hint}, ensure_ascii=False))
        return 0
    style = Style(sys.stdout)
    if call:
        reply = json.dumps(call["reply"]) if call["reply"] else "no reply"
        detail = f" ({clean(call['detail'])})" if call["detail"] else ""
        paint = style.good if call["outcome"] == "replied" else style.bad
        print(f"webhook {call['kind']}: {paint(call['outcome'])}, {reply}{detail}")
    if hint:
        print(Style(sys.stderr).warn(f"hint: {hint}"), file=sys.stderr)
    for line in seen:
        print(f"{line['sender']}: {clean(line['text'])}")
    print(style.strong("bot paused: an agent has the chat") if turn["paused"] else "bot active")
    return 0


def _hint(call: dict[str, Any], url: str) -> str | None:
    """Why the emulator's call to the webhook failed, in terms of what to check."""
    if call["outcome"] == "replied":
        return None
    return explain_webhook_failure(
        url=clean(url),
        status=call["statusCode"],
        connect_failed=call["outcome"] == "error" and call["statusCode"] is None,
        timed_out=call["outcome"] == "timeout",
        check_flag="the emulator's --access-token",
    )
