"""``botcopy-handover console``: a live-chat desk for agents, in the browser.

Needs the ``console`` extra (uvicorn, Starlette), and ``redis`` for
``--redis-url``. Configured like every proxy, from the environment:
``BOTCOPY_ACCESS_TOKEN``, ``BOTCOPY_API_KEY``, ``BOTCOPY_BASE_URL``; on any
address but loopback, agents log in with ``BOTCOPY_CONSOLE_SECRET``.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import sys

from botcopy_handover._errors import ConfigurationError

__all__ = ["DEFAULT_PORT", "register", "run"]

DEFAULT_PORT = 8000
"""Where ``console`` listens by default."""

_HELP = "run the agent console: Botcopy's webhook at /botcopy, the agents' page at /"
_DESCRIPTION = """\
Run a live-chat desk for agents: Botcopy calls its webhook at /botcopy when a
customer asks for a human, agents answer them in the browser at /.

From the environment: BOTCOPY_ACCESS_TOKEN (the webhook's token),
BOTCOPY_API_KEY and BOTCOPY_BASE_URL (pushes). The page is served on
loopback only, without a login; with --host on any other address, agents log
in with the shared secret in BOTCOPY_CONSOLE_SECRET (required then).
"""
_EPILOG = """\
examples:
  botcopy-handover console
  botcopy-handover console --port 8001 --redis-url redis://127.0.0.1:6379/0
  BOTCOPY_CONSOLE_SECRET=... botcopy-handover console --host 0.0.0.0
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``console`` command."""
    parser = subparsers.add_parser(
        "console",
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
        "--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)"
    )
    parser.add_argument(
        "--redis-url",
        metavar="URL",
        help="share conversations with other console processes through this Redis",
    )
    parser.add_argument(
        "--redis-prefix",
        default="botcopy:",
        metavar="PREFIX",
        help="namespace of the keys in Redis (default: %(default)s)",
    )
    parser.add_argument(
        "--minutes-paused",
        type=int,
        default=10,
        metavar="N",
        help="how long a pause lasts without a message (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Serve the console in the foreground until Ctrl-C."""
    try:
        import uvicorn

        from botcopy_handover.console import SECRET_ENV_VAR, ConsoleConfig, create_app
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            f'the console needs its extra: pip install "botcopy-handover[console]" ({exc})'
        ) from None
    secret = os.environ.get(SECRET_ENV_VAR) or None
    if not _is_loopback(args.host) and secret is None:
        raise ConfigurationError(
            f"--host {args.host} serves the console beyond this machine: "
            f"set {SECRET_ENV_VAR} to the agents' shared secret"
        )
    config = ConsoleConfig(
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        login_secret=secret,
        minutes_paused=args.minutes_paused,
    )
    app = create_app(config)
    print(f"Agent console on http://{args.host}:{args.port}/", flush=True)
    print(f"  webhook   http://{args.host}:{args.port}/botcopy", flush=True)
    print(f"  login     {'shared secret' if secret else 'none (loopback only)'}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            ws="wsproto",
        )
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    print("console stopped", flush=True, file=sys.stdout)
    return 0
