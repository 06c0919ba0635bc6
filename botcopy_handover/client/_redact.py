"""Keep a secret (the push API key) out of every text an error or a log line shows.

A server, or a proxy in between, that echoes the ``Authorization`` value into
a malformed status line or header makes h11 and aiohttp quote it in their
exception messages; aiohttp also keeps the request headers on its errors. The
SDK chains those exceptions to its own, so it scrubs the whole chain in place
before raising. [`RedactingFilter`][botcopy_handover.client.RedactingFilter] does the same for log
records,
for
the third-party loggers (``httpx``, ``httpcore``) the SDK does not write.

Not only the key is found, but any piece of it of 8 characters or more, also
in the forms other text quotes it in (``repr`` of a ``str`` or ``bytes``, JSON,
percent-encoding): a parser that cuts a long line short must not leak the
first half of the key.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

__all__ = ["REDACTED", "RedactingFilter", "Redactor"]

REDACTED = "[redacted]"
_PIECE = 8  # the shortest piece of a secret that is redacted on its own
_DEPTH = 4  # how deep into an exception's attributes values are looked at


def _forms(secret: str) -> set[str]:
    forms = {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
    }
    return {form for form in forms if form}


class Redactor:
    """Finds secrets, or any piece of 8 or more characters of one, and replaces them.

    Args:
        secrets: The secrets; empty strings are ignored.

    """

    __slots__ = ("_chunks", "_grams")

    def __init__(self, secrets: Iterable[str]) -> None:
        grams: dict[int, set[str]] = {}
        chunks: set[str] = set()
        for secret in secrets:
            for form in _forms(secret):
                size = min(_PIECE, len(form))
                grams.setdefault(size, set()).update(
                    form[i : i + size] for i in range(len(form) - size + 1)
                )
                # Any piece of 8 characters holds one of these aligned 4-character
                # chunks: a cheap first search that rules out most text at C speed.
                step = min(_PIECE // 2, len(form))
                chunks.update(form[i : i + step] for i in range(0, len(form) - step + 1, step))
        self._grams = grams
        self._chunks = tuple(sorted(chunks))

    def text(self, text: str) -> str:
        """``text`` with every secret (or piece of one) replaced by ``[redacted]``."""
        if not any(chunk in text for chunk in self._chunks):
            return text
        covered = bytearray(len(text))
        for size, grams in self._grams.items():
            for i in range(len(text) - size + 1):
                if text[i : i + size] in grams:
                    covered[i : i + size] = b"\x01" * size
        if not any(covered):
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            if covered[i]:
                out.append(REDACTED)
                while i < len(text) and covered[i]:
                    i += 1
            else:
                j = covered.find(1, i)
                j = len(text) if j < 0 else j
                out.append(text[i:j])
                i = j
        return "".join(out)

    def binary(self, data: bytes) -> bytes:
        """``data`` redacted as [`text`][botcopy_handover.AgentMessage.text] does, reading it as Latin-1."""  # noqa: E501 - a link in the summary
        text = data.decode("latin-1")
        redacted = self.text(text)
        return data if redacted is text else redacted.encode("latin-1")

    def value(self, value: Any, depth: int = 0) -> Any:
        """``value`` with secrets redacted: the same object when it holds none.

        Strings, bytes, tuples (named ones kept), lists, dicts, multidicts and
        httpx headers are rebuilt; an ``httpx.Request`` or ``Response`` gets
        redacted headers in place; other objects are left as they are.
        """
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.binary(value)
        if isinstance(value, bytearray):
            redacted = self.binary(bytes(value))
            return value if redacted == value else bytearray(redacted)
        if depth >= _DEPTH:
            return value
        if isinstance(value, (httpx.Request, httpx.Response)):
            value.headers = self.value(value.headers, depth + 1)
            return value
        if isinstance(value, httpx.Headers):
            items = [(k, self.text(v)) for k, v in value.multi_items()]
            if items == value.multi_items():
                return value
            return httpx.Headers(items)
        if isinstance(value, tuple):
            items = [self.value(v, depth + 1) for v in value]
            if all(a is b for a, b in zip(items, value, strict=True)):
                return value
            make = getattr(type(value), "_make", None)  # a named tuple keeps its type
            return make(items) if make is not None else tuple(items)
        if isinstance(value, list):
            items = [self.value(v, depth + 1) for v in value]
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if isinstance(value, dict):
            new = {k: self.value(v, depth + 1) for k, v in value.items()}
            return value if all(new[k] is v for k, v in value.items()) else new
        if type(value).__module__.startswith("multidict"):
            return self._multidict(value, depth)
        return value

    def _multidict(self, value: Any, depth: int) -> Any:
        # aiohttp keeps the request headers (the key) on its errors, in a CIMultiDictProxy.
        items = [(k, self.value(v, depth + 1)) for k, v in value.items()]
        if all(a[1] is b for a, b in zip(items, value.values(), strict=True)):
            return value
        multidict = sys.modules["multidict"]
        name = type(value).__name__
        base = getattr(multidict, name.removesuffix("Proxy"), None)
        if base is None:  # pragma: no cover - an unknown multidict type: a plain one will do
            return multidict.CIMultiDict(items)
        built = base(items)
        return type(value)(built) if name.endswith("Proxy") else built

    def exception(self, exc: BaseException) -> None:
        """Redact, in place, every exception chained to ``exc`` and ``exc`` itself.

        Follows ``__cause__``, ``__context__`` and exception groups; rewrites
        each one's ``args``, its attributes and its notes.
        """
        todo: list[BaseException] = [exc]
        seen: set[int] = set()
        while todo:
            current = todo.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            current.args = self.value(current.args)
            for name, value in list(getattr(current, "__dict__", {}).items()):
                redacted = self.value(value)
                if redacted is not value:
                    with contextlib.suppress(AttributeError, TypeError):  # a read-only one
                        setattr(current, name, redacted)
            todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
            todo.extend(getattr(current, "exceptions", ()))


class RedactingFilter(logging.Filter):
    """A logging filter that takes secrets out of every record it sees.

    The SDK's own log lines never hold the API key. Third-party loggers may:
    at ``DEBUG``, ``httpcore`` prints the response headers it receives, and
    ``httpx`` prints the reason phrase at ``INFO``, so a server that echoes
    the key puts it there. Attach this filter to your **handlers** (a filter
    on a logger does not see its child loggers' records, such as
    ``httpcore.http11``); it rewrites the message, the formatted traceback and
    the stack of each record that holds a secret, or any 8-character piece of
    one, and lets every record through.

    Args:
        secrets: The secrets to redact, such as the push API key.

    Raises:
        ConfigurationError: no non-empty secret was given.

    Example::

        import logging, os
        from botcopy_handover.client import RedactingFilter

        handler = logging.StreamHandler()
        handler.addFilter(RedactingFilter(os.environ["BOTCOPY_API_KEY"]))
        logging.basicConfig(level=logging.DEBUG, handlers=[handler])

    """

    def __init__(self, *secrets: str) -> None:
        from botcopy_handover._errors import ConfigurationError

        super().__init__()
        if not all(isinstance(s, str) for s in secrets) or not any(s.strip() for s in secrets):
            raise ConfigurationError("RedactingFilter needs at least one secret string")
        self._redactor = Redactor(s.strip() for s in secrets if s.strip())

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        redactor = self._redactor
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it itself
            message = str(record.msg)
        redacted = redactor.text(message)
        if redacted is not message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            redactor.exception(record.exc_info[1])
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.text(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.text(record.stack_info)
        return True
