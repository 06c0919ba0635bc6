"""``botcopy-handover emulate``: run a local Botcopy until Ctrl-C.

Needs the ``testing`` extra (uvicorn, Starlette). The emulator's settings are
test values, so unlike ``push`` this command takes them as arguments too.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shlex
import sys

from botcopy_handover._errors import ConfigurationError, MissingDependencyError
from botcopy_handover._extras import require_extra
from botcopy_handover.cli._common import PORT, custom_header, seconds_in
from botcopy_handover.cli._style import Style

__all__ = ["DEFAULT_PORT", "MAX_REPLY_DEADLINE", "export_lines", "register", "run"]

DEFAULT_PORT = 8765
"""Where ``emulate`` listens, and ``send`` looks, by default."""

MAX_REPLY_DEADLINE = 300.0
"""The longest ``--reply-deadline`` accepted, in seconds (Botcopy's own is 5)."""

_HELP = "run a local Botcopy emulator (push endpoint, scripted customer and bot)"
_DESCRIPTION = """\
Run a local Botcopy on loopback until Ctrl-C: its push endpoint
(POST /webhooks/handover/push) checks and applies what your proxy sends, and
its scripted customer and Dialogflow bot call your proxy's webhook with Step
One and Step Two (drive them with "botcopy-handover send", or over the control
API under /emulator/). Every push and webhook call is printed as it happens.

At start it prints the "export BOTCOPY_...=" lines to paste into your
proxy's shell (push URL, API key, access token). Change the webhook URL while
it runs with "botcopy-handover send --webhook-url URL" (or PUT
/emulator/webhook-url).
"""
_EPILOG = """\
examples:
  botcopy-handover emulate --webhook-url http://127.0.0.1:8000/botcopy --access-token t --api-key k
  botcopy-handover emulate --platform cx --custom-header X-Bot-Secret:s3cret
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``emulate`` command."""
    parser = subparsers.add_parser(
        "emulate",
        help=_HELP,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=PORT,
        default=DEFAULT_PORT,
        help="port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-url", metavar="URL", help="your proxy's webhook (Step One and Two)"
    )
    parser.add_argument(
        "--access-token",
        metavar="TOKEN",
        help="sent to your webhook (default: $BOTCOPY_ACCESS_TOKEN, else a test token)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="what your proxy must push with (default: $BOTCOPY_API_KEY, else a test key)",
    )
    parser.add_argument(
        "--custom-header", metavar="NAME:VALUE", help="the portal's custom header, if any"
    )
    parser.add_argument(
        "--platform", choices=("es", "cx"), default="es", help="the bot's Dialogflow edition"
    )
    parser.add_argument(
        "--variant",
        choices=("mixed", "plain"),
        default="mixed",
        help="wire forms: every reading of the document in turn, or the literal one "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--reply-deadline",
        type=seconds_in(0, MAX_REPLY_DEADLINE, low_included=False),
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for your webhook's reply (Botcopy: %(default)s)",
    )
    parser.set_defaults(handler=run)


class _Formatter(logging.Formatter):
    """The message alone; warnings (refused pushes, failed webhook calls) in colour."""

    def __init__(self, style: Style) -> None:
        super().__init__("%(message)s")
        self.style = style

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return self.style.warn(text) if record.levelno >= logging.WARNING else text


def export_lines(url: str, api_key: str | None, access_token: str | None) -> list[str]:
    """The shell lines that point a proxy at this emulator, values quoted for the shell.

    A value given as ``None`` came from this shell's environment, which may
    hold a real secret: it is not printed, only named.
    """
    values = {
        "BOTCOPY_BASE_URL": url,
        "BOTCOPY_API_KEY": api_key,
        "BOTCOPY_ACCESS_TOKEN": access_token,
    }
    return [
        f"export {name}={shlex.quote(value)}"
        if value is not None
        else f"# {name}: as in this shell's environment (not shown)"
        for name, value in values.items()
    ]


def run(args: argparse.Namespace) -> int:
    """Serve the emulator in the foreground."""
    try:
        require_extra("testing", "uvicorn", "starlette", feature="botcopy-handover emulate")
    except MissingDependencyError as exc:
        raise ConfigurationError(str(exc)) from None
    from botcopy_handover.testing._server import LoopbackServer
    from botcopy_handover.testing.emulator import (
        DEFAULT_ACCESS_TOKEN,
        DEFAULT_API_KEY,
        BotcopyEmulator,
    )

    access_token = (
        args.access_token or os.environ.get("BOTCOPY_ACCESS_TOKEN") or DEFAULT_ACCESS_TOKEN
    )
    api_key = args.api_key or os.environ.get("BOTCOPY_API_KEY") or DEFAULT_API_KEY
    # Values from the environment may be real secrets: named, never printed.
    from_env = not args.api_key and bool(os.environ.get("BOTCOPY_API_KEY"))
    shown_key = None if from_env else api_key
    from_env = not args.access_token and bool(os.environ.get("BOTCOPY_ACCESS_TOKEN"))
    shown_token = None if from_env else access_token
    emulator = BotcopyEmulator(
        webhook_url=args.webhook_url,
        access_token=access_token,
        api_key=api_key,
        custom_header=custom_header(args.custom_header),
        platform=args.platform,
        variant=args.variant,
        reply_deadline=args.reply_deadline,
        host=args.host,
    )
    server = LoopbackServer(emulator.asgi_app(), args.host, args.port, lifespan="off")
    try:
        server.bind()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
        ) from None
    style = Style(sys.stdout)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_Formatter(style))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("botcopy_handover.emulator").setLevel(logging.INFO)
    # The emulator prints its own line per webhook call; httpx's "HTTP Request:
    # POST ..." lines would say it twice.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    webhook = args.webhook_url or "(none yet: send --webhook-url URL, or --webhook-url here)"
    lines = [
        f"Botcopy emulator on {style.strong(server.url)}",
        f"  push endpoint  {server.url}/webhooks/handover/push",
        f"  control API    {server.url}/emulator/",
        f"  webhook        {webhook}",
        "",
        style.quiet("Point your proxy at it (paste into its shell):"),
        *(f"  {line}" for line in export_lines(server.url, shown_key, shown_token)),
        "",
    ]
    # Ctrl-C is how an emulator is meant to stop (uvicorn re-raises it on
    # some Python versions and not on others), even right after the banner:
    # a clean end, not an error.
    with contextlib.suppress(KeyboardInterrupt):
        print("\n".join(lines), flush=True)
        server.run()
    print("emulator stopped", flush=True)
    return 0
