"""Officer actions against the store: resolve ids, stories and filters, apply the status machine, undo.

Every call is one transaction: either every requested change is written with its audit row, or none is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.errors import ReviewError
from worker.review import (
    STATUS_ACTIONS,
    Change,
    Request,
    RuleOutcome,
    allowed_moves,
    compile_match,
    item_text,
    plan,
    rules_change,
    undo_plan,
)
from worker.store import Actor, Store


@dataclass(frozen=True)
class Filters:
    """Bulk selection: story-leading items matching every given filter."""

    source_id: str | None = None
    since: datetime | None = None
    kind: str | None = None
    match: str | None = None  # regex, case- and tone-insensitive, over title, summary and body

    @property
    def given(self) -> bool:
        return any(value is not None for value in (self.source_id, self.since, self.kind, self.match))


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What one command did: the changes written (none when anything was refused) and the refusals."""

    action: str
    actor: Actor
    batch: str | None
    changes: tuple[Change, ...] = ()
    refused: tuple[Refusal, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.refused


def select(store: Store, action: str, filters: Filters) -> list[dict[str, Any]]:
    """Story-leading items that match the filters and on which `action` is allowed, oldest first."""
    rows = store.story_leads(
        statuses=("new", "held", "approved"), source_id=filters.source_id, since=filters.since, kind=filters.kind
    )
    if filters.match is not None:
        matcher = compile_match(filters.match)
        rows = [row for row in rows if matcher.search(item_text(row))]
    if action in STATUS_ACTIONS:
        rows = [row for row in rows if action in allowed_moves(row["status"], bool(row["needs_review"]))]
    return rows


def act(
    store: Store,
    refs: list[str],
    request: Request,
    *,
    actor: Actor,
    now: datetime,
    known_topics: tuple[str, ...] = (),
) -> Outcome:
    """Apply `request` to every ref (item id, unique prefix or story id), all or nothing.

    A ref that leads its story acts on the story as a whole: the other items of the story that
    can make the same status move follow it; those that cannot (duplicates, decided items) are left alone.
    """
    with store.transaction():
        changes: list[Change] = []
        refused: list[Refusal] = []
        seen: set[str] = set()
        for ref in refs:
            try:
                row = store.find_item(ref)
            except ReviewError as error:
                refused.append(Refusal(ref, str(error)))
                continue
            if row["id"] in seen:
                continue
            try:
                changes.append(plan(row, request, now=now, known_topics=known_topics))
            except ReviewError as error:
                refused.append(Refusal(ref, str(error)))
                continue
            seen.add(row["id"])
            changes.extend(_followers(store, row, request, now=now, seen=seen))
        if refused or not changes:
            return Outcome(request.action, actor, None, (), tuple(refused))
        batch = new_batch()
        for change in changes:
            store.record_change(change, actor=actor, now=now, batch=batch)
    return Outcome(request.action, actor, batch, tuple(changes), ())


def _followers(store: Store, lead: dict[str, Any], request: Request, *, now: datetime, seen: set[str]) -> list[Change]:
    story = store.story(lead.get("story_id"))
    if request.action not in STATUS_ACTIONS or story is None or story["canonical_item_id"] != lead["id"]:
        return []
    follow = Request(action=request.action, reviewer=request.reviewer, reason=request.reason)
    changes = []
    for member in store.story_items(story["id"]):
        if member["id"] in seen or member["status"] == "duplicate":
            continue
        if request.action not in allowed_moves(member["status"], bool(member["needs_review"])):
            continue
        seen.add(member["id"])
        changes.append(plan(member, follow, now=now))
    return changes


def apply_rules(
    store: Store,
    decide: Callable[[dict[str, Any]], RuleOutcome],
    *,
    actor: Actor,
    now: datetime,
    source_id: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Run today's rules and topics again on every item awaiting review (new or held), in one batch.

    Rules run on new items at sync; after an officer adds or changes a rule, this brings the backlog in
    line. Decided items (approved, rejected, withdrawn) are never touched: their outputs follow officers only.
    """
    with store.transaction():
        changes = [
            change
            for status in ("new", "held")
            for row in store.items(status=status, source_id=source_id)
            if (change := rules_change(row, decide(row))) is not None
        ]
        if dry_run or not changes:
            return Outcome("rules", actor, None, tuple(changes), ())
        batch = new_batch()
        for change in changes:
            store.record_change(change, actor=actor, now=now, batch=batch)
    return Outcome("rules", actor, batch, tuple(changes), ())


def undo_last(store: Store, *, actor: Actor, now: datetime) -> Outcome:
    """Revert the reviewer's own most recent action (every item it touched); the undo is audited too."""
    with store.transaction():
        rows = store.last_batch(actor.reviewer)
        if not rows:
            raise ReviewError(f"nothing to undo for reviewer {actor.reviewer!r}")
        changes = [undo_plan(store.raw_item(row["item_id"]), row) for row in reversed(rows)]
        batch = new_batch()
        for change in changes:
            store.record_change(change, actor=actor, now=now, batch=batch)
        store.mark_undone([int(row["id"]) for row in rows], by_batch=batch)
    return Outcome("undo", actor, batch, tuple(changes), ())


def new_batch() -> str:
    return uuid.uuid4().hex[:16]


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "action": outcome.action,
        "reviewer": outcome.actor.reviewer,
        "os_user": outcome.actor.os_user,
        "batch": outcome.batch,
        "changed": [
            {
                "item_id": c.item_id,
                "story_id": c.story_id,
                "action": c.action,
                "from": c.from_status,
                "to": c.to_status,
                "reason": c.reason or None,
                "changes": {
                    k: {"from": c.before[k], "to": c.after[k]} for k in c.after if c.before.get(k) != c.after[k]
                },
            }
            for c in outcome.changes
        ],
        "refused": [{"id": r.ref, "reason": r.reason} for r in outcome.refused],
    }
