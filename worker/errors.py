"""One exception hierarchy for Loa; every error names what failed, where, and what to do next."""

from __future__ import annotations


class LoaError(Exception):
    """Base of every error Loa raises on purpose.

    `kind` is a short machine-readable tag (it becomes `error_kind` in JSON output);
    `hint` tells the operator what to do about it.
    """

    kind: str = "error"

    def __init__(self, message: str, *, hint: str = "", kind: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(LoaError):
    """sources.yaml is missing, unreadable or invalid; `path` is the key path (`sources[2].html.item`)."""

    kind = "config"

    def __init__(self, message: str, *, path: str = "", hint: str = "") -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message, hint=hint)


class FetchError(LoaError):
    """An HTTP fetch failed. kind is one of network, http, robots, too_large."""

    kind = "network"

    def __init__(
        self,
        message: str,
        *,
        url: str,
        kind: str = "network",
        hint: str = "",
        status: int | None = None,
    ) -> None:
        self.url = url
        self.status = status
        super().__init__(message, hint=hint, kind=kind)


class ParseError(LoaError):
    """A body could not be parsed at all (malformed feed, invalid JSON)."""

    kind = "parse"

    def __init__(self, message: str, *, url: str = "", hint: str = "") -> None:
        self.url = url
        super().__init__(message, hint=hint)


class SourceBroken(LoaError):  # noqa: N818 - public name used across modules
    """The body parsed, but the configured selectors or paths found nothing (kind `selector`),
    or the page is a bot challenge (kind `blocked`). Never reported as "0 new items"."""

    kind = "selector"

    def __init__(self, message: str, *, url: str = "", kind: str = "selector", hint: str = "") -> None:
        self.url = url
        super().__init__(message, hint=hint, kind=kind)


class StoreError(LoaError):
    """The database could not be opened, migrated or written."""

    kind = "store"


class LockHeld(LoaError):  # noqa: N818 - public name used across modules
    """Another writing command holds the lock next to the database."""

    kind = "locked"

    def __init__(self, message: str, *, holder: str = "") -> None:
        self.holder = holder
        super().__init__(message)


class ReviewError(LoaError):
    """A review action was refused (invalid transition, unknown id)."""

    kind = "review"


class PublishError(LoaError):
    """Publishing could not write outputs/."""

    kind = "publish"
