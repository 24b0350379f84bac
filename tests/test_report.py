"""The admissions report: rows per child unit and their sum, the period's decisions, access, and the
files a committee sends upward (table with chart, csv, md, json, xlsx)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest
from click.testing import CliRunner

from db import access
from db.demo import build_demo
from db.errors import PtdvError
from db.i18n import t
from db.identity import current_user
from db.model import OCCUPATIONS, STAGES
from db.report import ATTRIBUTES, Row
from db.service import Service
from db.store import Store
from tui.cli import main
from tui.report_output import columns

from conftest import TODAY, build_small, caller, edit_candidate_file

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
SUMMED = ("target", "admitted", "cumulative", "overdue", "grassroots", "grassroots_admitting")


def run_cli(path, *args, env=None):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY},
                              env={**CLEAN_ENV, **(env or {})})


def assert_total_is_sum(report) -> None:
    rows, total = report.rows, report.total
    for name in SUMMED:
        values = [getattr(r, name) for r in rows]
        expected = None if all(v is None for v in values) else sum(v or 0 for v in values)
        assert getattr(total, name) == expected, name
    for part, keys in (("attributes", ATTRIBUTES), ("occupations", OCCUPATIONS), ("stages", STAGES)):
        for key in keys:
            assert getattr(total, part)[key] == sum(getattr(r, part)[key] for r in rows), (part, key)
    # the two shares are ratios of summed columns, not sums of ratios
    assert total.percent == (round(100 * total.cumulative / total.target, 1) if total.target else None)
    assert total.grassroots_percent == (round(100 * total.grassroots_admitting / total.grassroots, 1)
                                        if total.grassroots else None)
    # every column the formats print comes from these rows
    for col in columns("vi")[1:]:
        if col.kind == "int":
            assert col.value(total) == sum(col.value(r) or 0 for r in rows) or (
                col.value(total) is None and all(col.value(r) is None for r in rows)), col.label


@pytest.fixture
def dated(small, store_path):
    """The small store with An Hải Bắc's admitted candidate decided on 31/03/2024 (the last day of Q1)
    and Phước Mỹ's decided one (01/07/2024, Q3) given every attribute the report counts."""
    svc, ids = small
    days = ["2023-10-02", "2023-11-01", "2023-12-01", "2024-01-10", "2024-02-09", "2024-03-01", "2024-03-31",
            "2024-04-15"]
    edit_candidate_file(store_path, ids["cand4"], history=[
        {"stage": s, "date": d, "by": "test", "at": d + "T08:00:00"} for s, d in zip(STAGES, days)])
    svc = Service(Store(store_path), today=TODAY)
    svc.edit(ids["cand1"], {"ethnicity": "Cơ Tu", "religion": "Công giáo", "youth_union": True,
                            "education": "university", "occupation": "farmer"})
    return svc, ids


def totals(svc, unit, **period):
    report = svc.report(unit, 2024, **period)
    return report, report.total


def test_a_period_selects_the_decisions_dated_in_it(dated):
    svc, ids = dated
    # decisions: cand4 on 31/03/2024 (Q1, H1), cand1 on 01/07/2024 (Q3, H2); none in Q2 or Q4
    expected = {(("quarter", 1),): (1, 1), (("quarter", 2),): (0, 1), (("quarter", 3),): (1, 2),
                (("quarter", 4),): (0, 2), (("half", 1),): (1, 1), (("half", 2),): (1, 2), (): (2, 2)}
    for period, (admitted, cumulative) in expected.items():
        _, total = totals(svc, ids["city"], **dict(period))
        assert (total.admitted, total.cumulative) == (admitted, cumulative), period
    assert svc.report(ids["city"], 2023).total.cumulative == 0
    assert [q.cumulative for q in svc.report(ids["city"], 2024).quarters] == [1, 1, 2, 2]
    report, _ = totals(svc, ids["son_tra"], quarter=1)
    by_unit = {r.unit: r.admitted for r in report.rows}
    assert by_unit == {ids["phuoc_my"]: 0, ids["an_hai_bac"]: 1}


def test_the_admitted_are_counted_by_attribute_and_occupation(dated):
    svc, ids = dated
    report, total = totals(svc, ids["son_tra"], half=2)
    phuoc_my = next(r for r in report.rows if r.unit == ids["phuoc_my"])
    # cand1: female, Cơ Tu, Catholic, Youth Union, university, farmer, born 01/05/1991: 33 when decided
    assert phuoc_my.attributes == {"women": 1, "ethnic_minority": 1, "religious": 1, "youth_union": 1,
                                   "age_18_30": 0, "higher_education": 1}
    assert phuoc_my.occupations["farmer"] == 1 and sum(phuoc_my.occupations.values()) == 1
    # cand4 (born 04/05/1994) was 29 on 31/03/2024; no occupation given counts as "other"
    _, first = totals(svc, ids["son_tra"], half=1)
    assert first.attributes["age_18_30"] == 1 and first.occupations["other"] == 1
    assert_total_is_sum(report)


def test_stages_are_taken_at_the_end_of_the_period(small):
    svc, ids = small
    # Hải Châu: one candidate in class since 01/02/2024, one source since 10/10/2024
    q3 = svc.report(ids["hai_chau"], 2024, quarter=3).total.stages
    year = svc.report(ids["hai_chau"], 2024).total.stages
    assert (q3["class"], q3["source"]) == (1, 0)
    assert (year["class"], year["source"]) == (1, 1)
    # a period still running describes today (15/11/2024), and says so
    assert svc.report(ids["hai_chau"], 2024, quarter=3).stages_on == date(2024, 9, 30)
    assert svc.report(ids["hai_chau"], 2024).stages_on == TODAY


def test_share_of_grassroots_organisations_that_admitted(small):
    svc, ids = small
    report = svc.report(ids["city"], 2024, quarter=3)
    shares = {r.unit: (r.grassroots, r.grassroots_admitting) for r in report.rows}
    # Sơn Trà's two wards each admitted one (cand1, cand4); Hải Châu's ward admitted nobody
    assert shares == {ids["son_tra"]: (2, 2), ids["hai_chau"]: (1, 0)}
    assert (report.total.grassroots, report.total.grassroots_admitting) == (3, 2)
    assert report.total.grassroots_percent == 66.7


def test_a_branch_is_reported_as_its_own_row(small):
    svc, ids = small
    report = svc.report(ids["pm1"], 2024)
    assert [r.unit for r in report.rows] == [ids["pm1"]] and report.total.admitted == 1


def test_totals_are_the_sum_of_the_rows_on_the_demo(store_path):
    today = date(2024, 11, 15)
    svc = Service(Store(store_path), today=today)
    build_demo(svc, today=today)
    root = svc.root().id
    units = [root, *svc.state().children.get(root, [])[:2]]
    seen = 0
    for unit in units:
        for period in ({}, {"quarter": 1}, {"quarter": 3}, {"half": 1}, {"half": 2}):
            report = svc.report(unit, 2024, **period)
            assert_total_is_sum(report)
            seen += report.total.admitted
    assert seen > 0  # the demo admits people: the sums were checked on real numbers


def test_an_editor_of_one_ward_cannot_report_on_another(store_path):
    ids = build_small(Service(Store(store_path), caller=caller("boss"), today=TODAY))
    boss = Service(Store(store_path), caller=caller("boss"), today=TODAY)
    boss.add_user("bob", ids["phuoc_my"], "editor")
    bob = Service(Store(store_path), caller=caller("bob"), today=TODAY)
    assert bob.report(ids["phuoc_my"], 2024).total.cumulative == 1
    with pytest.raises(access.AccessError) as err:
        bob.report(ids["an_hai_bac"], 2024)
    assert err.value.key in ("access.no_role", "access.denied")
    # the command line runs as the OS account: give it the same role as bob
    boss.add_user(current_user(), ids["phuoc_my"], "editor")
    mine = run_cli(store_path, "report", str(ids["phuoc_my"]), "--year", "2024")
    theirs = run_cli(store_path, "report", str(ids["an_hai_bac"]), "--year", "2024")
    assert mine.exit_code == 0 and "Tổng cộng" in mine.stdout
    assert theirs.exit_code == 1 and theirs.stdout == "" and "Traceback" not in theirs.output
    assert current_user() in theirs.stderr


@pytest.mark.parametrize("args, key", [
    (["--quarter", "5"], "report.bad_quarter"),
    (["--half", "3"], "report.bad_half"),
    (["--quarter", "1", "--half", "1"], "report.quarter_and_half"),
])
def test_a_bad_period_is_refused(small, store_path, args, key):
    svc, ids = small
    with pytest.raises(PtdvError) as err:
        svc.report(ids["city"], 2024, **{a.lstrip("-"): int(v) for a, v in zip(args[::2], args[1::2])})
    assert err.value.key == key
    result = run_cli(store_path, "report", str(ids["city"]), "--year", "2024", *args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert err.value.message("vi") in result.stderr


def test_an_unknown_unit_or_xlsx_without_a_file_is_refused(small, store_path):
    unknown = run_cli(store_path, "report", "không có đơn vị này")
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output and unknown.stdout == ""
    no_file = run_cli(store_path, "report", "1", "--format", "xlsx")
    assert no_file.exit_code == 1 and "-o" in no_file.stderr


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_file_into_a_missing_folder_is_refused_in_the_users_words(small, store_path, tmp_path, fmt):
    missing = tmp_path / "khong-co"
    result = run_cli(store_path, "report", "1", "--format", fmt, "-o", str(missing / f"bc.{fmt}"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert t("ui.report.no_folder", folder=str(missing)) in result.stderr
    assert not missing.exists()


def test_the_table_shows_rows_totals_and_a_chart_in_characters(small, store_path):
    _, ids = small
    result = run_cli(store_path, "report", str(ids["city"]), "--year", "2024", "--quarter", "3",
                     env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\x1b" not in out
    assert "Quận ủy Sơn Trà" in out and "Quận ủy Hải Châu" in out and "Tổng cộng" in out
    chart = [line for line in out.splitlines() if re.match(r"Q\d  ", line)]
    # the city's target is 4% of 167 members = 7; by the end of Q3 the plan is ceil(7 × 3 / 4) = 6
    assert [line.split()[0] for line in chart] == ["Q1", "Q2", "Q3"]
    assert chart[2].endswith("2/6") and "#" in chart[2] and "|" in chart[2]
    assert "#" not in chart[0]


def test_csv_md_and_json_hold_the_rows_and_the_total(small, store_path):
    svc, ids = small
    report = svc.report(ids["son_tra"], 2024, half=2)
    unit = str(ids["son_tra"])
    rows = list(csv.reader(io.StringIO(run_cli(store_path, "report", unit, "--year", "2024", "--half", "2",
                                               "--format", "csv").stdout)))
    assert rows[0][:3] == ["Đơn vị", "Chỉ tiêu", "Kết nạp trong kỳ"]
    assert [r[0] for r in rows[1:]] == [r.name for r in report.rows] + ["Tổng cộng"]
    assert rows[-1][2] == str(report.total.admitted) == "2"
    md = run_cli(store_path, "report", unit, "--year", "2024", "--half", "2", "--format", "md").stdout
    assert "| Tổng cộng |" in md and all(f"| {r.name} |" in md for r in report.rows)
    doc = json.loads(run_cli(store_path, "report", unit, "--year", "2024", "--half", "2", "--format", "json").stdout)
    assert [r["unit"] for r in doc["rows"]] == [r.unit for r in report.rows]
    assert doc["total"]["admitted"] == sum(r["admitted"] for r in doc["rows"]) == 2


def test_the_xlsx_is_a_report_to_sign(small, store_path, tmp_path):
    svc, ids = small
    path = tmp_path / "bao-cao.xlsx"
    result = run_cli(store_path, "report", str(ids["city"]), "--year", "2024", "--quarter", "3",
                     "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(path).active
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    # 36-HD/VPTW: the issuer (the top unit: no superior above it), * and the number; the party; then the title
    assert texts[:6] == ["ĐẢNG CỘNG SẢN VIỆT NAM", "ĐẢNG BỘ THÀNH PHỐ ĐÀ NẴNG", "*",
                         "Đà Nẵng, ngày 15 tháng 11 năm 2024", "Số ……-BC/TU", "BÁO CÁO KẾT QUẢ KẾT NẠP ĐẢNG VIÊN"]
    assert "Đơn vị: Đảng bộ thành phố Đà Nẵng" in texts
    assert any(text.startswith("Quý 3 năm 2024") for text in texts)
    head = next(row for row in sheet.iter_rows() if row[0].value == "Đơn vị")
    assert [c.value for c in head[:6]] == ["Đơn vị", "Chỉ tiêu", "Kết nạp trong kỳ", "Cùng kỳ năm trước", "Lũy kế năm",
                                          "% kế hoạch"]
    total_row = next(row for row in sheet.iter_rows() if row[0].value == "Tổng cộng")
    report = svc.report(ids["city"], 2024, quarter=3)
    assert total_row[2].value == report.total.admitted == 2
    assert all(c.data_type == "n" for c in total_row[1:])
    assert sheet.column_dimensions["A"].width == 40 and sheet.column_dimensions["B"].width == 12
    assert {"NGƯỜI LẬP BIỂU", "T/M BAN THƯỜNG VỤ", "BÍ THƯ"} <= set(texts)


def test_a_row_adds_into_a_total_column_by_column():
    one, two = Row(1, "a", target=3, admitted=1), Row(2, "b", target=None, admitted=2)
    one.stages["class"], two.stages["class"] = 1, 4
    total = Row(None, "")
    total.add(one)
    total.add(two)
    assert (total.target, total.admitted, total.stages["class"]) == (3, 3, 5)


def test_a_report_follows_saves_of_another_session_and_remakes_a_damaged_cache(small, store_path):
    """Reports count from a cache per part (``p<N>.rep.json``): a save elsewhere, or a cache cut short,
    makes it again from the part."""
    svc, ids = small
    before = svc.report(ids["son_tra"], 2024, quarter=4)
    other = Service(Store(store_path), today=TODAY)
    other.advance(ids["cand3"], None, "10/10/2024")            # Lê Văn Cường: committee vote ...
    other.advance(ids["cand3"], None, "01/11/2024")            # ... and the decision, in Q4
    after = svc.report(ids["son_tra"], 2024, quarter=4)
    row = {r.unit: r for r in before.rows}[ids["phuoc_my"]]
    phuoc_my = {r.unit: r for r in after.rows}[ids["phuoc_my"]]
    assert after.total.admitted == before.total.admitted + 1
    assert after.total.occupations["other"] == before.total.occupations["other"] + 1
    assert after.total.attributes["women"] == before.total.attributes["women"]   # a man
    assert phuoc_my.stages["decided"] == row.stages["decided"] + 1
    assert phuoc_my.stages["branch"] == row.stages["branch"] - 1
    assert (row.grassroots_admitting, phuoc_my.grassroots_admitting) == (0, 1)
    for cache in svc.store.parts_dir.glob("*.rep.json"):
        cache.write_bytes(cache.read_bytes()[:20])
    assert Service(Store(store_path), today=TODAY).report(ids["son_tra"], 2024, quarter=4).to_json() == after.to_json()
