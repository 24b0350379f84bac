"""`ptdv import` of the lists ward offices keep (issue 13): made here the way offices make them — a title
above the table, merged cells, a second heading row (Nam/Nữ under Ngày sinh), a row of column numbers, STT,
dates as Excel numbers and in every form people type, a total row and a signature block, headings in NFD
or without diacritics, columns ptdv has no field for — as .xlsx, .xls, .ods and .csv (UTF-8 with a BOM,
Windows-1258 with semicolons); and the xlsx ptdv exports (a frozen heading row, an autofilter, widths)."""
from __future__ import annotations

import io
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from db.i18n import t
from db.service import Service
from db.transfer import ImportRefused
from tui.cli import main

from conftest import TODAY, build_small
from test_store import store_files

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
PHUOC_MY = "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ"
KDC1 = f"{PHUOC_MY}/Chi bộ khu dân cư số 1"
THCS = f"{PHUOC_MY}/Chi bộ Trường THCS Phước Mỹ"
WARD = "Đảng ủy phường Phước Mỹ"
SERIAL_15_03_2024 = 45366  # Excel's number of 15/03/2024

HEAD = ["STT", "Họ và tên", "Ngày, tháng, năm sinh", "", "Dân tộc", "Tôn giáo", "Trình độ", "Chức vụ, nơi làm việc",
        "Chỗ ở hiện nay", "Ngày học lớp", "Chi bộ", "Quê quán"]
SUB = ["", "", "Nam", "Nữ"]
PEOPLE = [  # as typed: a date cell, a date typed with dashes, a year alone under Nữ, d/m/yyyy under Nam
    [1, "Đặng Văn Hùng", date(1998, 3, 15), None, "Kinh", "Không", "12/12", "Công nhân Cty TNHH Sông Hàn", "Tổ 5",
     SERIAL_15_03_2024, "Chi bộ khu dân cư số 1", "Quảng Nam"],
    [2, "Trần Thị Mai ", None, "15-03-2001", "kinh", "Phật giáo", "Đại học", "Giáo viên trường THCS", "Tổ 7",
     "02.04.2024", "Chi bộ Trường THCS Phước Mỹ", "Huế"],
    [3, "Lê Thị Hoa", None, 1999, "Kinh", "", "Cao đẳng", "Sinh viên", "Tổ 9", "2024-05-06",
     "Chi bộ khu dân cư số 1", ""],
    [4, "Phạm Minh Tuấn", "1/2/2000", None, "Kinh", "Không", "THPT", "Nông dân", "Tổ 1", "",
     "Chi bộ Trường THCS Phước Mỹ", ""],
]


def office_grid(head: list[str] = HEAD) -> list[list[object]]:
    """The sheet, row by row (row 1 first), as a ward office makes it."""
    blank: list[object] = []
    return [["ĐẢNG BỘ PHƯỜNG PHƯỚC MỸ", "", "", "", "", "", "", "ĐẢNG CỘNG SẢN VIỆT NAM"], blank,
            ["DANH SÁCH QUẦN CHÚNG ƯU TÚ ĐỀ NGHỊ HỌC LỚP NHẬN THỨC VỀ ĐẢNG"], blank,
            head, SUB, list(range(1, len(head) + 1)), *PEOPLE,
            ["Tổng cộng: 4 người"], blank,
            ["", "", "", "", "", "", "", "", "Phước Mỹ, ngày 20 tháng 3 năm 2024"],
            ["", "NGƯỜI LẬP BIỂU", "", "", "", "", "", "", "T/M ĐẢNG ỦY"],
            ["", "(Ký, ghi rõ họ tên)"], blank,
            ["", "Nguyễn Văn Lập", "", "", "", "", "", "", "Trần Văn Bí"]]


MERGED = ["A3:L3", "C5:D5", "A5:A6", "B5:B6", "E5:E6", "A12:C12"]  # the title, Ngày sinh over Nam|Nữ, the total


def xlsx_file(path: Path, grid: list[list[object]], merged: list[str] = MERGED, title: str = "Danh sách",
              more: dict[str, list[list[object]]] | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheets = {title: grid, **(more or {})}
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = name
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value not in (None, ""):
                    sheet.cell(number, column, value)
        if index == 0:
            for cells in merged:
                sheet.merge_cells(cells)
    book.save(path)
    return path


def xls_file(path: Path, grid: list[list[object]]) -> Path:
    """An .xls of old Excel (xlwt): the title merged across, dates as date cells."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("DS quan chung")
    as_date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for number, row in enumerate(grid):
        for column, value in enumerate(row):
            if number == 2 and column == 0:
                sheet.write_merge(2, 2, 0, len(HEAD) - 1, value)
            elif isinstance(value, date):
                sheet.write(number, column, value, as_date)
            elif value not in (None, ""):
                sheet.write(number, column, value)
    book.save(str(path))
    return path


def ods_file(path: Path, grid: list[list[object]]) -> Path:
    """An .ods of LibreOffice (odfpy): dates as date cells, numbers as numbers."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Danh sách")
    for row in grid:
        line = TableRow()
        for value in row:
            if isinstance(value, date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            if value not in (None, ""):
                cell.addElement(P(text=value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)))
            line.addElement(cell)
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def cell_text(value: object) -> str:
    return "" if value is None else value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def cp1258(text: str) -> bytes:
    """``text`` as a Vietnamese Excel saves it in Windows-1258: letters with ă â ê ô ơ ư đ whole, the tone
    marks as combining characters after them."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            letter = [m for m in marks if m in "\u0306\u0302\u031b"]  # breve, circumflex, horn: of the letter
            tones = [m for m in marks if m not in letter]
            out += (unicodedata.normalize("NFC", base + "".join(letter)) + "".join(tones)).encode("cp1258")
    return out


def csv_file(path: Path, grid: list[list[object]], *, encoding: str, separator: str = ",") -> Path:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(
        [[cell_text(v) for v in row] for row in grid])
    text = buffer.getvalue()
    path.write_bytes(cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def run(path: Path, *args: str, lang: str = "vi"):
    return CliRunner().invoke(main, ["--db", str(path), "--lang", lang, *args], obj={"today": TODAY}, env=CLEAN_ENV)


@pytest.fixture
def small(service):
    return service, build_small(service)


def added_lines(lang: str = "vi") -> list[str]:
    return [t("cli.import.add", lang, row=8, name="Đặng Văn Hùng", unit=KDC1),
            t("cli.import.add", lang, row=9, name="Trần Thị Mai", unit=THCS),
            t("cli.import.add", lang, row=10, name="Lê Thị Hoa", unit=KDC1),
            t("cli.import.add", lang, row=11, name="Phạm Minh Tuấn", unit=THCS)]


def read_lines(lang: str = "vi") -> list[str]:
    """What the dry run says of the rows it skipped, the birth year alone and the column it does not import."""
    def skipped(rows: str, why: str) -> str:
        return t("cli.import.skipped", lang, rows=rows, why=t(f"import.skip.{why}", lang))
    return [skipped("1, 3", "title"), skipped("7", "numbers"), skipped("12", "total"), skipped("14–18", "footer"),
            t("cli.import.assumed", lang, rows="10", what=t("import.assumed.born_year", lang)),
            t("cli.import.unused", lang, columns="Quê quán")]


WRITERS = {
    "xlsx": lambda path, grid: xlsx_file(path, grid),
    "xls": xls_file,
    "ods": ods_file,
    "csv": lambda path, grid: csv_file(path, grid, encoding="utf-8-sig"),
}


@pytest.mark.parametrize("kind", WRITERS)
def test_an_office_list_is_read_under_its_title_to_its_footer_in_each_format(small, store_path, tmp_path, kind):
    file = WRITERS[kind](tmp_path / f"danh-sach.{kind}", office_grid())
    before = store_files(store_path)
    shown = run(store_path, "import", str(file), "--unit", WARD, "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        t("cli.import.sheet", sheet=t("export.sheet.candidates")), *added_lines(), *read_lines(),
        t("cli.import.summary", sheet=t("export.sheet.candidates"), added=4, changed=0, unchanged=0),
        t("cli.import.dry_run")]
    assert store_files(store_path) == before
    done = run(store_path, "import", str(file), "--unit", WARD)
    assert done.exit_code == 0, done.output
    assert t("cli.import.done", sheet=t("export.sheet.candidates"), added=4, changed=0, unchanged=0) in done.output
    assert imported(small[0]) == EXPECTED
    again = run(store_path, "import", str(file), "--unit", WARD)
    assert t("cli.import.done", sheet=t("export.sheet.candidates"), added=0, changed=0, unchanged=4) in again.output


EXPECTED = {
    "Đặng Văn Hùng": ("Chi bộ khu dân cư số 1", "1998-03-15", "male", "Kinh", "", "high_school", "non_state_worker",
                      "Tổ 5", [("source", "2024-03-15"), ("class", "2024-03-15")]),
    "Trần Thị Mai": ("Chi bộ Trường THCS Phước Mỹ", "2001-03-15", "female", "Kinh", "Phật giáo", "university",
                     "public_service", "Tổ 7", [("source", "2024-04-02"), ("class", "2024-04-02")]),
    "Lê Thị Hoa": ("Chi bộ khu dân cư số 1", "1999-12-31", "female", "Kinh", "", "college", "student", "Tổ 9",
                   [("source", "2024-05-06"), ("class", "2024-05-06")]),
    "Phạm Minh Tuấn": ("Chi bộ Trường THCS Phước Mỹ", "2000-02-01", "male", "Kinh", "", "high_school", "farmer",
                       "Tổ 1", [("source", TODAY.isoformat())]),
}


def imported(service: Service) -> dict[str, tuple]:
    """The candidates the list brought, as `candidate show` tells them."""
    state = service.state()
    return {c.name: (state.units[c.unit].name, c.born.isoformat(), c.gender, c.ethnicity, c.religion, c.education,
                     c.occupation, c.residence, [(e.stage, e.date.isoformat()) for e in c.history])
            for c in service.candidates(PHUOC_MY) if c.name in EXPECTED}


def test_headings_in_nfd_in_capitals_or_without_diacritics_with_extra_spaces_are_read(small, tmp_path):
    service, _ = small
    nfd = [unicodedata.normalize("NFD", text) for text in HEAD]
    bare = ["TT", "HO  VA TEN ", "NGAY THANG NAM SINH", "", "dan toc", "TON GIAO", "hoc van", "nghe nghiep",
            "noi cu tru", "ngay hoc lop cam tinh dang", "chi bo", "que quan"]
    for head in (nfd, bare):
        grid = office_grid(head)
        grid[5] = ["", "", unicodedata.normalize("NFD", "Nam"), unicodedata.normalize("NFD", "NỮ")]
        plan = service.import_tables({"candidates": grid}, unit_ref=WARD, dry_run=True)
        assert [(p.row, p.after.name, p.after.born, p.after.gender) for p in plan.candidates.adds] == [
            (8, "Đặng Văn Hùng", date(1998, 3, 15), "male"), (9, "Trần Thị Mai", date(2001, 3, 15), "female"),
            (10, "Lê Thị Hoa", date(1999, 12, 31), "female"), (11, "Phạm Minh Tuấn", date(2000, 2, 1), "male")]
        assert [unicodedata.normalize("NFC", u) for u in plan.unused] in (["Quê quán"], ["que quan"])


def test_a_windows_1258_csv_with_semicolons_and_nfd_names_reads_as_the_same_list(small, store_path, tmp_path):
    grid = office_grid()
    grid[8] = [2, unicodedata.normalize("NFD", "Trần Thị Mai"), *grid[8][2:]]
    file = csv_file(tmp_path / "ds.csv", grid, encoding="cp1258", separator=";")
    assert "Đặng".encode("utf-8") not in file.read_bytes()  # really not UTF-8
    shown = run(store_path, "import", str(file), "--unit", WARD, "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert [line for line in shown.output.splitlines() if line.startswith("  + ")] == added_lines()
    assert run(store_path, "import", str(file), "--unit", WARD).exit_code == 0
    assert imported(small[0]) == EXPECTED  # names in NFC, as typed in the app


def test_two_columns_nam_and_nu_holding_the_birth_date_as_old_forms_do(small, tmp_path):
    service, _ = small
    rows = [["TT", "Họ và tên", "Nam", "Nữ", "Chi bộ"],
            ["1", "Ngô Văn Sáu", "12/03/1997", "", "Chi bộ Trạm y tế"],
            ["2", "Võ Thị Bảy", "", "1996", "Chi bộ Trạm y tế"],
            ["3", "Hồ Thị Tám", "", "x", "Chi bộ Trạm y tế"],
            ["4", "Đào Thị Chín", "", "nữ", "Chi bộ Trạm y tế"]]
    plan = service.import_candidates(rows, dry_run=True)
    assert [(p.after.name, p.after.born, p.after.gender) for p in plan.candidates.adds] == [
        ("Ngô Văn Sáu", date(1997, 3, 12), "male"), ("Võ Thị Bảy", date(1996, 12, 31), "female"),
        ("Hồ Thị Tám", None, "female"), ("Đào Thị Chín", None, "female")]
    assert [(a.row, a.what) for a in plan.assumed] == [(3, "born_year")]


def test_a_value_that_cannot_be_read_refuses_its_row_naming_the_row_column_and_value(small, store_path, tmp_path):
    grid = office_grid()
    grid[7] = [1, "Đặng Văn Hùng", "31/13/1998", None, *grid[7][4:]]
    grid[8] = [2, "Trần Thị Mai", "01/01/2001", "01/01/2001", *grid[8][4:]]
    grid[9] = [3, "Lê Thị Hoa", None, 1999, "Kinh", "", "Lớp mười", *grid[9][7:]]
    file = xlsx_file(tmp_path / "sai.xlsx", grid)
    before = store_files(store_path)
    result = run(store_path, "import", str(file), "--unit", WARD, lang="en")
    assert result.exit_code == 1
    assert t("import.refused", "en", count=3) in result.output
    sheet = t("export.sheet.candidates", "en")
    for row, text in ((8, "'31/13/1998'"), (9, "'01/01/2001'"), (10, "'Lớp mười'")):
        line = next(line for line in result.output.splitlines() if line.startswith(f"  {sheet}, row {row}: "))
        assert text in line
    assert t("field.born", "en") in result.output and t("field.education", "en") in result.output
    assert t("education.high_school", "en") in result.output  # the refusal says what to write instead
    assert store_files(store_path) == before


def test_a_job_no_group_of_occupations_names_is_kept_as_other_and_said(small):
    service, _ = small
    rows = [["TT", "Họ và tên", "Nghề nghiệp", "Chi bộ"],
            ["1", "Ngô Văn Sáu", "Nhân viên văn phòng", "Chi bộ Trạm y tế"],
            ["2", "Võ Thị Bảy", "Công nhân Cty May", "Chi bộ Trạm y tế"]]
    plan = service.import_candidates(rows, dry_run=True)
    assert [(p.after.name, p.after.occupation) for p in plan.candidates.adds] == [
        ("Ngô Văn Sáu", "other"), ("Võ Thị Bảy", "non_state_worker")]
    assert [(a.row, a.what) for a in plan.assumed] == [(2, "occupation_other")]


def test_a_column_ptdv_has_no_field_for_is_listed_and_strict_refuses_it(small, store_path, tmp_path):
    rows = [["STT", "Họ và tên", "Số điện thoại", "Chi bộ"], ["1", "Ngô Văn Sáu", "0905 123 456", "Chi bộ Trạm y tế"]]
    file = csv_file(tmp_path / "ds.csv", rows, encoding="utf-8-sig")
    shown = run(store_path, "import", str(file), "--dry-run", lang="en")
    assert shown.exit_code == 0, shown.output
    assert t("cli.import.unused", "en", columns="Số điện thoại") in shown.output
    refused = run(store_path, "import", str(file), "--strict", lang="en")
    assert refused.exit_code == 1
    assert t("import.unknown_column", "en", column="Số điện thoại") in refused.output
    assert f"{t('export.sheet.candidates', 'en')}, row 1: " in refused.output


def test_a_workbook_whose_list_is_on_one_of_several_sheets(small, store_path, tmp_path):
    guide = [["Hướng dẫn"], ["Ghi ngày theo dd/mm/yyyy"]]
    file = xlsx_file(tmp_path / "nhieu.xlsx", guide, merged=[], title="Hướng dẫn", more={"Danh sách": office_grid()})
    shown = run(store_path, "import", str(file), "--unit", WARD, "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert [line for line in shown.output.splitlines() if line.startswith("  + ")] == added_lines()
    two = xlsx_file(tmp_path / "hai.xlsx", office_grid(), merged=[], title="Đợt 1", more={"Đợt 2": office_grid()})
    refused = run(store_path, "import", str(two), "--unit", WARD, "--dry-run", lang="en")
    assert refused.exit_code == 1
    assert t("import.several_sheets", "en", sheets="Đợt 1, Đợt 2") in refused.output
    chosen = run(store_path, "import", str(two), "--unit", WARD, "--dry-run", "--sheet", "dot 2")
    assert chosen.exit_code == 0 and added_lines()[0] in chosen.output
    missing = run(store_path, "import", str(two), "--sheet", "Đợt 3", lang="en")
    assert t("import.no_sheet", "en", sheet="Đợt 3", sheets="Đợt 1, Đợt 2") in missing.output


def test_a_branch_heading_its_rows_and_numbered_rows_left_empty(small, tmp_path):
    service, _ = small
    rows = [["STT", "Họ và tên", "Ngày sinh"],
            ["I. Chi bộ khu dân cư số 1", "", ""],
            ["1", "Ngô Văn Sáu", "12/03/1997"],
            ["II. Chi bộ Trường THCS", "", ""],
            ["1", "Võ Thị Bảy", "01/02/1996"],
            ["2", "", ""],
            ["", "", ""],
            ["3", "Hồ Văn Tám", "03/04/1995"]]
    plan = service.import_candidates(rows, unit_ref=WARD, dry_run=True)
    state = service.state()
    assert [(p.row, p.after.name, state.path(p.after.unit)) for p in plan.candidates.adds] == [
        (3, "Ngô Văn Sáu", KDC1), (5, "Võ Thị Bảy", THCS), (8, "Hồ Văn Tám", THCS)]
    assert [(s.row, s.why) for s in plan.skipped] == [(2, "branch"), (4, "branch"), (6, "empty"), (7, "blank")]


def test_json_of_a_dry_run_and_of_the_import_gives_the_ids_written(small, store_path, tmp_path):
    file = xlsx_file(tmp_path / "ds.xlsx", office_grid())
    dry = run(store_path, "import", str(file), "--unit", WARD, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    found = orjson.loads(dry.output)
    assert found["dry_run"] is True
    assert [(a["row"], a["id"], a["name"], a["unit"]) for a in found["candidates"]["added"]] == [
        (8, None, "Đặng Văn Hùng", KDC1), (9, None, "Trần Thị Mai", THCS), (10, None, "Lê Thị Hoa", KDC1),
        (11, None, "Phạm Minh Tuấn", THCS)]
    assert (found["candidates"]["changed"], found["candidates"]["unchanged"], found["unused"]) == ([], 0, ["Quê quán"])
    assert {(s["row"], s["why"]) for s in found["skipped"]} >= {(1, "title"), (7, "numbers"), (12, "total")}
    assert found["assumed"] == [{"sheet": "candidates", "row": 10, "what": "born_year"}]
    done = orjson.loads(run(store_path, "import", str(file), "--unit", WARD, "--json").output)
    service = small[0]
    assert done["dry_run"] is False
    assert {a["id"]: a["name"] for a in done["candidates"]["added"]} == {
        c.id: c.name for c in service.candidates(PHUOC_MY) if c.name in EXPECTED}


def test_the_rows_limit_counts_an_office_list_whole(small, store_path, tmp_path):
    file = xlsx_file(tmp_path / "ds.xlsx", office_grid())
    refused = CliRunner().invoke(main, ["--db", str(store_path), "import", str(file), "--dry-run"],
                                 obj={"today": TODAY}, env={**CLEAN_ENV, "PTDV_IMPORT_MAX_ROWS": "10"})
    assert refused.exit_code == 1
    assert t("import.too_many_rows", path=str(file), limit=10) in refused.output


def test_no_heading_row_in_the_first_rows_is_refused_saying_so(small):
    service, _ = small
    with pytest.raises(ImportRefused) as err:
        service.import_candidates([["DANH SÁCH"], [], ["Ngô Văn Sáu", "12/03/1997"]], dry_run=True)
    assert err.value.message("en").splitlines()[1] == "  " + t("import.bad_row", "en", sheet=t(
        "export.sheet.candidates", "en"), row=1, reason=t("import.no_headings", "en", rows=3, column="Name")).lstrip()


# -- the xlsx ptdv writes ---------------------------------------------------------------------------
def test_an_xlsx_export_has_a_frozen_heading_row_an_autofilter_and_widths_and_reads_back(small, store_path, tmp_path):
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    service, _ = small
    file = tmp_path / "ra.xlsx"
    assert run(store_path, "export", "--format", "xlsx", "-o", str(file)).exit_code == 0
    book = load_workbook(file)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    people = book[t("export.sheet.candidates")]
    name_column = [c.column_letter for c in people[1] if c.value == t("field.name")][0]
    longest = max(len(str(c.value)) for c in people[name_column])
    assert people.column_dimensions[name_column].width == longest + 2
    calamine = CalamineWorkbook.from_path(str(file))
    assert calamine.sheet_names == [t(f"export.sheet.{s}") for s in ("units", "quotas", "candidates")]
    assert calamine.get_sheet_by_name(t("export.sheet.candidates")).to_python()[0][:3] == [c.value for c in people[1]][:3]
    again = run(store_path, "import", str(file), "--dry-run")
    assert t("cli.import.summary", sheet=t("export.sheet.candidates"), added=0, changed=0, unchanged=6) in again.output


def test_excel_serial_numbers_and_typed_dates_read_alike():
    from db.transfer import EXCEL_DAY_ZERO, read_rows

    found = read_rows([["Họ và tên", "Ngày sinh", "Ngày học lớp"],
                       ["An Văn Một", "35139", SERIAL_15_03_2024],
                       ["An Văn Hai", "15/3/1996", "15-03-2024"],
                       ["An Văn Ba", "15.03.1996", "2024-03-15"]])
    assert [row.cells["born"] for row in found.rows] == ["15/03/1996", "15/3/1996", "15.03.1996"]
    assert [row.cells["stage:class"] for row in found.rows] == ["15/03/2024", "15-03-2024", "2024-03-15"]
    assert EXCEL_DAY_ZERO + timedelta(days=SERIAL_15_03_2024) == date(2024, 3, 15)


def test_with_a_ward_as_unit_whole_paths_as_export_writes_them_are_still_read(small, store_path, tmp_path):
    file = tmp_path / "ra.csv"
    assert run(store_path, "export", "--format", "csv", "-o", str(file)).exit_code == 0
    again = run(store_path, "import", str(file), "--unit", WARD, "--dry-run")
    assert again.exit_code == 0, again.output
    assert t("cli.import.summary", sheet=t("export.sheet.candidates"), added=0, changed=0, unchanged=6) in again.output
