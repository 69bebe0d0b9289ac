"""The Word report read back with python-docx: letterhead, motto, title, sections, tables, fonts, margins, signer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document

from tests.report_support import DB, NOW, ReportEnv, report_env


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReportEnv:
    monkeypatch.setenv("LOA_NOW", NOW)
    return report_env(tmp_path)


def render(env: ReportEnv, *args: str) -> Document:
    out = env.folder / "r.docx"
    result = env.run("report", "--format", "docx", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return Document(io.BytesIO(out.read_bytes()))


def texts(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_page_setup_fonts_and_margins(env: ReportEnv) -> None:
    doc = render(env)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    mm = {side: round(getattr(section, f"{side}_margin").mm) for side in ("top", "bottom", "left", "right")}
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 14
    fonts = {run.font.name for p in doc.paragraphs for run in p.runs if run.text}
    assert fonts == {"Times New Roman"}
    body_sizes = {run.font.size.pt for p in doc.paragraphs for run in p.runs if len(p.text) > 80 and not run.italic}
    assert body_sizes and body_sizes <= {13, 14}


def test_letterhead_motto_and_place(env: ReportEnv) -> None:
    doc = render(env)
    head = doc.tables[0]
    left, right = head.rows[0].cells
    lines = [p.text for p in left.paragraphs if p.text]
    assert lines == ["UBND TỈNH THANH HÓA", "UBND THÀNH PHỐ THANH HÓA"]
    assert left.paragraphs[1].runs[0].bold and not left.paragraphs[0].runs[0].bold
    assert "w:pBdr" in left.paragraphs[2]._p.xml  # the rule under the issuer
    national, motto = right.paragraphs[0], right.paragraphs[1]
    assert national.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and national.runs[0].bold
    assert motto.text == "Độc lập - Tự do - Hạnh phúc" and motto.runs[0].bold and motto.runs[0].underline
    number, dated = head.rows[1].cells
    assert number.text == "Số: …/BC-UBND"
    assert dated.text == "Thanh Hóa, ngày … tháng … năm 2023" and dated.paragraphs[0].runs[0].italic
    assert 'w:val="nil"' in head._tbl.xml  # borderless


def test_title_sections_tables_and_chart(env: ReportEnv) -> None:
    doc = render(env)
    body = texts(doc)
    assert "BÁO CÁO" in body
    subject = "Kết quả triển khai Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến"
    assert subject in body
    headings = [
        t for t in body if t in ("I. TÌNH HÌNH TRIỂN KHAI", "II. KẾT QUẢ", "III. ĐÁNH GIÁ", "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    ]
    assert headings == ["I. TÌNH HÌNH TRIỂN KHAI", "II. KẾT QUẢ", "III. ĐÁNH GIÁ", "IV. ĐỀ XUẤT, KIẾN NGHỊ"]
    assert sum("[Cán bộ điền]" in t for t in body) >= 3
    wards = next(t for t in doc.tables if t.rows[0].cells[0].text == "Phường, xã")
    assert [c.text for c in wards.rows[0].cells][1:4] == ["Tin", "Đã phát", "Không phát"]
    assert [r.cells[0].text for r in wards.rows[1:]] == [
        "Phường Điện Biên",
        "Phường Hàm Rồng",
        "Xã Hoằng Đại",
        "Tổng cộng",
    ]
    assert [c.text for c in wards.rows[1].cells][1:6] == ["5", "3", "1", "1", "3,8"]
    assert wards.rows[-1].cells[0].paragraphs[0].runs[0].bold
    assert wards.style.name == "Table Grid"
    assert len(doc.inline_shapes) == 1  # the chart
    assert any(t.rows[0].cells[0].text == "Nguồn" for t in doc.tables)


def test_recipients_and_signer(env: ReportEnv) -> None:
    doc = render(env)
    sign = doc.tables[-1]
    left, right = sign.rows[0].cells
    assert left.paragraphs[0].text == "Nơi nhận:"
    assert left.paragraphs[0].runs[0].bold and left.paragraphs[0].runs[0].italic
    assert [p.text for p in left.paragraphs[1:]] == [
        "- Sở Thông tin và Truyền thông;",
        "- Thường trực Thành ủy;",
        "- Lưu: VT.",
    ]
    lines = [p.text for p in right.paragraphs if p.text.strip()]
    assert lines == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn An"]


def test_ward_docx_letterhead(env: ReportEnv) -> None:
    doc = render(env, "--ward", DB)
    left = doc.tables[0].rows[0].cells[0]
    assert [p.text for p in left.paragraphs if p.text] == ["UBND THÀNH PHỐ THANH HÓA", "UBND PHƯỜNG ĐIỆN BIÊN"]
    sign = doc.tables[-1].rows[0].cells[0]
    assert [p.text for p in sign.paragraphs[1:]] == ["- UBND thành phố Thanh Hóa;", "- Lưu: VT."]


def test_page_numbers_centred_in_the_header_from_page_two(env: ReportEnv) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    section = render(env).sections[0]
    assert section.different_first_page_header_footer
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()
    paragraph = section.header.paragraphs[0]
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    xml = paragraph._p
    kinds = [c.get(qn("w:fldCharType")) for c in xml.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert [i.text.strip() for i in xml.iter(qn("w:instrText"))] == ["PAGE"]
    assert {run.font.name for run in paragraph.runs} == {"Times New Roman"}
    assert {run.font.size.pt for run in paragraph.runs} <= {13, 14}
