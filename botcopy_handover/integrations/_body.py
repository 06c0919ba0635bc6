"""Reading a request body in chunks and giving up as soon as it passes the limit."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

__all__ = ["aread_limited", "read_limited"]

_CHUNK = 64 * 1024


def read_limited(read: Callable[[int], bytes], limit: int) -> bytes | None:
    """The body from a file-like ``read``, or ``None`` as soon as it grows past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while chunk := read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def aread_limited(chunks: AsyncIterable[bytes], limit: int) -> bytes | None:
    """The body from an async stream of chunks, or ``None`` once it grows past ``limit``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)
