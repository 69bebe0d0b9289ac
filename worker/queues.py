"""Ward broadcast queues as a capability: published stories → broadcast.plan() → queue_entries → outputs/queues/.

The decisions stay in broadcast.py; this module reads and saves through the store and hands files to the writer.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.broadcast import BroadcastStory, BroadcastWard, EntryStatus, QueueEntry, QueuePlan, plan
from worker.publish_queue import SlotScript, clock, render_queue, slot_scripts, ward_title
from worker.readaloud import StoryText
from worker.sanitize import html_to_text
from worker.wards import Ward

if TYPE_CHECKING:
    from worker.config import Config
    from worker.publish.model import Snapshot  # a runtime import would cycle: worker.publish imports this module
    from worker.store import Store

# queue_entries columns the plan owns; ack columns (aired_at, reason, acked_by, ack_source) belong to the desk.
_PLANNED = ("id", "ward", "date", "slot", "priority", "story", "pack", "title", "script", "seconds", "repeat", "status")
_EXTINF = re.compile(r"^#EXTINF:(\d+),")


@dataclass(frozen=True)
class QueueResult:
    """What one refresh planned (and saved, unless it was a dry run)."""

    wards: tuple[BroadcastWard, ...] = ()
    plans: tuple[QueuePlan, ...] = ()
    saved: dict[str, int] = field(default_factory=dict)  # inserted | updated | deleted rows

    def entries(self, ward: str) -> tuple[QueueEntry, ...]:
        return self._by_ward.get(ward, ())

    @cached_property
    def _by_ward(self) -> dict[str, tuple[QueueEntry, ...]]:
        # Looked up once per ward when rendering: a scan of every plan each time is quadratic in wards.
        found: dict[str, tuple[QueueEntry, ...]] = {}
        for each in self.plans:
            found.setdefault(each.ward, each.entries)  # the first plan of a ward wins, as the scan did
        return found

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {"entries": sum(len(p.entries) for p in self.plans)}
        for each in self.plans:
            for action, count in each.counts().items():
                out[action] = out.get(action, 0) + count
        return out

    def as_json(self) -> dict[str, Any]:
        return {"wards": len(self.wards), **self.counts(), "saved": self.saved}


def broadcast_wards(wards: Iterable[Ward]) -> list[tuple[Ward, BroadcastWard]]:
    """The wards that broadcast (they have slots), with their scheduling view."""
    out: list[tuple[Ward, BroadcastWard]] = []
    for index, ward in enumerate(wards):
        view = ward.broadcast(f"wards[{index}]")
        if view is not None:
            out.append((ward, view))
    return out


def entry_from_row(row: dict[str, Any]) -> QueueEntry:
    return QueueEntry.from_dict({**row, "order": int(row.get("position") or 0), "repeat": int(row.get("repeat") or 0)})


def entry_row(entry: QueueEntry) -> dict[str, Any]:
    data = entry.as_dict()
    return {**{key: data[key] for key in _PLANNED}, "position": entry.order}


def published_stories(snapshot: Snapshot, wards: Sequence[Ward]) -> list[BroadcastStory]:
    """Each story in the published packs once, for the wards whose topics and kinds want it (as their feeds)."""
    seen: set[str] = set()
    out: list[BroadcastStory] = []
    # Oldest pack first: a story in two packs keeps the pack it first aired with.
    for pack in sorted(snapshot.packs, key=lambda p: (p.published_at, p.number)):
        for item in pack.items:
            if item.story_id in seen:
                continue
            seen.add(item.story_id)
            wanted = tuple(w.id for w in wards if w.wants(item.topics, item.kind))
            if not wanted:
                continue  # an empty `wards` would mean every ward
            text = StoryText(
                id=item.story_id,
                title=item.title,
                lead=item.summary or html_to_text(item.body_html),
                broadcast_title=item.broadcast_title,
                broadcast_text=item.broadcast_text,
                source=item.agency or item.source_name,
            )
            out.append(BroadcastStory(text, priority=item.priority, pack=pack.slug, wards=wanted))
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


def refresh(
    config: Config, store: Store, snapshot: Snapshot, wards: Sequence[Ward], *, now: datetime, save: bool
) -> QueueResult:
    """Plan every broadcasting ward's queue from the snapshot; with `save`, store it in the same transaction."""
    pairs = broadcast_wards(wards)
    if not pairs:
        return QueueResult()
    views = tuple(view for _ward, view in pairs)
    ids = [view.id for view in views]

    def run() -> QueueResult:
        existing = [entry_from_row(row) for row in store.queue_rows() if row["ward"] in ids]
        live = published_stories(snapshot, [ward for ward, _view in pairs])
        leaving = gone_stories(live, existing, {})
        expiries = store.story_expiries([s.text.id for s in leaving], now=now) if leaving else {}
        expired = {
            s.text.id: replace(s, withdrawn=False, expires_at=expiries[s.text.id])
            for s in leaving
            if s.text.id in expiries
        }
        leaving = [expired.get(s.text.id, s) for s in leaving]
        plans = plan(config, views, [*live, *leaving], existing, now)
        saved: dict[str, int] = {}
        if save:
            rows = [entry_row(e) for p in plans for e in p.entries]
            saved = store.save_queue(ids, rows, now=now)
        return QueueResult(wards=views, plans=plans, saved=saved)

    if not save:
        return run()
    # Read, plan and write under one write lock: an ack from the ward desk lands before or after, never between.
    with store.transaction():
        return run()


def queue_files(config: Config, result: QueueResult) -> dict[str, bytes]:
    """outputs/queues/<ward>/: queue.json, one YYYY-MM-DD_HHMM.txt per slot, index.html."""
    files: dict[str, bytes] = {}
    for view in result.wards:
        files.update(render_queue(view, result.entries(view.id), config.broadcast))
    return files


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
