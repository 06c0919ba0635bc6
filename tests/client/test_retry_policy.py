"""RetryPolicy's waits and Retry-After parsing (pure functions, injectable randomness)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from botcopy_handover.client import RetryPolicy
from botcopy_handover.client._retry import parse_retry_after


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=3.0, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 3.0]


def test_jitter_takes_off_up_to_its_share() -> None:
    low = RetryPolicy(initial_backoff=1.0, jitter=0.5, random=lambda: 0.999999)
    high = RetryPolicy(initial_backoff=1.0, jitter=0.5, random=lambda: 0.0)
    assert low.backoff(1) == pytest.approx(0.5, abs=1e-5)
    assert high.backoff(1) == 1.0


def test_no_delay_once_retries_are_used_up() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(2, None) is not None
    assert policy.delay(3, None) is None


def test_retry_after_replaces_backoff() -> None:
    assert RetryPolicy().delay(1, 4.0) == 4.0


def test_retry_after_over_the_cap_means_no_retry() -> None:
    assert RetryPolicy(max_retry_after=5.0).delay(1, 6.0) is None


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    when = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(when, now=lambda: now) == 30.0


def test_retry_after_in_the_past_is_zero() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("-3") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf"])
def test_unreadable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None
