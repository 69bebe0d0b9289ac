"""The report as a Word file laid out per Nghị định 30/2020/NĐ-CP (python-docx): letterhead, motto, sections, signer.

Returns bytes; the caller writes the file. Times New Roman throughout, A4, margins 20/20/30/15 mm.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from worker.report import (
    ITEM_HEADERS,
    KEEP,
    PLACEHOLDER,
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
    vn_date,
    ward_cells,
)

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 11
NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _set_font(run: Any, size: float | None = None, *, bold: bool = False, italic: bool = False) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT
    # Word picks the East Asian slot for some Vietnamese characters; set every slot so none falls back.
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    if size:
        run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None
    return run


def _para(
    container: Any,
    text: str = "",
    *,
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align: str = "justify",
    indent: bool = False,
    after: float = 6,
    underline: bool = False,
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    paragraph = container.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    if indent:
        fmt.first_line_indent = Cm(1.27)
    if text:
        run = _set_font(paragraph.add_run(text), size, bold=bold, italic=italic)
        if underline:
            run.underline = True
    return paragraph


def _rule(paragraph: Any, *, inset_cm: float) -> None:
    """A short centred line under the issuer or the title: a bottom border on an indented empty paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    fmt = paragraph.paragraph_format
    fmt.left_indent = Cm(inset_cm)
    fmt.right_indent = Cm(inset_cm)
    fmt.space_after = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
    # The empty paragraph keeps a tiny font so the line sits close to the text above it.
    paragraph.paragraph_format.line_spacing = Pt(4)


def _first_cell_paragraph(cell: Any) -> Any:
    """Cells start with one empty paragraph; reuse it so no blank line opens the cell."""
    return cell.paragraphs[0]


def _cell_text(
    cell: Any, text: str, *, size: float, bold: bool = False, italic: bool = False, align: str = "center"
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = _first_cell_paragraph(cell) if not cell.paragraphs[0].text and len(cell.paragraphs) == 1 else None
    if paragraph is None or paragraph.runs:
        paragraph = cell.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.space_before = Pt(0)
    _set_font(paragraph.add_run(text), size, bold=bold, italic=italic)
    return paragraph


def _no_borders(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    props.append(borders)
    # No cell padding: the issuer and the national title each need the whole width of their column.
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    props.append(margins)


def _widths(table: Any, widths_cm: Sequence[float]) -> None:
    """Fixed column widths on the grid and on every cell: Word reads the cells, LibreOffice the grid."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _letterhead(doc: Any, report: CampaignReport) -> None:
    head = report.letterhead
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    _widths(table, (7.0, 9.5))
    left, right = table.rows[0].cells
    if head.parent:
        _cell_text(left, head.parent, size=12.5)
    _cell_text(left, head.issuer, size=12.5, bold=True)
    _rule(left.add_paragraph(), inset_cm=2.3)
    _cell_text(right, NATIONAL, size=12, bold=True)
    motto = _cell_text(right, MOTTO, size=14, bold=True)
    motto.runs[0].underline = True
    number, dated = table.rows[1].cells
    _cell_text(number, f"Số: …/BC-{head.abbrev}", size=13).paragraph_format.space_before = _pt(6)
    _cell_text(
        dated, f"{head.place}, ngày … tháng … năm {report.year}", size=14, italic=True
    ).paragraph_format.space_before = _pt(6)


def _pt(value: float) -> Any:
    from docx.shared import Pt

    return Pt(value)


def _title(doc: Any, report: CampaignReport) -> None:
    _para(doc, "", after=6)
    _para(doc, "BÁO CÁO", size=14, bold=True, align="center", after=0)
    _para(doc, report.subject, size=14, bold=True, align="center", after=0)
    _rule(_para(doc, "", after=12), inset_cm=6.0)


def _grid(
    doc: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    size: float = TABLE_PT,
    bold_last: bool = False,
) -> Any:
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    _widths(table, widths)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, text, size=size, bold=True)
    for index, values in enumerate(rows, start=1):
        last = bold_last and index == len(rows)
        for column, (cell, text) in enumerate(zip(table.rows[index].cells, values, strict=True)):
            _cell_text(cell, text, size=size, bold=last, align="left" if column == 0 else "center")
    _para(doc, "", after=4)
    return table


def _heading(doc: Any, text: str) -> None:
    _para(doc, text, bold=True, align="left", after=6)


def _subheading(doc: Any, text: str) -> None:
    _para(doc, text, bold=True, italic=True, align="left", after=4, indent=True)


def _body(doc: Any, lines: Sequence[str]) -> None:
    for line in lines:
        _para(doc, line, indent=True)


def _results(doc: Any, report: CampaignReport, chart: bytes | None) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    _heading(doc, "II. KẾT QUẢ")
    number = 1
    if not report.ward_scope:
        _subheading(doc, f"{number}. Thu thập, kiểm duyệt tin, bài")
        _body(doc, [items_summary(report)])
        item_widths = (7.3, 2.3, 2.3, 2.3, 2.3)
        for caption, header, counted in (
            ("Bảng 1. Tin, bài theo nguồn", "Nguồn", report.items.by_source),
            ("Bảng 2. Tin, bài theo loại", "Loại", report.items.by_kind),
        ):
            _para(doc, caption, size=12, italic=True, align="center", after=2)
            empty = [["(không có)", *("0" for _ in ITEM_HEADERS)]]
            _grid(doc, (header, *ITEM_HEADERS), [item_cells(r) for r in counted] or empty, item_widths)
        number += 1
        _subheading(doc, f"{number}. Cổng thông tin điện tử thành phố")
        _body(doc, [site_summary(report)])
        number += 1
    _subheading(doc, f"{number}. Hệ thống truyền thanh cơ sở")
    _body(doc, [broadcast_summary(report)])
    caption = "Bảng 3. Kết quả phát theo phường, xã" if not report.ward_scope else "Bảng 1. Kết quả phát"
    _para(doc, caption, size=12, italic=True, align="center", after=2)
    rows = [ward_cells(r, report.tz) for r in report.wards]
    if not report.ward_scope:
        rows.append(ward_cells(report.totals, report.tz))
    _grid(
        doc, WARD_HEADERS, rows, (3.2, 1.2, 1.4, 1.5, 1.6, 1.5, 2.1, 2.1, 1.9), size=10, bold_last=not report.ward_scope
    )
    _para(
        doc,
        "Ghi chú: “Chưa báo cáo” là lượt phát đã qua khung giờ nhưng phường, xã chưa xác nhận; độ phủ chủ đề là tỷ lệ "
        "chủ đề tuyên truyền có ít nhất một tin đã phát.",
        size=12,
        italic=True,
        indent=True,
    )
    if chart:
        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(chart), width=Cm(15.5))
        _para(doc, "Biểu đồ 1. Số phút đã phát theo phường, xã", size=12, italic=True, align="center")
    if report.ward_scope:
        return
    number += 1
    _subheading(doc, f"{number}. Các kênh khác (số liệu do đơn vị khác báo cáo)")
    if report.figures:
        _body(
            doc,
            [
                "Số liệu dưới đây do các đơn vị nêu tại cột “Nguồn” báo cáo, được nhập tay vào hệ thống; Loa không tự tính các số liệu này."
            ],
        )
        _grid(
            doc,
            ("Kênh", "Chỉ số", "Giá trị", "Nguồn, thời điểm nhập"),
            [[f.channel, f.metric, figure_value(f), figure_provenance(f, report.tz)] for f in report.figures],
            (3.6, 4.4, 2.0, 6.5),
        )
    else:
        _body(
            doc,
            [
                f"{PLACEHOLDER} Chưa có số liệu của Đài Phát thanh – Truyền hình và mạng xã hội (nhập bằng loa report add-figure)."
            ],
        )


def _signature(doc: Any, report: CampaignReport) -> None:
    head = report.letterhead
    _para(doc, "", after=6)
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, (8.0, 8.5))
    from docx.oxml import OxmlElement

    cant_split = OxmlElement("w:cantSplit")
    table.rows[0]._tr.get_or_add_trPr().append(cant_split)
    left, right = table.rows[0].cells
    _cell_text(left, "Nơi nhận:", size=12, bold=True, italic=True, align="left")
    recipients = [*head.recipients, KEEP]
    for index, name in enumerate(recipients):
        end = "." if name == KEEP else (";" if index < len(recipients) - 1 else ".")
        _cell_text(left, f"- {name.rstrip('.;')}{end}" if name != KEEP else f"- {KEEP}", size=11, align="left")
    for line in head.signer_title:
        _cell_text(right, line, size=14, bold=True)
    for _ in range(4):
        _cell_text(right, " ", size=14)
    _cell_text(right, head.signer_name, size=14, bold=True)


def _page_numbers(section: Any) -> None:
    """Nghị định 30, Phụ lục I: Arabic page numbers centred in the top margin, size 13-14, none on page 1."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # A PAGE field: Word (and LibreOffice) fill in the number when the page is laid out.
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"), ("end", None)):
        run = _set_font(paragraph.add_run(), BODY_PT)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            run.text = text


def docx_bytes(report: CampaignReport, chart: bytes | None) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    _page_numbers(section)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    doc.core_properties.title = f"Báo cáo {report.subject}"
    doc.core_properties.author = report.letterhead.issuer
    doc.core_properties.language = "vi-VN"
    _letterhead(doc, report)
    _title(doc, report)
    _heading(doc, "I. TÌNH HÌNH TRIỂN KHAI")
    _body(doc, overview(report))
    _results(doc, report, chart)
    _heading(doc, "III. ĐÁNH GIÁ")
    _body(doc, assessment(report))
    _heading(doc, "IV. ĐỀ XUẤT, KIẾN NGHỊ")
    _body(doc, proposals())
    _body(doc, [f"Số liệu tổng hợp từ hệ thống Loa ngày {vn_date(report.generated_at.astimezone(report.tz).date())}."])
    # The signer never stands alone on a page: section IV moves with it.
    for paragraph in doc.paragraphs[-4:]:
        paragraph.paragraph_format.keep_with_next = True
    _signature(doc, report)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
