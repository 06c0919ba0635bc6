"""Reading request headers in whatever shape a framework hands them over.

Accepted: any mapping (``dict``, Starlette's ``Headers``, Django's
``request.headers``, aiohttp's ``CIMultiDictProxy``), anything with an
``items()`` method (Werkzeug's ``Headers``), or an iterable of ``(name, value)``
pairs as ``str`` or ``bytes`` (the ASGI ``scope["headers"]`` list). Names are
matched case-insensitively; values are kept exactly as sent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Protocol, TypeAlias

__all__ = ["HeadersLike", "is_json_content_type", "pick_headers"]


class _SupportsItems(Protocol):
    def items(self) -> Iterable[tuple[str, str]]: ...


HeadersLike: TypeAlias = (
    Mapping[str, str] | _SupportsItems | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]
)
"""Request headers: a mapping, an object with ``items()``, or ``(name, value)`` pairs."""


def _text(value: str | bytes) -> str:
    # HTTP header bytes are Latin-1 by definition (RFC 9110); this never fails.
    return value.decode("latin-1") if isinstance(value, bytes) else value


@functools.lru_cache(maxsize=64)
def _raw_names(names: frozenset[str]) -> frozenset[bytes] | None:
    """``names`` as bytes, when all are ASCII (header names are): ``None`` otherwise."""
    if all(name.isascii() for name in names):
        return frozenset(name.encode("ascii") for name in names)
    return None


def pick_headers(headers: HeadersLike, names: frozenset[str]) -> dict[str, list[str]]:
    """The values of the headers named in ``names`` (lower-case), every occurrence kept.

    Only the wanted headers are collected, so a request with many headers
    costs one pass and a few lookups. Raw ``bytes`` names (ASGI, aiohttp) are
    matched as bytes and only the wanted ones decoded: Latin-1 text lower-cases
    ASCII to ASCII and nothing else to ASCII, so ``bytes.lower`` matches
    exactly the names ``str.lower`` would.
    """
    items: Iterable[tuple[str | bytes, str | bytes]]
    items = headers.items() if hasattr(headers, "items") else headers
    raw = _raw_names(names)
    found: dict[str, list[str]] = {}
    for name, value in items:
        if raw is not None and type(name) is bytes:
            lowered = name.lower()
            if lowered in raw:
                found.setdefault(lowered.decode("ascii"), []).append(_text(value))
            continue
        key = _text(name).lower()
        if key in names:
            found.setdefault(key, []).append(_text(value))
    return found


_JSON_TYPES = frozenset({"application/json"})


def is_json_content_type(value: str | None) -> bool:
    """Whether a ``Content-Type`` value names JSON; parameters such as ``charset`` are allowed.

    ``application/json`` and structured-syntax types such as
    ``application/vnd.botcopy+json`` count as JSON; a missing value does not.

    Examples:
        >>> is_json_content_type("application/json; charset=utf-8")
        True
        >>> is_json_content_type("text/plain")
        False

    """
    if not value:
        return False
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
