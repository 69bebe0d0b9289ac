"""Acks on the store: resolve entry ids, slots and sheet rows, then decide and write all or nothing, with audit.

Every caller (CLI, CSV import, the desk form, the API) comes through `record`, so the rules are the same for all.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, time, tzinfo
from typing import Any

from worker.acks import Ack, Decision, Problem, SheetRow, decide, parse_day, parse_moment, parse_status, worst
from worker.dates import iso_utc
from worker.errors import LoaError
from worker.store import Store

BEFORE_FIELDS = ("status", "aired_at", "reason", "acked_by", "ack_source")


class AckRefused(LoaError):
    """Nothing changed: every problem of the request, and the one HTTP status that answers it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.status = worst(problems)
        lines = "; ".join(f"{p.label}: {p.message}" for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"nothing changed: {lines}{more}", hint="fix these and send the whole batch again")


@dataclass(frozen=True)
class Actor:
    source: str  # cli | csv | web | api
    name: str  # --as name, or the ward id for web and api
    os_user: str = ""


@dataclass
class AckOutcome:
    entries: list[dict[str, Any]] = field(default_factory=list)  # every acked entry, as stored now
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "forced": self.forced,
            "entries": [entry_json(e) for e in self.entries],
        }


def entry_json(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "ward", "date", "slot", "position", "priority", "story", "pack", "title", "script", "seconds")
    return {k: row.get(k) for k in (*keys, "repeat", "status", "aired_at", "reason", "acked_by", "ack_source")}


def record(
    store: Store,
    acks: list[Ack],
    *,
    actor: Actor,
    now: datetime,
    tz: tzinfo,
    force: bool = False,
    known: list[Problem] | None = None,
) -> AckOutcome:
    """Decide every ack against the entries as they are inside one transaction; write all, or raise AckRefused.

    `known` problems (rows that did not even parse) are reported together with the decisions' own.
    """
    if not acks and not known:
        raise AckRefused([Problem(400, "request", "", "no acks given")])
    with store.transaction():
        state = store.queue_entries_by_id(list(dict.fromkeys(a.entry for a in acks)))
        decisions: list[Decision] = []
        for ack in acks:
            decision = decide(state.get(ack.entry), ack, now=now, tz=tz, force=force, actor=actor.name)
            decisions.append(decision)
            if decision.change is not None:
                # A later ack in the same batch sees this one, so "aired twice in one file" is a replay, not a conflict.
                state[ack.entry] = {**state[ack.entry], **decision.change, "ack_source": actor.source}
        problems = [*(known or []), *(d.problem for d in decisions if d.problem is not None)]
        problems.sort(key=_row_order)
        if problems:
            raise AckRefused(problems)
        before = store.queue_entries_by_id(list(state))
        batch = uuid.uuid4().hex[:12]
        changes: list[dict[str, Any]] = []
        audit: list[dict[str, Any]] = []
        outcome = AckOutcome()
        for decision in decisions:
            entry_id = decision.ack.entry
            if decision.change is None:
                outcome.unchanged.append(entry_id)
                continue
            changes.append({**decision.change, "ack_source": actor.source})
            old = before[entry_id]
            audit.append(
                {
                    "batch": batch,
                    "at": iso_utc(now),
                    "ward": decision.ack.ward,
                    "entry": entry_id,
                    "source": actor.source,
                    "actor": actor.name,
                    "os_user": actor.os_user,
                    "from_status": old.get("status"),
                    "to_status": decision.change["status"],
                    "aired_at": decision.change["aired_at"],
                    "reason": decision.change["reason"],
                    "forced": int(decision.forced),
                    "before": json.dumps({k: old.get(k) for k in BEFORE_FIELDS}, ensure_ascii=False),
                }
            )
            outcome.changed.append(entry_id)
            if decision.forced:
                outcome.forced.append(entry_id)
        store.write_acks(changes, audit)
        after = store.queue_entries_by_id(list(state))
    outcome.changed = list(dict.fromkeys(outcome.changed))
    outcome.unchanged = [e for e in dict.fromkeys(outcome.unchanged) if e not in outcome.changed]
    outcome.entries = [after[e] for e in dict.fromkeys(a.entry for a in acks)]
    return outcome


def _row_order(problem: Problem) -> tuple[int, str]:
    number = problem.label.removeprefix("row ").removeprefix("line ")
    return (int(number), "") if number.isdigit() else (0, problem.label)


def resolve_refs(store: Store, ward: str, refs: list[str], slot: tuple[str, str] | None) -> list[str]:
    """Entry ids (full or a unique prefix) and/or every entry of one slot → full ids; unknown → AckRefused 404."""
    ids: list[str] = []
    problems: list[Problem] = []
    for ref in refs:
        found = store.find_queue_entry_ids(ward, ref.strip())
        if len(found) == 1:
            ids.append(found[0])
        elif found:
            problems.append(Problem(400, ref, ref, f"id prefix {ref!r} is ambiguous ({', '.join(found)}, …)"))
        else:
            problems.append(Problem(404, ref, ref, f"no queue entry {ref!r} for ward {ward!r}"))
    if slot is not None:
        in_slot = store.slot_entry_ids(ward, *slot)
        if not in_slot:
            problems.append(Problem(404, "--slot", "", f"ward {ward!r} has no entries in slot {slot[0]} {slot[1]}"))
        ids.extend(in_slot)
    if problems:
        raise AckRefused(problems)
    return list(dict.fromkeys(ids))


def sheet_acks(store: Store, rows: list[SheetRow], tz: tzinfo) -> tuple[list[Ack], list[Problem]]:
    """Ward sheet rows → acks; a row naming a slot (without `order`) acks every entry of that slot."""
    acks: list[Ack] = []
    problems: list[Problem] = []
    for row in rows:
        label = f"row {row.line}"
        cells = row.cells

        def bad(code: int, message: str, entry: str = "", label: str = label) -> None:
            problems.append(Problem(code, label, entry, message))

        ward = cells.get("ward", "")
        status = parse_status(cells.get("status", ""))
        if not ward:
            bad(400, "ward is empty")
            continue
        if status is None:
            bad(400, f"status {cells.get('status', '')!r} is not aired/skipped/đã phát/không phát")
            continue
        aired_at: datetime | None = None
        clock: time | None = None
        try:
            moment = parse_moment(cells.get("aired_at", ""), tz)
        except ValueError as exc:
            bad(400, str(exc))
            continue
        if isinstance(moment, datetime):
            aired_at = moment
        elif isinstance(moment, time):
            clock = moment
        ack = Ack(ward, "", status, aired_at, clock, "slot", cells.get("reason", ""), label)
        if cells.get("entry"):
            found = store.find_queue_entry_ids(ward, cells["entry"])
            if len(found) != 1:
                bad(404 if not found else 400, f"entry {cells['entry']!r}: {'ambiguous' if found else 'not found'}")
                continue
            acks.append(replace(ack, entry=found[0]))
            continue
        try:
            day = parse_day(cells.get("date", "")).isoformat()
            slot_clock = parse_moment(cells.get("slot", ""), tz)
            if not isinstance(slot_clock, time):
                raise ValueError(f"slot {cells.get('slot', '')!r} is not HH:MM")
            order = int(cells["order"]) if cells.get("order") else None
        except ValueError as exc:
            bad(400, str(exc))
            continue
        ids = store.slot_entry_ids(ward, day, slot_clock.strftime("%H:%M"), order)
        if not ids:
            where = f"{day} {slot_clock:%H:%M}" + (f" #{order}" if order else "")
            bad(404, f"ward {ward!r} has no entry at {where}")
            continue
        acks.extend(replace(ack, entry=entry_id) for entry_id in ids)
    return acks, problems
