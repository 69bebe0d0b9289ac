"""Pure retry decisions: what an answer means, and when the next attempt is due (exponential backoff, capped).

A receiver's Retry-After is honoured: the next attempt is never earlier than it asked (up to a day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ATTEMPTS = 8
BASE_SECONDS = 60  # 1, 2, 4, 8, 16, 32, 64 minutes between the eight attempts
CAP_SECONDS = 6 * 3600
# A receiver asking for more than a day is misconfigured or gone; waiting longer would hide it from `loa status`.
RETRY_AFTER_CAP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one destination is retried (`retry:` in its config)."""

    max_attempts: int = MAX_ATTEMPTS
    first_wait_seconds: int = BASE_SECONDS
    max_wait_seconds: int = CAP_SECONDS


DEFAULT_POLICY = RetryPolicy()


def outcome(status: int | None) -> str:
    """`sent`, `retry` (network error, 429, 5xx) or `failed` (any other answer: retrying cannot help)."""
    if status is None or status == 429 or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "sent"
    return "failed"


def delay_seconds(attempts: int, policy: RetryPolicy = DEFAULT_POLICY) -> int:
    """The wait after the `attempts`-th failed attempt."""
    return int(min(policy.first_wait_seconds * 2 ** max(attempts - 1, 0), policy.max_wait_seconds))


def next_attempt(
    attempts: int,
    now: datetime,
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    retry_after: float | None = None,
) -> datetime | None:
    """When to try again after `attempts` failures; None when the policy's attempts are used up (failed)."""
    if attempts >= policy.max_attempts:
        return None
    wait = float(delay_seconds(attempts, policy))
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_CAP_SECONDS))
    return now + timedelta(seconds=wait)
