"""Ward loudspeaker queues: parse slots, then fill them with approved stories by priority, repeats and campaign window.

Pure: callers pass the ward, its existing entries, candidate stories and `now`; a new list and a change summary return.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from worker.errors import ConfigError
from worker.models import Priority
from worker.readaloud import ReadingOptions, StoryScript, StoryText, frame_sentences, story_script, syllables
from worker.review import fold

if TYPE_CHECKING:
    from worker.config import BroadcastConfig, Config

SLOT_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)/(\d+)(m|h)$")
WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "thu-hai": 0,
    "tuesday": 1,
    "tue": 1,
    "thu-ba": 1,
    "wednesday": 2,
    "wed": 2,
    "thu-tu": 2,
    "thursday": 3,
    "thu": 3,
    "thu-nam": 3,
    "friday": 4,
    "fri": 4,
    "thu-sau": 4,
    "saturday": 5,
    "sat": 5,
    "thu-bay": 5,
    "sunday": 6,
    "sun": 6,
    "chu-nhat": 6,
}


class EntryStatus(StrEnum):
    QUEUED = "queued"
    AIRED = "aired"
    SKIPPED = "skipped"


@dataclass(frozen=True, order=True)
class Slot:
    """One daily airing: starts at `start` (config time zone) and lasts `seconds`."""

    start: time
    seconds: int

    @property
    def label(self) -> str:
        return self.start.strftime("%H:%M")


def parse_slot(value: object, path: str) -> Slot:
    """`"06:00/15m"` or `"17:30/1h"` → Slot; errors name the key path."""
    match = SLOT_RE.match(str(value).strip()) if isinstance(value, str) else None
    if not match or int(match[3]) == 0:
        raise ConfigError(
            f"{value!r} is not a slot",
            path=path,
            hint='write HH:MM/length with the length in minutes or hours, e.g. "06:00/15m" or "17:00/1h"',
        )
    minutes = int(match[3]) * (60 if match[4] == "h" else 1)
    if minutes > 24 * 60:
        raise ConfigError(f"{value!r} lasts more than a day", path=path)
    return Slot(start=time(int(match[1]), int(match[2])), seconds=minutes * 60)


def parse_slots(value: object, path: str) -> tuple[Slot, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError("expected a non-empty list of slots", path=path, hint='e.g. ["06:00/15m", "17:00/15m"]')
    slots = sorted(parse_slot(v, f"{path}[{i}]") for i, v in enumerate(value))
    for before, after in itertools.pairwise(slots):
        end = datetime.combine(date.min, before.start) + timedelta(seconds=before.seconds)
        if end > datetime.combine(date.min, after.start):
            raise ConfigError(f"slot {before.label} overlaps slot {after.label}", path=path)
    return tuple(slots)


def _fold(text: str) -> str:
    return fold(text).strip().replace(" ", "-")


def parse_quiet_days(value: object, path: str) -> tuple[frozenset[int], frozenset[date]]:
    """Weekday names (English or Vietnamese, e.g. sunday, chủ nhật) and ISO dates → (weekdays, dates)."""
    if value is None:
        return frozenset(), frozenset()
    if not isinstance(value, list):
        raise ConfigError("expected a list of weekday names or dates", path=path, hint='e.g. [sunday, "2023-09-02"]')
    weekdays: set[int] = set()
    dates: set[date] = set()
    for index, item in enumerate(value):
        if isinstance(item, date):
            dates.add(item)
            continue
        key = _fold(str(item))
        if key in WEEKDAYS:
            weekdays.add(WEEKDAYS[key])
            continue
        try:
            dates.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigError(
                f"{item!r} is neither a weekday nor a date",
                path=f"{path}[{index}]",
                hint="write a weekday (monday … sunday, thứ hai … chủ nhật) or YYYY-MM-DD",
            ) from None
    return frozenset(weekdays), frozenset(dates)


@dataclass(frozen=True)
class BroadcastWard:
    """What scheduling needs to know about a ward; publish's ward config converts to this."""

    id: str
    name: str
    kind: str  # phuong | xa | thi-tran
    slots: tuple[Slot, ...]
    quiet_weekdays: frozenset[int] = frozenset()
    quiet_dates: frozenset[date] = frozenset()
    daily_cap_seconds: int | None = None

    def is_quiet(self, day: date) -> bool:
        return day.weekday() in self.quiet_weekdays or day in self.quiet_dates


@dataclass(frozen=True)
class QueueEntry:
    """One story, one repeat, in one ward's slot on one day; `id` is stable across runs."""

    id: str
    ward: str
    date: str  # YYYY-MM-DD in the config time zone
    slot: str  # HH:MM
    order: int  # 1-based position inside the slot
    priority: str  # Priority value
    story: str
    pack: str
    title: str
    script: str
    seconds: int
    status: str = EntryStatus.QUEUED.value
    repeat: int = 0

    def as_dict(self) -> dict[str, Any]:
        # Every field is a str or an int: a flat copy equals asdict(), which deep-copies field by field
        # (a national publish calls this for ~100,000 entries).
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueEntry:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass(frozen=True)
class Candidate:
    """An approved story ready to air, with its script already written for the ear."""

    story: str
    priority: Priority
    title: str
    script: str
    seconds: int
    pack: str = ""
    withdrawn: bool = False
    expires_at: datetime | None = None  # aware; nothing airs at or after it


@dataclass(frozen=True)
class FillRules:
    tz: tzinfo
    window: tuple[date, date] | None = None  # the campaign, inclusive
    repeats: int = 2
    spacing_days: int = 2
    outside_window: bool = False  # True: schedule beyond the campaign window too
    horizon_days: int = 14  # how far ahead to schedule when the window does not bound it
    reserve_seconds: int = 0  # intro and outro, taken from every slot that airs


@dataclass(frozen=True)
class Change:
    action: str  # added | moved | updated | removed | unplaced
    story: str
    repeat: int
    entry: str
    date: str = ""
    slot: str = ""
    detail: str = ""


@dataclass(frozen=True)
class QueuePlan:
    ward: str
    entries: tuple[QueueEntry, ...]
    changes: tuple[Change, ...] = ()
    flagged: tuple[str, ...] = ()  # stories whose script was cut to fit max_story_seconds

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.action] = out.get(change.action, 0) + 1
        return out


def entry_id(ward: str, story: str, repeat: int) -> str:
    """The pack is not part of the id: a story in two packs still airs once per repeat."""
    return hashlib.sha256(f"{ward}\x1f{story}\x1f{repeat}".encode()).hexdigest()[:16]


def entry_ids(ward: str, keys: Sequence[bytes]) -> list[str]:
    """`entry_id` of many entries of one ward, each key being `entry_key(story, repeat)`: the ward hashed once."""
    prefix = hashlib.sha256(f"{ward}\x1f".encode())
    out = []
    for key in keys:
        digest = prefix.copy()
        digest.update(key)
        out.append(digest.hexdigest()[:16])
    return out


def entry_key(story: str, repeat: int) -> bytes:
    """What `entry_id` hashes after the ward (see `entry_ids`)."""
    return f"{story}\x1f{repeat}".encode()


def _key(entry: QueueEntry) -> tuple[str, str]:
    return entry.date, entry.slot


def _rank(priority: str) -> int:
    return Priority(priority).rank


class _Entries(dict[str, QueueEntry]):
    """A ward's entries by id, also indexed by (date, slot): `fill` asks what a slot holds for every placement.

    `in_slot` lists a slot's entries in this dict's own order (insertion, as iterating it would), so callers
    that break ties by position see exactly what a scan would give them.
    """

    def __init__(self, entries: Iterable[QueueEntry] = ()) -> None:
        super().__init__()
        self._slots: dict[tuple[str, str], set[str]] = {}
        self._position: dict[str, int] = {}
        self._used: dict[tuple[str, str], int] = {}  # seconds of the entries not skipped, per slot
        self._next = 0
        for entry in entries:
            self[entry.id] = entry

    def __setitem__(self, key: str, entry: QueueEntry) -> None:
        old = self.get(key)
        if old is not None:
            self._slots[_key(old)].discard(key)
            self._count(old, -1)
        else:
            self._position[key] = self._next
            self._next += 1
        super().__setitem__(key, entry)
        self._slots.setdefault(_key(entry), set()).add(key)
        self._count(entry, 1)

    def __delitem__(self, key: str) -> None:
        old = self[key]
        super().__delitem__(key)
        self._slots[_key(old)].discard(key)
        self._count(old, -1)
        del self._position[key]

    def _count(self, entry: QueueEntry, sign: int) -> None:
        if entry.status != EntryStatus.SKIPPED:
            slot = _key(entry)
            self._used[slot] = self._used.get(slot, 0) + sign * entry.seconds

    def used(self, slot: tuple[str, str]) -> int:
        return self._used.get(slot, 0)

    def in_slot(self, slot: tuple[str, str]) -> list[QueueEntry]:
        ids = sorted(self._slots.get(slot, ()), key=self._position.__getitem__)
        return [entry for entry in (self[i] for i in ids) if entry.status != EntryStatus.SKIPPED]

    # Only item assignment and `del` keep the index: fail loudly on the other mutators rather than go stale.
    def _unsupported(self, *args: object, **kwargs: object) -> None:
        raise TypeError("_Entries supports only item assignment and del")

    pop = popitem = clear = update = setdefault = _unsupported  # type: ignore[assignment]


class _Board:
    """The slots of one ward over the planning horizon, with what each already holds."""

    def __init__(self, ward: BroadcastWard, rules: FillRules, now: datetime, entries: Iterable[QueueEntry]) -> None:
        self.ward = ward
        self.rules = rules
        self.tz = rules.tz
        self.entries = _Entries(entries)
        local = now.astimezone(rules.tz)
        first = local.date()
        window = rules.window
        if window and not rules.outside_window and window[0] > first:
            first = window[0]
        last = first + timedelta(days=rules.horizon_days - 1)
        if window and not rules.outside_window:
            last = window[1]
        self.instances: list[tuple[date, Slot]] = []
        day = first
        while day <= last:
            if not ward.is_quiet(day):
                for slot in ward.slots:
                    if self.start(day, slot) >= now:
                        self.instances.append((day, slot))
            day += timedelta(days=1)
        self.slot_seconds = {slot.label: slot.seconds for slot in ward.slots}

    def start(self, day: date, slot: Slot | str) -> datetime:
        clock = slot.start if isinstance(slot, Slot) else time.fromisoformat(slot)
        return datetime.combine(day, clock, tzinfo=self.tz)

    @property
    def entries(self) -> _Entries:
        return self._entries

    @entries.setter
    def entries(self, entries: Iterable[QueueEntry] | dict[str, QueueEntry]) -> None:
        self._entries = _Entries(entries.values() if isinstance(entries, dict) else entries)

    def in_slot(self, key: tuple[str, str]) -> list[QueueEntry]:
        return self._entries.in_slot(key)

    def used(self, key: tuple[str, str]) -> int:
        return self._entries.used(key)

    def day_used(self, day: str) -> int:
        keys = {_key(e) for e in self.entries.values() if e.date == day and e.status != EntryStatus.SKIPPED}
        return sum(self.used(key) + self.rules.reserve_seconds for key in keys)

    def fits(self, day: date, slot: Slot, seconds: int, without: Sequence[QueueEntry] = ()) -> bool:
        key = (day.isoformat(), slot.label)
        freed = sum(e.seconds for e in without)
        if self.used(key) - freed + seconds + self.rules.reserve_seconds > slot.seconds:
            return False
        cap = self.ward.daily_cap_seconds
        if cap is None:
            return True
        opening = 0 if self.in_slot(key) else self.rules.reserve_seconds
        return self.day_used(key[0]) - freed + seconds + opening <= cap

    def next_order(self, key: tuple[str, str]) -> int:
        return max((e.order for e in self.in_slot(key)), default=0) + 1

    def first_index(self, earliest: date, after: tuple[str, str] | None = None) -> int:
        for index, (day, slot) in enumerate(self.instances):
            if day >= earliest and (after is None or (day.isoformat(), slot.label) > after):
                return index
        return len(self.instances)


def _too_late(board: _Board, day: date, slot: Slot, expires_at: datetime | None) -> bool:
    return expires_at is not None and board.start(day, slot) >= expires_at


def fill(
    ward: BroadcastWard,
    existing: Sequence[QueueEntry],
    candidates: Sequence[Candidate],
    now: datetime,
    rules: FillRules,
) -> QueuePlan:
    """Place every candidate's repeats into the ward's next slots with room; see README "Broadcast scripts"."""
    changes: list[Change] = []
    by_story: dict[str, Candidate] = {}
    for each in candidates:
        by_story.setdefault(each.story, each)  # a late variant or a second pack: same story, first wins
    board = _Board(ward, rules, now, [])
    kept: list[QueueEntry] = []
    for entry in existing:
        if entry.ward != ward.id:
            continue
        current = by_story.get(entry.story)
        if entry.status != EntryStatus.QUEUED or current is None:
            kept.append(entry)
            continue
        day = date.fromisoformat(entry.date)
        start = board.start(day, entry.slot)
        # A slot that has started may have aired already: its entry stays for the ward desk to ack.
        gone = current.withdrawn or (current.expires_at is not None and start >= current.expires_at)
        if gone and start >= now:
            why = "withdrawn" if current.withdrawn else "expired"
            changes.append(Change("removed", entry.story, entry.repeat, entry.id, entry.date, entry.slot, why))
            continue
        fresh = replace(
            entry,
            priority=current.priority.value,
            title=current.title,
            script=current.script,
            seconds=current.seconds,
        )
        if fresh != entry and start >= now:
            changes.append(Change("updated", entry.story, entry.repeat, entry.id, entry.date, entry.slot, "new script"))
            entry = fresh
        kept.append(entry)
    board.entries = {e.id: e for e in kept}

    # An edited script can overrun its slot: the lowest-priority, latest entries leave to be placed again.
    pending: list[tuple[QueueEntry, int]] = []
    for index, (day, slot) in enumerate(board.instances):
        key = (day.isoformat(), slot.label)
        while not board.fits(day, slot, 0):
            movable = [e for e in board.in_slot(key) if e.status == EntryStatus.QUEUED]
            if not movable:
                break
            victim = min(movable, key=lambda e: (_rank(e.priority), -e.order))
            del board.entries[victim.id]
            pending.append((victim, index + 1))

    def place(entry: QueueEntry, start_index: int, expires_at: datetime | None, displace: bool) -> QueueEntry | None:
        for index in range(start_index, len(board.instances)):
            day, slot = board.instances[index]
            if _too_late(board, day, slot, expires_at):
                return None
            key = (day.isoformat(), slot.label)
            victims: list[QueueEntry] = []
            if not board.fits(day, slot, entry.seconds) and displace and index == start_index:
                # khẩn cấp plays at once: queued thường entries of the next slot make way, latest first.
                movable = sorted(
                    (e for e in board.in_slot(key) if e.status == EntryStatus.QUEUED and e.priority == "thuong"),
                    key=lambda e: -e.order,
                )
                for count in range(1, len(movable) + 1):
                    if board.fits(day, slot, entry.seconds, movable[:count]):
                        victims = movable[:count]
                        break
                if not victims:
                    continue
            elif not board.fits(day, slot, entry.seconds):
                continue
            for victim in victims:
                del board.entries[victim.id]
                pending.append((victim, index + 1))
            placed = replace(entry, date=key[0], slot=key[1], order=board.next_order(key))
            board.entries[placed.id] = placed
            return placed
        return None

    def place_moved(victim: QueueEntry, start_index: int) -> None:
        owner = by_story.get(victim.story)
        placed = place(victim, start_index, owner.expires_at if owner else None, False)
        if placed is None:
            changes.append(
                Change("unplaced", victim.story, victim.repeat, victim.id, detail="displaced; no later slot with room")
            )
        else:
            detail = f"from {victim.date} {victim.slot}"
            changes.append(Change("moved", victim.story, victim.repeat, victim.id, placed.date, placed.slot, detail))

    ordered = sorted(
        (c for c in by_story.values() if not c.withdrawn),
        key=lambda c: -c.priority.rank,  # sorted() is stable: the caller's order breaks ties
    )
    for candidate in ordered:
        previous: QueueEntry | None = None
        for repeat in range(rules.repeats):
            eid = entry_id(ward.id, candidate.story, repeat)
            if eid in board.entries or any(v.id == eid for v, _ in pending):
                previous = board.entries.get(eid) or next(v for v, _ in pending if v.id == eid)
                continue
            if repeat == 0:
                start_index = 0
            elif previous is None:
                break  # the earlier repeat found no slot; later ones would not either
            else:
                earliest = date.fromisoformat(previous.date) + timedelta(days=rules.spacing_days)
                start_index = board.first_index(earliest, after=_key(previous))
            draft = QueueEntry(
                id=eid,
                ward=ward.id,
                date="",
                slot="",
                order=0,
                priority=candidate.priority.value,
                story=candidate.story,
                pack=candidate.pack,
                title=candidate.title,
                script=candidate.script,
                seconds=candidate.seconds,
                repeat=repeat,
            )
            urgent = candidate.priority is Priority.URGENT and repeat == 0
            placed = place(draft, start_index, candidate.expires_at, urgent)
            if placed is None:
                why = "no slot with room before it expires or the window ends"
                if candidate.seconds + rules.reserve_seconds > max(ward.slots).seconds:
                    why = "longer than a slot"
                changes.append(Change("unplaced", candidate.story, repeat, eid, detail=why))
                break
            changes.append(Change("added", candidate.story, repeat, eid, placed.date, placed.slot))
            previous = placed
    while pending:
        victim, start_index = pending.pop(0)
        place_moved(victim, start_index)

    return QueuePlan(ward=ward.id, entries=_renumber(board, now), changes=tuple(changes))


def _renumber(board: _Board, now: datetime) -> tuple[QueueEntry, ...]:
    """Inside a slot that has not started: khẩn cấp, then ưu tiên, then thường; ties keep their order."""
    groups: dict[tuple[str, str], list[QueueEntry]] = {}
    for entry in board.entries.values():
        groups.setdefault(_key(entry), []).append(entry)
    out: list[QueueEntry] = []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda e: (e.order, e.id))
        if board.start(date.fromisoformat(key[0]), key[1]) >= now:
            group.sort(key=lambda e: -_rank(e.priority))
            group = [replace(e, order=i) for i, e in enumerate(group, start=1)]
        out += group
    return tuple(out)


# -- the library entry publish and `loa queue plan/show` call -----------------------------------------


@dataclass(frozen=True)
class BroadcastStory:
    """An approved story as publish hands it over; `wards` empty means every ward."""

    text: StoryText
    priority: Priority = Priority.NORMAL
    pack: str = ""
    withdrawn: bool = False
    expires_at: datetime | None = None
    wards: tuple[str, ...] = field(default=())


def frame_reserve(ward: BroadcastWard, config: BroadcastConfig) -> int:
    """Seconds the intro and outro take, with the longest date and time reading, so slots never overrun."""
    options = config.reading
    longest = 0
    for slot in ward.slots:
        sample = [
            *frame_sentences(
                config.intro, kind=ward.kind, name=ward.name, day=date(2027, 12, 28), slot=slot.label, options=options
            ),
            *frame_sentences(
                config.outro, kind=ward.kind, name=ward.name, day=date(2027, 12, 28), slot=slot.label, options=options
            ),
        ]
        longest = max(longest, syllables(" ".join(sample)))
    return math.ceil(longest / options.rate)


def candidates_for(
    ward: BroadcastWard,
    stories: Sequence[BroadcastStory],
    options: ReadingOptions,
    scripts: dict[tuple[str, bool], StoryScript] | None = None,
) -> tuple[list[Candidate], list[str]]:
    """Scripts for the stories this ward airs, and the ids of those cut to fit.

    `scripts` caches across wards within one plan: a story reads the same in every ward.
    """
    out: list[Candidate] = []
    flagged: list[str] = []
    cache = {} if scripts is None else scripts
    for story in stories:
        if story.wards and ward.id not in story.wards:
            continue
        key = (story.text.id, story.priority is Priority.URGENT)
        if key not in cache:
            cache[key] = story_script(story.text, options, urgent=key[1])
        script = cache[key]
        if script.truncated:
            flagged.append(story.text.id)
        out.append(
            Candidate(
                story=story.text.id,
                priority=story.priority,
                title=(story.text.broadcast_title or story.text.title).strip(),
                script=script.text,
                seconds=script.seconds,
                pack=story.pack,
                withdrawn=story.withdrawn,
                expires_at=story.expires_at,
            )
        )
    return out, flagged


def fill_rules(config: Config, reserve_seconds: int) -> FillRules:
    """The config's rules for `fill`; only the intro/outro reserve differs between wards."""
    settings = config.broadcast
    return FillRules(
        tz=config.timezone,
        window=(config.campaign.start, config.campaign.end) if config.campaign else None,
        repeats=settings.repeats,
        spacing_days=settings.spacing_days,
        outside_window=settings.outside_window,
        horizon_days=settings.horizon_days,
        reserve_seconds=reserve_seconds,
    )


def plan(
    config: Config,
    wards: Sequence[BroadcastWard],
    stories: Sequence[BroadcastStory],
    existing: Sequence[QueueEntry],
    now: datetime,
) -> tuple[QueuePlan, ...]:
    """Every ward's new queue: scripts written, slots filled, changes listed. Pure; the caller saves the result."""
    settings = config.broadcast
    plans: list[QueuePlan] = []
    scripts: dict[tuple[str, bool], StoryScript] = {}
    for ward in wards:
        candidates, flagged = candidates_for(ward, stories, settings.reading, scripts)
        rules = fill_rules(config, frame_reserve(ward, settings))
        result = fill(ward, [e for e in existing if e.ward == ward.id], candidates, now, rules)
        plans.append(replace(result, flagged=tuple(flagged)))
    return tuple(plans)
