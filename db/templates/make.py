"""Build the default document templates shipped with ptdv: ``9-KND.docx`` (the admission decision),
``6-KND.docx`` (the branch resolution) and ``report.docx`` (the quarterly report), beside this file.

Run ``python db/templates/make.py`` after changing it; the .docx files are committed.  Each is a plain Word
document whose ``{{ … }}`` fields (Jinja2, as docxtpl reads them) are filled by :mod:`db.documents`; the
fields are listed by ``ptdv template list``.

The layout is that of Hướng dẫn 36-HD/VPTW (2018) for party documents: the superior committee's name and the
issuing body top left with ``*`` under it and the number below; ``ĐẢNG CỘNG SẢN VIỆT NAM`` top right,
underlined, with the place and date under it; the title; the body; the signature block.

The wording of forms 6-KNĐ and 9-KNĐ of Hướng dẫn 12-HD/BTCTW (2022) could not be found in a public text
when these templates were made, so their bodies are not that wording: each carries a visible note saying so,
for the committee to replace the template with its official form (``ptdv template set``).
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"

NOTE_FORM = ("Ghi chú của ptdv: không tìm thấy văn bản công khai của Mẫu {form} (Hướng dẫn 12-HD/BTCTW năm 2022). "
             "Lời văn của văn bản này do ptdv soạn theo các trường mẫu có (cấp ủy ban hành, số, ngày, họ tên, ngày sinh, "
             "nơi cư trú, chi bộ, ngày nghị quyết/quyết định, chữ ký), không phải lời văn của mẫu. Cấp ủy thay "
             "bằng mẫu chính thức: ptdv template get {form} -o mau.docx, sửa, rồi ptdv template set {form} mau.docx; "
             "xóa ghi chú này khi đã thay.")


def _document(landscape: bool = False) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    return doc


def _para(container, text: str = "", *, bold: bool = False, italic: bool = False, underline: bool = False,
          align=None, size: float | None = None, space_after: float = 0, color: RGBColor | None = None):
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(space_after)
    if align is not None:
        paragraph.alignment = align
    if text:
        run = paragraph.add_run(text)  # one run: a {{ field }} must not be split across runs
        run.bold, run.italic, run.underline = bold, italic, underline
        if size is not None:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    return paragraph


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _header(doc, kind: str) -> None:
    """The 36-HD/VPTW heading: two columns without borders."""
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    center = WD_ALIGN_PARAGRAPH.CENTER
    left.paragraphs[0].text = ""
    first = left.paragraphs[0]
    first.alignment = center
    first.add_run("{{ superior|upper }}").font.size = Pt(13)
    _para(left, "{{ issuer|upper }}", bold=True, align=center)
    _para(left, "*", align=center)
    _para(left, "Số {{ number }}-" + kind + "/{{ code }}", align=center)
    top = right.paragraphs[0]
    top.alignment = center
    run = top.add_run("ĐẢNG CỘNG SẢN VIỆT NAM")
    run.bold, run.underline = True, True
    _para(right, "")
    _para(right, "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", italic=True, align=center)
    _para(doc, "")


def _signature(doc, left_lines: list[str]) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run(left_lines[0]).bold = True
    for line in left_lines[1:]:
        _para(left, line, size=11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    right.paragraphs[0].alignment = center
    right.paragraphs[0].add_run("{{ sign_for }}").bold = True
    _para(right, "{{ sign_title }}", bold=True, align=center)
    _para(right, "{{ sign_hint }}", italic=True, align=center)


def _note(doc, form: str) -> None:
    _para(doc, "")
    _para(doc, NOTE_FORM.format(form=form), italic=True, size=11, color=RGBColor(0xC0, 0x00, 0x00))


def decision() -> Document:
    """Mẫu 9-KNĐ: the admission decision of the competent committee."""
    doc = _document()
    _header(doc, "QĐ")
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "QUYẾT ĐỊNH", bold=True, align=center, size=14)
    _para(doc, "kết nạp đảng viên", bold=True, align=center)
    _para(doc, "-----", align=center, space_after=6)
    _para(doc, "- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;", align=justify)
    _para(doc, "- Xét nghị quyết đề nghị kết nạp đảng viên của {{ branch }} ngày {{ branch_date }}"
               "{% if committee_date %} và của {{ grassroots }} ngày {{ committee_date }}{% endif %},",
          align=justify, space_after=6)
    _para(doc, "{{ issuer_body|upper }}", bold=True, align=center)
    _para(doc, "QUYẾT ĐỊNH", bold=True, align=center, space_after=6)
    _para(doc, "Điều 1. Kết nạp quần chúng {{ name }}, sinh ngày {{ born }}{% if gender %}, giới tính: {{ gender }}"
               "{% endif %}{% if sensitive %}, dân tộc: {{ ethnicity }}, tôn giáo: {{ religion }}{% endif %}, "
               "nơi cư trú: {{ residence }}, vào Đảng Cộng sản Việt Nam; sinh hoạt tại {{ branch }}, "
               "{{ grassroots }}.", align=justify)
    _para(doc, "Điều 2. Thời gian dự bị là mười hai tháng, kể từ ngày chi bộ tổ chức lễ kết nạp.", align=justify)
    _para(doc, "Điều 3. {{ branch }}, {{ grassroots }} và đồng chí có tên tại Điều 1 thi hành quyết định này.",
          align=justify, space_after=12)
    _signature(doc, ["Nơi nhận:", "- Như Điều 3,", "- Lưu hồ sơ đảng viên."])
    _note(doc, "9-KNĐ")
    return doc


def resolution() -> Document:
    """Mẫu 6-KNĐ: the branch's resolution proposing the admission."""
    doc = _document()
    _header(doc, "NQ")
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "NGHỊ QUYẾT", bold=True, align=center, size=14)
    _para(doc, "đề nghị kết nạp đảng viên", bold=True, align=center)
    _para(doc, "-----", align=center, space_after=6)
    _para(doc, "Ngày {{ branch_date }}, {{ branch }} ({{ grassroots }}) họp xét đề nghị kết nạp quần chúng "
               "{{ name }} vào Đảng.", align=justify)
    _para(doc, "Quần chúng {{ name }}, sinh ngày {{ born }}{% if gender %}, giới tính: {{ gender }}{% endif %}"
               "{% if sensitive %}, dân tộc: {{ ethnicity }}, tôn giáo: {{ religion }}{% endif %}, "
               "nơi cư trú: {{ residence }}.", align=justify)
    _para(doc, "Người giới thiệu: {{ introducers }}.", align=justify)
    _para(doc, "Tổng số đảng viên chính thức của chi bộ: ……; có mặt: ……; số đồng chí tán thành kết nạp: …… "
               "(đạt ……% so với tổng số đảng viên chính thức).", align=justify)
    _para(doc, "Chi bộ đề nghị {{ superior }} xét, kết nạp quần chúng {{ name }} vào Đảng Cộng sản Việt Nam.",
          align=justify, space_after=12)
    _signature(doc, ["Nơi nhận:", "- {{ superior }},", "- Lưu chi bộ."])
    _note(doc, "6-KNĐ")
    return doc


COLUMNS = (  # heading, field of a row, width (cm)
    ("STT", "n", 1.2), ("Đơn vị", "name", 7.0), ("Chỉ tiêu năm", "target", 2.2),
    ("Kết nạp trong kỳ", "admitted", 2.2), ("Cùng kỳ năm trước", "last_year", 2.2),
    ("Lũy kế năm", "cumulative", 2.2), ("% kế hoạch", "percent", 2.0), ("Nữ", "women", 1.6),
    ("Đoàn viên", "youth_union", 1.8), ("Tuổi 18–30", "age_18_30", 1.8),
)


def _cell(cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(11)


def report() -> Document:
    """The quarterly (or half-year, or year) report of a committee on its admissions."""
    doc = _document(landscape=True)
    _header(doc, "BC")
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "BÁO CÁO", bold=True, align=center, size=14)
    _para(doc, "kết quả kết nạp đảng viên {{ period }}", bold=True, align=center)
    _para(doc, "-----", align=center, space_after=6)
    _para(doc, "Đơn vị: {{ unit_path }}. Chỉ tiêu kết nạp năm {{ year_of_report }}: {{ target }}.", align=justify)
    _para(doc, "Kết nạp trong kỳ: {{ total.admitted }}; lũy kế từ đầu năm: {{ total.cumulative }} "
               "({{ plan_percent }} kế hoạch năm); cùng kỳ năm trước: {{ total.last_year }}.", align=justify,
          space_after=6)
    table = doc.add_table(rows=4, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for j, (heading, _key, width) in enumerate(COLUMNS):
        table.columns[j].width = Cm(width)  # the grid (LibreOffice reads it) as well as each cell (Word)
        for row in table.rows:
            row.cells[j].width = Cm(width)
        _cell(table.rows[0].cells[j], heading, bold=True)
    # docxtpl: a row holding only {%tr for %} / {%tr endfor %} repeats the rows between them
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    for j, (_heading, key, _width) in enumerate(COLUMNS):
        left = key == "name"
        _cell(table.rows[2].cells[j], "{{ r.%s }}" % key,
              align=WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.RIGHT)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    total = table.add_row()
    for j, (_heading, key, _width) in enumerate(COLUMNS):
        if key == "n":
            continue
        text = "Tổng cộng" if key == "name" else "{{ total.%s }}" % key
        _cell(total.cells[j], text, bold=True,
              align=WD_ALIGN_PARAGRAPH.LEFT if key == "name" else WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "")
    _para(doc, "{%p for note in notes %}")
    _para(doc, "{{ note }}", italic=True, size=11)
    _para(doc, "{%p endfor %}", space_after=12)
    _signature(doc, ["Nơi nhận:", "{% if superior %}- {{ superior }},{% endif %}", "- Lưu văn phòng."])
    return doc


def main(folder: Path = HERE) -> list[Path]:
    written = []
    for name, build in (("9-KND.docx", decision), ("6-KND.docx", resolution), ("report.docx", report)):
        path = folder / name
        doc = build()
        doc.core_properties.author = "ptdv"
        doc.core_properties.title = name.removesuffix(".docx")
        doc.core_properties.comments = ""
        doc.save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
