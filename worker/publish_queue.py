"""Render one ward's broadcast queue to files: queue.json, one script per slot and a printable index.html.

Pure: returns {relative path: bytes}; the publish step writes them under outputs/.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from worker.broadcast import BroadcastWard, EntryStatus, QueueEntry, entry_id
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


def slot_scripts(ward: BroadcastWard, entries: Sequence[QueueEntry], config: BroadcastConfig) -> tuple[SlotScript, ...]:
    """One script per slot that has entries to air (skipped entries are left out)."""
    options = config.reading
    groups: dict[tuple[str, str], list[QueueEntry]] = {}
    for entry in entries:
        if entry.ward == ward.id and entry.status != EntryStatus.SKIPPED:
            groups.setdefault((entry.date, entry.slot), []).append(entry)
    scripts: list[SlotScript] = []
    for (day_text, slot), group in sorted(groups.items()):
        day = date.fromisoformat(day_text)
        parts: list[tuple[str, str]] = []
        intro = frame_sentences(config.intro, kind=ward.kind, name=ward.name, day=day, slot=slot, options=options)
        if intro:
            parts.append(("Mở đầu", " ".join(intro)))
        for number, entry in enumerate(sorted(group, key=lambda e: e.order), start=1):
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


def index_html(ward: BroadcastWard, scripts: Sequence[SlotScript]) -> str:
    """A page the ward operator opens and prints: one A4 section per slot, large type, no scripts or assets."""
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
    if not scripts:
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


def queue_json(ward: BroadcastWard, entries: Sequence[QueueEntry]) -> str:
    ordered = sorted((e for e in entries if e.ward == ward.id), key=lambda e: (e.date, e.slot, e.order, e.id))
    return json.dumps({"ward": ward.id, "entries": [e.as_dict() for e in ordered]}, ensure_ascii=False, indent=2) + "\n"


def render_queue(
    ward: BroadcastWard, entries: Sequence[QueueEntry], config: BroadcastConfig, *, listing: bytes | None = None
) -> dict[str, bytes]:
    """queues/<ward>/queue.json, queues/<ward>/YYYY-MM-DD_HHMM.txt per slot and queues/<ward>/index.html.

    `listing`, when given, is this ward's queue.json already rendered (see `QueueListing`).
    """
    folder = f"queues/{ward.id}"
    scripts = slot_scripts(ward, entries, config)
    files = {f"{folder}/queue.json": listing if listing is not None else queue_json(ward, entries).encode("utf-8")}
    for script in scripts:
        files[f"{folder}/{script.stem}.txt"] = script_text(ward, script).encode("utf-8")
    files[f"{folder}/index.html"] = index_html(ward, scripts).encode("utf-8")
    return files


_HOLE = re.compile(r'"\ue000loa-(\w+)\ue000"')


@dataclass(frozen=True)
class QueueListing:
    """queue.json of a class of wards planned alike: encoded once, each ward's id and entry ids filled in.

    Valid only when (date, slot, order) is unique among the entries, so the listing order never falls to ids.
    """

    pieces: tuple[bytes, ...]
    holes: tuple[str, ...]  # "w" for the ward id, else the index of the entry whose id goes there
    keys: tuple[tuple[str, int], ...]  # (story, repeat) of each entry, in listing order

    @classmethod
    def build(cls, ward: BroadcastWard, entries: Sequence[QueueEntry]) -> QueueListing | None:
        mine = [e for e in entries if e.ward == ward.id]
        if len({(e.date, e.slot, e.order) for e in mine}) != len(mine):
            return None
        ordered = sorted(mine, key=lambda e: (e.date, e.slot, e.order, e.id))
        marked = [
            {**e.as_dict(), "id": f"\ue000loa-{n}\ue000", "ward": "\ue000loa-w\ue000"} for n, e in enumerate(ordered)
        ]
        text = json.dumps({"ward": "\ue000loa-w\ue000", "entries": marked}, ensure_ascii=False, indent=2) + "\n"
        parts = _HOLE.split(text)
        listing = cls(
            tuple(p.encode("utf-8") for p in parts[0::2]),
            tuple(parts[1::2]),
            tuple((e.story, e.repeat) for e in ordered),
        )
        return listing if listing.fill(ward.id) == queue_json(ward, entries).encode("utf-8") else None

    def fill(self, ward: str) -> bytes:
        values = {"w": f'"{ward}"'.encode()}
        out = [self.pieces[0]]
        for hole, piece in zip(self.holes, self.pieces[1:], strict=True):
            if hole == "w":
                out.append(values["w"])
            else:
                story, repeat = self.keys[int(hole)]
                out.append(f'"{entry_id(ward, story, repeat)}"'.encode())
            out.append(piece)
        return b"".join(out)
