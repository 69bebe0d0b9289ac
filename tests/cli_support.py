"""A test folder driven through the `loa` CLI in-process, as one officer at a fixed moment (LOA_NOW)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from click.testing import CliRunner, Result

from cli import main

ROOT = Path(__file__).resolve().parent.parent


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


def loa_importtime(config: Path, *args: str, now: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`loa ARGS` in a subprocess under `python -X importtime`: the finished run, and the top-level packages it
    imported (read from its stderr)."""
    command = [sys.executable, "-X", "importtime", str(ROOT / "cli.py"), *args]
    environment = {**os.environ, "LOA_CONFIG": str(config), "LOA_NOW": now}
    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=True)
    packages = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in run.stderr.splitlines()
        if line.startswith("import time:")
    }
    return run, packages
