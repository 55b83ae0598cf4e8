"""Capped exponential backoff with full jitter, honouring Retry-After.

One helper decides whether and how long to wait, so fetch (and later the LLM call) retry the same
way; `errors.is_retryable` is the allowlist.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import TransientError, is_retryable

T = TypeVar("T")


def backoff_delay(
    attempt: int, *, base_s: float, max_s: float, retry_after: float | None, max_retry_after_s: float
) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), max_retry_after_s)
    return random.uniform(0, min(max_s, base_s * 2 ** (attempt - 1)))


def call_with_retries(
    fn: Callable[[int], T],
    *,
    max_attempts: int,
    base_s: float,
    max_s: float,
    max_retry_after_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run `fn(attempt)` until it succeeds or fails permanently; returns (value, attempts).

    A Retry-After longer than `max_retry_after_s` is not waited out: the error is re-raised at
    once, so one site cannot park a worker for an hour.
    """
    attempt = 1
    while True:
        try:
            return fn(attempt), attempt
        except TransientError as exc:
            if not is_retryable(exc) or attempt >= max_attempts:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            if exc.retry_after is not None and exc.retry_after > max_retry_after_s:
                exc.attempts = attempt  # type: ignore[attr-defined]
                raise
            sleep(
                backoff_delay(
                    attempt,
                    base_s=base_s,
                    max_s=max_s,
                    retry_after=exc.retry_after,
                    max_retry_after_s=max_retry_after_s,
                )
            )
            attempt += 1
