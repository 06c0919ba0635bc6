"""``botcopy-handover send``: say something as the customer, through a running emulator."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import httpx

from botcopy_handover._errors import APIConnectionError, APIStatusError
from botcopy_handover.cli._common import clean
from botcopy_handover.cli._emulate import DEFAULT_PORT

__all__ = ["EMULATOR_URL_ENV", "register", "run"]

EMULATOR_URL_ENV = "BOTCOPY_EMULATOR_URL"

_HELP = "say something as the customer, through a running emulator"
_DESCRIPTION = f"""\
Send TEXT as the customer to a running "botcopy-handover emulate". The bot
answers, or, if the text asks for a human (or the bot is paused), your proxy's
webhook is called; the command prints what the bot said, how your webhook
answered, and, with --wait, what the customer sees in the next seconds.

The emulator is found at --emulator, ${EMULATOR_URL_ENV}, or
http://127.0.0.1:{DEFAULT_PORT}.
"""
_EPILOG = """\
examples:
  botcopy-handover send "Where is my order?"
  botcopy-handover send "I want to talk to a human" --wait 3
  botcopy-handover send --user u2 --json "still there?"
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
    parser.add_argument("text", metavar="TEXT", help="what the customer says")
    parser.add_argument(
        "--user", default="user-1", metavar="USER_ID", help="the customer (default: %(default)s)"
    )
    parser.add_argument(
        "--bot", default="bot-1", metavar="BOT_ID", help="the bot (default: %(default)s)"
    )
    parser.add_argument("--emulator", metavar="URL", help="the emulator's URL")
    parser.add_argument(
        "--wait",
        type=float,
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
    base = args.emulator or os.environ.get(EMULATOR_URL_ENV) or f"http://127.0.0.1:{DEFAULT_PORT}"
    with httpx.Client(base_url=base.rstrip("/"), timeout=30) as client:
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
    if args.json:
        print(json.dumps({**turn, "customerSees": seen}, ensure_ascii=False))
        return 0
    call = turn.get("webhookCall")
    if call:
        reply = json.dumps(call["reply"]) if call["reply"] else "no reply"
        detail = f" ({clean(call['detail'])})" if call["detail"] else ""
        print(f"webhook {call['kind']}: {call['outcome']}, {reply}{detail}")
    for line in seen:
        print(f"{line['sender']}: {clean(line['text'])}")
    print("bot paused: an agent has the chat" if turn["paused"] else "bot active")
    return 0
