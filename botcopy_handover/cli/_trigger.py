"""``botcopy-handover trigger``: one signed webhook call to any proxy, like ``stripe trigger``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import httpx

from botcopy_handover._errors import BotcopyError, ConfigurationError, InvalidPayloadError
from botcopy_handover.cli._common import (
    clean,
    custom_header,
    explain_webhook_failure,
    read_input,
    seconds_in,
)
from botcopy_handover.cli._style import Style
from botcopy_handover.models.replies import parse_reply
from botcopy_handover.models.webhook import HandoverRequest
from botcopy_handover.testing._requests import (
    build_webhook_request,
    sample_customer_message,
    sample_handover,
)
from botcopy_handover.testing.emulator import DEFAULT_ACCESS_TOKEN
from botcopy_handover.webhook import parse_webhook

__all__ = ["ACCESS_TOKEN_ENV", "MAX_TIMEOUT", "register", "run"]

ACCESS_TOKEN_ENV = "BOTCOPY_ACCESS_TOKEN"  # noqa: S105 - a variable's name, not a token

MAX_TIMEOUT = 300.0
"""The longest ``--timeout`` accepted, in seconds."""

_KINDS = {
    "handover": "Step One: handover request",
    "message": "Step Two: customer message",
}

_HELP = "POST a signed Step One or Step Two body to any webhook URL; show the answer"
_DESCRIPTION = f"""\
Send one webhook call, as Botcopy would, to the proxy at --to: "handover" is
Step One (a handover trigger fired), "message" is Step Two (the customer
wrote while paused). The body is a realistic sample, or the saved body in
--body FILE ("-" reads stdin), with the access token in Authorization and in
the body's accessToken. Prints the status, the time it took, and the reply.

The access token is --access-token, else ${ACCESS_TOKEN_ENV}, else the
emulator's test token (the one "botcopy-handover emulate" prints).

Exit status: 0 when the webhook answered 200 with a valid reply, 1 otherwise.
"""
_EPILOG = f"""\
examples:
  botcopy-handover trigger handover --to http://127.0.0.1:8000/botcopy
  {ACCESS_TOKEN_ENV}=t botcopy-handover trigger message --to http://127.0.0.1:8000/botcopy --text hi
  botcopy-handover trigger handover --to https://proxy.example.com/botcopy --body saved.json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``trigger`` command."""
    parser = subparsers.add_parser(
        "trigger",
        help=_HELP,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "kind",
        choices=tuple(_KINDS),
        metavar="handover|message",
        help="Step One (handover) or Step Two (message)",
    )
    parser.add_argument("--to", required=True, metavar="URL", help="your proxy's webhook URL")
    parser.add_argument(
        "--body",
        metavar="FILE",
        help='a saved webhook body to send instead of the sample ("-": stdin)',
    )
    parser.add_argument(
        "--access-token",
        metavar="TOKEN",
        help=f"the token to sign with (default: ${ACCESS_TOKEN_ENV}, else the emulator's)",
    )
    parser.add_argument(
        "--custom-header", metavar="NAME:VALUE", help="the portal's custom header, if any"
    )
    sample = parser.add_argument_group("the sample body (without --body)")
    sample.add_argument("--text", metavar="TEXT", help="what the customer said")
    sample.add_argument(
        "--user", default="user-1", metavar="USER_ID", help="(default: %(default)s)"
    )
    sample.add_argument("--bot", default="bot-1", metavar="BOT_ID", help="(default: %(default)s)")
    sample.add_argument(
        "--platform", choices=("es", "cx"), default="es", help="Dialogflow ES or CX (Step One)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds_in(0, MAX_TIMEOUT, low_included=False),
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the answer (default: %(default)s; Botcopy waits 5)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(handler=run)


def _body(args: argparse.Namespace) -> dict[str, Any]:
    """The body to send: the saved one (checked to be of the kind asked for), or a sample."""
    if args.body is None:
        if args.kind == "handover":
            text = args.text or "I want to talk to a human"
            return sample_handover(text, bot_id=args.bot, user_id=args.user, platform=args.platform)
        return sample_customer_message(
            args.text or "Hello, is anyone there?", bot_id=args.bot, user_id=args.user
        )
    raw = read_input(args.body, what="webhook body")
    event = parse_webhook(raw)  # a clear InvalidPayloadError, field by field, if it is not one
    expected_name = _KINDS[args.kind]
    if isinstance(event, HandoverRequest) != (args.kind == "handover"):
        other = "message" if args.kind == "handover" else "handover"
        raise InvalidPayloadError(
            f"{args.body} holds a {_KINDS[other]} body, not a {expected_name} body: "
            f"use 'trigger {other}'"
        )
    data: dict[str, Any] = json.loads(raw)
    return data


def _reply(response: httpx.Response) -> tuple[str | None, str | None]:
    """``(repr of the reply, None)`` for a valid reply, ``(None, why)`` otherwise."""
    try:
        return repr(parse_reply(response.content)), None
    except BotcopyError as exc:
        return None, str(exc)


def run(args: argparse.Namespace) -> int:
    """Build the signed request, send it, and print what came back."""
    url = args.to
    if not url.lower().startswith(("http://", "https://")):
        raise ConfigurationError("--to must be an http:// or https:// URL")
    token = args.access_token or os.environ.get(ACCESS_TOKEN_ENV) or DEFAULT_ACCESS_TOKEN
    check = "--access-token" if args.access_token else f"${ACCESS_TOKEN_ENV} (or --access-token)"
    request = build_webhook_request(
        _body(args), access_token=token, custom_header=custom_header(args.custom_header)
    )
    status: int | None = None
    text = ""
    reply = problem = None
    connect_failed = timed_out = False
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=args.timeout) as client:
            response = client.post(url, content=request.body, headers=request.headers)
    except httpx.TimeoutException:
        timed_out = True
    except httpx.HTTPError:
        connect_failed = True
    else:
        status = response.status_code
        text = response.text
        if status == 200:
            reply, problem = _reply(response)
    elapsed = time.perf_counter() - started
    hint = explain_webhook_failure(
        url=clean(url),
        status=status,
        connect_failed=connect_failed,
        timed_out=timed_out,
        check_flag=check,
    )
    if problem is not None:
        hint = f"the webhook answered 200 but not with a reply Botcopy reads: {problem}"
    ok = reply is not None
    if args.json:
        result = {
            "ok": ok,
            "kind": args.kind,
            "url": url,
            "status": status,
            "elapsed": round(elapsed, 4),
            "body": text,
            "reply": reply,
            "hint": hint,
        }
        print(json.dumps(result, ensure_ascii=False))
        return 0 if ok else 1
    _print(args, url, len(request.body), status, elapsed, text, reply, hint)
    return 0 if ok else 1


def _print(
    args: argparse.Namespace,
    url: str,
    size: int,
    status: int | None,
    elapsed: float,
    text: str,
    reply: str | None,
    hint: str | None,
) -> None:
    out = Style(sys.stdout)
    print(f"POST {clean(url)}  ({_KINDS[args.kind]}, {size} bytes)")
    took = f"{elapsed * 1000:.1f} ms"
    if status is None:
        print(f"{out.bad('no answer')} after {took}")
    else:
        paint = out.good if status == 200 else out.bad
        print(f"{paint(f'HTTP {status}')} in {took}")
        if text:
            print(clean(text[:2000]))
    if reply is not None:
        print(f"reply: {out.strong(reply)}")
    if hint is not None:
        print(Style(sys.stderr).warn(f"hint: {hint}"), file=sys.stderr)
