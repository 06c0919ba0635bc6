"""Logging refused webhook calls without letting a token scanner flood the logs.

Every refused call (401) is worth a WARNING until there are many: in each
interval the first ``burst`` refusals are logged one by one, the rest only
counted, and the count is logged as one line when the next interval begins
(at the next refusal after it, so a quiet endpoint logs nothing).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from botcopy_handover._errors import ConfigurationError

__all__ = ["RefusalLog"]


class RefusalLog:
    """Logs refused calls: the first ``burst`` of each interval, then a count.

    Args:
        logger: Where the lines go (WARNING).
        burst: Refusals logged one by one in each interval.
        interval: Seconds of an interval.
        clock: Monotonic seconds; inject one in tests.

    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 10,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 0:
            raise ConfigurationError("refusal_log_burst must be zero or more")
        if not interval > 0:
            raise ConfigurationError("refusal_log_interval must be positive")
        self._logger = logger
        self.burst = burst
        self.interval = float(interval)
        self._clock = clock
        self._lock = threading.Lock()
        self._start = clock()
        self._logged = 0
        self._suppressed = 0

    def refused(self, reason: str) -> None:
        """Log one refused call, or count it once the interval's burst is spent."""
        with self._lock:
            now = self._clock()
            if now - self._start >= self.interval:
                self._summarise(now)
            if self._logged < self.burst:
                self._logged += 1
                self._logger.warning("Refused a webhook call: %s", reason)
            else:
                self._suppressed += 1

    def _summarise(self, now: float) -> None:
        if self._suppressed:
            self._logger.warning(
                "Refused %d more webhook call(s) in %.0f s without logging each "
                "(only the first %d of each interval are logged)",
                self._suppressed,
                now - self._start,
                self.burst,
            )
        self._start = now
        self._logged = 0
        self._suppressed = 0
