"""The documents staff sign (db.documents): 9-KNĐ and 6-KNĐ of a candidate and a unit's report as .docx,
filled from templates an admin can replace; the Excel report laid out as a party document (36-HD/VPTW)
with a native chart; the app's keys that write them."""
from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document
from textual.widgets import Input

from conftest import TODAY, caller
from db import documents
from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from tui import report_output
from tui.app import make_app
from tui.cli import main
from tui.screens.candidate import CandidateScreen
from tui.screens.documents_dialog import DocumentsDialog
from tui.screens.report import ReportScreen
from tui.screens.write_report_dialog import WriteReportDialog
from tui_pilot import notified, open_from_unit, open_with, pilot_test, settle

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None, "PTDV_PLACE": None}


def run(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY}, env=CLEAN_ENV)


def text_of(path_or_bytes) -> str:
    """Every paragraph of a .docx, those in tables too, one per line."""
    doc = Document(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                lines += [p.text for p in cell.paragraphs]
    return "\n".join(lines)


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


# -- 9-KNĐ and 6-KNĐ ------------------------------------------------------------------------------------
def test_the_9_knd_decision_opens_and_shows_the_name_unit_and_decision_date(small, store_path, tmp_path):
    service, ids = small  # cand1: branch vote 03/06/2024, committee 17/06/2024, decided 01/07/2024
    out = tmp_path / "decision.docx"
    result = run(store_path, "document", "9-KNĐ", str(ids["cand1"]), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert t("cli.document.written", form="9-KNĐ", path=out) in result.output
    assert private(out)
    text = text_of(out)
    assert "Nguyễn Văn An" in text and "01/05/1991" in text
    assert "Chi bộ khu dân cư số 1" in text and "Đảng ủy phường Phước Mỹ" in text
    assert "Đà Nẵng, ngày 01 tháng 7 năm 2024" in text          # the decision's date
    assert "ngày 03/06/2024" in text and "ngày 17/06/2024" in text  # the resolutions it rests on
    # 36-HD/VPTW: the issuer (the committee above the ward) under its superior, * and the number; the party
    assert "QUẬN ỦY SƠN TRÀ" in text and "ĐẢNG BỘ THÀNH PHỐ ĐÀ NẴNG" in text and "Số ……-QĐ/QU" in text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "T/M BAN THƯỜNG VỤ" in text and "BÍ THƯ" in text
    assert "không tìm thấy văn bản công khai của Mẫu 9-KNĐ" in text  # the wording is not the form's: said


def test_the_form_is_named_with_or_without_diacritics_and_religion_only_when_asked(small, store_path, tmp_path):
    service, ids = small
    service.edit(ids["cand1"], {"religion": "Phật giáo", "ethnicity": "Tày"})
    plain, sensitive = tmp_path / "a.docx", tmp_path / "b.docx"
    assert run(store_path, "document", "9-KND", str(ids["cand1"]), "-o", str(plain)).exit_code == 0
    assert run(store_path, "document", "9-knd", str(ids["cand1"]), "-o", str(sensitive), "--include-sensitive",
               "--number", "12", "--place", "Hội An").exit_code == 0
    assert "Phật giáo" not in text_of(plain) and "Tày" not in text_of(plain)
    text = text_of(sensitive)
    assert "tôn giáo: Phật giáo" in text and "dân tộc: Tày" in text
    assert "Số 12-QĐ/QU" in text and "Hội An, ngày 01 tháng 7 năm 2024" in text


def test_the_6_knd_resolution_bears_the_branch_resolution_date(small, store_path, tmp_path):
    service, ids = small
    out = tmp_path / "nq.docx"
    result = run(store_path, "document", "6-KNĐ", str(ids["cand1"]), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = text_of(out)
    assert "Nguyễn Văn An" in text and "Ngày 03/06/2024, Chi bộ khu dân cư số 1" in text
    assert "Đà Nẵng, ngày 03 tháng 6 năm 2024" in text
    # issued by the branch, under its grassroots committee, signed for the branch
    assert "CHI BỘ KHU DÂN CƯ SỐ 1" in text and "ĐẢNG ỦY PHƯỜNG PHƯỚC MỸ" in text and "Số ……-NQ/CB" in text
    assert "T/M CHI BỘ" in text and "Ngô Văn Hai, Đỗ Thị Ba" in text


def test_a_candidate_without_a_decision_is_refused_for_9_knd_and_nothing_is_written(small, store_path, tmp_path):
    service, ids = small  # cand2: dossier only
    out = tmp_path / "decision.docx"
    result = run(store_path, "document", "9-KNĐ", str(ids["cand2"]), "-o", str(out))
    assert result.exit_code == 1
    assert t("document.no_decision", id=ids["cand2"], name="Trần Thị Bình", form="9-KNĐ") in result.output
    assert "Traceback" not in result.output and not out.exists()
    result = run(store_path, "--lang", "en", "document", "6-KND", str(ids["cand2"]), "-o", str(out))
    assert result.exit_code == 1
    assert t("document.no_branch_vote", "en", id=ids["cand2"], name="Trần Thị Bình", form="6-KNĐ") in result.output
    assert run(store_path, "document", "7-KNĐ", str(ids["cand1"]), "-o", str(out)).exit_code == 1


# -- templates ------------------------------------------------------------------------------------------
def edited_template(service: Service, form: str, extra: str) -> bytes:
    """The template in use with one more paragraph, as a committee would edit it in Word."""
    data, _source = documents.template_bytes(service, form)
    doc = Document(io.BytesIO(data))
    doc.add_paragraph(extra)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_an_admin_sets_gets_and_lists_a_template_and_the_change_is_logged(small, store_path, tmp_path):
    service, ids = small
    mine = tmp_path / "mau.docx"
    mine.write_bytes(edited_template(service, "9-KNĐ", "Đã duyệt mẫu của Thành ủy: {{ name|upper }}"))
    result = run(store_path, "template", "set", "9-KNĐ", str(mine))
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(mine.read_bytes()).hexdigest()
    stored = store_path.with_name("ptdv.templates") / "9-KND.docx"
    assert stored.read_bytes() == mine.read_bytes() and private(stored)  # a file of the store, its mode
    listed = json.loads(run(store_path, "template", "list", "--json").output)
    assert [(i["form"], i["source"]) for i in listed] == [("9-KNĐ", "store"), ("6-KNĐ", "default"),
                                                           ("report", "default")]
    assert listed[0]["sha256"] == digest and "decision_date" in listed[0]["fields"]
    entry = service.store.audit_since(0)[-1]
    assert (entry["action"], entry["target"], entry["after"]["sha256"]) == ("template.set", "template:9-KNĐ", digest)
    back = tmp_path / "back.docx"
    assert run(store_path, "template", "get", "9-KND", "-o", str(back)).exit_code == 0
    assert back.read_bytes() == mine.read_bytes() and private(back)
    out = tmp_path / "d.docx"
    assert run(store_path, "document", "9-KNĐ", str(ids["cand1"]), "-o", str(out)).exit_code == 0
    assert "Đã duyệt mẫu của Thành ủy: NGUYỄN VĂN AN" in text_of(out)  # the new template fills the document
    assert run(store_path, "template", "reset", "9-KNĐ").exit_code == 0
    assert not stored.exists() and service.store.audit_since(0)[-1]["action"] == "template.reset"


def test_a_template_with_an_unknown_field_or_not_a_docx_is_refused(small, store_path, tmp_path):
    service, ids = small
    bad = tmp_path / "bad.docx"
    bad.write_bytes(edited_template(service, "6-KNĐ", "Chức vụ: {{ chuc_vu }}"))
    result = run(store_path, "template", "set", "6-KNĐ", str(bad))
    assert result.exit_code == 1
    assert "chuc_vu" in result.output and "Traceback" not in result.output
    with pytest.raises(PtdvError) as err:
        documents.check_template("6-KNĐ", bad.read_bytes())
    assert err.value.key == "template.unknown_variable" and err.value.params["variable"] == "chuc_vu"
    broken = tmp_path / "broken.docx"
    broken.write_bytes(edited_template(service, "report", "{{ name "))
    assert run(store_path, "template", "set", "report", str(broken)).exit_code == 1
    text = tmp_path / "note.docx"
    text.write_text("not a word file")
    result = run(store_path, "template", "set", "9-KNĐ", str(text))
    assert result.exit_code == 1 and t("template.not_docx", form="9-KNĐ", detail="")[:20] in result.output
    xlsx = tmp_path / "r.xlsx"
    xlsx.write_bytes(b"PK")
    assert run(store_path, "template", "set", "9-KNĐ", str(xlsx)).exit_code == 1
    assert not store_path.with_name("ptdv.templates").exists()  # nothing was taken
    assert all(e["action"] != "template.set" for e in service.store.audit_since(0))


def test_only_an_admin_of_the_top_unit_replaces_a_template(small, store_path, tmp_path):
    service, ids = small
    service.add_user("canbo.pm", ids["phuoc_my"], "admin")
    mine = edited_template(service, "9-KNĐ", "{{ name }}")
    ward_admin = Service(Store(store_path), caller=caller("canbo.pm"), today=TODAY)
    with pytest.raises(PtdvError):
        documents.set_template(ward_admin, "9-KNĐ", mine)
    assert documents.template_bytes(ward_admin, "9-KNĐ")[1] == "default"
    documents.set_template(service, "9-KNĐ", mine)
    assert documents.template_bytes(ward_admin, "9-KNĐ") == (mine, "store")


# -- the report: .docx and xlsx ------------------------------------------------------------------------
def test_the_quarterly_report_docx_has_the_table_of_units(small, store_path, tmp_path):
    service, ids = small
    out = tmp_path / "bc.docx"
    result = run(store_path, "document", "report", str(ids["city"]), "--year", "2024", "--quarter", "3",
                 "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = Document(str(out))
    report = service.report(ids["city"], 2024, quarter=3)
    table = next(tb for tb in doc.tables if tb.rows[0].cells[1].text == "Đơn vị")
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[1] for r in rows] == [r.name for r in report.rows] + ["Tổng cộng"]
    assert rows[-1][3] == str(report.total.admitted) == "2"
    text = text_of(out)
    assert "kết quả kết nạp đảng viên quý 3 năm 2024" in text and "Số ……-BC/TU" in text
    assert "Đà Nẵng, ngày 15 tháng 11 năm 2024" in text and "T/M BAN THƯỜNG VỤ" in text


def test_the_xlsx_report_has_the_36_hd_heading_and_a_native_chart(small, store_path, tmp_path):
    service, ids = small
    out = tmp_path / "bc.xlsx"
    result = run(store_path, "report", str(ids["phuoc_my"]), "--year", "2024", "--quarter", "3", "--format", "xlsx",
                 "-o", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    assert [sheet.cell(n, 1).value for n in (1, 2, 3, 4)] == ["QUẬN ỦY SƠN TRÀ", "ĐẢNG ỦY PHƯỜNG PHƯỚC MỸ", "*",
                                                              "Số ……-BC/ĐU"]
    right = min(c for c in range(2, sheet.max_column + 1) if sheet.cell(1, c).value)
    party = sheet.cell(1, right)
    assert party.value == "ĐẢNG CỘNG SẢN VIỆT NAM" and party.font.underline == "single" and party.font.bold
    assert sheet.cell(3, right).value == "Đà Nẵng, ngày 15 tháng 11 năm 2024"
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert {"BÁO CÁO KẾT QUẢ KẾT NẠP ĐẢNG VIÊN", "T/M ĐẢNG ỦY", "BÍ THƯ"} <= set(texts)
    assert texts.index("T/M ĐẢNG ỦY") > texts.index("Tổng cộng")  # the signature under the table
    chart_sheet = book[t("report.chart_sheet")]
    assert [chart_sheet.cell(r, 3).value for r in (2, 3, 4)] == [q.cumulative for q in
                                                                 service.report(ids["phuoc_my"], 2024, 3).quarters[:3]]
    with zipfile.ZipFile(out) as archive:  # a real chart part, as Excel draws it
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "<barChart>" in chart and "<lineChart>" in chart  # admitted as bars, the plan as a line
    assert len(chart_sheet._charts) == 1  # openpyxl reads it back as a chart
    data = report_output.xlsx_bytes(service.report(ids["phuoc_my"], 2024, 3), "en", TODAY)
    english = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert english.cell(1, right).value == "COMMUNIST PARTY OF VIET NAM"


# -- the app -------------------------------------------------------------------------------------------
@pilot_test
async def test_p_on_the_candidate_screen_writes_the_chosen_document_and_says_where(small, folder):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand1"])
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        await open_with(pilot, "p", DocumentsDialog)
        await pilot.press("enter")  # the first choice: 9-KNĐ
        await settle(pilot)
        assert isinstance(app.screen, WriteReportDialog)
        expected = folder / "9-knd-nguyen-van-an.docx"
        assert app.screen.query_one("#path", Input).value == str(expected)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        assert t("cli.document.written", form="9-KNĐ", path=str(expected)) in notified(app)
    assert private(expected) and "Nguyễn Văn An" in text_of(expected)


@pilot_test
async def test_p_for_a_candidate_without_a_decision_says_why_and_writes_nothing(small, folder):
    service, ids = small
    app = make_app(service, lang="en", year=2024, candidate_id=ids["cand2"])
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot)
        await open_with(pilot, "p", DocumentsDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        assert t("document.no_decision", "en", id=ids["cand2"], name="Trần Thị Bình", form="9-KNĐ") in notified(app)
    assert list(folder.iterdir()) == []


@pilot_test
async def test_o_on_the_report_screen_writes_the_docx_report(small, folder):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_unit(pilot, ids["phuoc_my"], "r", ReportScreen)
        await pilot.press("3")
        await open_with(pilot, "o", WriteReportDialog)
        expected = folder / "bao-cao-dang-uy-phuong-phuoc-my-2024-q3.docx"
        assert app.screen.query_one("#path", Input).value == str(expected)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        assert t("cli.report.written", path=str(expected)) in notified(app)
    assert private(expected) and "Chi bộ khu dân cư số 1" in text_of(expected)
