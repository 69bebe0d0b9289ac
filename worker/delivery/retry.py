"""Pure retry decisions: what an answer means, and when the next attempt is due (exponential backoff, capped)."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_ATTEMPTS = 8
BASE_SECONDS = 60  # 1, 2, 4, 8, 16, 32, 64 minutes between the eight attempts
CAP_SECONDS = 6 * 3600


def outcome(status: int | None) -> str:
    """`sent`, `retry` (network error, 429, 5xx) or `failed` (any other answer: retrying cannot help)."""
    if status is None or status == 429 or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "sent"
    return "failed"


def delay_seconds(attempts: int) -> int:
    """The wait after the `attempts`-th failed attempt."""
    return int(min(BASE_SECONDS * 2 ** max(attempts - 1, 0), CAP_SECONDS))


def next_attempt(attempts: int, now: datetime, max_attempts: int = MAX_ATTEMPTS) -> datetime | None:
    """When to try again after `attempts` failures; None when the cap is reached (the delivery is failed)."""
    if attempts >= max_attempts:
        return None
    return now + timedelta(seconds=delay_seconds(attempts))
