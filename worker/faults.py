"""Crash injection for recovery tests: `LOA_CRASH_AT=<point>` kills the process with SIGKILL at that point.

Unset (always, outside tests) it does nothing; no sleeps, no waiting.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """Die here, as a kill -9 would, when LOA_CRASH_AT names this point."""
    if os.environ.get("LOA_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
