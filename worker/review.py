"""Review decisions as pure functions: the status machine, rule and topic evaluation, queue order, undo.

Nothing here reads the database, the clock or the terminal; callers pass rows and `now` in.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from worker.dates import iso_utc
from worker.errors import ReviewError
from worker.models import Priority, Rule, RuleAction, Status, Topic

# Officer actions that move an item between statuses.
STATUS_ACTIONS = {
    "approve": Status.APPROVED,
    "reject": Status.REJECTED,
    "hold": Status.HELD,
    "withdraw": Status.WITHDRAWN,
}
# Actions that only change Loa's own columns (never the status).
EDIT_ACTIONS = ("edit", "tag", "priority", "expire", "note")
EDITABLE_STATUSES = (Status.NEW, Status.HELD, Status.APPROVED)
PENDING_STATUSES = (Status.NEW, Status.HELD)
# Loa's decision columns on items: what an audit row snapshots and what undo restores.
DECISION_FIELDS = (
    "status",
    "needs_review",
    "priority",
    "topics",
    "expires_at",
    "broadcast_title",
    "broadcast_text",
    "review_note",
    "reviewed_at",
    "reviewed_by",
)


# -- status machine ---------------------------------------------------------------------------------


def allowed_moves(status: str, needs_review: bool = False) -> tuple[str, ...]:
    """The status actions an officer may take on an item in `status`."""
    moves: dict[str, tuple[str, ...]] = {
        Status.NEW: ("approve", "reject", "hold"),
        Status.HELD: ("approve", "reject"),
        Status.APPROVED: ("approve", "withdraw") if needs_review else ("withdraw",),
    }
    return moves.get(Status(status), ())


def next_status(item_id: str, status: str, action: str, *, needs_review: bool = False) -> Status:
    """The status after `action`, or ReviewError naming the item, its status and the allowed moves."""
    if action not in STATUS_ACTIONS:
        raise ValueError(f"not a status action: {action}")
    moves = allowed_moves(status, needs_review)
    if action not in moves:
        allowed = ", ".join(moves) if moves else "none (final)"
        why = ""
        if status == Status.DUPLICATE:
            why = "; act on its canonical copy or its story instead"
        elif status == Status.APPROVED and action == "approve":
            why = "; it is already approved and unchanged since"
        raise ReviewError(f"item {item_id} is {status}: cannot {action}{why} (allowed: {allowed})")
    return STATUS_ACTIONS[action]


def check_editable(item_id: str, status: str, action: str) -> None:
    if Status(status) not in EDITABLE_STATUSES:
        allowed = ", ".join(s.value for s in EDITABLE_STATUSES)
        raise ReviewError(f"item {item_id} is {status}: cannot {action} (only {allowed} items can be changed)")


# -- priority -----------------------------------------------------------------------------------------


def parse_priority(text: str) -> Priority:
    """`thuong`, `uu-tien`, `khan-cap` or the Vietnamese `thường`, `ưu tiên`, `khẩn cấp` (any case)."""
    key = fold(text).replace(" ", "-").replace("_", "-")
    for priority in Priority:
        if key == priority.value:
            return priority
    choices = ", ".join(f"{p.value} ({p.label})" for p in Priority)
    raise ReviewError(f"{text!r} is not a priority", hint=f"use one of: {choices}")


# -- expiry -------------------------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_expiry(text: str, tz: tzinfo) -> str:
    """`YYYY-MM-DD` or `DD/MM/YYYY` → the end of that day in `tz`, as UTC ISO 8601; "" or "none" clears."""
    value = text.strip()
    if value.lower() in ("", "none", "-"):
        return ""
    match = _DMY.match(value)
    try:
        day = date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(value)
    except ValueError:
        raise ReviewError(f"{text!r} is not a date", hint="write YYYY-MM-DD or DD/MM/YYYY") from None
    # Expiring "on" a day means it still runs that whole day: the instant is the next local midnight.
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return iso_utc(end)


# -- text matching ------------------------------------------------------------------------------------


def strip_tones(text: str) -> str:
    """Vietnamese without diacritics: `Giả danh công an` → `Gia danh cong an`."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def fold(text: str) -> str:
    """Case- and tone-insensitive form used for every rule, topic and --match comparison."""
    return " ".join(strip_tones(text).casefold().split())


@dataclass(frozen=True)
class Matcher:
    """A compiled `match`: a regex, or keywords matched as whole words; both on folded text."""

    pattern: re.Pattern[str]

    def search(self, text: str) -> bool:
        return bool(self.pattern.search(fold(text)))


def compile_match(match: str | Iterable[str]) -> Matcher:
    """Raises re.error for a bad regex; the config loader turns it into a key-path error."""
    if isinstance(match, str):
        # Only tones are stripped from the pattern: casefolding would turn `\W` into `\w`.
        return Matcher(re.compile(strip_tones(match), re.IGNORECASE))
    words = [re.escape(fold(word)) for word in match if word.strip()]
    return Matcher(re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)"))


def item_text(row: Mapping[str, Any]) -> str:
    """What rules and topics look at: title, summary and body text."""
    return "\n".join(str(row.get(key) or "") for key in ("title", "summary", "body_text"))


@dataclass(frozen=True)
class Fired:
    """One rule (or topic) that matched an item at sync."""

    rule_id: str
    action: str  # reject | hold | tag | priority
    value: str | None
    reason: str


@dataclass(frozen=True)
class RuleOutcome:
    """Everything the rules and topics decided for one new item."""

    status: Status | None = None  # rejected or held; None leaves it new
    reason: str = ""
    topics: tuple[str, ...] = ()
    priority: Priority | None = None
    fired: tuple[Fired, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.fired


def evaluate(rules: Iterable[Rule], topics: Iterable[Topic], *, source_id: str, text: str) -> RuleOutcome:
    """Run every rule and topic on one item. Reject beats hold; the highest priority wins; tags add up."""
    fired: list[Fired] = []
    status: Status | None = None
    reason = ""
    tags: list[str] = []
    priority: Priority | None = None
    for rule in rules:
        if rule.source is not None and rule.source != source_id:
            continue
        if not compile_match(rule.match).search(text):
            continue
        fired.append(Fired(rule.id, rule.action.value, rule.value, rule.reason))
        if rule.action is RuleAction.REJECT and status is not Status.REJECTED:
            status, reason = Status.REJECTED, rule.reason
        elif rule.action is RuleAction.HOLD and status is None:
            status, reason = Status.HELD, rule.reason
        elif rule.action is RuleAction.TAG and rule.value and rule.value not in tags:
            tags.append(rule.value)
        elif rule.action is RuleAction.PRIORITY and rule.value:
            wanted = Priority(rule.value)
            if priority is None or wanted.rank > priority.rank:
                priority = wanted
    for topic in topics:
        if topic.id not in tags and compile_match(topic.keywords).search(text):
            tags.append(topic.id)
            fired.append(Fired(f"topics.{topic.id}", "tag", topic.id, f"keywords of topic {topic.name}"))
    return RuleOutcome(status=status, reason=reason, topics=tuple(tags), priority=priority, fired=tuple(fired))


def apply_outcome(row: Mapping[str, Any], outcome: RuleOutcome) -> dict[str, Any]:
    """The decision columns after a rule outcome; the status changes only while the item is new."""
    after = decision_state(row)
    if outcome.status is not None and after["status"] == Status.NEW:
        after["status"] = outcome.status.value
        after["review_note"] = outcome.reason
    after["topics"] = merge_topics(after["topics"], outcome.topics)
    if outcome.priority is not None and outcome.priority.rank > Priority(after["priority"]).rank:
        after["priority"] = outcome.priority.value
    return after


def rules_change(row: Mapping[str, Any], outcome: RuleOutcome) -> Change | None:
    """What running the rules again changes on a stored item; None when nothing would change.

    One change per item (not one per rule) so that `loa undo` reverts a whole `loa rules apply`.
    """
    before = decision_state(row)
    after = apply_outcome(row, outcome)
    if after == before:
        return None
    fired = "; ".join(f"{f.rule_id} ({f.action}{' ' + f.value if f.value else ''})" for f in outcome.fired)
    return Change(str(row["id"]), row.get("story_id"), "rules", before, after, fired)


# -- officer changes ------------------------------------------------------------------------------


def decision_state(row: Mapping[str, Any]) -> dict[str, Any]:
    """The decision columns of a stored item row, with topics as a list."""
    state = {key: row.get(key) for key in DECISION_FIELDS}
    state["topics"] = list(decode_topics(state["topics"]))
    state["priority"] = state["priority"] or Priority.NORMAL.value
    state["needs_review"] = int(state["needs_review"] or 0)
    return state


def decode_topics(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(json.loads(value))
    return tuple(value)


def merge_topics(current: Iterable[str], changes: Iterable[str]) -> list[str]:
    """Add topics; a `-id` entry removes one. Order of first appearance is kept."""
    topics = list(dict.fromkeys(current))
    for change in changes:
        if change.startswith("-"):
            topics = [t for t in topics if t != change[1:]]
        elif change not in topics:
            topics.append(change)
    return topics


@dataclass(frozen=True)
class Request:
    """One officer action on one item, as the CLI or the review loop asked for it."""

    action: str  # approve | reject | hold | withdraw | edit | tag | priority | expire | note
    reviewer: str
    reason: str = ""
    topics: tuple[str, ...] = ()
    priority: Priority | None = None
    expires_at: str | None = None  # UTC ISO 8601; "" clears
    broadcast_title: str | None = None
    broadcast_text: str | None = None


@dataclass(frozen=True)
class Change:
    """A planned change to one item: decision columns before and after, and what the audit says."""

    item_id: str
    story_id: str | None
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str = ""

    @property
    def from_status(self) -> str:
        return str(self.before["status"])

    @property
    def to_status(self) -> str:
        return str(self.after["status"])


def plan(row: Mapping[str, Any], request: Request, *, now: datetime, known_topics: Iterable[str] = ()) -> Change:
    """Decide one request against one item row; raises ReviewError when it is not allowed."""
    item_id = str(row["id"])
    before = decision_state(row)
    after = dict(before)
    action = request.action
    if action in STATUS_ACTIONS:
        after["status"] = next_status(
            item_id, before["status"], action, needs_review=bool(before["needs_review"])
        ).value
        if action == "reject" and not request.reason.strip():
            raise ReviewError(f"item {item_id}: a reason is required to reject", hint="pass --reason TEXT")
        if action == "withdraw" and not request.reason.strip():
            raise ReviewError(f"item {item_id}: a reason is required to withdraw", hint="pass --reason TEXT")
        if action == "approve":
            after["needs_review"] = 0
        after["reviewed_at"] = iso_utc(now)
        after["reviewed_by"] = request.reviewer
    else:
        check_editable(item_id, before["status"], action)
    if request.reason.strip():
        after["review_note"] = request.reason.strip()
    if request.topics:
        known = set(known_topics)
        unknown = [t.lstrip("-") for t in request.topics if known and t.lstrip("-") not in known]
        if unknown:
            raise ReviewError(f"unknown topic {unknown[0]!r}", hint=f"known topics: {', '.join(sorted(known))}")
        after["topics"] = merge_topics(before["topics"], request.topics)
    if request.priority is not None:
        after["priority"] = request.priority.value
    if request.expires_at is not None:
        if request.expires_at and datetime.fromisoformat(request.expires_at) <= now:
            raise ReviewError(f"item {item_id}: the expiry {request.expires_at} is already past")
        after["expires_at"] = request.expires_at or None
    if request.broadcast_title is not None:
        after["broadcast_title"] = request.broadcast_title or None
    if request.broadcast_text is not None:
        after["broadcast_text"] = request.broadcast_text or None
    if action not in STATUS_ACTIONS and after == before:
        raise ReviewError(f"item {item_id}: nothing to change")
    return Change(item_id, row.get("story_id"), action, before, after, request.reason.strip())


def undo_plan(current: Mapping[str, Any], audit_row: Mapping[str, Any]) -> Change:
    """Revert one audit row, provided nobody changed the item since; raises ReviewError otherwise."""
    item_id = str(current["id"])
    before = decision_state(current)
    recorded_after = json.loads(audit_row["after"])
    if {k: before.get(k) for k in recorded_after} != recorded_after:
        raise ReviewError(
            f"item {item_id} changed after your {audit_row['action']} (status now {before['status']}); nothing undone"
        )
    after = dict(before)
    after.update(json.loads(audit_row["before"]))
    return Change(item_id, current.get("story_id"), "undo", before, after, f"undo {audit_row['action']}")


# -- queue ----------------------------------------------------------------------------------------------


def queue_key(row: Mapping[str, Any]) -> tuple[int, int, str, str]:
    """Highest priority first, new before held, then oldest first."""
    priority = Priority(row.get("priority") or Priority.NORMAL.value)
    held = 1 if row.get("status") == Status.HELD else 0
    return (-priority.rank, held, str(row.get("published_at") or ""), str(row["id"]))


def is_pending(row: Mapping[str, Any]) -> bool:
    return row.get("status") in PENDING_STATUSES or (
        row.get("status") == Status.APPROVED and bool(row.get("needs_review"))
    )


# -- the officer's edit buffer --------------------------------------------------------------------------

EDIT_HEADER = (
    "# Loa: the first line is the broadcast title; after a blank line comes the read-aloud text.\n"
    "# Lines starting with # are ignored. The source's own text is never changed.\n"
)


def edit_buffer(row: Mapping[str, Any]) -> str:
    title = row.get("broadcast_title") or row.get("title") or ""
    text = row.get("broadcast_text") or row.get("summary") or row.get("body_text") or ""
    return f"{EDIT_HEADER}{title}\n\n{text}\n"


def parse_edit_buffer(text: str) -> tuple[str, str]:
    """(title, read-aloud text), NFC; raises ReviewError when the title is empty."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or not lines[0].strip():
        raise ReviewError("the broadcast title is empty; nothing changed")
    title = unicodedata.normalize("NFC", lines[0].strip())
    body = unicodedata.normalize("NFC", "\n".join(lines[1:]).strip())
    return title, body
