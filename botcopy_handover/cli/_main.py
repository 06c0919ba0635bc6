"""The command line's parser and entry point (see the package docstring)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from botcopy_handover._errors import BotcopyError
from botcopy_handover._version import __version__
from botcopy_handover.cli import _console, _emulate, _parse, _push, _send, _trigger
from botcopy_handover.cli._style import Style

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (_emulate, _send, _trigger, _push, _parse, _console)
"""The command modules, in the order ``--help`` lists them."""

_DESCRIPTION = """\
Develop and test a Botcopy live-chat proxy from the shell: run a local
Botcopy emulator and talk to your proxy as the customer, fire a signed
webhook call at any proxy, push agent messages, pauses, resumes and typing
indicators to Botcopy (or the emulator), and read webhook bodies.

Output is coloured on a terminal; NO_COLOR=1 (or a pipe) keeps it plain.
"""

_EPILOG = """\
Run "botcopy-handover COMMAND --help" for a command's options.
Exit status: 0 done, 1 error, 2 wrong usage, 130 interrupted.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``botcopy-handover`` argument parser, with every command in `COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="botcopy-handover",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _unrecognized(unknown: list[str]) -> str:
    """Name unknown options without their values: a mistyped option may carry a secret."""
    flags = [arg for arg in unknown if arg.startswith("-") and arg != "-"]
    options = [flag.split("=", 1)[0] for flag in flags]
    values = len(unknown) - len(flags) + sum("=" in flag for flag in flags)
    parts = [", ".join(options)] if options else []
    if values:
        parts.append(f"{values} value{'s' if values > 1 else ''} (not shown)")
    return "unrecognized arguments: " + " and ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            parser.error(_unrecognized(unknown))
        status: int = args.handler(args)
    except SystemExit as exc:
        # argparse exits for --help, --version (0) and usage errors (2).
        return exc.code if isinstance(exc.code, int) else 1
    except BotcopyError as exc:
        print(f"{Style(sys.stderr).bad('error:')} {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return status
