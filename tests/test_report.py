"""The campaign report's figures equal counts computed independently with SQL over a seeded campaign; CLI checks."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from tests.report_support import DB, HD, HR, NOW, ReportEnv, report_env
from worker.report import (
    CampaignReport,
    parse_figure_value,
    vn_decimal,
    vn_number,
    vn_percent,
)
from worker.report_site import read_outputs

PERIOD = ("2023-06-30T17:00:00Z", "2023-07-20T17:00:00Z")  # 1/7 00:00 to 21/7 00:00, Asia/Ho_Chi_Minh


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportEnv:
    monkeypatch.setenv("LOA_NOW", NOW)
    return report_env(tmp_path)


def build(env: ReportEnv, ward: str | None = None) -> CampaignReport:
    """The report as the CLI computes it (the same helper), for field-by-field comparison."""
    from cli import Context, _build_report

    ctx = Context(str(env.config), None)
    store = ctx.open_store()
    try:
        return _build_report(ctx, store, date(2023, 7, 1), date(2023, 7, 20), ward)
    finally:
        store.close()


def test_vietnamese_number_formats() -> None:
    assert vn_number(1234) == "1.234"
    assert vn_number(1234567) == "1.234.567"
    assert vn_decimal(12.5) == "12,5"
    assert vn_decimal(12.0) == "12"
    assert vn_percent(0.125) == "12,5 %"
    assert vn_percent(None) == "–"
    assert parse_figure_value("1.234") == 1234
    assert parse_figure_value("1.234,5") == 1234.5
    assert parse_figure_value("12,5") == 12.5
    assert parse_figure_value("12.5") == 12.5


def test_item_figures_equal_sql_counts(env: ReportEnv) -> None:
    report = build(env)
    where = "fetched_at >= ? and fetched_at < ?"
    assert report.items.fetched == env.scalar(f"select count(*) from items where {where}", PERIOD) == 11
    for status, value in (
        ("approved", report.items.approved),
        ("rejected", report.items.rejected),
        ("held", report.items.held),
        ("new", report.items.pending),
        ("withdrawn", report.items.withdrawn),
    ):
        assert value == env.scalar(f"select count(*) from items where {where} and status = ?", (*PERIOD, status))
    published_sql = f"""select count(*) from items i where {where} and i.status = 'approved'
        and i.id in (select ps.item_id from pack_stories ps join packs p on p.id = ps.pack_id where p.status = 'published')"""
    assert report.items.published == env.scalar(published_sql, PERIOD) == 3
    by_source = dict(env.query(f"select source_id, count(*) from items where {where} group by source_id", PERIOD))
    assert {r.key: r.fetched for r in report.items.by_source} == by_source
    by_kind = dict(env.query(f"select kind, sum(status = 'approved') from items where {where} group by kind", PERIOD))
    assert {r.key: r.approved for r in report.items.by_kind} == by_kind
    assert {r.label for r in report.items.by_kind} == {"Cảnh báo", "Bài viết", "Video"}


def test_site_figures_from_packs_and_the_published_manifest(env: ReportEnv) -> None:
    report = build(env)
    assert report.site.packs_published == env.scalar("select count(*) from packs where status = 'published'") == 2
    live = env.scalar(
        """select count(*) from pack_stories ps join packs p on p.id = ps.pack_id join items i on i.id = ps.item_id
           where p.status = 'published' and i.status = 'approved'"""
    )
    assert report.site.stories_published == live == 3
    outputs = read_outputs(env.outputs)
    assert outputs.pages == 4  # the stray page outside the manifest is not counted
    assert outputs.site_feed_entries == 3
    assert (outputs.ward_feeds, outputs.ward_feed_entries) == (2, 5)
    assert outputs.ward_entries == {DB: 2, HR: 3}
    assert report.site.outputs == outputs


def test_site_figures_before_any_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_NOW", NOW)
    env = report_env(tmp_path, outputs=False)
    report = build(env)
    assert not report.site.outputs.published
    assert report.site.outputs.pages == 0


def test_ward_rows_equal_sql_counts(env: ReportEnv) -> None:
    report = build(env)
    rows = {r.id: r for r in report.wards}
    assert list(rows) == [DB, HR, HD]
    period = ("2023-07-01", "2023-07-20")
    for ward, row in rows.items():
        args = (ward, *period)
        base = "from queue_entries where ward = ? and date >= ? and date <= ?"
        assert row.stories == env.scalar(f"select count(distinct story) {base}", args)
        assert row.aired == env.scalar(f"select count(*) {base} and status = 'aired'", args)
        assert row.skipped == env.scalar(f"select count(*) {base} and status = 'skipped'", args)
        assert row.seconds_aired == env.scalar(f"select coalesce(sum(seconds), 0) {base} and status = 'aired'", args)
        first, last = env.query(f"select min(aired_at), max(aired_at) {base} and status = 'aired'", args)[0]
        assert (row.first_aired.strftime("%Y-%m-%dT%H:%M:%SZ") if row.first_aired else None) == first
        assert (row.last_aired.strftime("%Y-%m-%dT%H:%M:%SZ") if row.last_aired else None) == last
        # Unreported: still queued after the slot's window closed (06:00/15m on 16/7 ended before 09:00).
        unreported = env.scalar(
            f"select count(*) {base} and status = 'queued' and date || 'T' || slot < '2023-07-16T08:45'", args
        )
        assert row.unreported == unreported
        covered = env.scalar(
            f"""select count(distinct t.value) from items i, json_each(i.topics) t
                where i.story_id in (select story {base} and status = 'aired')""",
            args,
        )
        assert row.topics_covered == covered
    assert rows[DB].unreported == 1 and rows[DB].upcoming == 1
    assert rows[DB].coverage == 0.75 and rows[HR].coverage == 0.75 and rows[HD].coverage == 0
    assert [r.id for r in report.not_reported] == [DB, HD]  # HD has acknowledged nothing at all
    totals = report.totals
    assert totals.aired == env.scalar(
        "select count(*) from queue_entries where status = 'aired' and date between '2023-07-01' and '2023-07-20'"
    )
    assert totals.seconds_aired == sum(r.seconds_aired for r in report.wards) == 75 + 80 + 75 + 75 + 90


def test_ward_report_is_issued_by_the_ward(env: ReportEnv, tmp_path: Path) -> None:
    report = build(env, DB)
    assert [r.id for r in report.wards] == [DB]
    assert report.letterhead.issuer == "UBND PHƯỜNG ĐIỆN BIÊN"
    assert report.letterhead.parent == "UBND THÀNH PHỐ THANH HÓA"
    assert report.letterhead.recipients == ("UBND thành phố Thanh Hóa",)
    out = tmp_path / "ward.md"
    result = env.run("report", "--ward", DB, "--format", "md", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "UBND PHƯỜNG ĐIỆN BIÊN" in text and "Phường Hàm Rồng" not in text
    assert env.run("report", "--ward", "khong-co").exit_code == 2


def test_city_letterhead_from_config(env: ReportEnv) -> None:
    head = build(env).letterhead
    assert head.parent == "UBND TỈNH THANH HÓA"
    assert head.issuer == "UBND THÀNH PHỐ THANH HÓA"
    assert (head.abbrev, head.place) == ("UBND", "Thanh Hóa")
    assert head.signer_title == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert head.recipients == ("Sở Thông tin và Truyền thông", "Thường trực Thành ủy")


@pytest.mark.parametrize(
    ("now", "code", "expected"),
    [
        ("2023-07-10T09:00:00+07:00", 0, "Nothing to do yet"),  # 7 days early: no reminder
        ("2023-07-16T09:00:00+07:00", 1, "phuong-dien-bien: Phường Điện Biên chưa báo cáo 1 lượt"),
        ("2023-07-19T09:00:00+07:00", 1, "PAST"),
    ],
)
def test_check_exit_codes_near_and_after_due(env: ReportEnv, now: str, code: int, expected: str) -> None:
    result = env.run("report", "--check", now=now)
    assert result.exit_code == code, result.output
    assert expected in result.output


def test_check_passes_once_every_past_slot_is_acked(env: ReportEnv) -> None:
    ack = env.run("queue", "ack", DB, f"s4-{DB}-2023-07-16-0600", "--aired-at", "06:05", "--as", "ward")
    assert ack.exit_code == 0, ack.output
    result = env.run("report", "--check")
    assert result.exit_code == 0, result.output
    assert "every ward has reported" in result.output


def test_add_figure_keeps_provenance_and_stays_separate(env: ReportEnv, tmp_path: Path) -> None:
    result = env.run(
        "report", "add-figure", "Đài PT-TH Thanh Hóa", "--metric", "Số lượt phát phóng sự", "--value", "1.234",
        "--source", "Phòng VH-TT thành phố", "--as", "Lê Thị Hoa", user="hoa",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = env.query("select channel, metric, value, source, recorded_by, os_user, recorded_at from report_figures")
    assert row == [
        ("Đài PT-TH Thanh Hóa", "Số lượt phát phóng sự", 1234.0, "Phòng VH-TT thành phố", "Lê Thị Hoa", "hoa",
         "2023-07-16T02:00:00Z"),
    ]  # fmt: skip
    listed = env.run("report", "figures")
    assert "Phòng VH-TT thành phố" in listed.output and "1.234" in listed.output and "Lê Thị Hoa (hoa)" in listed.output
    assert env.run("report", "add-figure", "TV", "--metric", "m", "--value", "abc", "--source", "s").exit_code == 1
    out = tmp_path / "r.csv"
    assert env.run("report", "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    other = [r for r in rows if r[0] == "Kênh khác"]
    assert other == [
        ["Kênh khác", "Đài PT-TH Thanh Hóa", "Số lượt phát phóng sự", "1234", "1.234", "",
         "Phòng VH-TT thành phố; nhập ngày 16/07/2023 09:00 bởi Lê Thị Hoa (hoa)"],
    ]  # fmt: skip
    # Computed sections never carry a hand-typed source.
    assert {r[6] for r in rows[1:] if r[0] != "Kênh khác"} == {"Loa (cơ sở dữ liệu)"}


def test_default_output_path_and_period_errors(env: ReportEnv) -> None:
    result = env.run("report", "--format", "md")
    assert result.exit_code == 0, result.output
    written = env.folder / "reports" / "bao-cao-thanh-pho-20230716.md"
    assert written.is_file()
    assert env.run("report", "--from", "2023-07-10", "--to", "2023-07-01").exit_code == 2


def test_period_filter_narrows_the_figures(env: ReportEnv, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = env.run("report", "--format", "csv", "--from", "2023-07-11", "--to", "2023-07-11", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    aired = {r[1]: r[3] for r in rows if r[0] == "Truyền thanh" and r[2] == "Đã phát"}
    assert aired == {"Phường Điện Biên": "0", "Phường Hàm Rồng": "1", "Xã Hoằng Đại": "0", "Tổng cộng": "1"}
