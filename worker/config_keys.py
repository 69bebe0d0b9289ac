"""Shape checks every config section shares, so they all report errors the same way (naming the key path)."""

from __future__ import annotations

from typing import Any

from worker.errors import ConfigError


def expect_mapping(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping, got {type(value).__name__}", path=path)
    return value


def check_keys(mapping: dict[str, Any], allowed: set[str], path: str) -> None:
    """Refuse the first unknown key (sorted, so the message is stable), listing what is expected."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}",
            path=f"{path}.{unknown[0]}" if path else unknown[0],
            hint=f"expected one of: {', '.join(sorted(allowed))}",
        )
