"""Render one ward's broadcast queue to files: queue.json (its days), one JSON file per day, one script per slot
and a printable index.html.

Pure: returns {relative path: bytes}; the publish step writes them under outputs/.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from worker.broadcast import BroadcastWard, EntryStatus, QueueEntry, entry_ids, entry_key
from worker.models import Priority
from worker.readaloud import WARD_KINDS, frame_sentences, syllables
from worker.wards import bare_name

if TYPE_CHECKING:
    from worker.config import BroadcastConfig

WEEKDAY_NAMES = ("thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật")


@dataclass(frozen=True)
class Segment:
    at: int  # seconds from the start of the slot
    label: str  # Mở đầu, Tin 1 · khẩn cấp, Kết thúc
    text: str
    seconds: int


@dataclass(frozen=True)
class SlotScript:
    """Everything read in one slot, in order, with running times from the syllable estimate."""

    ward: str
    date: str
    slot: str
    segments: tuple[Segment, ...]
    seconds: int
    stories: int

    @property
    def stem(self) -> str:
        return f"{self.date}_{self.slot.replace(':', '')}"

    @property
    def spoken(self) -> str:
        """Only the words to say: what a TTS engine reads."""
        return "\n\n".join(s.text for s in self.segments) + "\n"


def clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def minutes_words(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    parts = ([f"{minutes} phút"] if minutes else []) + ([f"{rest} giây"] if rest or not minutes else [])
    return " ".join(parts)


def ward_title(ward: BroadcastWard) -> str:
    kind = WARD_KINDS.get(ward.kind, ward.kind)
    return f"{kind[:1].upper()}{kind[1:]} {bare_name(ward.name, ward.kind)}"


SlotGroups = tuple[tuple[tuple[str, str], tuple[QueueEntry, ...]], ...]


def slot_groups(ward: str, entries: Sequence[QueueEntry]) -> SlotGroups:
    """The entries each slot of `ward` airs (skipped ones left out), in reading order, slots in (date, slot) order.

    The same for every ward of a class rendered from its leader's entries: computed once per class.
    """
    groups: dict[tuple[str, str], list[QueueEntry]] = {}
    for entry in entries:
        if entry.ward == ward and entry.status != EntryStatus.SKIPPED:
            groups.setdefault((entry.date, entry.slot), []).append(entry)
    return tuple((key, tuple(sorted(group, key=lambda e: e.order))) for key, group in sorted(groups.items()))


def slot_scripts(
    ward: BroadcastWard,
    entries: Sequence[QueueEntry],
    config: BroadcastConfig,
    wanted: Callable[[tuple[str, str]], bool] | None = None,
    groups: SlotGroups | None = None,
) -> tuple[SlotScript, ...]:
    """One script per slot that has entries to air (skipped entries are left out); only `wanted` (date, slot)s.

    `groups`: `slot_groups(ward.id, entries)`, when the caller has it already.
    """
    options = config.reading
    scripts: list[SlotScript] = []
    for (day_text, slot), group in slot_groups(ward.id, entries) if groups is None else groups:
        if wanted is not None and not wanted((day_text, slot)):
            continue
        day = date.fromisoformat(day_text)
        parts: list[tuple[str, str]] = []
        intro = frame_sentences(config.intro, kind=ward.kind, name=ward.name, day=day, slot=slot, options=options)
        if intro:
            parts.append(("Mở đầu", " ".join(intro)))
        for number, entry in enumerate(group, start=1):
            label = f"Tin {number}"
            if entry.priority != Priority.NORMAL.value:
                label += f" · {Priority(entry.priority).label}"
            parts.append((label, entry.script))
        outro = frame_sentences(config.outro, kind=ward.kind, name=ward.name, day=day, slot=slot, options=options)
        if outro:
            parts.append(("Kết thúc", " ".join(outro)))
        segments: list[Segment] = []
        at = 0
        for label, text in parts:
            seconds = math.ceil(syllables(text) / options.rate)
            segments.append(Segment(at=at, label=label, text=text, seconds=seconds))
            at += seconds
        scripts.append(
            SlotScript(ward=ward.id, date=day_text, slot=slot, segments=tuple(segments), seconds=at, stories=len(group))
        )
    return tuple(scripts)


def _heading(ward: BroadcastWard, script: SlotScript) -> str:
    day = date.fromisoformat(script.date)
    weekday = WEEKDAY_NAMES[day.weekday()]
    return f"{ward_title(ward)} — bản tin {script.slot}, {weekday} {day.day:02d}/{day.month:02d}/{day.year}"


def script_text(ward: BroadcastWard, script: SlotScript) -> str:
    """The .txt an announcer reads from: a heading, the running time, then each part with its start time."""
    lines = [
        _heading(ward, script),
        f"Thời lượng ước tính: {minutes_words(script.seconds)} ({script.stories} tin)",
        "",
    ]
    for segment in script.segments:
        lines += [f"[{clock(segment.at)}] {segment.label}", segment.text, ""]
    lines.append(f"[{clock(script.seconds)}] Hết bản tin.")
    return "\n".join(lines) + "\n"


CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Serif", "Times New Roman", serif; font-size: 18pt; line-height: 1.55; color: #000;
       margin: 0 auto; max-width: 46em; padding: 1em; }
h1 { font-size: 22pt; margin: 0 0 .3em; }
nav ol { font-size: 15pt; }
section.slot { break-before: page; page-break-before: always; }
section.slot h2 { font-size: 20pt; margin: 0 0 .2em; }
.meta { font-size: 14pt; margin: 0 0 1em; }
.part { margin: 0 0 1em; }
.part h3 { font-size: 14pt; font-weight: normal; margin: 0; color: #333; }
.part p { font-size: 20pt; margin: .1em 0 0; }
.urgent h3 { font-weight: bold; color: #000; }
@media print { nav, .noprint { display: none; } }
"""


# Story scripts and labels recur in every ward that airs them: escape each once.
_escape = lru_cache(maxsize=8192)(html.escape)


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def index_html(ward: BroadcastWard, scripts: Sequence[SlotScript], days: tuple[date, date] | None = None) -> str:
    """A page the ward operator opens and prints: one A4 section per slot, large type, no scripts or assets.

    `days` (first, last): the page covers only those days (`broadcast.print_days`) and says so.
    """
    esc = _escape
    title = f"Lịch phát thanh — {ward_title(ward)}"
    out = [
        "<!doctype html>",
        '<html lang="vi">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if days is not None:
        first, last = days
        out.append(
            f'<p class="meta">Bản in từ {_day(first)} đến {_day(last)}; '
            "các ngày sau có trong các tệp bản chữ cùng thư mục.</p>"
        )
    if not scripts and days is not None:
        out.append("<p>Không có bản tin nào trong những ngày này.</p>")
    elif not scripts:
        out.append("<p>Chưa có bản tin nào được xếp lịch.</p>")
    else:
        out.append('<nav><ol class="noprint">')
        for script in scripts:
            out.append(
                f'<li><a href="#s{script.stem}">{esc(_heading(ward, script))}</a> — '
                f"{esc(minutes_words(script.seconds))}, {script.stories} tin · "
                f'<a href="{script.stem}.txt">bản chữ</a></li>'
            )
        out.append("</ol></nav>")
    for script in scripts:
        out.append(f'<section class="slot" id="s{script.stem}">')
        out.append(f"<h2>{esc(_heading(ward, script))}</h2>")
        out.append(
            f'<p class="meta">Thời lượng ước tính: {esc(minutes_words(script.seconds))} ({script.stories} tin)</p>'
        )
        for segment in script.segments:
            urgent = " urgent" if Priority.URGENT.label in segment.label else ""
            out.append(f'<div class="part{urgent}"><h3>[{clock(segment.at)}] {esc(segment.label)}</h3>')
            out.append(f"<p>{esc(segment.text)}</p></div>")
        out.append(f'<p class="meta">[{clock(script.seconds)}] Hết bản tin.</p>')
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# Listings carry no script: the slot's .txt has the text (and the desk API, per entry), and carrying it made each
# ward's listing ~0.9 MB to encode, hash and write on every change.
LISTED = tuple(name for name in QueueEntry.__dataclass_fields__ if name != "script")


def listed(entry: QueueEntry) -> dict[str, object]:
    """One day file entry: every field but the script."""
    return {name: getattr(entry, name) for name in LISTED}


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _lines(head: dict[str, object], key: str, items: Sequence[dict[str, object]]) -> str:
    """Compact JSON with one item of `key` per line: grep-friendly, a quarter smaller than indented."""
    opening = f'{_compact(head)[:-1]},"{key}":['
    if not items:
        return f"{opening}]}}\n"
    return opening + "\n" + ",\n".join(_compact(item) for item in items) + "\n]}\n"


def queue_days(ward: str, entries: Sequence[QueueEntry]) -> dict[str, list[QueueEntry]]:
    """The ward's entries by date (in date order), each day in listing order (slot, order, id)."""
    ordered = sorted((e for e in entries if e.ward == ward), key=lambda e: (e.date, e.slot, e.order, e.id))
    days: dict[str, list[QueueEntry]] = {}
    for entry in ordered:
        days.setdefault(entry.date, []).append(entry)
    return days


def day_totals(days: Mapping[str, Sequence[QueueEntry]]) -> tuple[tuple[str, int, int], ...]:
    """(date, entries, seconds) per day: what queue.json says of each day file (the same for a whole class)."""
    return tuple((day, len(group), sum(e.seconds for e in group)) for day, group in days.items())


def queue_index(ward: str, totals: Sequence[tuple[str, int, int]]) -> str:
    """queue.json: the ward's days, each with its day file, entry count and the sum of its entries' seconds."""
    listed_days = [{"date": d, "href": f"{d}.json", "entries": n, "seconds": s} for d, n, s in totals]
    return _lines({"ward": ward}, "days", listed_days)


def day_json(ward: str, day: str, entries: Sequence[QueueEntry]) -> str:
    """YYYY-MM-DD.json: the day's entries (already in listing order, see `queue_days`) without their scripts."""
    return _lines({"ward": ward, "date": day}, "entries", [listed(e) for e in entries])


def render_queue(
    ward: BroadcastWard,
    entries: Sequence[QueueEntry],
    config: BroadcastConfig,
    *,
    listings: Mapping[str, bytes] | None = None,
    today: date | None = None,
    reuse: Collection[tuple[str, str]] = (),
    page: bool = True,
    index: bool = True,
    kept_days: Collection[str] = (),
    by_day: Mapping[str, Sequence[QueueEntry]] | None = None,
    groups: SlotGroups | None = None,
) -> dict[str, bytes]:
    """queues/<ward>/: queue.json (the index of days), YYYY-MM-DD.json per day, YYYY-MM-DD_HHMM.txt per slot,
    index.html.

    `listings` (day → bytes) holds day files already rendered for this ward (see `QueueListing`). index.html
    covers `config.print_days` from `today` (every slot without `today` or with 0). The (date, slot)s in `reuse`
    have a script on disk that reads the same: theirs is not rendered (or returned) unless the page prints it.
    Without `page` or `index`, index.html or queue.json is kept as it is, and so are the day files of
    `kept_days`: they would read the same, so they are not returned. `by_day` (`queue_days`) and `groups`
    (`slot_groups`) of `ward.id` and `entries`, when the caller has them already.
    """
    folder = f"queues/{ward.id}"
    days = (today, today + timedelta(days=config.print_days - 1)) if today and config.print_days else None
    shown = (days[0].isoformat(), days[1].isoformat()) if days else None

    def printed(key: tuple[str, str]) -> bool:
        return shown is None or shown[0] <= key[0] <= shown[1]

    wanted = (lambda key: key not in reuse or (page and printed(key))) if reuse else None
    scripts = slot_scripts(ward, entries, config, wanted=wanted, groups=groups)
    files: dict[str, bytes] = {}
    if by_day is None:
        by_day = queue_days(ward.id, entries)
    ready = listings or {}
    for day, group in by_day.items():
        if day not in kept_days:
            files[f"{folder}/{day}.json"] = ready.get(day) or day_json(ward.id, day, group).encode("utf-8")
    for script in scripts:
        if (script.date, script.slot) not in reuse:
            files[f"{folder}/{script.stem}.txt"] = script_text(ward, script).encode("utf-8")
    if page:
        shown_scripts = [s for s in scripts if printed((s.date, s.slot))]
        files[f"{folder}/index.html"] = index_html(ward, shown_scripts, days).encode("utf-8")
    if index:
        files[f"{folder}/queue.json"] = queue_index(ward.id, day_totals(by_day)).encode("utf-8")
    return files


_HOLE = re.compile(r'"\ue000loa-(\w+)\ue000"')


@dataclass(frozen=True)
class QueueListing:
    """One day file of a class of wards planned alike: encoded once, each ward's id and entry ids filled in.

    Valid only when (slot, order) is unique among the day's entries, so the listing order never falls to ids.
    """

    pieces: tuple[bytes, ...]
    holes: tuple[str, ...]  # "w" for the ward id, else the index of the entry whose id goes there
    keys: tuple[tuple[str, int], ...]  # (story, repeat) of each entry, in listing order

    @classmethod
    def build(cls, ward: str, day: str, entries: Sequence[QueueEntry]) -> QueueListing | None:
        """From the day's entries of `ward` in listing order (`queue_days`)."""
        if len({(e.slot, e.order) for e in entries}) != len(entries):
            return None
        marked = [
            {**listed(e), "id": f"\ue000loa-{n}\ue000", "ward": "\ue000loa-w\ue000"} for n, e in enumerate(entries)
        ]
        text = _lines({"ward": "\ue000loa-w\ue000", "date": day}, "entries", marked)
        parts = _HOLE.split(text)
        listing = cls(
            tuple(p.encode("utf-8") for p in parts[0::2]),
            tuple(parts[1::2]),
            tuple((e.story, e.repeat) for e in entries),
        )
        return listing if listing.fill(ward) == day_json(ward, day, entries).encode("utf-8") else None

    def fill(self, ward: str) -> bytes:
        named = f'"{ward}"'.encode()
        ids = entry_ids(ward, self.suffixes)
        out = [self.pieces[0]]
        for hole, piece in zip(self.holes, self.pieces[1:], strict=True):
            out.append(named if hole == "w" else f'"{ids[int(hole)]}"'.encode())
            out.append(piece)
        return b"".join(out)

    @cached_property
    def suffixes(self) -> tuple[bytes, ...]:
        """What entry_id hashes after the ward, per entry."""
        return tuple(entry_key(story, repeat) for story, repeat in self.keys)
