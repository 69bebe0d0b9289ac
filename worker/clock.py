"""The one place Loa reads the clock: `LOA_NOW` (ISO 8601 with an offset) overrides it for replays and tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from worker.errors import ConfigError


def now() -> datetime:
    override = os.environ.get("LOA_NOW", "").strip()
    if not override:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(override.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"LOA_NOW={override!r} is not an ISO 8601 time", hint="write e.g. 2023-07-10T08:00:00+07:00"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(f"LOA_NOW={override!r} has no UTC offset", hint="add one, e.g. +07:00")
    return moment
