"""What the commands share: reading input, cleaning text, range checks, failure hints."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.transcript import _clean

__all__ = [
    "PORT",
    "clean",
    "custom_header",
    "explain_webhook_failure",
    "int_in",
    "read_input",
    "seconds_in",
]


def clean(text: str) -> str:
    """``text`` with control characters (terminal escapes among them) replaced by U+FFFD."""
    return _clean(text)


def read_input(path: str, *, what: str) -> bytes:
    """The bytes of the file at ``path``, or of stdin when ``path`` is ``-``.

    Raises:
        ConfigurationError: the file cannot be read, or stdin is a terminal
            (nothing was piped in, and waiting for typing would look like a hang).

    """
    if path == "-":
        if sys.stdin.isatty():
            raise ConfigurationError(f"no {what} given: name a FILE or pipe the body into stdin")
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(f"cannot read {what} from {path}: {reason}") from None


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``low`` to ``high``, else a usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


def seconds_in(low: float, high: float, *, low_included: bool = True) -> Callable[[str], float]:
    """An argparse ``type``: a duration in seconds within bounds, else a usage error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        above_low = value >= low if low_included else value > low
        if not (math.isfinite(value) and above_low and value <= high):
            span = f"from {low:g} to" if low_included else f"more than {low:g} and at most"
            raise argparse.ArgumentTypeError(f"must be {span} {high:g} seconds, not {text}")
        return value

    return parse


PORT = int_in(0, 65535)
"""An argparse ``type`` for a TCP port (0: any free one)."""


def custom_header(value: str | None) -> tuple[str, str] | None:
    """``NAME:VALUE`` as a pair, ``None`` for ``None``; `ConfigurationError` if malformed."""
    if value is None:
        return None
    name, sep, header_value = value.partition(":")
    if not sep or not name.strip() or not header_value.strip():
        raise ConfigurationError("--custom-header must look like NAME:VALUE")
    return name.strip(), header_value.strip()


def explain_webhook_failure(
    *,
    url: str,
    status: int | None,
    connect_failed: bool = False,
    timed_out: bool = False,
    check_flag: str,
) -> str | None:
    """A hint for a webhook call that went wrong, or ``None`` when there is nothing to add.

    Args:
        url: The webhook's URL.
        status: The HTTP status it answered, if it answered.
        connect_failed: No connection could be made.
        timed_out: No answer in time.
        check_flag: Where the access token sent came from, e.g. ``"--access-token"``.

    """
    if connect_failed:
        return f"could not connect to {url}: is your proxy running there?"
    if timed_out:
        return f"{url} did not answer in time: Botcopy waits 5 seconds for a webhook's reply"
    if status in (401, 403):
        return (
            f"your webhook refused the access token ({status}): check {check_flag} "
            "against the token your proxy expects (its BOTCOPY_ACCESS_TOKEN), "
            "and the custom header if your portal sets one"
        )
    if status == 404:
        return f"nothing answers at {url}: check the webhook's path (e.g. /botcopy)"
    if status in (405, 415):
        return "your webhook refused the request's form: is that URL a Botcopy webhook?"
    if status is not None and status >= 500:
        return "your webhook failed: see your proxy's log"
    return None
