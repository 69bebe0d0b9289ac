"""Wards and communes: validate `wards:` entries (from sources.yaml, a YAML file or a CSV file) into `Ward`s.

Every error names the key path (`wards[3].slots[1]`), or the CSV line, and says what was expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.config_keys import check_keys, expect_mapping
from worker.errors import ConfigError
from worker.models import ItemKind
from worker.sanitize import nfc

if TYPE_CHECKING:
    from worker.broadcast import BroadcastWard

WARD_KINDS = {"phuong": "Phường", "xa": "Xã", "thi-tran": "Thị trấn"}
WARD_KEYS = {
    "id",
    "name",
    "kind",
    "topics",
    "kinds",
    "slots",
    "quiet_days",
    "daily_cap",
    "email",
    "webhook",
    "webhook_secret_env",
}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)/(\d+)(m|h)$")


@dataclass(frozen=True)
class Ward:
    """One ward (phường), commune (xã) or township (thị trấn) and what its feed carries."""

    id: str
    name: str
    kind: str
    topics: tuple[str, ...] = ()  # empty: every topic
    kinds: tuple[str, ...] = ()  # empty: every item kind
    slots: tuple[str, ...] = ()  # "HH:MM/15m": broadcast windows, used by the broadcast stage
    email: str | None = None  # queue notices go here (issue 10)
    webhook: str | None = None  # and/or a signed POST here
    webhook_secret_env: str | None = None  # the environment variable holding the webhook's HMAC secret
    quiet_days: tuple[str, ...] = ()  # weekday names or YYYY-MM-DD: no broadcast on these days
    daily_cap: str = ""  # minutes ("30") or a duration ("45m"); empty: only the slots limit a day

    @property
    def full_name(self) -> str:
        """ "Phường Điện Biên", whether the list gave "Phường Điện Biên" or "Điện Biên"."""
        return f"{WARD_KINDS[self.kind]} {bare_name(self.name, self.kind)}"

    def listing(self) -> dict[str, object]:
        """Who the ward is and what it takes: what ward feeds publish about it, and what the CLI starts from."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "topics": list(self.topics),
            "kinds": list(self.kinds),
            "slots": list(self.slots),
        }

    def wants(self, topics: Iterable[str], kind: str) -> bool:
        """Whether an item with these topics and this kind belongs in this ward's feed."""
        if self.kinds and kind not in self.kinds:
            return False
        return not self.topics or bool(set(self.topics) & set(topics))

    def broadcast(self, path: str = "wards") -> BroadcastWard | None:
        """The scheduling view of this ward (None without slots); config errors name `path`."""
        if not self.slots:
            return None
        # Imported here: worker.config imports this module to parse `wards:`.
        from worker.config import parse_ward_broadcast

        cap: object = int(self.daily_cap) if self.daily_cap.isdigit() else (self.daily_cap or None)
        data = {"id": self.id, "name": self.name, "kind": self.kind, "slots": list(self.slots)}
        return parse_ward_broadcast({**data, "quiet_days": list(self.quiet_days), "daily_cap": cap}, path)

    @property
    def filter_key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Wards with the same key get the same entries, so feeds compute them once per key."""
        return (tuple(sorted(self.topics)), tuple(sorted(self.kinds)))


def bare_name(name: str, kind: str) -> str:
    """The proper name alone: "Phường Điện Biên" of kind phuong → "Điện Biên"."""
    # Official lists (and the shipped config) give full names; intros and headings that say the kind
    # themselves would otherwise read "phường Phường Điện Biên".
    label = WARD_KINDS.get(kind, "")
    words = name.split()
    size = len(label.split())
    if label and len(words) > size and " ".join(words[:size]).casefold() == label.casefold():
        return " ".join(words[size:])
    return name


def _strings(value: object, path: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        # CSV cells and hand-written YAML may give "a, b" or "a; b".
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    if not isinstance(value, list):
        raise ConfigError(f"expected a list, got {type(value).__name__}", path=path)
    for index, entry in enumerate(value):
        if not isinstance(entry, str) or not entry.strip():
            raise ConfigError(f"expected a non-empty string, got {entry!r}", path=f"{path}[{index}]")
    return [entry.strip() for entry in value]


def parse_slot(text: str, path: str) -> tuple[int, int, int]:
    """`06:00/15m` → (6, 0, 900): start hour, minute and window length in seconds."""
    match = _SLOT.match(text)
    if not match or int(match.group(3)) == 0:
        raise ConfigError(
            f"{text!r} is not a slot", path=path, hint="write HH:MM/LENGTH with LENGTH in m or h, e.g. 06:00/15m"
        )
    seconds = int(match.group(3)) * (60 if match.group(4) == "m" else 3600)
    if seconds > 24 * 3600:
        raise ConfigError(f"{text!r} lasts more than a day", path=path)
    return int(match.group(1)), int(match.group(2)), seconds


def parse_ward(value: object, path: str, *, known_topics: set[str] | None = None) -> Ward:
    value = expect_mapping(value, path)
    check_keys(value, WARD_KEYS, path)
    ward_id = value.get("id")
    if not isinstance(ward_id, str) or not _SLUG.match(ward_id):
        raise ConfigError(
            f"{ward_id!r} is not a slug", path=f"{path}.id", hint="lowercase ASCII and hyphens, e.g. phuong-dien-bien"
        )
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"expected a non-empty string, got {name!r}", path=f"{path}.name")
    kind = value.get("kind", "phuong")
    if kind not in WARD_KINDS:
        raise ConfigError(
            f"unknown kind {kind!r}", path=f"{path}.kind", hint=f"expected one of: {', '.join(WARD_KINDS)}"
        )
    topics = _strings(value.get("topics"), f"{path}.topics")
    if known_topics is not None:
        for index, topic in enumerate(topics):
            if topic not in known_topics:
                raise ConfigError(
                    f"unknown topic {topic!r}",
                    path=f"{path}.topics[{index}]",
                    hint=f"known topics: {', '.join(sorted(known_topics)) or '(none: add a topics: list)'}",
                )
    kinds = _strings(value.get("kinds"), f"{path}.kinds")
    valid_kinds = [k.value for k in ItemKind]
    for index, item_kind in enumerate(kinds):
        if item_kind not in valid_kinds:
            raise ConfigError(
                f"unknown item kind {item_kind!r}",
                path=f"{path}.kinds[{index}]",
                hint=f"expected one of: {', '.join(valid_kinds)}",
            )
    slots = _strings(value.get("slots"), f"{path}.slots")
    for index, slot in enumerate(slots):
        parse_slot(slot, f"{path}.slots[{index}]")
    email, webhook, secret_env = _contact(value, path)
    quiet = value.get("quiet_days")
    if isinstance(quiet, list):  # YAML reads an unquoted 2023-09-02 as a date
        quiet = [day.isoformat() if isinstance(day, date) else day for day in quiet]
    quiet_days = _strings(quiet, f"{path}.quiet_days")
    cap = value.get("daily_cap")
    ward = Ward(
        id=ward_id,
        name=nfc(name.strip()),
        kind=kind,
        topics=tuple(dict.fromkeys(topics)),
        kinds=tuple(dict.fromkeys(kinds)),
        slots=tuple(slots),
        email=email,
        webhook=webhook,
        webhook_secret_env=secret_env,
        quiet_days=tuple(dict.fromkeys(str(day) for day in quiet_days)),
        daily_cap="" if cap is None or cap == "" else str(cap).strip(),
    )
    # Validates quiet_days and daily_cap with the broadcast parser, once per distinct setting: a national
    # list repeats a handful of them 3,321 times.
    valid = (kind, ward.slots, ward.quiet_days, ward.daily_cap)
    if valid not in _VALID_BROADCAST:
        ward.broadcast(path)
        _VALID_BROADCAST.add(valid)
    return ward


_VALID_BROADCAST: set[tuple[str, tuple[str, ...], tuple[str, ...], str]] = set()


def _contact(value: dict[str, Any], path: str) -> tuple[str | None, str | None, str | None]:
    """`email`, `webhook` and `webhook_secret_env`: where queue notices go; all optional, a webhook needs a secret."""
    email = value.get("email") or None
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email.strip())):
        raise ConfigError(f"{email!r} is not an email address", path=f"{path}.email")
    webhook = value.get("webhook") or None
    if webhook is not None and (not isinstance(webhook, str) or not re.match(r"^https?://[^/\s]+", webhook)):
        raise ConfigError(f"{webhook!r} is not an http(s) URL", path=f"{path}.webhook")
    secret_env = value.get("webhook_secret_env") or None
    if secret_env is not None and (not isinstance(secret_env, str) or not _ENV_NAME.match(secret_env)):
        raise ConfigError(
            f"expected the name of an environment variable, got {secret_env!r}", path=f"{path}.webhook_secret_env"
        )
    if webhook and not secret_env:
        raise ConfigError(
            "a webhook needs webhook_secret_env", path=f"{path}.webhook_secret_env", hint="e.g. LOA_WARD_HOOK_SECRET"
        )
    return (email.strip() if email else None), webhook, secret_env


def parse_wards(value: object, *, known_topics: set[str] | None = None, path: str = "wards") -> tuple[Ward, ...]:
    """A list of ward mappings → wards; ids must be unique."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("expected a list of wards (or the path of a .yaml or .csv file)", path=path)
    wards: list[Ward] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        ward = parse_ward(entry, f"{path}[{index}]", known_topics=known_topics)
        if ward.id in seen:
            raise ConfigError(f"duplicate ward id {ward.id!r}", path=f"{path}[{index}].id", hint="ids must be unique")
        seen.add(ward.id)
        wards.append(ward)
    return tuple(wards)


def parse_wards_text(text: str, name: str, *, known_topics: set[str] | None = None) -> tuple[Ward, ...]:
    """The text of a wards file: `.csv` (header id,name,kind,topics,kinds,slots) or YAML (a list, or `wards:`)."""
    if name.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        rows: list[dict[str, Any]] = []
        for row in reader:
            cleaned = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None and (v or "").strip()}
            rows.append(cleaned)
        # CSV rows are numbered like the YAML list (wards[0] is the first data line, line 2).
        return parse_wards(rows, known_topics=known_topics, path=f"{name}:wards")
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name} is not valid YAML", hint=str(getattr(exc, "problem", exc))) from None
    if isinstance(data, dict) and "wards" in data:
        data = data["wards"]
    return parse_wards(data, known_topics=known_topics, path=f"{name}:wards" if name else "wards")


def load_wards_file(path: Path, *, known_topics: set[str] | None = None) -> tuple[Ward, ...]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the wards file {path}: {exc}", hint="give a .yaml or .csv file") from None
    return parse_wards_text(text, path.name, known_topics=known_topics)
