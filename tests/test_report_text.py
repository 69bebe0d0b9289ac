"""Markdown, CSV (BOM, long format) and HTML renderings of the seeded campaign report."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest

from tests.report_support import NOW, ReportEnv, report_env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportEnv:
    monkeypatch.setenv("LOA_NOW", NOW)
    env = report_env(tmp_path)
    result = env.run(
        "report", "add-figure", "Facebook Công an thành phố", "--metric", "Lượt tiếp cận", "--value", "12.345",
        "--source", "Công an thành phố", "--as", "Hoa",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return env


def render(env: ReportEnv, fmt: str) -> bytes:
    out = env.folder / f"r.{fmt}"
    result = env.run("report", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_markdown_for_email(env: ReportEnv) -> None:
    text = render(env, "md").decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert "# BÁO CÁO" in text and "**UBND THÀNH PHỐ THANH HÓA**" in text
    assert "| Phường Điện Biên | 5 | 3 | 1 | 1 | 3,8 | 06:02 10/07/2023 | 06:01 12/07/2023 | 75 % |" in text
    assert "| Tổng cộng | 5 | 5 | 1 | 1 | 6,6 |" in text
    assert (
        "| Facebook Công an thành phố | Lượt tiếp cận | 12.345 | Công an thành phố; nhập ngày 16/07/2023 09:00" in text
    )
    assert "- Lưu: VT." in text and "**Nguyễn Văn An**" in text
    assert "Chưa báo cáo: Phường Điện Biên, Xã Hoằng Đại." in text


def test_csv_long_format_with_bom(env: ReportEnv) -> None:
    data = render(env, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Mục", "Đối tượng", "Chỉ số", "Giá trị", "Hiển thị", "Đơn vị", "Nguồn"]
    assert all(len(r) == 7 for r in rows)
    index = {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}
    assert index[("Tin, bài", "Tổng", "Thu thập")] == ("11", "11")
    assert index[("Truyền thanh", "Phường Điện Biên", "Phút đã phát")] == ("3.8", "3,8")
    assert index[("Truyền thanh", "Phường Điện Biên", "Độ phủ chủ đề")] == ("75", "75")
    assert index[("Truyền thanh", "Xã Hoằng Đại", "Đã báo cáo")] == ("chưa", "chưa")
    assert index[("Cổng thông tin", "Thành phố", "Trang đang đăng")] == ("4", "4")
    assert index[("Kênh khác", "Facebook Công an thành phố", "Lượt tiếp cận")] == ("12345", "12.345")


def test_html_embeds_the_chart_and_escapes(env: ReportEnv) -> None:
    text = render(env, "html").decode("utf-8")
    assert text.startswith("<!doctype html>") and '<html lang="vi">' in text
    assert 'src="data:image/png;base64,iVBORw0KGgo' in text
    assert '<div class="motto">Độc lập - Tự do - Hạnh phúc</div>' in text
    assert "<td>Phường Điện Biên</td><td>5</td><td>3</td>" in text
    assert '<span class="placeholder">[Cán bộ điền]</span>' in text
    assert "Nơi nhận:" in text and "KT. CHỦ TỊCH" in text


def test_report_renders_with_no_queue_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_NOW", NOW)
    env = report_env(tmp_path, outputs=False)
    import sqlite3

    conn = sqlite3.connect(env.db)
    conn.execute("delete from queue_entries")
    conn.commit()
    conn.close()
    for fmt in ("docx", "md", "csv", "html"):
        assert render(env, fmt)
    text = (env.folder / "r.md").read_text(encoding="utf-8")
    assert "0/3 phường, xã đã báo cáo đầy đủ" in text
    assert "Chưa xuất bản trang nào" in text
