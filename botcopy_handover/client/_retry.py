"""When to retry a push, and how long to wait first.

The push endpoint has no idempotency key, so a retried ``message`` that had
in fact reached Botcopy shows the customer the same text twice. The rule is
therefore: by default retry only what surely did not arrive (the connection
was never made, or Botcopy answered 429/503 and so did not act on it);
everything that *may* have arrived (a timeout after the request was written,
a dropped connection, other 5xx) is retried only when the caller opts in.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["SAFE_STATUSES", "RetryPolicy", "is_unsafe_retryable_status", "parse_retry_after"]

SAFE_STATUSES = frozenset({429, 503})
"""Statuses that say Botcopy did not act on the request and may be retried at once."""


def is_unsafe_retryable_status(status_code: int) -> bool:
    """Whether ``status_code`` may be retried when the caller accepts duplicates (408, 5xx)."""
    return status_code == 408 or 500 <= status_code <= 599


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    Returns ``None`` when the header is missing or unreadable; a date in the
    past counts as zero.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT, even when unmarked
            return None
        return max(0.0, when.timestamp() - now())
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry a push and how long to wait between attempts.

    The wait before retry ``n`` (1-based) is ``initial_backoff * 2 ** (n - 1)``,
    capped at ``max_backoff``, then reduced by a random share of up to
    ``jitter`` so that many clients do not retry in step. When Botcopy sends
    ``Retry-After`` that wait is used instead, unless it is longer than
    ``max_retry_after``: then the SDK does not retry at all and raises, so it
    never calls back earlier than Botcopy asked.

    Args:
        max_retries: Retries after the first attempt (``0`` turns retries off).
        initial_backoff: Seconds before the first retry.
        max_backoff: The longest computed wait, in seconds.
        jitter: The largest share (``0`` to ``1``) taken off a computed wait at random.
        max_retry_after: The longest ``Retry-After`` the SDK will wait, in seconds.
        random: Returns a float in ``[0, 1)``; injectable for tests.

    Example::

        Client(retry=RetryPolicy(max_retries=5, max_retry_after=30))

    """

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 20.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        from botcopy_handover._errors import ConfigurationError

        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ConfigurationError("max_retries must be a whole number")
        if self.max_retries < 0:
            raise ConfigurationError("max_retries must not be negative")
        for name in ("initial_backoff", "max_backoff", "max_retry_after"):
            if not getattr(self, name) >= 0:
                raise ConfigurationError(f"{name} must be a number of seconds, zero or more")
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError("jitter must be between 0 and 1")

    def backoff(self, retry: int) -> float:
        """The wait in seconds before retry number ``retry`` (1-based), with jitter."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (retry - 1))
        return base * (1 - self.jitter * self.random())

    def delay(self, retry: int, retry_after: float | None) -> float | None:
        """The wait before retry ``retry``, or ``None`` when it must not happen.

        ``None`` when the retries are used up, or when Botcopy asked to wait
        longer than ``max_retry_after``.
        """
        if retry > self.max_retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retry)
