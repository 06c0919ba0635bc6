"""Colour for people, plain text for pipes: ANSI colour only on a terminal, never with ``NO_COLOR``.

Follows https://no-color.org: any non-empty ``NO_COLOR`` turns colour off;
so does ``TERM=dumb``, and so does a stream that is not a terminal (a pipe,
a file), so scripts and logs never see escape sequences.
"""

from __future__ import annotations

import os
from typing import TextIO

__all__ = ["Style", "wants_color"]

_RESET = "\033[0m"


def wants_color(stream: TextIO) -> bool:
    """Whether text written to ``stream`` should be coloured."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


class Style:
    """Paint text for one stream; a no-op when that stream should stay plain."""

    def __init__(self, stream: TextIO) -> None:
        self.enabled = wants_color(stream)

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}{_RESET}" if self.enabled else text

    def good(self, text: str) -> str:
        """Green: it worked."""
        return self._paint(text, "32")

    def bad(self, text: str) -> str:
        """Bold red: it failed."""
        return self._paint(text, "1;31")

    def warn(self, text: str) -> str:
        """Yellow: worth a look."""
        return self._paint(text, "33")

    def strong(self, text: str) -> str:
        """Bold."""
        return self._paint(text, "1")

    def quiet(self, text: str) -> str:
        """Dim: secondary detail."""
        return self._paint(text, "2")
