"""``botcopy-handover push``: send an agent's message, pause, resume or typing indicator.

The API key comes from an environment variable only (``BOTCOPY_API_KEY``, or
the one ``--api-key-env`` names), never from an argument: arguments show in
``ps`` and in shell history.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from botcopy_handover._errors import ConfigurationError, ErrorDetail, InvalidEventError
from botcopy_handover.cli._common import clean, int_in, read_input
from botcopy_handover.cli._style import Style
from botcopy_handover.client import Client
from botcopy_handover.models.push import (
    MessageEvent,
    PauseEvent,
    PushEvent,
    ResumeEvent,
    TypingEvent,
)
from botcopy_handover.models.replies import DEFAULT_MINUTES_PAUSED, MAX_MINUTES_PAUSED

__all__ = ["register", "run"]

API_KEY_ENV = "BOTCOPY_API_KEY"
BASE_URL_ENV = "BOTCOPY_BASE_URL"

_HELP = "push an agent's message, pause, resume or typing indicator to a customer"
_DESCRIPTION = f"""\
Send one event to Botcopy's push endpoint (or to a local emulator with
--base-url), as your proxy would for a live agent.

The API key is read from the environment variable {API_KEY_ENV}, or from
the one --api-key-env names; it is never taken as an argument (arguments
show in "ps" and in shell history) and never printed.
"""
_EPILOG = f"""\
examples:
  export {API_KEY_ENV}=...
  botcopy-handover push pause --user u1 --bot b1 --agent-name Dana --minutes 30
  botcopy-handover push typing --user u1 --bot b1
  botcopy-handover push message --user u1 --bot b1 "Hi, I'm Dana. How can I help?"
  echo "a longer answer" | botcopy-handover push message --user u1 --bot b1 -
  botcopy-handover push resume --user u1 --bot b1 --unpause-event none
  botcopy-handover push message --base-url http://127.0.0.1:8765 --user u1 --bot b1 hi
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``push`` command and its four events."""
    parser = subparsers.add_parser(
        "push",
        help=_HELP,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    events = parser.add_subparsers(title="events", metavar="EVENT", required=True)
    common = _common_options()
    minutes = _minutes_option()

    message = events.add_parser(
        "message",
        parents=[common, minutes],
        allow_abbrev=False,
        help="send the agent's text to the customer",
        description="Send the agent's text to the customer (eventType message).",
    )
    message.add_argument("text", metavar="TEXT", help='the message; "-" reads it from stdin')
    message.set_defaults(handler=run, event="message")

    pause = events.add_parser(
        "pause",
        parents=[common, minutes],
        allow_abbrev=False,
        help='pause the bot: "You are now chatting with an Agent."',
        description=(
            "Pause the bot and show the customer that an agent has joined "
            "(channel_update with paused: true), with the agent's name and avatar if given."
        ),
    )
    pause.add_argument(
        "--agent-name", metavar="NAME", help="the agent's name, shown to the customer"
    )
    pause.add_argument(
        "--agent-avatar-url", metavar="URL", help="an absolute http(s) URL of the agent's picture"
    )
    pause.set_defaults(handler=run, event="pause")

    resume = events.add_parser(
        "resume",
        parents=[common],
        allow_abbrev=False,
        help="hand the customer back to the bot",
        description="Hand the customer back to the bot (channel_update with paused: false).",
    )
    resume.add_argument(
        "--unpause-event",
        metavar="EVENT",
        help='"default" (the "NAME has left" message), "none" (no message), '
        "or a Dialogflow event to fire as the bot resumes",
    )
    resume.set_defaults(handler=run, event="resume")

    typing = events.add_parser(
        "typing",
        parents=[common, minutes],
        allow_abbrev=False,
        help="show the typing indicator (it vanishes after 10 s)",
        description="Show the agent's typing indicator; Botcopy hides it after 10 seconds.",
    )
    typing.set_defaults(handler=run, event="typing")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    who = common.add_argument_group("customer")
    who.add_argument("--user", required=True, metavar="USER_ID", help="the webhook's userId")
    who.add_argument("--bot", required=True, metavar="BOT_ID", help="the webhook's botId")
    where = common.add_argument_group("connection")
    where.add_argument(
        "--api-key-env",
        metavar="NAME",
        default=API_KEY_ENV,
        help=f"the environment variable holding the API key (default: {API_KEY_ENV})",
    )
    where.add_argument(
        "--base-url",
        metavar="URL",
        help=f"where to push (default: ${BASE_URL_ENV}, else Botcopy's own API)",
    )
    where.add_argument(
        "--no-retry",
        action="store_true",
        help="send once: no retry on 429, 503 or a refused connection",
    )
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    return common


def _minutes_option() -> argparse.ArgumentParser:
    minutes = argparse.ArgumentParser(add_help=False)
    minutes.add_argument(
        "--minutes",
        type=int_in(1, MAX_MINUTES_PAUSED),
        default=DEFAULT_MINUTES_PAUSED,
        metavar="N",
        help=f"keep the bot paused N more minutes (default: {DEFAULT_MINUTES_PAUSED})",
    )
    return minutes


_FLAGS = {
    "user_id": "--user",
    "userId": "--user",
    "bot_id": "--bot",
    "botId": "--bot",
    "minutes_paused": "--minutes",
    "minutesPaused": "--minutes",
    "agent_name": "--agent-name",
    "agentName": "--agent-name",
    "agent_avatar_url": "--agent-avatar-url",
    "agentAvatarUrl": "--agent-avatar-url",
    "unpause_event": "--unpause-event",
    "unpauseEvent": "--unpause-event",
    "text": "TEXT",
}
"""The command line's name for each event field, for error messages."""


def _as_flags(exc: InvalidEventError, event: str) -> InvalidEventError:
    """The same error, its problems named by the flags that set them, not by model fields."""
    details = tuple(
        ErrorDetail(
            path=_FLAGS.get(detail.path, detail.path),
            message=detail.message.removeprefix("Value error, "),
            type=detail.type,
        )
        for detail in exc.errors
    )
    if not details:
        return exc
    return InvalidEventError(f"invalid {event}", details)


def _event(args: argparse.Namespace) -> PushEvent:
    """The event the arguments describe; ``InvalidEventError``, naming flags, if it is not valid."""
    try:
        return _build_event(args)
    except InvalidEventError as exc:
        raise _as_flags(exc, args.event) from None


def _build_event(args: argparse.Namespace) -> PushEvent:
    ids: dict[str, Any] = {"user_id": args.user, "bot_id": args.bot}
    if args.event == "message":
        text = args.text
        if text == "-":
            text = read_input("-", what="message text").decode("utf-8", errors="replace")
            text = text.removesuffix("\n")
        return MessageEvent(**ids, text=text, minutes_paused=args.minutes)
    if args.event == "pause":
        return PauseEvent(
            **ids,
            minutes_paused=args.minutes,
            agent_name=args.agent_name,
            agent_avatar_url=args.agent_avatar_url,
        )
    if args.event == "resume":
        return ResumeEvent(**ids, unpause_event=args.unpause_event)
    return TypingEvent(**ids, minutes_paused=args.minutes)


def _api_key(name: str) -> str:
    key = os.environ.get(name, "")
    if not key.strip():
        hint = "" if name != API_KEY_ENV else " (or name another variable with --api-key-env)"
        raise ConfigurationError(f"no API key: set the environment variable {name}{hint}")
    return key


def run(args: argparse.Namespace) -> int:
    """Validate the event, send it, and report what was sent."""
    # Validate first, so a bad event fails before the key is even looked for.
    event = _event(args)
    api_key = _api_key(args.api_key_env)
    base_url = args.base_url or os.environ.get(BASE_URL_ENV) or None
    retries = 0 if args.no_retry else None
    with Client(api_key=api_key, base_url=base_url, max_retries=retries) as client:
        result = client.send(event)
    if args.json:
        report = {
            "sent": True,
            "event": event.to_dict(),
            "status": result.status_code,
            "attempts": result.attempts,
            "elapsed": round(result.elapsed, 4),
        }
        print(json.dumps(report, ensure_ascii=False))
    else:
        tries = "1 attempt" if result.attempts == 1 else f"{result.attempts} attempts"
        done = Style(sys.stdout).good(_describe(event))
        print(f"{done} (HTTP {result.status_code}, {tries})")
    return 0


def _describe(event: PushEvent) -> str:
    who = f"customer {clean(event.user_id)} on bot {clean(event.bot_id)}"
    if isinstance(event, MessageEvent):
        return f"sent message to {who} (paused {event.minutes_paused} more minutes)"
    if isinstance(event, PauseEvent):
        agent = f" as {clean(event.agent_name)}" if event.agent_name else ""
        return f"paused the bot for {who}{agent} ({event.minutes_paused} minutes)"
    if isinstance(event, ResumeEvent):
        how = f", unpause event {clean(event.unpause_event)}" if event.unpause_event else ""
        return f"resumed the bot for {who}{how}"
    return f"showed the typing indicator to {who}"
