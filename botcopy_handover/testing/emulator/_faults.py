"""Fault injection on the emulator's push endpoint, to test a client's retries and timeouts."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from typing_extensions import Required, TypedDict

from botcopy_handover._errors import ConfigurationError

__all__ = ["Fault", "FaultKind", "FaultOptions", "FaultPlan"]

FaultKind: TypeAlias = Literal["latency", "rate_limit", "server_error", "drop"]
"""``latency`` delays the answer; ``rate_limit`` answers 429 (with ``Retry-After``);
``server_error`` answers a 5xx; ``drop`` sends a 200 status line, then cuts the
connection before the body (the client sees the answer break off, an
`APIConnectionError` with ``status_code`` 200). Like every fault but ``latency``,
the push is not applied."""

_KINDS = ("latency", "rate_limit", "server_error", "drop")


class FaultOptions(TypedDict, total=False):
    """[`Fault`][botcopy_handover.testing.emulator.Fault]'s arguments, as keywords.

    For ``inject_fault(kind=..., ...)``; each key means what the argument of
    the same name does.
    """

    kind: Required[FaultKind]
    count: int | None
    rate: float | None
    seconds: float
    status: int
    retry_after: float | None


@dataclass
class Fault:
    """One fault, for the next ``count`` push requests or for a ``rate`` of them.

    Exactly one of ``count`` and ``rate`` is given. A faulted request (other
    than ``latency``) is not applied: the customer sees nothing.

    Args:
        kind: What goes wrong.
        count: Fault the next this many requests.
        rate: Fault this fraction of requests (0 to 1), drawn from the plan's seeded RNG.
        seconds: For ``latency``: how long to wait before answering.
        status: For ``server_error``: the status (500 to 599, default 503).
        retry_after: For ``rate_limit`` and ``server_error``: the ``Retry-After``
            seconds to send, or ``None`` for no header.

    """

    kind: FaultKind
    count: int | None = None
    rate: float | None = None
    seconds: float = 0.0
    status: int = 503
    retry_after: float | None = 1.0

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ConfigurationError(
                f"Unknown fault kind {self.kind!r}; one of {', '.join(_KINDS)}"
            )
        if (self.count is None) == (self.rate is None):
            raise ConfigurationError("A fault takes exactly one of count= and rate=")
        if self.count is not None and self.count < 1:
            raise ConfigurationError("count must be at least 1")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise ConfigurationError("rate must be above 0 and at most 1")
        if not 500 <= self.status <= 599:
            raise ConfigurationError("status must be a 5xx status")
        if self.seconds < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ConfigurationError("seconds and retry_after cannot be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Read a fault from the control API's JSON (``kind``, ``count`` or ``rate``, ...)."""
        known = {"kind", "count", "rate", "seconds", "status", "retry_after", "retryAfter"}
        unknown = set(data) - known
        if unknown:
            raise ConfigurationError(f"Unknown fault field(s): {', '.join(sorted(unknown))}")
        options = dict(data)
        if "retryAfter" in options:
            options["retry_after"] = options.pop("retryAfter")
        try:
            return cls(**options)
        except TypeError as exc:
            raise ConfigurationError(f"Invalid fault: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "count": self.count,
            "rate": self.rate,
            "seconds": self.seconds,
            "status": self.status,
            "retryAfter": self.retry_after,
        }


class FaultPlan:
    """The faults in force; thread-safe, seeded so a run can be repeated."""

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._random = random.Random(seed)  # noqa: S311 - test traffic, not security
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Put ``fault`` in force (after the ones already there)."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults in force."""
        with self._lock:
            return list(self._faults)

    def draw(self) -> list[Fault]:
        """The faults that hit this request: counted ones are used up."""
        hit: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if fault.count is not None:
                    hit.append(fault)
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                elif fault.rate is not None and self._random.random() < fault.rate:
                    hit.append(fault)
        return hit
