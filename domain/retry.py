"""Retry arithmetic: exponential backoff with full jitter, capped, never sooner than a Retry-After.

Tuned by `TASKLOOM_RETRY_BASE_S` and `TASKLOOM_RETRY_CAP_S`. As dramatiq's Retries middleware computes
its backoff, but owned by the database: the task waits RETRYING until `nextAttemptAt`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

__all__ = ["backoff_s", "next_attempt_at", "should_retry"]


def backoff_s(failed_attempts: int, *, base_s: float, cap_s: float, rand: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(n-1))] after the n-th failed attempt (n >= 1)."""
    ceiling = min(cap_s, base_s * 2 ** max(0, failed_attempts - 1))
    return rand() * ceiling


def next_attempt_at(
    now: datetime,
    failed_attempts: int,
    *,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None = None,
    rand: Callable[[], float] = random.random,
) -> datetime:
    """When the next attempt is due: the jittered backoff, or the server's Retry-After when that is later."""
    delay = backoff_s(failed_attempts, base_s=base_s, cap_s=cap_s, rand=rand)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, cap_s))
    return now + timedelta(seconds=delay)


def should_retry(*, retryable: bool, error_count: int, max_retries: int) -> bool:
    """API.md's rule: retry while `errorCount <= maxRetries`, so a run makes at most 1 + maxRetries attempts."""
    return retryable and error_count <= max_retries
