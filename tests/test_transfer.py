"""Import and export of candidates (db.transfer, Service.import_candidates/export, `ptdv import/export`)."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from db import access
from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from db.transfer import ImportRefused, match_headings
from tui.cli import main
from tui.transfer_io import read_table, write

from conftest import TODAY, build_small
from test_store import store_files

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def run(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY}, env=CLEAN_ENV)


def as_user(path: Path, account: str) -> Service:
    return Service(Store(path, user=account), today=TODAY)


def audit_count(service: Service) -> int:
    return len(service.store.audit_since(0))


def snapshot(service: Service) -> dict:
    """Units, quotas and candidates as a user compares them: by names and paths, not by who or when recorded."""
    state = service.state()
    units = {state.path(u.id): (u.level, u.members) for u in state.units.values()}
    quotas = {(state.path(q.unit), q.year): (q.target, q.rate) for q in state.quotas.values()}
    cands = {}
    for c in service.candidates(include_exited=True):
        doc = c.to_doc()
        doc.pop("rev")
        doc["unit"] = state.path(c.unit)
        doc["history"] = [(e["stage"], e["date"]) for e in doc["history"]]
        doc["exit"] = doc["exit"] and (doc["exit"]["kind"], doc["exit"]["reason"], doc["exit"]["date"])
        cands[c.id] = doc
    return {"units": units, "quotas": quotas, "candidates": cands}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


PM1 = "Phước Mỹ/Chi bộ khu dân cư số 1"


# -- headings -----------------------------------------------------------------------------------
@pytest.mark.parametrize("headings", [
    ["Họ tên", "Ngày sinh", "Đơn vị", "Ngày Nghị quyết chi bộ", "Ngày Quần chúng ưu tú (nguồn)"],
    ["Ho ten", "ngay sinh", "DON VI", "Ngay nghi quyet chi bo", "ngày quần chúng ưu tú"],
    ["Name", "Born", "Unit", "Branch resolution date", "Outstanding masses (source) date"],
    ["name", "born", "unit", "branch resolution DATE", "Outstanding masses date"],
])
def test_headings_match_in_vietnamese_and_english_with_or_without_diacritics(headings):
    assert list(match_headings(headings).values()) == ["name", "born", "unit", "stage:branch", "stage:source"]


def test_an_unknown_heading_is_refused_by_name():
    with pytest.raises(PtdvError) as err:
        match_headings(["Họ tên", "Số điện thoại"])
    assert "Số điện thoại" in err.value.message("vi")


# -- import -------------------------------------------------------------------------------------
NEW_ROWS = [
    ["Họ tên", "Ngày sinh", "Giới tính", "Đơn vị", "Ngày Quần chúng ưu tú", "Ngày Đã học lớp nhận thức về Đảng"],
    ["Đặng Văn Mới", "12/03/1998", "Nam", PM1, "01/09/2024", "01/10/2024"],
]


def test_a_dry_run_lists_what_would_be_added_and_changed_and_writes_nothing(small, store_path, tmp_path):
    service, ids = small
    rows = [*NEW_ROWS, ["Trần Thị Bình", "02/05/1992", "Nữ", PM1, "05/01/2024", "10/02/2024"]]
    rows[2].append("")  # the header has no column for the next stage: nothing said about it
    before = store_files(store_path)
    result = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "in.csv", rows)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "row 2: Đặng Văn Mới" in result.output
    assert "row 3" not in result.output  # Trần Thị Bình has those dates already: unchanged
    assert t("cli.import.summary", "en", added=1, changed=0, unchanged=1) in result.output
    assert store_files(store_path) == before
    rows[2][0] = "Trần Thị Bình"
    rows[2][2] = "Nam"  # a change of gender is a change
    plan = service.import_candidates(rows, dry_run=True)
    assert [(p.row, p.before.id, p.after.gender) for p in plan.changes] == [(3, ids["cand2"], "male")]
    shown = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "in.csv", rows)), "--dry-run")
    assert f"~ row 3: #{ids['cand2']} Trần Thị Bình: {t('field.gender', 'en')}" in shown.output
    assert store_files(store_path) == before


def test_import_adds_with_stage_dates_and_a_reimport_changes_nothing(small, store_path, tmp_path):
    service, ids = small
    file = write_csv(tmp_path / "in.csv", NEW_ROWS)
    result = run(store_path, "import", str(file))
    assert result.exit_code == 0, result.output
    added = [c for c in service.candidates(PM1) if c.name == "Đặng Văn Mới"]
    assert len(added) == 1
    assert [(e.stage, e.date.isoformat()) for e in added[0].history] == [("source", "2024-09-01"), ("class", "2024-10-01")]
    assert added[0].gender == "male"
    entries = audit_count(service)
    before = store_files(store_path)
    again = run(store_path, "import", str(file))
    assert again.exit_code == 0, again.output
    assert t("cli.import.done", "vi", added=0, changed=0, unchanged=1) in again.output
    assert audit_count(service) == entries
    assert store_files(store_path) == before


def test_import_records_new_stages_of_a_known_candidate_with_one_audit_entry(small):
    service, ids = small
    entries = audit_count(service)
    rows = [["Mã", "Họ tên", "Đơn vị", "Ngày Hồ sơ", "Ngày Thẩm tra lý lịch xong"],
            [str(ids["cand2"]), "Trần Thị Bình", PM1, "11/03/2024", "02/04/2024"]]
    plan = service.import_candidates(rows)
    assert [p.after.id for p in plan.changes] == [ids["cand2"]]
    assert service.candidate(ids["cand2"]).stage == "verified"
    assert audit_count(service) == entries + 1


def test_a_file_with_bad_rows_is_refused_whole_listing_each_row(small, store_path, tmp_path):
    service, ids = small
    rows = [*NEW_ROWS,
            ["Ngô Thị Hai", "31/02/1999", "Nữ", PM1, "01/09/2024", ""],
            ["Lý Văn Ba", "01/01/1990", "Nam", "Chi bộ không có", "01/09/2024", ""]]
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(rows)
    assert [row for row, _ in err.value.bad] == [3, 4]
    assert [e.key for _, e in err.value.bad] == ["input.bad_date", "unit.not_found"]
    result = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    assert "row 3: " + PtdvError("input.bad_date", field="born", value="31/02/1999").message("en") in result.output
    assert "row 4: " in result.output and "Chi bộ không có" in result.output
    assert "row 2" not in result.output
    assert store_files(store_path) == before


def test_an_editor_of_one_ward_cannot_import_into_another(store_path):
    ids = build_small(as_user(store_path, "boss"))
    as_user(store_path, "boss").add_user("bob", ids["an_hai_bac"], "editor")
    bob = as_user(store_path, "bob")
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        bob.import_candidates(NEW_ROWS)  # a Phước Mỹ branch
    assert isinstance(err.value.bad[0][1], access.AccessError)
    assert store_files(store_path) == before
    rows = [NEW_ROWS[0], [*NEW_ROWS[1][:3], "An Hải Bắc/Chi bộ khu dân cư số 1", *NEW_ROWS[1][4:]]]
    assert len(bob.import_candidates(rows).adds) == 1


# -- export -------------------------------------------------------------------------------------
def test_sensitive_columns_only_with_include_sensitive(small, store_path, tmp_path):
    service, ids = small
    service.edit(ids["cand1"], {"religion": "Phật giáo", "notes": "Cha là đảng viên"})
    plain = run(store_path, "export", "--format", "csv")
    assert plain.exit_code == 0
    for heading in ("Tôn giáo", "Dân tộc", t("field.notes", "vi")):
        assert heading not in plain.stdout
    assert "Phật giáo" not in plain.stdout and "Cha là đảng viên" not in plain.stdout
    full = run(store_path, "export", "--format", "csv", "--include-sensitive")
    assert t("field.religion", "vi") in full.stdout and "Phật giáo" in full.stdout
    assert t("field.notes", "vi") in full.stdout and "Cha là đảng viên" in full.stdout


def rebuild_units(source: Service, target: Service) -> None:
    """The unit tree and quotas of ``source`` in an empty ``target`` (import brings candidates only)."""
    state = source.state()
    target.init(state.units[state.root].name)
    for uid in state.subtree(state.root)[1:]:
        unit = state.units[uid]
        target.add_unit(unit.name, state.path(unit.parent), unit.level)
        for year, members in unit.members.items():
            target.set_members(state.path(uid), members, year)
    for q in state.quotas.values():
        target.set_quota(state.path(q.unit), q.year, target=q.target, rate=q.rate and f"{q.rate}%")


@pytest.mark.parametrize("kind", ["xlsx", "csv", "json"])
def test_export_then_import_into_an_empty_store_reproduces_the_data(small, store_path, tmp_path, kind):
    service, ids = small
    service.edit(ids["cand1"], {"religion": "Công giáo", "tags": ["youth_union", "renter"], "renter": True,
                                "education": "university", "occupation": "student", "youth_union": True})
    service.exit(ids["cand5"], "Chuyển công tác", day="01/11/2024")
    out = tmp_path / f"all.{kind}"
    result = run(store_path, "--lang", "en", "export", "--format", kind, "-o", str(out), "--include-sensitive")
    assert result.exit_code == 0, result.output
    target = Service(Store(tmp_path / "empty" / "ptdv.json"), today=TODAY)
    rebuild_units(service, target)
    plan = target.import_candidates(read_table(out))
    assert len(plan.adds) == 6
    assert snapshot(target) == snapshot(service)
    assert len(target.import_candidates(read_table(out)).changes) == 0


def test_xlsx_export_has_a_sheet_each_for_units_quotas_and_candidates(small, tmp_path):
    from openpyxl import load_workbook

    service, ids = small
    path = tmp_path / "all.xlsx"
    path.write_bytes(write(service.export(lang="vi"), "xlsx", "vi"))
    book = load_workbook(path)
    assert book.sheetnames == [t(f"export.sheet.{n}", "vi") for n in ("units", "quotas", "candidates")]
    assert book.worksheets[0].max_row == 1 + len(service.state().units)
    assert book.worksheets[1].max_row == 1 + len(service.state().quotas)
    assert book.worksheets[2].max_row == 1 + 6


def test_json_export_is_one_object(small, store_path):
    result = run(store_path, "export", "--format", "json")
    data = orjson.loads(result.stdout_bytes)
    assert set(data) == {"units", "quotas", "candidates"} and len(data["candidates"]) == 6


def test_rows_without_a_branch_go_to_the_unit_option_which_must_be_a_branch(small, store_path, tmp_path):
    service, ids = small
    rows = [[cell for i, cell in enumerate(row) if i != 3] for row in NEW_ROWS]  # no unit column
    file = write_csv(tmp_path / "in.csv", rows)
    refused = run(store_path, "--lang", "en", "import", str(file), "--unit", "Đảng ủy phường Phước Mỹ")
    assert refused.exit_code == 1
    assert "row 2: " + PtdvError("candidate.not_a_branch", unit="Đảng ủy phường Phước Mỹ").message("en") in refused.output
    done = run(store_path, "import", str(file), "--unit", PM1)
    assert done.exit_code == 0, done.output
    assert [c.unit for c in service.candidates() if c.name == "Đặng Văn Mới"] == [ids["pm1"]]


def test_units_sheet_names_each_unit_its_level_and_parent(small):
    service, ids = small
    head, rows = service.export("Đảng ủy phường Phước Mỹ", lang="en")["units"]
    assert head[:4] == [t("field.id", "en"), t("field.unit", "en"), t("field.level", "en"), t("import.col.parent", "en")]
    assert [row[:4] for row in rows] == [
        [ids["phuoc_my"], "Đảng ủy phường Phước Mỹ", "Grassroots committee", "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà"],
        [ids["pm1"], "Chi bộ khu dân cư số 1", "Branch", "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ"],
        [ids["pm2"], "Chi bộ Trường THCS Phước Mỹ", "Branch", "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ"],
    ]


def test_an_id_of_another_person_is_refused_not_overwritten(small, store_path):
    service, ids = small
    rows = [["Mã", "Họ tên", "Ngày sinh", "Đơn vị"], [str(ids["cand2"]), "Người Khác", "09/09/1999", PM1],
            [str(ids["cand1"]), "Nguyễn Văn Anh", "01/05/1991", PM1]]
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(rows)
    assert [(row, e.key) for row, e in err.value.bad] == [(2, "import.id_mismatch")]
    assert store_files(store_path) == before
    renamed = service.import_candidates(rows[::2])  # same id and birth date, name corrected
    assert [p.after.name for p in renamed.changes] == ["Nguyễn Văn Anh"]


def test_a_branch_path_as_exported_is_found_even_when_another_folds_to_the_same(small, store_path, tmp_path):
    service, ids = small
    twin = service.add_unit("Chi bộ khu dân cư sô 1", ids["phuoc_my"], "branch")  # folds like "số 1"
    rows = [NEW_ROWS[0], [*NEW_ROWS[1][:3], service.state().path(twin.id), *NEW_ROWS[1][4:]]]
    assert [p.after.unit for p in service.import_candidates(rows).adds] == [twin.id]
