"""Ward broadcast queues as a capability: published stories → broadcast.fill() → queue_entries → outputs/queues/.

The decisions stay in broadcast.py; this module reads and saves through the store and hands files to the writer.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.broadcast import (
    BroadcastStory,
    BroadcastWard,
    Candidate,
    EntryStatus,
    QueueEntry,
    QueuePlan,
    candidates_for,
    entry_id,
    fill,
    fill_rules,
    frame_reserve,
)
from worker.models import Priority
from worker.publish_queue import (
    QueueListing,
    SlotScript,
    clock,
    day_totals,
    queue_days,
    queue_index,
    render_queue,
    slot_groups,
    slot_scripts,
    ward_title,
)
from worker.readaloud import StoryText
from worker.sanitize import html_to_text, nfc
from worker.wards import Ward

if TYPE_CHECKING:
    from worker.config import Config
    from worker.publish.model import Snapshot  # a runtime import would cycle: worker.publish imports this module
    from worker.store import Store

# queue_entries columns the plan owns; ack columns (aired_at, reason, acked_by, ack_source) belong to the desk.
_PLANNED = ("id", "ward", "date", "slot", "priority", "story", "pack", "title", "script", "seconds", "repeat", "status")
_EXTINF = re.compile(r"^#EXTINF:(\d+),")


# Bump when planning or the queue files change, so every stored ward fingerprint is stale.
QUEUE_FORMAT = "queues-3"
_ROW_SHAPE = ("date", "slot", "position", "priority", "story", "pack", "title", "script", "seconds", "repeat", "status")


@dataclass(frozen=True)
class WardQueueState:
    """What publish remembers of one ward's queue (in its manifest) to skip the ward while nothing changed."""

    fingerprint: str  # every input of the ward's plan and files, including the token of its rows
    token: str  # queue_tokens value once this publish had saved the ward's rows
    shape: str  # digest of its rows without the ward id; "" when they cannot stand for another ward's
    entries: int
    unplaced: int
    clock: str = ""  # how much of `now` the fingerprint holds: "", "day" or "slot" (see `_phase`)
    frame: str = ""  # what the ward's slot scripts read besides their entries (settings, code, name): `frame`
    printed: str = ""  # the first day its print page covered (YYYY-MM-DD), "" when it printed every slot
    reserve: int = 0  # its frame_reserve, valid while `frame` is unchanged (0: unknown)

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _STATE_KEYS}

    @classmethod
    def from_json(cls, data: Any) -> WardQueueState | None:
        try:
            # `frame`, `printed` and `reserve` came later: an older manifest reads as ""/0 (nothing reused yet).
            return cls(
                **{k: data[k] for k in _STATE_KEYS if k not in _LATER_KEYS},
                frame=str(data.get("frame") or ""),
                printed=str(data.get("printed") or ""),
                reserve=int(data.get("reserve") or 0),
            )
        except (KeyError, TypeError, AttributeError):
            return None


_STATE_KEYS = ("fingerprint", "token", "shape", "entries", "unplaced", "clock", "frame", "printed", "reserve")
_LATER_KEYS = ("frame", "printed", "reserve")


@dataclass(frozen=True)
class PlannedClass:
    """Wards whose plans are provably the same modulo their ids: one planned, the others mapped from it."""

    plan: QueuePlan  # the first member's
    members: tuple[BroadcastWard, ...]
    # Per member, the (date, slot)s whose script on disk reads as this plan's: written from the same rows
    # (the slot's entries read the same) with the same framing. They are kept, not rendered again.
    reusable: Mapping[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    pages: frozenset[str] = frozenset()  # members whose print page covers the same days and slots, unchanged
    indexes: frozenset[str] = frozenset()  # members whose rows, and so queue.json (the index of days), are unchanged
    days: Mapping[str, frozenset[str]] = field(default_factory=dict)  # per member, days whose rows (file) are unchanged

    def reuse(self, ward: str) -> frozenset[tuple[str, str]]:
        return self.reusable.get(ward, frozenset())

    def kept_days(self, ward: str) -> frozenset[str]:
        return self.days.get(ward, frozenset())


@dataclass(frozen=True)
class QueueResult:
    """What one refresh planned (and saved, unless it was a dry run); wards skipped as unchanged are in `kept`."""

    wards: tuple[BroadcastWard, ...] = ()  # the wards planned this time
    classes: tuple[PlannedClass, ...] = ()
    saved: dict[str, int] = field(default_factory=dict)  # inserted | updated | deleted rows
    kept: tuple[str, ...] = ()
    states: dict[str, WardQueueState] = field(default_factory=dict)

    def plan_for(self, ward: str) -> QueuePlan | None:
        found = self._by_ward.get(ward)
        if found is None:
            return None
        each, view = found
        return each.plan if view.id == each.plan.ward else map_plan(each.plan, view.id)

    def entries(self, ward: str) -> tuple[QueueEntry, ...]:
        found = self.plan_for(ward)
        return found.entries if found is not None else ()

    @property
    def plans(self) -> tuple[QueuePlan, ...]:
        return tuple(p for p in (self.plan_for(view.id) for view in self.wards) if p is not None)

    @cached_property
    def _by_ward(self) -> dict[str, tuple[PlannedClass, BroadcastWard]]:
        found: dict[str, tuple[PlannedClass, BroadcastWard]] = {}
        for each in self.classes:
            for view in each.members:
                found.setdefault(view.id, (each, view))  # the first plan of a ward wins, as a scan would
        return found

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"entries": 0}
        for each in self.classes:
            size = len(each.members)
            out["entries"] += len(each.plan.entries) * size
            for action, count in each.plan.counts().items():
                out[action] = out.get(action, 0) + count * size
        for ward in self.kept:
            state = self.states[ward]
            out["entries"] += state.entries
            if state.unplaced:  # still unplaced: reported as every plan would
                out["unplaced"] = out.get("unplaced", 0) + state.unplaced
        return out

    def as_json(self) -> dict[str, Any]:
        return {"wards": len(self.wards) + len(self.kept), **self.counts(), "saved": self.saved}


def chunk_result(result: QueueResult, count: int) -> list[QueueResult]:
    """The planned wards in `count` consecutive results of nearly equal size (fewer if there are fewer wards),
    for processes to render between them; a class's members may fall in several."""
    pairs = [(each, view) for each in result.classes for view in each.members]
    count = max(1, min(count, len(pairs)))
    bounds = [len(pairs) * n // count for n in range(count + 1)]
    chunks: list[QueueResult] = []
    for start, end in itertools.pairwise(bounds):
        classes = tuple(
            replace(group[0][0], members=tuple(view for _each, view in group))
            for group in (list(g) for _key, g in itertools.groupby(pairs[start:end], key=lambda pair: id(pair[0])))
        )
        chunks.append(replace(result, classes=classes, wards=tuple(v for c in classes for v in c.members)))
    return chunks


def map_plan(plan_: QueuePlan, ward: str) -> QueuePlan:
    """A class member's plan from its representative's: the same entries under the member's ward and entry ids."""
    entries = tuple(replace(e, id=entry_id(ward, e.story, e.repeat), ward=ward) for e in plan_.entries)
    changes = tuple(replace(c, entry=entry_id(ward, c.story, c.repeat)) for c in plan_.changes)
    return QueuePlan(ward=ward, entries=entries, changes=changes, flagged=plan_.flagged)


def broadcast_wards(wards: Iterable[Ward]) -> list[tuple[Ward, BroadcastWard]]:
    """The wards that broadcast (they have slots), with their scheduling view."""
    out: list[tuple[Ward, BroadcastWard]] = []
    parsed: dict[tuple[Any, ...], BroadcastWard] = {}
    for index, ward in enumerate(wards):
        if not ward.slots:
            continue
        # Parsing slots and quiet days is the same for every ward that writes them alike: parse once, rename.
        key = (ward.kind, ward.slots, ward.quiet_days, ward.daily_cap)
        known = parsed.get(key)
        if known is None:
            view = ward.broadcast(f"wards[{index}]")
            if view is None:
                continue
            parsed[key] = view
        else:
            view = replace(known, id=ward.id, name=nfc(ward.name))
        out.append((ward, view))
    return out


def entry_from_row(row: dict[str, Any]) -> QueueEntry:
    return QueueEntry.from_dict({**row, "order": int(row.get("position") or 0), "repeat": int(row.get("repeat") or 0)})


def entry_row(entry: QueueEntry) -> dict[str, Any]:
    data = entry.as_dict()
    return {**{key: data[key] for key in _PLANNED}, "position": entry.order}


def published_stories(snapshot: Snapshot, wards: Sequence[Ward]) -> list[BroadcastStory]:
    """Each story in the published packs once, for the wards whose topics and kinds want it (as their feeds)."""
    out: list[BroadcastStory] = []
    for story, item in _first_items(snapshot):
        wanted = tuple(w.id for w in wards if w.wants(item.topics, item.kind))
        if wanted:  # an empty `wards` would mean every ward
            out.append(replace(story, wards=wanted))
    return out


def _first_items(snapshot: Snapshot) -> list[tuple[BroadcastStory, Any]]:
    """Each story once, from its first item (oldest pack first: a story in two packs keeps the pack it first aired with)."""
    seen: set[str] = set()
    out: list[tuple[BroadcastStory, Any]] = []
    for pack in sorted(snapshot.packs, key=lambda p: (p.published_at, p.number)):
        for item in pack.items:
            if item.story_id in seen:
                continue
            seen.add(item.story_id)
            text = StoryText(
                id=item.story_id,
                title=item.title,
                lead=item.summary or html_to_text(item.body_html),
                broadcast_title=item.broadcast_title,
                broadcast_text=item.broadcast_text,
                source=item.agency or item.source_name,
            )
            out.append((BroadcastStory(text, priority=item.priority, pack=pack.slug), item))
    return out


def stories_by_filter(
    snapshot: Snapshot, wards: Sequence[Ward]
) -> dict[tuple[tuple[str, ...], tuple[str, ...]], list[BroadcastStory]]:
    """The live stories each ward filter airs (wards with one filter air the same), in published order."""
    firsts = _first_items(snapshot)
    out: dict[tuple[tuple[str, ...], tuple[str, ...]], list[BroadcastStory]] = {}
    for ward in wards:
        if ward.filter_key not in out:
            out[ward.filter_key] = [story for story, item in firsts if ward.wants(item.topics, item.kind)]
    return out


def gone_stories(
    live: Sequence[BroadcastStory], existing: Sequence[QueueEntry], expiries: dict[str, datetime]
) -> list[BroadcastStory]:
    """Queued stories a ward no longer airs (withdrawn, expired, or outside its filter now) so plan() removes them."""
    airs = {(ward, s.text.id) for s in live for ward in s.wards}
    leaving: dict[str, list[QueueEntry]] = {}
    for entry in existing:
        if entry.status == EntryStatus.QUEUED and (entry.ward, entry.story) not in airs:
            leaving.setdefault(entry.story, []).append(entry)
    out: list[BroadcastStory] = []
    for story, entries in sorted(leaving.items()):
        wards = tuple(sorted({e.ward for e in entries}))
        text = StoryText(id=story, title=entries[0].title)
        expires = expiries.get(story)
        out.append(BroadcastStory(text, withdrawn=expires is None, expires_at=expires, wards=wards))
    return out


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _story_print(story: BroadcastStory) -> str:
    t = story.text
    return repr(
        (t.id, t.title, t.lead, t.broadcast_title, t.broadcast_text, t.source, story.priority.value, story.pack)
    )


_PLANNERS = ("queues.py", "broadcast.py", "publish_queue.py", "readaloud.py")


def _code_print() -> str:
    """The planning and rendering code itself: a new release re-plans every ward once, whatever QUEUE_FORMAT says."""
    worker = Path(__file__).resolve().parent
    return _digest(hashlib.sha256((worker / name).read_bytes()).hexdigest() for name in _PLANNERS)


def _view_print(view: BroadcastWard) -> str:
    # Sorted: a frozenset of dates iterates in an order that changes with each process's hash seed.
    quiet = (sorted(view.quiet_weekdays), sorted(view.quiet_dates))
    return repr((view.id, view.name, view.kind, view.slots, quiet, view.daily_cap_seconds))


def row_shape(ward: str, rows: Sequence[dict[str, Any]]) -> str:
    """Digest of a ward's rows (airing order) without its id; "" when planning it could depend on entry ids.

    Ids break ties only between entries sharing a slot position, which needs a skipped entry or a hand-made
    row; wards with either are planned on their own.
    """
    seen: set[tuple[Any, ...]] = set()
    parts: list[str] = []
    for row in rows:
        key = (row["date"], row["slot"], row["position"])
        if row["status"] == EntryStatus.SKIPPED or key in seen:
            return ""
        if row["id"] != entry_id(ward, row["story"], int(row["repeat"] or 0)):
            return ""
        seen.add(key)
        parts.append(repr(tuple(row[k] for k in _ROW_SHAPE)))
    return _digest(parts)


def _slot_reads(items: Iterable[tuple[str, str, int, str, str, str]]) -> dict[tuple[str, str], tuple[Any, ...] | None]:
    """(date, slot) → what its script reads from the entries (order, priority, script), skipped ones left out.

    None for a slot where two entries share a position: their reading order would fall to the entry sequence.
    """
    found: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for day, slot, order, priority, script, status in items:
        if status != EntryStatus.SKIPPED:
            found.setdefault((day, slot), []).append((order, priority, script))
    return {
        key: tuple(sorted(parts)) if len({p[0] for p in parts}) == len(parts) else None for key, parts in found.items()
    }


def same_slots(
    old_rows: Sequence[dict[str, Any]], entries: Sequence[QueueEntry], days: tuple[str, str] | None
) -> tuple[frozenset[tuple[str, str]], bool]:
    """The slots of a new plan whose script reads exactly as the one rendered from `old_rows`, and whether the
    print page of `days` (first, last; None: no page kept) lists the same slots, all of them unchanged.
    """
    before = _slot_reads(
        (r["date"], r["slot"], int(r["position"] or 0), r["priority"], r["script"], r["status"]) for r in old_rows
    )
    after = _slot_reads((e.date, e.slot, e.order, e.priority, e.script, e.status) for e in entries)
    same = frozenset(key for key, reads in after.items() if reads is not None and before.get(key) == reads)
    if days is None:
        return same, False
    printed_before = {key for key in before if days[0] <= key[0] <= days[1]}
    printed_after = {key for key in after if days[0] <= key[0] <= days[1]}
    return same, printed_before == printed_after and printed_after <= same


_LISTED_ROW = ("id", "date", "slot", "position", "priority", "story", "pack", "title", "seconds", "repeat", "status")


def same_days(old_rows: Sequence[dict[str, Any]], new_rows: Sequence[dict[str, Any]]) -> tuple[frozenset[str], bool]:
    """The days of a new plan whose rows all list as before (their YYYY-MM-DD.json reads the same), and whether
    every row does (ids, places, fields, statuses), so queue.json, the index of days, reads the same too.
    """

    def by_day(rows: Sequence[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            out.setdefault(row["date"], []).append(tuple(row[k] for k in _LISTED_ROW))
        return out

    before, after = by_day(old_rows), by_day(new_rows)
    kept = frozenset(day for day, rows in after.items() if sorted(rows) == sorted(before.get(day, ())))
    return kept, len(kept) == len(after) and before.keys() <= after.keys()


def _phase(view: BroadcastWard, now: datetime, tz: Any, clock: str) -> str:
    """What of `now` can still change a plan whose other inputs are unchanged (`clock`, from `_clock`)."""
    if not clock:
        return ""
    today = now.astimezone(tz).date()
    if clock == "day":
        return today.isoformat()
    started = "".join("1" if datetime.combine(today, s.start, tzinfo=tz) < now else "0" for s in view.slots)
    return f"{today.isoformat()}/{started}"


def _clock(plan_: QueuePlan, candidates: Sequence[Candidate]) -> str:
    """How re-planning the same inputs later could differ: "" never, "day" from tomorrow, "slot" at a slot start.

    Later, `fill` only loses the slots that began in between: entries already placed stay, and removals,
    updates and renumbering only touch slots not begun, which the plan already settled. Only what it left
    unplaced can land elsewhere: in a new day at the end of the horizon, or, for a khẩn cấp story that
    displaces in the first slot not begun, as soon as a slot begins.
    """
    unplaced = {c.story for c in plan_.changes if c.action == "unplaced"}
    if not unplaced:
        return ""
    if any(c.story in unplaced and c.priority is Priority.URGENT for c in candidates):
        return "slot"
    return "day"


# Wards whose rows are read at once to learn their shape (~600 rows a ward at a 14-day horizon: ~75 MB).
SHAPE_CHUNK = 50


def refresh(
    config: Config,
    store: Store,
    snapshot: Snapshot,
    wards: Sequence[Ward],
    *,
    now: datetime,
    save: bool,
    previous: Mapping[str, WardQueueState] | None = None,
    present: Callable[[str], bool] | None = None,
    listed: Mapping[str, Collection[str]] | None = None,
) -> QueueResult:
    """Plan every broadcasting ward's queue from the snapshot; with `save`, store it in the same transaction.

    A ward whose fingerprint equals `previous` (and whose files are `present`) is kept: not read, planned,
    saved or rendered. Wards alike modulo their ids are planned once per class (see `row_shape`). A planned
    ward's slot scripts that read the same as before are kept when `listed` (ward → file names in the last
    manifest) has them and its files are `present`.
    """
    pairs = broadcast_wards(wards)
    if not pairs:
        return QueueResult()
    previous = previous or {}
    settings = config.broadcast
    window = (config.campaign.start, config.campaign.end) if config.campaign else None
    first = first_day(config, now)
    days = (first.isoformat(), (first + timedelta(days=settings.print_days - 1)).isoformat())
    printed = days[0] if settings.print_days else ""
    by_filter = stories_by_filter(snapshot, [ward for ward, _view in pairs])
    filter_prints = {key: _digest(_story_print(s) for s in stories) for key, stories in by_filter.items()}
    base = [_digest([QUEUE_FORMAT, _code_print(), repr(settings), str(config.timezone), repr(window)])]

    def frame(view: BroadcastWard) -> str:
        # Everything a slot script reads besides its entries: the settings and code (in `base`), name, kind.
        return _digest([*base, _view_print(view)])

    def fingerprint(ward: Ward, view: BroadcastWard, token: str, clock: str) -> str:
        phase = _phase(view, now, config.timezone, clock)
        return _digest([*base, _view_print(view), filter_prints[ward.filter_key], token, phase])

    def run() -> QueueResult:
        tokens = store.queue_tokens()
        kept: list[str] = []
        states: dict[str, WardQueueState] = {}
        todo: list[tuple[Ward, BroadcastWard]] = []
        for ward, view in pairs:
            before = previous.get(view.id)
            token = tokens.get(view.id, "")
            if (
                before is not None
                and before.fingerprint == fingerprint(ward, view, token, before.clock)
                and (present is None or present(view.id))
            ):
                kept.append(view.id)
                states[view.id] = before
            else:
                todo.append((ward, view))
        if not todo:
            return QueueResult(
                kept=tuple(kept), states=states, saved=dict.fromkeys(("inserted", "updated", "deleted"), 0)
            )
        # Rows: a ward whose token is the one its shape was recorded with needs none unless it leads a class.
        shapes: dict[str, str] = {}
        for _ward, view in todo:
            before = previous.get(view.id)
            if before is not None and before.shape and before.token == tokens.get(view.id, ""):
                shapes[view.id] = before.shape
        unknown = [view.id for _w, view in todo if view.id not in shapes]
        # Read a few wards at a time and keep only their digests (and, for a handful of wards, their rows): after
        # a publish killed between saving its rows and writing its manifest no ward's shape is known, and every
        # ward's rows at once (~2 M at 3,321 wards) took 5 GB. The class leaders' rows are read again below.
        rows: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(unknown), SHAPE_CHUNK):
            found = store.queue_rows_of(unknown[start : start + SHAPE_CHUNK])
            for ward_id, ward_rows in found.items():
                shapes[ward_id] = row_shape(ward_id, ward_rows)
            if len(unknown) <= SHAPE_CHUNK:
                rows.update(found)
        ward_of = {view.id: ward for ward, view in todo}
        reserves: dict[tuple[Any, ...], int] = {}
        reserve_of: dict[str, int] = {}
        classes: dict[tuple[Any, ...], list[tuple[Ward, BroadcastWard]]] = {}
        for ward, view in todo:
            frame_key = (view.kind, view.name, view.slots)
            if frame_key not in reserves:
                # Reading the intro and outro aloud costs ~1 ms a ward: the last publish's figure stands while
                # everything it reads from (settings, code, name, kind, slots: the frame) is unchanged.
                before = previous.get(view.id)
                if before is not None and before.reserve and before.frame == frame(view):
                    reserves[frame_key] = before.reserve
                else:
                    reserves[frame_key] = frame_reserve(view, settings)
            reserve_of[view.id] = reserves[frame_key]
            shape = shapes[view.id]
            key = (
                view.slots,
                view.quiet_weekdays,
                view.quiet_dates,
                view.daily_cap_seconds,
                reserves[frame_key],
                ward.filter_key,
                shape or view.id,  # "": a class of its own
            )
            classes.setdefault(key, []).append((ward, view))
        leaders = [members[0][1].id for members in classes.values()]
        rows.update(store.queue_rows_of([ward for ward in leaders if ward not in rows]))
        existing = {ward: [entry_from_row(r) for r in rows[ward]] for ward in leaders}
        leaving_ids: set[str] = set()
        leaving_of: dict[str, dict[str, list[QueueEntry]]] = {}
        for key, members in classes.items():
            leader = members[0][1].id
            airs = {s.text.id for s in by_filter[key[5]]}
            mine: dict[str, list[QueueEntry]] = {}
            for entry in existing[leader]:
                if entry.status == EntryStatus.QUEUED and entry.story not in airs:
                    mine.setdefault(entry.story, []).append(entry)
            leaving_of[leader] = mine
            leaving_ids |= set(mine)
        expiries = store.story_expiries(sorted(leaving_ids), now=now) if leaving_ids else {}
        scripts: dict[tuple[str, bool], Any] = {}
        planned: list[PlannedClass] = []
        clocks: dict[str, str] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        deletes: list[str] = []
        saved = dict.fromkeys(("inserted", "updated", "deleted"), 0)

        def flush() -> None:
            for action, count in store.apply_queue_changes(inserts, updates, deletes, now=now).items():
                saved[action] += count
            inserts.clear()
            updates.clear()
            deletes.clear()

        for key, members in classes.items():
            leader_view = members[0][1]
            leaving = [
                BroadcastStory(
                    StoryText(id=story, title=entries[0].title),
                    withdrawn=story not in expiries,
                    expires_at=expiries.get(story),
                )
                for story, entries in sorted(leaving_of[leader_view.id].items())
            ]
            candidates, flagged = candidates_for(leader_view, [*by_filter[key[5]], *leaving], settings.reading, scripts)
            rules = fill_rules(config, key[4])
            result = replace(
                fill(leader_view, existing[leader_view.id], candidates, now, rules), flagged=tuple(flagged)
            )
            # A ward's files were written from its rows as they are now when its token is the one the last
            # completed publish recorded (the manifest is written last) and its framing did not change.
            reusable: dict[str, frozenset[tuple[str, str]]] = {}
            pages: set[str] = set()
            indexes: set[str] = set()
            days_kept: dict[str, frozenset[str]] = {}
            same: tuple[frozenset[tuple[str, str]], bool] | None = None
            unmoved: tuple[frozenset[str], bool] | None = None
            for _w, view in members:
                before = previous.get(view.id)
                names = (listed or {}).get(view.id)
                if (
                    before is None
                    or not names
                    or before.frame != frame(view)
                    or before.token != tokens.get(view.id, "")
                    or (present is not None and not present(view.id))
                ):
                    continue
                if same is None:
                    same = same_slots(rows[leader_view.id], result.entries, days if printed else None)
                reusable[view.id] = frozenset(k for k in same[0] if f"{k[0]}_{k[1].replace(':', '')}.txt" in names)
                if same[1] and before.printed == printed and "index.html" in names:
                    pages.add(view.id)  # the same days, the same slots reading the same: the same page
                if unmoved is None:
                    new_rows = [entry_row(e) for e in result.entries]
                    unmoved = same_days(rows[leader_view.id], new_rows)
                # A new pack moves a day or two of a ward's queue: the other days' files stay as they are.
                days_kept[view.id] = frozenset(day for day in unmoved[0] if f"{day}.json" in names)
                if unmoved[1] and "queue.json" in names:
                    indexes.add(view.id)  # e.g. the first publish of a day, only moving the print page on
            members_ = tuple(view for _w, view in members)
            planned.append(PlannedClass(result, members_, reusable, frozenset(pages), frozenset(indexes), days_kept))
            # The print page covers days from today: with print_days it changes at midnight, so the day counts.
            clocks[leader_view.id] = _clock(result, candidates) or ("day" if settings.print_days else "")
            if not save:
                continue
            plus, changed, minus = _row_diff(rows[leader_view.id], [entry_row(e) for e in result.entries])
            for _ward, view in members:
                if view.id == leader_view.id:
                    inserts += plus
                    updates += changed
                    deletes += [row["id"] for row in minus]
                else:
                    inserts += [_renamed(row, view.id) for row in plus]
                    updates += [_renamed(row, view.id) for row in changed]
                    deletes += [entry_id(view.id, row["story"], int(row["repeat"] or 0)) for row in minus]
                if len(inserts) + len(updates) + len(deletes) > 20_000:  # a first national publish: ~10^6 rows
                    flush()
        if save:
            flush()
            tokens = store.queue_tokens()
            for each in planned:
                rows_after = sorted(
                    (entry_row(e) for e in each.plan.entries),
                    key=lambda r: (r["date"], r["slot"], r["position"], r["id"]),
                )
                shape = row_shape(each.plan.ward, rows_after)
                unplaced = each.plan.counts().get("unplaced", 0)
                clock = clocks[each.plan.ward]
                for view in each.members:
                    token = tokens.get(view.id, "")
                    states[view.id] = WardQueueState(
                        fingerprint=fingerprint(ward_of[view.id], view, token, clock),
                        token=token,
                        shape=shape,
                        entries=len(each.plan.entries),
                        unplaced=unplaced,
                        clock=clock,
                        frame=frame(view),
                        printed=printed,
                        reserve=reserve_of[view.id],
                    )
        views = tuple(view for each in planned for view in each.members)
        return QueueResult(wards=views, classes=tuple(planned), saved=saved, kept=tuple(kept), states=states)

    if not save:
        return run()
    # Read, plan and write under one write lock: an ack from the ward desk lands before or after, never between.
    with store.bulk_transaction():
        return run()


def _renamed(row: dict[str, Any], ward: str) -> dict[str, Any]:
    return {**row, "id": entry_id(ward, row["story"], int(row["repeat"] or 0)), "ward": ward}


def _row_diff(
    old_rows: Sequence[dict[str, Any]], new_rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows to insert, queued rows to update, queued rows to delete (acked rows stay): one class's diff."""
    current = {row["id"]: row for row in old_rows}
    plus: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in new_rows:
        old = current.pop(row["id"], None)
        if old is None:
            plus.append(row)
        elif old["status"] == "queued" and any(old.get(k) != v for k, v in row.items()):
            changed.append(row)
    minus = [row for row in current.values() if row["status"] == "queued"]
    return plus, changed, minus


def queue_files(
    config: Config, result: QueueResult, *, now: datetime
) -> Iterator[tuple[str, dict[str, bytes], tuple[str, ...]]]:
    """Per planned ward, outputs/queues/<ward>/: queue.json, YYYY-MM-DD.json per day, a script per slot, index.html.

    One ward at a time, so a national publish never holds every ward's files; a class shares one encoding per day.
    The third item names the files kept as they are on disk (they read the same: `PlannedClass`).
    """
    today = first_day(config, now)
    for each in result.classes:
        leader = each.plan.ward  # usually members[0]; a class split between processes has it in one part only
        days = queue_days(leader, each.plan.entries)
        groups = slot_groups(leader, each.plan.entries)
        totals = day_totals(days)
        others = [view for view in each.members if view.id != leader]
        # A shared encoding of a day only when some member needs that day's file written.
        wanted = {day for view in others for day in days if day not in each.kept_days(view.id)}
        listings = {day: QueueListing.build(leader, day, days[day]) for day in sorted(wanted)}
        for view in each.members:
            reuse = each.reuse(view.id)
            page = view.id not in each.pages
            index = view.id not in each.indexes
            kept_days = each.kept_days(view.id)
            kept = tuple(sorted(f"{day}.json" for day in kept_days))
            kept += tuple(sorted(f"{day}_{slot.replace(':', '')}.txt" for day, slot in reuse))
            kept += (() if page else ("index.html",)) + (() if index else ("queue.json",))
            render = partial(
                render_queue, config=config.broadcast, today=today, reuse=reuse, page=page, kept_days=kept_days
            )
            needed = [day for day in days if day not in kept_days]
            if view.id == leader:
                files = render(view, each.plan.entries, index=index, by_day=days, groups=groups)
            elif any(listings.get(day) is None for day in needed):
                files = render(view, result.entries(view.id), index=index)
            else:
                # The leader's entries read the same in this ward: only ids differ, and the scripts show none.
                filled = {day: listing.fill(view.id) for day in needed if (listing := listings[day]) is not None}
                shared = render(
                    replace(view, id=leader),
                    each.plan.entries,
                    listings=filled,
                    index=False,
                    by_day=days,
                    groups=groups,
                )
                files = {f"queues/{view.id}/{path.rpartition('/')[2]}": data for path, data in shared.items()}
                if index:
                    files[f"queues/{view.id}/queue.json"] = queue_index(view.id, totals).encode("utf-8")
            yield view.id, files, kept


# -- optional TTS --------------------------------------------------------------------------------------


@dataclass
class AudioOutput:
    files: dict[str, bytes] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # audio already on disk for an unchanged script
    errors: list[str] = field(default_factory=list)


def _same_on_disk(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _previous_lengths(playlist: Path) -> dict[str, int]:
    """File name → seconds from an existing playlist.m3u, so kept audio keeps its measured length."""
    lengths: dict[str, int] = {}
    try:
        lines = playlist.read_text(encoding="utf-8").splitlines()
    except OSError:
        return lengths
    for line, name in itertools.pairwise(lines):
        match = _EXTINF.match(line)
        if match:
            lengths[name.strip()] = int(match.group(1))
    return lengths


def queue_audio(
    config: Config, result: QueueResult, files: dict[str, bytes], target: Path, *, now: datetime
) -> AudioOutput:
    """One audio file per slot not yet started whose script changed (or has no audio), and a playlist.m3u per ward."""
    from worker.tts import render_audio

    tts = config.broadcast.tts
    output = AudioOutput()
    if tts is None:
        return output
    for view in result.wards:
        folder = f"queues/{view.id}"
        lengths = _previous_lengths(target / folder / "playlist.m3u")
        todo: list[SlotScript] = []
        listed: list[tuple[SlotScript, str, int]] = []
        for script in slot_scripts(view, result.entries(view.id), config.broadcast):
            clock_time = time.fromisoformat(script.slot)
            start = datetime.combine(date.fromisoformat(script.date), clock_time, tzinfo=config.timezone)
            if start < now:
                continue  # nobody plays a slot that has begun
            text = f"{folder}/{script.stem}.txt"
            formats = (f"{folder}/{script.stem}.mp3", f"{folder}/{script.stem}.wav")
            old = next((p for p in formats if (target / p).is_file()), "")
            if old and _same_on_disk(target / text, files[text]):
                output.kept.append(old)
                listed.append((script, Path(old).name, lengths.get(Path(old).name, script.seconds)))
            else:
                todo.append(script)
        if todo:
            with tempfile.TemporaryDirectory(prefix="loa-queue-audio-") as scratch:
                rendered = render_audio(todo, Path(scratch), tts, config.broadcast.rate)
                output.errors += [f"{view.id} {e}" for e in rendered.errors]
                for audio in rendered.files:
                    output.files[f"{folder}/{audio.path.name}"] = audio.path.read_bytes()
                    script = next(s for s in todo if s.stem == audio.stem)
                    listed.append((script, audio.path.name, round(audio.seconds)))
        if listed:
            lines = ["#EXTM3U"]
            for script, name, seconds in sorted(listed, key=lambda x: x[0].stem):
                lines += [f"#EXTINF:{seconds},{ward_title(view)} {script.date} {script.slot}", name]
            output.files[f"{folder}/playlist.m3u"] = ("\n".join(lines) + "\n").encode("utf-8")
    return output


# -- what the CLI shows ---------------------------------------------------------------------------------


def first_day(config: Config, now: datetime) -> date:
    """Today in the config time zone, or the campaign's first day when now is before it."""
    today = now.astimezone(config.timezone).date()
    campaign = config.campaign
    if campaign and not config.broadcast.outside_window and campaign.start > today:
        return campaign.start
    return today


def preview(config: Config, store: Store, wards: Sequence[Ward], *, now: datetime, days: int) -> dict[str, Any]:
    """The next `days` of every broadcasting ward's schedule as the next publish would plan it; writes nothing."""
    from worker.publish import gather  # worker.publish imports this module

    snapshot, _updates, _copies = gather(config, store, now=now, wards=tuple(wards))
    result = refresh(config, store, snapshot, wards, now=now, save=False)
    start = first_day(config, now)
    shown = [start + timedelta(days=n) for n in range(days)]
    rows: list[dict[str, Any]] = []
    for view in result.wards:
        entries = result.entries(view.id)
        scripts = {(s.date, s.slot): s for s in slot_scripts(view, entries, config.broadcast)}
        for day in shown:
            quiet = view.is_quiet(day)
            used_today = sum(s.seconds for (d, _slot), s in scripts.items() if d == day.isoformat())
            for slot in view.slots:
                script = scripts.get((day.isoformat(), slot.label))
                rows.append(
                    {
                        "ward": view.id,
                        "date": day.isoformat(),
                        "slot": slot.label,
                        "quiet": quiet,
                        "stories": script.stories if script else 0,
                        "seconds": script.seconds if script else 0,
                        "slot_seconds": slot.seconds,
                        "day_seconds": used_today,
                        "daily_cap_seconds": view.daily_cap_seconds,
                    }
                )
    return {"from": start.isoformat(), "days": days, "slots": rows, "changes": result.counts()}


def show(config: Config, store: Store, ward: Ward, *, day: date | None = None) -> dict[str, Any]:
    """One ward's stored queue by slot: running time, each entry with its status (aired/skipped from the desk)."""
    view = ward.broadcast()
    rows = store.queue_rows(ward.id, day.isoformat() if day else None)
    entries = [entry_from_row(row) for row in rows]
    scripts = {(s.date, s.slot): s for s in slot_scripts(view, entries, config.broadcast)} if view else {}
    lengths = {slot.label: slot.seconds for slot in view.slots} if view else {}
    slots: dict[tuple[str, str], dict[str, Any]] = {}
    for row, entry in zip(rows, entries, strict=True):
        key = (entry.date, entry.slot)
        script = scripts.get(key)
        slot = slots.setdefault(
            key,
            {
                "date": entry.date,
                "slot": entry.slot,
                "slot_seconds": lengths.get(entry.slot, 0),
                "seconds": script.seconds if script else 0,
                "running": clock(script.seconds) if script else "0:00",
                "entries": [],
            },
        )
        slot["entries"].append(
            {
                "id": entry.id,
                "order": entry.order,
                "priority": entry.priority,
                "story": entry.story,
                "pack": entry.pack,
                "title": entry.title,
                "seconds": entry.seconds,
                "repeat": entry.repeat,
                "status": entry.status,
                "aired_at": row.get("aired_at"),
                "reason": row.get("reason"),
            }
        )
    return {
        "ward": ward.id,
        "name": ward.name,
        "daily_cap_seconds": view.daily_cap_seconds if view else None,
        "slots": [slots[key] for key in sorted(slots)],
    }
