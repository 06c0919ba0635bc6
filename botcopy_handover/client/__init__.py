"""Push events to the customer: ``Client`` (blocking) and ``AsyncClient`` (asyncio).

* `._base` — the one core: settings, request building, retry decisions,
  error mapping, logging. No I/O.
* `._sync`, `._async` — the I/O over httpx (and `._aiohttp`).
* `._retry` — what may be retried and how long to wait.
* `._redact` — the API key kept out of errors and logs.
* `._recording` — accepted pushes recorded in the store, within a bound.
* `._keepalive` — the typing indicator kept up while an agent types.
"""

from botcopy_handover.client._async import AsyncClient, AsyncConversation
from botcopy_handover.client._base import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, PushResult
from botcopy_handover.client._keepalive import (
    DEFAULT_TYPING_INTERVAL,
    AsyncTypingKeepalive,
    TypingKeepalive,
)
from botcopy_handover.client._redact import RedactingFilter
from botcopy_handover.client._retry import RetryPolicy
from botcopy_handover.client._sync import Client, Conversation

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TYPING_INTERVAL",
    "AsyncClient",
    "AsyncConversation",
    "AsyncTypingKeepalive",
    "Client",
    "Conversation",
    "PushResult",
    "RedactingFilter",
    "RetryPolicy",
    "TypingKeepalive",
]
