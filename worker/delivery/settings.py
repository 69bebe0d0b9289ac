"""The `destinations:` and `smtp:` sections of sources.yaml; secrets stay in environment variables named here."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from worker.config_keys import check_keys
from worker.delivery.retry import DEFAULT_POLICY, RetryPolicy
from worker.errors import ConfigError, LoaError

DESTINATION_KINDS = ("http", "wordpress")
DESTINATION_KEYS = {"id", "kind", "url", "secret_env", "user_env", "password_env", "timeout", "retry"}
RETRY_KEYS = {"attempts", "first_wait", "max_wait"}
SMTP_KEYS = {"host", "port", "from", "user_env", "password_env", "starttls", "timeout"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL = re.compile(r"^https?://[^/\s]+")


class DeliveryError(LoaError):
    """A delivery could not be prepared or sent (missing secret, refused answer, SMTP failure)."""

    kind = "delivery"


@dataclass(frozen=True)
class Destination:
    id: str
    kind: str  # http | wordpress
    url: str
    secret_env: str | None = None  # http: the variable holding the HMAC secret
    user_env: str | None = None  # wordpress: user name variable
    password_env: str | None = None  # wordpress: application password variable
    timeout_seconds: float = 20.0
    retry: RetryPolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = ""
    user_env: str | None = None
    password_env: str | None = None
    starttls: bool = False
    timeout_seconds: float = 30.0


def secret(name: str | None, what: str) -> str:
    """The value of environment variable `name`; a missing one is an error naming it (the delivery stays pending)."""
    if not name:
        raise DeliveryError(f"no environment variable is configured for {what}")
    value = os.environ.get(name, "")
    if not value:
        raise DeliveryError(
            f"environment variable {name} is not set ({what})", hint=f"export {name}=… in the environment of cron"
        )
    return value


def _env_name(data: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ENV.match(value):
        raise ConfigError(
            f"expected the name of an environment variable, got {value!r}",
            path=f"{path}.{key}",
            hint="e.g. LOA_CMS_SECRET; the secret itself never goes in sources.yaml",
        )
    return value


def _timeout(data: dict[str, Any], path: str, default: float) -> float:
    if "timeout" not in data:
        return default
    from worker.config import parse_duration

    return float(parse_duration(data["timeout"], f"{path}.timeout"))


def _retry_policy(data: dict[str, Any], path: str) -> RetryPolicy:
    """`retry: {attempts: 8, first_wait: 1m, max_wait: 6h}`; every key optional."""
    value = data.get("retry")
    if value is None:
        return DEFAULT_POLICY
    path = f"{path}.retry"
    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping, got {type(value).__name__}", path=path, hint="e.g. {attempts: 8}")
    check_keys(value, RETRY_KEYS, path)
    from worker.config import parse_duration

    attempts = value.get("attempts", DEFAULT_POLICY.max_attempts)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100:
        raise ConfigError(f"expected a whole number from 1 to 100, got {attempts!r}", path=f"{path}.attempts")
    first = (
        parse_duration(value["first_wait"], f"{path}.first_wait")
        if "first_wait" in value
        else DEFAULT_POLICY.first_wait_seconds
    )
    most = (
        parse_duration(value["max_wait"], f"{path}.max_wait")
        if "max_wait" in value
        else max(DEFAULT_POLICY.max_wait_seconds, first)
    )
    if most < first:
        raise ConfigError(f"max_wait ({most} s) is shorter than first_wait ({first} s)", path=f"{path}.max_wait")
    return RetryPolicy(max_attempts=attempts, first_wait_seconds=first, max_wait_seconds=most)


def parse_destinations(value: object) -> tuple[Destination, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("expected a list of destinations", path="destinations")
    found: list[Destination] = []
    for index, entry in enumerate(value):
        path = f"destinations[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"expected a mapping, got {type(entry).__name__}", path=path)
        check_keys(entry, DESTINATION_KEYS, path)
        dest_id = entry.get("id")
        if not isinstance(dest_id, str) or not _SLUG.match(dest_id):
            raise ConfigError(f"{dest_id!r} is not a slug", path=f"{path}.id", hint="lowercase ASCII and hyphens")
        if dest_id in {d.id for d in found}:
            raise ConfigError(f"duplicate destination id {dest_id!r}", path=f"{path}.id", hint="ids must be unique")
        kind = entry.get("kind", "http")
        if kind not in DESTINATION_KINDS:
            raise ConfigError(
                f"unknown kind {kind!r}", path=f"{path}.kind", hint=f"expected one of: {', '.join(DESTINATION_KINDS)}"
            )
        url = entry.get("url")
        if not isinstance(url, str) or not _URL.match(url):
            raise ConfigError(f"{url!r} is not an http(s) URL", path=f"{path}.url")
        is_wp = kind == "wordpress"
        found.append(
            Destination(
                id=dest_id,
                kind=kind,
                url=url.rstrip("/") if is_wp else url,
                secret_env=_env_name(entry, "secret_env", path, required=not is_wp),
                user_env=_env_name(entry, "user_env", path, required=is_wp),
                password_env=_env_name(entry, "password_env", path, required=is_wp),
                timeout_seconds=_timeout(entry, path, 20.0),
                retry=_retry_policy(entry, path),
            )
        )
    return tuple(found)


def parse_smtp(value: object) -> SmtpSettings | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping, got {type(value).__name__}", path="smtp")
    check_keys(value, SMTP_KEYS, "smtp")
    host = value.get("host", "127.0.0.1")
    if not isinstance(host, str) or not host.strip():
        raise ConfigError(f"expected a host name, got {host!r}", path="smtp.host")
    port = value.get("port", 25)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"expected a port number, got {port!r}", path="smtp.port")
    sender = value.get("from")
    if not isinstance(sender, str) or "@" not in sender:
        raise ConfigError(f"expected an email address, got {sender!r}", path="smtp.from")
    starttls = value.get("starttls", False)
    if not isinstance(starttls, bool):
        raise ConfigError(f"expected true or false, got {starttls!r}", path="smtp.starttls")
    return SmtpSettings(
        host=host.strip(),
        port=port,
        sender=sender.strip(),
        user_env=_env_name(value, "user_env", "smtp", required=False),
        password_env=_env_name(value, "password_env", "smtp", required=False),
        starttls=starttls,
        timeout_seconds=_timeout(value, "smtp", 30.0),
    )
