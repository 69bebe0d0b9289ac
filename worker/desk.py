"""The ward desk's pages: queue entries → Vietnamese HTML (Jinja2, autoescaped) for phones and A4 print; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from worker.dates import from_iso

PRIORITY_LABELS = {"thuong": "Thường", "uu-tien": "Ưu tiên", "khan-cap": "Khẩn cấp"}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
PAST_DAYS = 7  # unreported entries this many days back still show, so a missed report can be filed


@dataclass
class SlotView:
    slot: str
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seconds(self) -> int:
        return sum(int(e.get("seconds") or 0) for e in self.entries)


@dataclass
class DayView:
    date: str
    label: str
    today: bool
    slots: list[SlotView] = field(default_factory=list)


def duration(seconds: object) -> str:
    total = int(seconds or 0)  # type: ignore[call-overload]
    minutes, rest = divmod(total, 60)
    if not minutes:
        return f"{rest} giây"
    return f"{minutes} phút" + (f" {rest} giây" if rest else "")


def day_label(day: date, today: date) -> str:
    name = {0: "Hôm nay", 1: "Ngày mai", -1: "Hôm qua"}.get((day - today).days, WEEKDAYS[day.weekday()])
    return f"{name}, {day:%d/%m/%Y}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("worker", "desk_templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["priority"] = lambda value: PRIORITY_LABELS.get(str(value), str(value))
    return env


def _render(template: str, **context: Any) -> bytes:
    context.setdefault("ward_name", "")
    return environment().get_template(template).render(**context).encode("utf-8")


def asset(name: str) -> bytes:
    """`site.css` is the city site's stylesheet plus the desk's; `desk.js` is the print button."""
    folder = resources.files("worker")
    if name == "site.css":
        site = (folder / "publish" / "templates" / "site.css").read_bytes()
        return site + b"\n" + (folder / "desk_templates" / "desk.css").read_bytes()
    if name == "favicon.svg":
        return (folder / "publish" / "templates" / name).read_bytes()
    return (folder / "desk_templates" / name).read_bytes()


def state_label(entry: dict[str, Any], tz: tzinfo) -> str:
    if entry.get("status") == "aired":
        aired = from_iso(str(entry["aired_at"])).astimezone(tz) if entry.get("aired_at") else None
        return f"Đã phát lúc {aired:%H:%M %d/%m}" if aired else "Đã phát"
    if entry.get("status") == "skipped":
        return f"Không phát: {entry.get('reason') or ''}"
    return "Chờ phát"


def group(entries: list[dict[str, Any]], today: date) -> list[DayView]:
    """Entries (already in airing order) → days → slots; past days keep only what is still unreported."""
    days: dict[str, DayView] = {}
    for entry in entries:
        day = date.fromisoformat(str(entry["date"]))
        if day < today and entry.get("status") != "queued":
            continue
        view = days.setdefault(entry["date"], DayView(entry["date"], day_label(day, today), day == today))
        if not view.slots or view.slots[-1].slot != entry["slot"]:
            view.slots.append(SlotView(entry["slot"]))
        view.slots[-1].entries.append(entry)
    return list(days.values())


def since(now: datetime, tz: tzinfo) -> str:
    return (now.astimezone(tz).date() - timedelta(days=PAST_DAYS)).isoformat()


def render_desk(
    *, ward_id: str, ward_name: str, entries: list[dict[str, Any]], now: datetime, tz: tzinfo, csrf: str
) -> bytes:
    local = now.astimezone(tz)
    counts = {s: sum(1 for e in entries if e.get("status") == s) for s in ("queued", "aired", "skipped")}
    return _render(
        "desk.html",
        title=f"Lịch phát thanh – {ward_name}",
        ward_id=ward_id,
        ward_name=ward_name,
        days=group(entries, local.date()),
        counts=counts,
        csrf=csrf,
        state=lambda entry: state_label(entry, tz),
        now_label=f"{local:%H:%M %d/%m/%Y}",
    )


def render_print(*, ward_id: str, ward_name: str, entries: list[dict[str, Any]], day: date) -> bytes:
    slots: list[SlotView] = []
    for entry in entries:
        if not slots or slots[-1].slot != entry["slot"]:
            slots.append(SlotView(entry["slot"]))
        slots[-1].entries.append(entry)
    return _render(
        "print.html",
        title=f"In kịch bản {day:%d/%m/%Y} – {ward_name}",
        ward_id=ward_id,
        ward_name=ward_name,
        slots=slots,
        day_label=f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y}",
    )


def render_login(*, ward_id: str, ward_name: str, error: str = "") -> bytes:
    return _render("login.html", title="Đăng nhập", ward_id=ward_id, ward_name=ward_name, error=error)


def render_message(title: str, message: str, *, details: list[str] | None = None, back: str = "") -> bytes:
    return _render("message.html", title=title, message=message, details=details or [], back=back)
