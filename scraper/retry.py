"""Capped exponential backoff with full jitter, honouring Retry-After.

One helper decides whether and how long to wait (`retry_delay`), so fetch and the LLM call retry
the same way, sync or async; `errors.is_retryable` is the allowlist.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import TransientError, is_retryable

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_s: float
    max_s: float
    max_retry_after_s: float


def backoff_delay(
    attempt: int, *, base_s: float, max_s: float, retry_after: float | None, max_retry_after_s: float
) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1).

    A Retry-After is waited out in full, plus the usual jitter: clients that were all told
    "1 second" must not all come back in the same instant and collide again.
    """
    jitter = random.uniform(0, min(max_s, base_s * 2 ** (attempt - 1)))
    if retry_after is not None:
        return min(max(retry_after, 0.0), max_retry_after_s) + jitter
    return jitter


def retry_delay(exc: TransientError, attempt: int, policy: RetryPolicy) -> float | None:
    """How long to wait before trying again, or None to give up and re-raise.

    A Retry-After longer than `max_retry_after_s` is not waited out: one site must not park the
    importer for an hour.
    """
    if not is_retryable(exc) or attempt >= policy.max_attempts:
        return None
    if exc.retry_after is not None and exc.retry_after > policy.max_retry_after_s:
        return None
    return backoff_delay(
        attempt,
        base_s=policy.base_s,
        max_s=policy.max_s,
        retry_after=exc.retry_after,
        max_retry_after_s=policy.max_retry_after_s,
    )


def call_with_retries(
    fn: Callable[[int], T],
    *,
    max_attempts: int,
    base_s: float,
    max_s: float,
    max_retry_after_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run `fn(attempt)` until it succeeds or fails permanently; returns (value, attempts)."""
    policy = RetryPolicy(max_attempts, base_s, max_s, max_retry_after_s)
    attempt = 1
    while True:
        try:
            return fn(attempt), attempt
        except TransientError as exc:
            delay = retry_delay(exc, attempt, policy)
            if delay is None:
                exc.attempts = attempt
                raise
            sleep(delay)
            attempt += 1


async def acall_with_retries(
    fn: Callable[[int], Awaitable[T]], policy: RetryPolicy
) -> tuple[T, int]:
    """The asyncio twin of `call_with_retries`: waiting costs no thread and no worker."""
    attempt = 1
    while True:
        try:
            return await fn(attempt), attempt
        except TransientError as exc:
            delay = retry_delay(exc, attempt, policy)
            if delay is None:
                exc.attempts = attempt
                raise
            await asyncio.sleep(delay)
            attempt += 1
