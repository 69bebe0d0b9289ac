"""Campaign results from stored rows → `CampaignReport` dataclasses, plus Vietnamese number and date formats; no I/O.

Renderers (`report_docx`, `report_chart`, `report_text`) only lay these figures out; nothing is computed twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from worker.dates import from_iso
from worker.errors import LoaError
from worker.models import Topic
from worker.report_config import ReportSettings
from worker.wards import WARD_KINDS, Ward, parse_slot

SUBJECT_PREFIX = "Kết quả triển khai"
PLACEHOLDER = "[Cán bộ điền]"
KEEP = "Lưu: VT."
NOT_REPORTED = "Chưa báo cáo"
KIND_NAMES = {
    "article": "Bài viết",
    "warning": "Cảnh báo",
    "video": "Video",
    "infographic": "Infographic",
    "document": "Văn bản",
}
STATUS_NAMES = {
    "new": "Chờ duyệt",
    "held": "Tạm giữ",
    "approved": "Đã duyệt",
    "rejected": "Từ chối",
    "withdrawn": "Thu hồi",
    "duplicate": "Trùng lặp",
}


class ReportError(LoaError):
    kind = "report"


# -- Vietnamese formats -----------------------------------------------------------------------------


def vn_number(value: float, decimals: int = 0) -> str:
    """1234 → "1.234"; 12.5 (decimals=1) → "12,5": dot groups thousands, comma marks decimals."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_decimal(value: float) -> str:
    """One decimal only when needed: 12.0 → "12", 12.54 → "12,5"."""
    rounded = round(value, 1)
    return vn_number(rounded, 0 if rounded == int(rounded) else 1)


def vn_percent(ratio: float | None) -> str:
    """0.125 → "12,5 %"; None (nothing to divide by) → "–"."""
    if ratio is None:
        return "–"
    return f"{vn_decimal(ratio * 100)} %"


def vn_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def vn_moment(moment: datetime | None, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%H:%M %d/%m/%Y}" if moment else "–"


def parse_figure_value(text: str) -> float:
    """A figure typed by an officer: "1.234" and "1.234,5" (Vietnamese), "12,5", "1234" or "12.5"."""
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", raw):
        return float(raw.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+(,\d+)?", raw):
        return float(raw.replace(",", "."))
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    raise ReportError(f"{text!r} is not a number", hint="write e.g. 1.234 or 12,5 (Vietnamese) or 1234")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# -- the report's parts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Letterhead:
    """Who issues, signs and receives the report (Nghị định 30/2020/NĐ-CP layout)."""

    parent: str  # printed above the issuer, upper case; "" for none
    issuer: str  # upper case, bold
    abbrev: str  # "Số: …/BC-<abbrev>"
    place: str
    signer_title: tuple[str, ...]
    signer_name: str
    recipients: tuple[str, ...]  # without the final "Lưu: VT."


@dataclass(frozen=True)
class ItemRow:
    """Items fetched in the period by one source or one kind, and what became of them."""

    key: str
    label: str
    fetched: int = 0
    approved: int = 0
    rejected: int = 0
    published: int = 0


@dataclass(frozen=True)
class ItemFigures:
    fetched: int
    approved: int
    rejected: int
    held: int
    pending: int
    duplicate: int
    withdrawn: int
    published: int
    by_source: tuple[ItemRow, ...]
    by_kind: tuple[ItemRow, ...]


@dataclass(frozen=True)
class SiteOutputs:
    """What the last `loa publish` left in outputs/ (read by `report_site.read_outputs`)."""

    published: bool = False  # a publish manifest exists
    pages: int = 0  # site/**/*.html
    site_feed_entries: int = 0  # <entry> elements in site/atom.xml
    ward_feeds: int = 0  # feeds/<ward>.xml files
    ward_feed_entries: int = 0  # <entry> elements summed over the ward Atom feeds
    ward_entries: dict[str, int] = field(default_factory=dict)  # per ward id


@dataclass(frozen=True)
class SiteFigures:
    packs_published: int
    stories_published: int  # stories in published packs that are still approved (withdrawn ones leave the site)
    first_pack_at: datetime | None
    last_pack_at: datetime | None
    outputs: SiteOutputs


@dataclass(frozen=True)
class WardRow:
    id: str
    name: str
    stories: int  # distinct stories with an entry in the period
    entries: int
    aired: int
    skipped: int
    unreported: int  # still queued after the slot ended
    upcoming: int  # still queued, slot not over yet
    seconds_aired: int
    first_aired: datetime | None
    last_aired: datetime | None
    topics_covered: int  # configured topics with at least one aired story
    topics_total: int

    @property
    def minutes(self) -> float:
        return self.seconds_aired / 60

    @property
    def coverage(self) -> float | None:
        return self.topics_covered / self.topics_total if self.topics_total else None

    @property
    def reported(self) -> bool:
        """Reported: nothing overdue and at least one entry acknowledged (a silent ward has not reported)."""
        return self.unreported == 0 and (self.aired + self.skipped) > 0


@dataclass(frozen=True)
class Figure:
    """One figure for a channel Loa does not run, exactly as someone reported it."""

    id: int
    channel: str
    metric: str
    value: float
    source: str
    note: str
    recorded_at: datetime
    recorded_by: str
    os_user: str


@dataclass(frozen=True)
class SourceInfo:
    id: str
    name: str
    agency: str


@dataclass(frozen=True)
class CampaignReport:
    campaign: str
    subject: str
    since: date
    until: date
    generated_at: datetime
    tz: tzinfo
    due: date | None
    letterhead: Letterhead
    ward_scope: Ward | None  # set for `loa report --ward`
    sources: tuple[SourceInfo, ...]
    topics: tuple[Topic, ...]
    items: ItemFigures
    site: SiteFigures
    wards: tuple[WardRow, ...]
    totals: WardRow
    figures: tuple[Figure, ...]

    @property
    def not_reported(self) -> tuple[WardRow, ...]:
        return tuple(w for w in self.wards if not w.reported)

    @property
    def year(self) -> int:
        return self.generated_at.astimezone(self.tz).year


# -- letterhead ----------------------------------------------------------------------------------------

_PREFIXES = ("ủy ban nhân dân", "uỷ ban nhân dân", "ubnd", "thành phố", "tp.", "tỉnh", "quận", "huyện", "thị xã")


def _place_from(issuer: str) -> str:
    """ "UBND thành phố Thanh Hóa" → "Thanh Hóa": the place name after the body and unit words."""
    rest = issuer.strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if rest.lower().startswith(prefix):
                rest, changed = rest[len(prefix) :].strip(), True
    return rest


def _abbrev_from(issuer: str) -> str:
    lowered = issuer.strip().lower()
    if lowered.startswith(("ubnd", "ủy ban nhân dân", "uỷ ban nhân dân")):
        return "UBND"
    from worker.vietnamese import strip_diacritics

    letters = [w[0] for w in strip_diacritics(issuer).split() if w[:1].isalpha()]
    return "".join(letters).upper()[:10] or "UBND"


def letterhead(settings: ReportSettings, issuer: str, recipient: str, ward: Ward | None = None) -> Letterhead:
    """The configured letterhead, gaps filled from the campaign; for a ward, the ward's People's Committee."""
    city = settings.issuer or issuer or "[Cơ quan ban hành]"
    place = settings.place or _place_from(city) or PLACEHOLDER
    if ward is not None:
        return Letterhead(
            parent=nfc(city.upper()),
            issuer=nfc(f"UBND {ward.full_name}".upper()),
            abbrev="UBND",
            place=place,
            signer_title=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
            signer_name=PLACEHOLDER,
            recipients=(city,),
        )
    return Letterhead(
        parent=nfc((settings.parent or "").upper()),
        issuer=nfc(city.upper()),
        abbrev=settings.abbrev or _abbrev_from(city),
        place=place,
        signer_title=settings.signer_title or ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
        signer_name=settings.signer_name or PLACEHOLDER,
        recipients=settings.recipients if settings.recipients is not None else tuple(r for r in (recipient,) if r),
    )


# -- figures -------------------------------------------------------------------------------------------


def period_bounds(since: date, until: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """Local days [since, until] → the instants [start of since, start of the day after until)."""
    start = datetime.combine(since, time(0), tz)
    end = datetime.combine(until + timedelta(days=1), time(0), tz)
    return start, end


def item_figures(rows: Iterable[dict[str, Any]], source_names: dict[str, str]) -> ItemFigures:
    """Counts by current status; "published" = still approved and a member of a published pack."""
    rows = list(rows)
    by_source: dict[str, dict[str, int]] = {}
    by_kind: dict[str, dict[str, int]] = {}
    totals = {s: 0 for s in STATUS_NAMES}
    published = 0
    for row in rows:
        status = str(row.get("status") or "new")
        totals[status] = totals.get(status, 0) + 1
        is_published = bool(row.get("published")) and status == "approved"
        published += is_published
        for table, key in ((by_source, str(row.get("source_id") or "")), (by_kind, str(row.get("kind") or ""))):
            counts = table.setdefault(key, {"fetched": 0, "approved": 0, "rejected": 0, "published": 0})
            counts["fetched"] += 1
            counts["approved"] += status == "approved"
            counts["rejected"] += status == "rejected"
            counts["published"] += is_published

    def rows_of(table: dict[str, dict[str, int]], labels: dict[str, str]) -> tuple[ItemRow, ...]:
        return tuple(
            ItemRow(key, labels.get(key, key), **counts)
            for key, counts in sorted(table.items(), key=lambda kv: (-kv[1]["fetched"], kv[0]))
        )

    return ItemFigures(
        fetched=len(rows),
        approved=totals["approved"],
        rejected=totals["rejected"],
        held=totals["held"],
        pending=totals["new"],
        duplicate=totals["duplicate"],
        withdrawn=totals["withdrawn"],
        published=published,
        by_source=rows_of(by_source, source_names),
        by_kind=rows_of(by_kind, KIND_NAMES),
    )


def site_figures(packs: Iterable[dict[str, Any]], outputs: SiteOutputs) -> SiteFigures:
    published = [p for p in packs if p.get("status") == "published" and p.get("published_at")]
    moments = sorted(from_iso(p["published_at"]) for p in published)
    return SiteFigures(
        packs_published=len(published),
        stories_published=sum(int(p.get("live") or 0) for p in published),
        first_pack_at=moments[0] if moments else None,
        last_pack_at=moments[-1] if moments else None,
        outputs=outputs,
    )


def slot_end(entry: dict[str, Any], ward: Ward | None, tz: tzinfo) -> datetime:
    """When an entry's slot window closes: its start plus the ward's configured window length (0 if unknown)."""
    day = date.fromisoformat(str(entry["date"]))
    hour, minute = (int(part) for part in str(entry["slot"]).split(":")[:2])
    length = 0
    for slot in ward.slots if ward else ():
        h, m, seconds = parse_slot(slot, "slot")
        if (h, m) == (hour, minute):
            length = seconds
            break
    return datetime.combine(day, time(hour, minute), tz) + timedelta(seconds=length)


def ward_rows(
    wards: Iterable[Ward],
    entries: Iterable[dict[str, Any]],
    story_topics: dict[str, set[str]],
    topics: tuple[Topic, ...],
    *,
    now: datetime,
    tz: tzinfo,
) -> tuple[WardRow, ...]:
    """One row per ward (in ward order; entries of wards no longer configured get a row of their own)."""
    by_ward: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_ward.setdefault(str(entry["ward"]), []).append(entry)
    known = {w.id: w for w in wards}
    order = [*known, *sorted(set(by_ward) - set(known))]
    topic_ids = {t.id for t in topics}
    rows: list[WardRow] = []
    for ward_id in order:
        ward = known.get(ward_id)
        mine = by_ward.get(ward_id, [])
        aired = [e for e in mine if e["status"] == "aired"]
        queued = [e for e in mine if e["status"] == "queued"]
        overdue = [e for e in queued if slot_end(e, ward, tz) <= now]
        moments = sorted(from_iso(e["aired_at"]) for e in aired if e.get("aired_at"))
        covered: set[str] = set()
        for entry in aired:
            covered |= story_topics.get(str(entry["story"]), set()) & topic_ids
        rows.append(
            WardRow(
                id=ward_id,
                name=ward.name if ward else ward_id,
                stories=len({e["story"] for e in mine}),
                entries=len(mine),
                aired=len(aired),
                skipped=sum(1 for e in mine if e["status"] == "skipped"),
                unreported=len(overdue),
                upcoming=len(queued) - len(overdue),
                seconds_aired=sum(int(e.get("seconds") or 0) for e in aired),
                first_aired=moments[0] if moments else None,
                last_aired=moments[-1] if moments else None,
                topics_covered=len(covered),
                topics_total=len(topic_ids),
            )
        )
    return tuple(rows)


def totals_row(rows: tuple[WardRow, ...], entries: Iterable[dict[str, Any]], topics_total: int) -> WardRow:
    """Sums over the wards; stories counts distinct stories across wards, coverage is the campaign-wide union."""
    entries = list(entries)
    firsts = [r.first_aired for r in rows if r.first_aired]
    lasts = [r.last_aired for r in rows if r.last_aired]
    return WardRow(
        id="",
        name="Tổng cộng",
        stories=len({e["story"] for e in entries}),
        entries=sum(r.entries for r in rows),
        aired=sum(r.aired for r in rows),
        skipped=sum(r.skipped for r in rows),
        unreported=sum(r.unreported for r in rows),
        upcoming=sum(r.upcoming for r in rows),
        seconds_aired=sum(r.seconds_aired for r in rows),
        first_aired=min(firsts) if firsts else None,
        last_aired=max(lasts) if lasts else None,
        topics_covered=0,
        topics_total=topics_total,
    )


def figures_from(rows: Iterable[dict[str, Any]]) -> tuple[Figure, ...]:
    return tuple(
        Figure(
            id=int(r["id"]),
            channel=nfc(r["channel"]),
            metric=nfc(r["metric"]),
            value=float(r["value"]),
            source=nfc(r["source"]),
            note=nfc(r.get("note") or ""),
            recorded_at=from_iso(r["recorded_at"]),
            recorded_by=r.get("recorded_by") or "",
            os_user=r.get("os_user") or "",
        )
        for r in rows
    )


def ward_kind_name(ward: Ward) -> str:
    return WARD_KINDS.get(ward.kind, "Phường")


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report is computed from, already read from the database and outputs/."""

    campaign: str
    since: date
    until: date
    due: date | None
    now: datetime
    tz: tzinfo
    letterhead: Letterhead
    sources: tuple[SourceInfo, ...]
    topics: tuple[Topic, ...]
    wards: tuple[Ward, ...]
    ward_scope: Ward | None
    item_rows: list[dict[str, Any]]
    source_names: dict[str, str]
    packs: list[dict[str, Any]]
    outputs: SiteOutputs
    entries: list[dict[str, Any]]
    story_topics: dict[str, set[str]]
    figure_rows: list[dict[str, Any]]


def build_report(inputs: ReportInputs) -> CampaignReport:
    wards = (inputs.ward_scope,) if inputs.ward_scope else inputs.wards
    rows = ward_rows(wards, inputs.entries, inputs.story_topics, inputs.topics, now=inputs.now, tz=inputs.tz)
    totals = totals_row(rows, inputs.entries, len(inputs.topics))
    covered: set[str] = set()
    topic_ids = {t.id for t in inputs.topics}
    for entry in inputs.entries:
        if entry["status"] == "aired":
            covered |= inputs.story_topics.get(str(entry["story"]), set()) & topic_ids
    totals = WardRow(**{**totals.__dict__, "topics_covered": len(covered)})
    return CampaignReport(
        campaign=nfc(inputs.campaign),
        subject=nfc(f"{SUBJECT_PREFIX} {inputs.campaign}"),
        since=inputs.since,
        until=inputs.until,
        generated_at=inputs.now,
        tz=inputs.tz,
        due=inputs.due,
        letterhead=inputs.letterhead,
        ward_scope=inputs.ward_scope,
        sources=inputs.sources,
        topics=inputs.topics,
        items=item_figures(inputs.item_rows, inputs.source_names),
        site=site_figures(inputs.packs, inputs.outputs),
        wards=rows,
        totals=totals,
        figures=figures_from(inputs.figure_rows),
    )


# -- deadline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCheck:
    due: date | None
    days_left: int | None  # negative once past
    reminding: bool  # within remind_days of the due date, or past it
    wards: tuple[WardRow, ...]  # wards with overdue (unreported) entries

    @property
    def failing(self) -> bool:
        return self.reminding and bool(self.wards)


def due_check(report: CampaignReport, *, remind_days: int) -> DueCheck:
    today = report.generated_at.astimezone(report.tz).date()
    if report.due is None:
        return DueCheck(None, None, False, ())
    left = (report.due - today).days
    reminding = left <= remind_days
    return DueCheck(report.due, left, reminding, tuple(w for w in report.wards if w.unreported))


# -- shared sentences (the same words in docx, md and html) -------------------------------------------


def overview(report: CampaignReport) -> list[str]:
    """Section I: what was run, when, from which sources."""
    scope = report.ward_scope
    lines = [
        f"Thực hiện {report.campaign} (từ ngày {vn_date(report.since)} đến ngày {vn_date(report.until)}), "
        + (
            f"UBND {scope.full_name} đã tiếp nhận bản tin từ thành phố qua hệ thống Loa và phát trên "
            "hệ thống truyền thanh cơ sở."
            if scope
            else "hệ thống Loa đã thu thập tin, bài cảnh báo lừa đảo từ các nguồn chính thống, cán bộ kiểm duyệt trước "
            "khi đăng trên Cổng thông tin điện tử thành phố và chuyển tới hệ thống truyền thanh của các phường, xã."
        ),
    ]
    if not scope:
        lines.append(
            f"Số nguồn tin được theo dõi: {vn_number(len(report.sources))}; số chủ đề tuyên truyền: "
            f"{vn_number(len(report.topics))} ({', '.join(t.name for t in report.topics) or 'chưa cấu hình'})."
        )
    lines.append(f"{PLACEHOLDER} Các văn bản chỉ đạo, kế hoạch đã ban hành; công tác phối hợp.")
    return lines


def items_summary(report: CampaignReport) -> str:
    i = report.items
    return (
        f"Tổng số tin, bài thu thập: {vn_number(i.fetched)}; đã duyệt: {vn_number(i.approved)}; "
        f"từ chối: {vn_number(i.rejected)}; tạm giữ: {vn_number(i.held)}; chờ duyệt: {vn_number(i.pending)}; "
        f"trùng lặp (đã gộp): {vn_number(i.duplicate)}; thu hồi: {vn_number(i.withdrawn)}; "
        f"đã đăng trên Cổng thông tin: {vn_number(i.published)}."
    )


def site_summary(report: CampaignReport) -> str:
    s = report.site
    o = s.outputs
    text = (
        f"Số bản tin (gói tin) đã xuất bản: {vn_number(s.packs_published)}, gồm {vn_number(s.stories_published)} tin."
    )
    if o.published:
        text += (
            f" Trang đang đăng: {vn_number(o.pages)} trang; nguồn tin (Atom) của Cổng: {vn_number(o.site_feed_entries)} "
            f"mục; {vn_number(o.ward_feeds)} nguồn tin riêng cho phường, xã với tổng cộng "
            f"{vn_number(o.ward_feed_entries)} mục."
        )
    else:
        text += " Chưa xuất bản trang nào (chưa chạy loa publish)."
    return text


def broadcast_summary(report: CampaignReport) -> str:
    t = report.totals
    missing = report.not_reported
    text = (
        f"Tổng số lượt phát đưa vào lịch: {vn_number(t.entries)} ({vn_number(t.stories)} tin); đã phát: "
        f"{vn_number(t.aired)}; không phát: {vn_number(t.skipped)}; chưa báo cáo: {vn_number(t.unreported)}; "
        f"chưa đến giờ phát: {vn_number(t.upcoming)}. Thời lượng đã phát: {vn_decimal(t.minutes)} phút."
    )
    if not report.ward_scope:
        text += f" {vn_number(len(report.wards) - len(missing))}/{vn_number(len(report.wards))} phường, xã đã báo cáo đầy đủ."
    if missing:
        text += " Chưa báo cáo: " + ", ".join(w.name for w in missing) + "."
    return text


def assessment(report: CampaignReport) -> list[str]:
    t = report.totals
    done = t.aired + t.skipped
    lines = [
        f"Tỷ lệ lượt phát đã được xác nhận: {vn_percent(done / t.entries if t.entries else None)}; "
        f"tỷ lệ đã phát trên số đã xác nhận: {vn_percent(t.aired / done if done else None)}; "
        f"độ phủ chủ đề (chủ đề có ít nhất một tin đã phát): {vn_percent(t.coverage)}.",
        f"{PLACEHOLDER} Ưu điểm, hạn chế, nguyên nhân.",
    ]
    return lines


def proposals() -> list[str]:
    return [f"{PLACEHOLDER} Đề xuất, kiến nghị với cấp trên."]


def figure_value(figure: Figure) -> str:
    return vn_decimal(figure.value)


def figure_provenance(figure: Figure, tz: tzinfo) -> str:
    who = figure.recorded_by + (
        f" ({figure.os_user})" if figure.os_user and figure.os_user != figure.recorded_by else ""
    )
    return f"{figure.source}; nhập ngày {figure.recorded_at.astimezone(tz):%d/%m/%Y %H:%M} bởi {who}"


WARD_HEADERS = (
    "Phường, xã",
    "Tin",
    "Đã phát",
    "Không phát",
    "Chưa báo cáo",
    "Phút đã phát",
    "Phát lần đầu",
    "Phát lần cuối",
    "Độ phủ chủ đề",
)


def ward_cells(row: WardRow, tz: tzinfo) -> list[str]:
    """One table row as the reader sees it, the same in docx, md and html."""
    return [
        row.name,
        vn_number(row.stories),
        vn_number(row.aired),
        vn_number(row.skipped),
        vn_number(row.unreported),
        vn_decimal(row.minutes),
        vn_moment(row.first_aired, tz),
        vn_moment(row.last_aired, tz),
        vn_percent(row.coverage),
    ]


ITEM_HEADERS = ("Thu thập", "Đã duyệt", "Từ chối", "Đã đăng")


def item_cells(row: ItemRow) -> list[str]:
    return [row.label, *(vn_number(v) for v in (row.fetched, row.approved, row.rejected, row.published))]


def default_filename(report: CampaignReport, fmt: str) -> str:
    scope = report.ward_scope.id if report.ward_scope else "thanh-pho"
    return f"bao-cao-{scope}-{report.generated_at.astimezone(report.tz):%Y%m%d}.{fmt}"
