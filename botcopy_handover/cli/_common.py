"""Helpers the commands share: reading input, cleaning text for a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.transcript import _clean

__all__ = ["clean", "read_input"]


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
