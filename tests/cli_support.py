"""A test folder driven through the `loa` CLI in-process, as one officer at a fixed moment (LOA_NOW)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from click.testing import CliRunner, Result

from cli import main


@dataclass
class CliEnv:
    folder: Path
    config: Path
    now: ClassVar[str] = "2023-07-10T08:00:00+07:00"  # subclasses pick their moment

    @property
    def db(self) -> Path:
        return self.folder / "loa.db"

    @property
    def outputs(self) -> Path:
        return self.folder / "out"

    def run(self, *args: str, user: str = "officer", now: str | None = None) -> Result:
        env = {"LOA_CONFIG": str(self.config), "LOA_NOW": now or self.now, "USER": user, "LOGNAME": user}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def imported_packages(importtime_stderr: str) -> set[str]:
    """Top-level packages a `python -X importtime` run imported, read from its stderr."""
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:")
    }
