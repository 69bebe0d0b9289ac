"""The report as Markdown (email), CSV (spreadsheets, long format, UTF-8 with BOM) and standalone HTML; bytes only.

Every renderer takes the same `CampaignReport` and the shared sentences of `worker.report`, so the numbers agree.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterator, Sequence

from worker.report import (
    ITEM_HEADERS,
    KEEP,
    WARD_HEADERS,
    CampaignReport,
    assessment,
    broadcast_summary,
    figure_provenance,
    figure_value,
    item_cells,
    items_summary,
    overview,
    proposals,
    site_summary,
    vn_decimal,
    vn_moment,
    ward_cells,
)

CSV_HEADERS = ("Mục", "Đối tượng", "Chỉ số", "Giá trị", "Hiển thị", "Đơn vị", "Nguồn")
LOA = "Loa (cơ sở dữ liệu)"


def _sections(
    report: CampaignReport,
) -> Iterator[tuple[str, list[str], list[tuple[str, Sequence[str], list[list[str]]]]]]:
    """(heading, paragraphs, tables) in reading order; tables are (caption, headers, rows)."""
    yield "I. Tình hình triển khai", overview(report), []
    if not report.ward_scope:
        yield (
            "II.1. Thu thập, kiểm duyệt tin, bài",
            [items_summary(report)],
            [
                ("Tin, bài theo nguồn", ("Nguồn", *ITEM_HEADERS), [item_cells(r) for r in report.items.by_source]),
                ("Tin, bài theo loại", ("Loại", *ITEM_HEADERS), [item_cells(r) for r in report.items.by_kind]),
            ],
        )
        yield "II.2. Cổng thông tin điện tử thành phố", [site_summary(report)], []
    rows = [ward_cells(r, report.tz) for r in report.wards]
    if not report.ward_scope:
        rows.append(ward_cells(report.totals, report.tz))
    yield (
        "II.3. Hệ thống truyền thanh cơ sở",
        [broadcast_summary(report)],
        [("Kết quả phát theo phường, xã", WARD_HEADERS, rows)],
    )
    if not report.ward_scope:
        figures = [[f.channel, f.metric, figure_value(f), figure_provenance(f, report.tz)] for f in report.figures]
        yield (
            "II.4. Các kênh khác (số liệu do đơn vị khác báo cáo)",
            ["Số liệu do các đơn vị nêu tại cột “Nguồn” báo cáo, nhập tay vào hệ thống; Loa không tự tính."]
            if figures
            else ["Chưa có số liệu (nhập bằng loa report add-figure)."],
            [("Các kênh khác", ("Kênh", "Chỉ số", "Giá trị", "Nguồn, thời điểm nhập"), figures)] if figures else [],
        )
    yield "III. Đánh giá", assessment(report), []
    yield "IV. Đề xuất, kiến nghị", proposals(), []


def _heading_lines(report: CampaignReport) -> list[str]:
    head = report.letterhead
    return [line for line in (head.parent, head.issuer, f"Số: …/BC-{head.abbrev}") if line]


def markdown_bytes(report: CampaignReport) -> bytes:
    head = report.letterhead
    out = [*(f"**{line}**  " for line in _heading_lines(report)), ""]
    out += [f"*{head.place}, ngày … tháng … năm {report.year}*", "", "# BÁO CÁO", "", f"## {report.subject}", ""]
    for heading, paragraphs, tables in _sections(report):
        out += [f"### {heading}", ""]
        for paragraph in paragraphs:
            out += [paragraph, ""]
        for caption, headers, rows in tables:
            out += [f"*{caption}*", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
            out.append("")
    out += ["**Nơi nhận:**", *(f"- {r}" for r in head.recipients), f"- {KEEP}", ""]
    out += [*(f"**{line}**  " for line in head.signer_title), "", f"**{head.signer_name}**", ""]
    return "\n".join(out).encode("utf-8")


def csv_bytes(report: CampaignReport) -> bytes:
    """Long format: one figure per line (section, subject, metric, value, display, unit, source); BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)

    def put(section: str, subject: str, metric: str, value: float | str, unit: str, source: str = LOA) -> None:
        if isinstance(value, float | int):
            shown = vn_decimal(float(value))
            raw = f"{value:g}" if isinstance(value, float) else str(value)
        else:
            shown = raw = value
        writer.writerow([section, subject, metric, raw, shown, unit, source])

    period = f"{report.since:%d/%m/%Y}–{report.until:%d/%m/%Y}"
    put("Chung", report.letterhead.issuer, "Kỳ báo cáo", period, "")
    put("Chung", report.letterhead.issuer, "Chiến dịch", report.campaign, "")
    if not report.ward_scope:
        i = report.items
        for metric, value in (
            ("Thu thập", i.fetched),
            ("Đã duyệt", i.approved),
            ("Từ chối", i.rejected),
            ("Tạm giữ", i.held),
            ("Chờ duyệt", i.pending),
            ("Trùng lặp", i.duplicate),
            ("Thu hồi", i.withdrawn),
            ("Đã đăng", i.published),
        ):
            put("Tin, bài", "Tổng", metric, value, "tin")
        for section, items in (("Tin, bài theo nguồn", i.by_source), ("Tin, bài theo loại", i.by_kind)):
            for item in items:
                for metric, value in zip(
                    ITEM_HEADERS, (item.fetched, item.approved, item.rejected, item.published), strict=True
                ):
                    put(section, item.label, metric, value, "tin")
        s, o = report.site, report.site.outputs
        for metric, value, unit in (
            ("Gói tin đã xuất bản", s.packs_published, "gói"),
            ("Tin trong các gói đã xuất bản", s.stories_published, "tin"),
            ("Trang đang đăng", o.pages, "trang"),
            ("Mục trong nguồn tin của Cổng", o.site_feed_entries, "mục"),
            ("Nguồn tin phường, xã", o.ward_feeds, "nguồn"),
            ("Mục trong nguồn tin phường, xã", o.ward_feed_entries, "mục"),
        ):
            put("Cổng thông tin", "Thành phố", metric, value, unit)
    wards = [*report.wards, *([] if report.ward_scope else [report.totals])]
    for row in wards:
        for metric, amount, unit in (
            ("Tin đưa vào lịch", row.stories, "tin"),
            ("Lượt phát trong lịch", row.entries, "lượt"),
            ("Đã phát", row.aired, "lượt"),
            ("Không phát", row.skipped, "lượt"),
            ("Chưa báo cáo", row.unreported, "lượt"),
            ("Chưa đến giờ", row.upcoming, "lượt"),
            ("Phút đã phát", round(row.minutes, 1), "phút"),
        ):
            put("Truyền thanh", row.name, metric, amount, unit)
        put("Truyền thanh", row.name, "Phát lần đầu", vn_moment(row.first_aired, report.tz), "")
        put("Truyền thanh", row.name, "Phát lần cuối", vn_moment(row.last_aired, report.tz), "")
        if row.coverage is not None:
            put("Truyền thanh", row.name, "Độ phủ chủ đề", round(row.coverage * 100, 1), "%")
        if row.id:
            put("Truyền thanh", row.name, "Đã báo cáo", "có" if row.reported else "chưa", "")
    if not report.ward_scope:
        for figure in report.figures:
            put("Kênh khác", figure.channel, figure.metric, figure.value, "", figure_provenance(figure, report.tz))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_STYLE = """
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 14pt; max-width: 60em; margin: 2em auto; line-height: 1.4; }
.head { display: flex; justify-content: space-between; text-align: center; }
.head div { flex: 1; }
.motto { font-weight: bold; text-decoration: underline; }
.place { text-align: right; font-style: italic; }
h1, h2 { text-align: center; font-size: 14pt; margin: .2em 0; }
h3 { font-size: 14pt; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 11pt; }
th, td { border: 1px solid #444; padding: .2em .4em; }
td:not(:first-child) { text-align: center; }
caption { font-style: italic; }
.placeholder { background: #fff3b0; }
.sign { display: flex; justify-content: space-between; margin-top: 2em; }
.sign .who { text-align: center; font-weight: bold; }
img { max-width: 100%; }
"""


def _p(text: str) -> str:
    escaped = html.escape(text)
    escaped = escaped.replace("[Cán bộ điền]", '<span class="placeholder">[Cán bộ điền]</span>')
    return f"<p>{escaped}</p>"


def html_bytes(report: CampaignReport, chart: bytes | None) -> bytes:
    head = report.letterhead
    e = html.escape
    parts = [
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">',
        f"<title>Báo cáo {e(report.subject)}</title><style>{_STYLE}</style></head><body>",
        '<div class="head"><div>',
        *(f"<div>{e(head.parent)}</div>" for _ in (1,) if head.parent),
        f"<div><b>{e(head.issuer)}</b></div><div>Số: …/BC-{e(head.abbrev)}</div></div>",
        '<div><div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></div><div class="motto">Độc lập - Tự do - Hạnh phúc</div></div></div>',
        f'<p class="place">{e(head.place)}, ngày … tháng … năm {report.year}</p>',
        f"<h1>BÁO CÁO</h1><h2>{e(report.subject)}</h2>",
    ]
    for heading, paragraphs, tables in _sections(report):
        parts.append(f"<h3>{e(heading)}</h3>")
        parts += [_p(p) for p in paragraphs]
        for caption, headers, rows in tables:
            parts.append(
                f"<table><caption>{e(caption)}</caption><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr>"
            )
            parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
            parts.append("</table>")
        if heading.startswith("II.3") and chart:
            data = base64.b64encode(chart).decode("ascii")
            parts.append(
                f'<figure><img alt="Số phút đã phát theo phường, xã" src="data:image/png;base64,{data}"></figure>'
            )
    recipients = "".join(f"<div>- {e(r)};</div>" for r in head.recipients) + f"<div>- {e(KEEP)}</div>"
    title = "".join(f"<div>{e(line)}</div>" for line in head.signer_title)
    parts.append(
        f'<div class="sign"><div><b><i>Nơi nhận:</i></b>{recipients}</div>'
        f'<div class="who">{title}<br><br><br><div>{e(head.signer_name)}</div></div></div>'
    )
    parts.append("</body></html>\n")
    return "\n".join(parts).encode("utf-8")
