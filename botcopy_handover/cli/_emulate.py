"""``botcopy-handover emulate``: run a local Botcopy until Ctrl-C.

Needs the ``testing`` extra (uvicorn, Starlette). The emulator's settings are
test values, so unlike ``push`` this command takes them as arguments too.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from botcopy_handover._errors import ConfigurationError

__all__ = ["DEFAULT_PORT", "register", "run"]

DEFAULT_PORT = 8765
"""Where ``emulate`` listens, and ``send`` looks, by default."""

_HELP = "run a local Botcopy emulator (push endpoint, scripted customer and bot)"
_DESCRIPTION = """\
Run a local Botcopy on loopback until Ctrl-C: its push endpoint
(POST /webhooks/handover/push) checks and applies what your proxy sends, and
its scripted customer and Dialogflow bot call your proxy's webhook with Step
One and Step Two (drive them with "botcopy-handover send", or over the control
API under /emulator/). Every push and webhook call is printed as it happens.

Point your proxy at it with BOTCOPY_BASE_URL=http://HOST:PORT and the API key.
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
        type=int,
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
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for your webhook's reply (Botcopy: %(default)s)",
    )
    parser.set_defaults(handler=run)


def _custom_header(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    name, sep, header_value = value.partition(":")
    if not sep or not name.strip() or not header_value.strip():
        raise ConfigurationError("--custom-header must look like NAME:VALUE")
    return name.strip(), header_value.strip()


def run(args: argparse.Namespace) -> int:
    """Serve the emulator in the foreground."""
    try:
        from botcopy_handover.testing._server import LoopbackServer
        from botcopy_handover.testing.emulator import (
            DEFAULT_ACCESS_TOKEN,
            DEFAULT_API_KEY,
            BotcopyEmulator,
        )
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            f'the emulator needs the testing extra: pip install "botcopy-handover[testing]" ({exc})'
        ) from None
    emulator = BotcopyEmulator(
        webhook_url=args.webhook_url,
        access_token=args.access_token
        or os.environ.get("BOTCOPY_ACCESS_TOKEN")
        or DEFAULT_ACCESS_TOKEN,
        api_key=args.api_key or os.environ.get("BOTCOPY_API_KEY") or DEFAULT_API_KEY,
        custom_header=_custom_header(args.custom_header),
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
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("botcopy_handover.emulator").setLevel(logging.INFO)
    print(f"Botcopy emulator on {server.url}", flush=True)
    print(f"  push endpoint  {server.url}/webhooks/handover/push", flush=True)
    print(f"  control API    {server.url}/emulator/", flush=True)
    print(f"  webhook        {args.webhook_url or '(none: set --webhook-url)'}", flush=True)
    # Ctrl-C is how an emulator is meant to stop (uvicorn re-raises it on
    # some Python versions and not on others): a clean end, not an error.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    print("emulator stopped", flush=True)
    return 0
