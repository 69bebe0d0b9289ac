"""Deliver one alert to the configured webhook (POST via the fetcher) and command (JSON on stdin)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from worker.alerts import Alert
from worker.config import AlertsConfig
from worker.errors import LoaError

PostJson = Callable[[str, dict[str, Any], float], int]


@dataclass(frozen=True)
class Delivery:
    ok: bool
    detail: str  # one line per action, for the alerts table


def run_command(command: str, payload: str, timeout: float) -> str:
    """Run the operator's shell command with the alert on stdin; raises on failure or timeout."""
    try:
        proc = subprocess.run(
            command, shell=True, input=payload, text=True, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise LoaError(f"alert command timed out after {timeout:g} s: {command}", kind="alert") from None
    except OSError as exc:
        raise LoaError(f"alert command could not start: {exc}", kind="alert") from None
    if proc.returncode != 0:
        raise LoaError(f"alert command exited {proc.returncode}: {proc.stderr.strip()[:200] or command}", kind="alert")
    return "command: ok"


def deliver(alert: Alert, config: AlertsConfig, post: PostJson) -> Delivery:
    """Both actions are tried; a failure is reported in the result, never raised."""
    payload = alert.payload()
    lines: list[str] = []
    ok = True
    if config.webhook:
        try:
            status = post(config.webhook, payload, config.timeout_seconds)
            lines.append(f"webhook: HTTP {status}")
        except LoaError as exc:
            ok = False
            lines.append(f"webhook failed: {exc}")
    if config.command:
        try:
            lines.append(run_command(config.command, json.dumps(payload, ensure_ascii=False), config.timeout_seconds))
        except LoaError as exc:
            ok = False
            lines.append(f"command failed: {exc}")
    return Delivery(ok=ok, detail="; ".join(lines) or "no alert actions configured")
