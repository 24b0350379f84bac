"""Import and export (db.transfer, Service.import_tables/export, `ptdv import/export`): units, quotas and
candidates; a round trip into an empty store; bad rows refuse the whole file."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from db import access
from db.demo import build_demo
from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from db.transfer import ImportRefused, match_headings
from tui.cli import main
from tui.transfer_io import read_tables, write

from conftest import TODAY, build_small, caller
from test_store import store_files

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
CITY = "Đảng bộ thành phố Đà Nẵng"
PM1 = "Phước Mỹ/Chi bộ khu dân cư số 1"
SON_TRA = f"{CITY}/Quận ủy Sơn Trà"


def run(path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY}, env=CLEAN_ENV)


def as_user(path: Path, account: str) -> Service:
    return Service(Store(path), caller=caller(account), today=TODAY)


def audit_count(service: Service) -> int:
    return len(service.store.audit_since(0))


def snapshot(service: Service) -> dict:
    """Units, quotas and candidates as a user compares them: units by path (with level, parent and members),
    candidates by id with every field, stage dates and exit, not who recorded them or when."""
    state = service.state()
    units = {state.path(u.id): (u.level, u.members) for u in state.units.values()}
    quotas = {(state.path(q.unit), q.year): (q.target, q.rate) for q in state.quotas.values()}
    cands = {}
    for c in service.candidates(include_exited=True):
        doc = c.to_doc()
        doc.pop("rev")
        doc.pop("papers", None)  # the dossier's papers are not in the exported tables (yet): db/transfer.py
        doc["unit"] = state.path(c.unit)
        doc["history"] = [(e["stage"], e["date"]) for e in doc["history"]]
        doc["exit"] = doc["exit"] and (doc["exit"]["kind"], doc["exit"]["reason"], doc["exit"]["date"])
        cands[c.id] = doc
    return {"units": units, "quotas": quotas, "candidates": cands}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def export_json(service: Service, path: Path, lang: str = "vi") -> dict:
    """The json export as the objects a person would edit, written to ``path``."""
    data = orjson.loads(write(service.export(lang=lang, include_sensitive=True), "json", lang))
    path.write_bytes(orjson.dumps(data))
    return data


def empty_store(path: Path, root: str = CITY) -> Service:
    """A store as `ptdv init --root` makes it."""
    result = run(path, "init", "--root", root)
    assert result.exit_code == 0, result.output
    return Service(Store(path), today=TODAY)


# -- headings -----------------------------------------------------------------------------------
@pytest.mark.parametrize("headings", [
    ["Họ tên", "Ngày sinh", "Đơn vị", "Ngày Nghị quyết chi bộ", "Ngày Quần chúng ưu tú (nguồn)"],
    ["Ho ten", "ngay sinh", "DON VI", "Ngay nghi quyet chi bo", "ngày quần chúng ưu tú"],
    ["Name", "Born", "Unit", "Branch resolution date", "Outstanding masses (source) date"],
    ["name", "born", "unit", "branch resolution DATE", "Outstanding masses date"],
    ["Họ tên", "Ngày sinh", "Chi bộ", "Ngày Nghị quyết chi bộ", "Ngày Quần chúng ưu tú"],
    ["Name", "Born", "branch", "Branch resolution date", "Outstanding masses (source) date"],
])
def test_headings_match_in_vietnamese_and_english_with_or_without_diacritics(headings):
    assert list(match_headings(headings).values()) == ["name", "born", "unit", "stage:branch", "stage:source"]


@pytest.mark.parametrize("headings", [
    ["Đơn vị", "Cấp", "Đơn vị cấp trên", "Đảng viên 2024", "Đảng viên 2025"],
    ["don vi", "cap", "don vi cap tren", "dang vien 2024", "DANG VIEN 2025"],
    ["Unit", "Level", "Parent unit", "Members 2024", "members 2025"],
])
def test_units_headings_match_with_a_members_column_per_year(headings):
    assert list(match_headings(headings, "units").values()) == ["unit", "level", "parent", "members:2024",
                                                                "members:2025"]


def test_an_unknown_heading_is_refused_by_name():
    with pytest.raises(PtdvError) as err:
        match_headings(["Họ tên", "Số điện thoại"])
    assert "Số điện thoại" in err.value.message("vi")


def test_a_sheet_without_a_required_column_names_it_in_the_users_language():
    with pytest.raises(PtdvError) as err:
        match_headings(["Đơn vị", "Cấp"], "units")
    assert t("import.col.parent", "en") in err.value.message("en")
    assert t("import.col.parent", "vi") in err.value.message("vi")


# -- import of candidates -------------------------------------------------------------------------
NEW_ROWS = [
    ["Họ tên", "Ngày sinh", "Giới tính", "Đơn vị", "Ngày Quần chúng ưu tú", "Ngày Đã học lớp nhận thức về Đảng"],
    ["Đặng Văn Mới", "12/03/1998", "Nam", PM1, "01/09/2024", "01/10/2024"],
]


def summary(lang: str, sheet: str, done: bool = False, **counts: int) -> str:
    return t("cli.import.done" if done else "cli.import.summary", lang, sheet=t(f"export.sheet.{sheet}", lang),
             **counts)


def test_a_dry_run_lists_what_would_be_added_and_changed_and_writes_nothing(small, store_path, tmp_path):
    service, ids = small
    rows = [*NEW_ROWS, ["Trần Thị Bình", "02/05/1992", "Nữ", PM1, "05/01/2024", "10/02/2024"]]
    rows[2].append("")  # the header has no column for the next stage: nothing said about it
    before = store_files(store_path)
    result = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "in.csv", rows)), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "row 2: Đặng Văn Mới" in result.output
    assert "row 3" not in result.output  # Trần Thị Bình has those dates already: unchanged
    assert summary("en", "candidates", added=1, changed=0, unchanged=1) in result.output
    assert store_files(store_path) == before
    rows[2][0] = "Trần Thị Bình"
    rows[2][2] = "Nam"  # a change of gender is a change
    plan = service.import_candidates(rows, dry_run=True)
    assert [(p.row, p.before.id, p.after.gender) for p in plan.candidates.changes] == [(3, ids["cand2"], "male")]
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
    assert summary("vi", "candidates", done=True, added=0, changed=0, unchanged=1) in again.output
    assert audit_count(service) == entries
    assert store_files(store_path) == before


def test_import_records_new_stages_of_a_known_candidate_with_one_audit_entry(small):
    service, ids = small
    entries = audit_count(service)
    rows = [["Mã", "Họ tên", "Đơn vị", "Ngày Hồ sơ", "Ngày Thẩm tra lý lịch xong"],
            [str(ids["cand2"]), "Trần Thị Bình", PM1, "11/03/2024", "02/04/2024"]]
    plan = service.import_candidates(rows)
    assert [p.after.id for p in plan.candidates.changes] == [ids["cand2"]]
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
    assert [(sheet, row, e.key) for sheet, row, e in err.value.bad] == [
        ("candidates", 3, "input.bad_date"), ("candidates", 4, "unit.not_found")]
    result = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1
    assert "Candidates, row 3: " + PtdvError("input.bad_date", field="born", value="31/02/1999").message("en") \
        in result.output
    assert "Candidates, row 4: " in result.output and "Chi bộ không có" in result.output
    assert "row 2" not in result.output
    assert store_files(store_path) == before


def test_a_file_putting_grassroots_units_past_the_part_limit_is_refused_per_unit_at_the_dry_run(small, store_path,
                                                                                               tmp_path, monkeypatch):
    service, ids = small
    monkeypatch.setattr("db.store.PART_LIMIT", 4)  # Phước Mỹ holds 3 candidates, Thạch Thang 2, An Hải Bắc 1
    pm2, ahb1 = "Phước Mỹ/Chi bộ Trường THCS Phước Mỹ", "An Hải Bắc/Chi bộ khu dân cư số 1"
    tt1, tt2 = "Thạch Thang/Chi bộ khu dân cư số 3", "Thạch Thang/Chi bộ Trạm y tế"
    rows = [["Mã", "Họ tên", "Chi bộ"],
            ["", "Đặng Văn Một", PM1],                      # Phước Mỹ: 4
            ["", "Đặng Văn Hai", tt1],                      # Thạch Thang: 3
            ["", "Đặng Văn Ba", pm2],                       # Phước Mỹ: 5, past the limit
            ["", "Đặng Văn Bốn", tt2],                      # Thạch Thang: 4
            [str(ids["cand4"]), "Phạm Thị Dung", tt1],      # moved from An Hải Bắc: Thạch Thang 5
            ["", "Đặng Văn Năm", ahb1],                     # An Hải Bắc: 1, one having left
            [str(ids["cand2"]), "Trần Thị Bình", pm2]]      # moved within Phước Mỹ's part: no count
    before = store_files(store_path)
    for dry_run in (True, False):
        with pytest.raises(ImportRefused) as err:
            service.import_candidates(rows, dry_run=dry_run)
        assert [(row, e.key, e.params["unit"], e.params["count"]) for _, row, e in err.value.bad] == [
            (4, "store.part_full", "Đảng ủy phường Phước Mỹ", 5),
            (6, "store.part_full", "Đảng ủy phường Thạch Thang", 5)]
    assert store_files(store_path) == before
    result = run(store_path, "--lang", "en", "import", str(write_csv(tmp_path / "many.csv", rows)), "--dry-run")
    assert result.exit_code == 1
    full = PtdvError("store.part_full", unit="Đảng ủy phường Phước Mỹ", count=5, limit=4).message("en")
    assert f"Candidates, row 4: {full}" in result.output and "Candidates, row 6: " in result.output
    assert store_files(store_path) == before
    monkeypatch.setattr("db.store.PART_LIMIT", 5)  # room for all of them: the same file goes in
    assert len(service.import_candidates(rows).candidates.adds) == 5


def test_an_editor_of_one_ward_cannot_import_into_another(store_path):
    ids = build_small(as_user(store_path, "boss"))
    as_user(store_path, "boss").add_user("bob", ids["an_hai_bac"], "editor")
    bob = as_user(store_path, "bob")
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        bob.import_candidates(NEW_ROWS)  # a Phước Mỹ branch
    assert isinstance(err.value.bad[0][2], access.AccessError)
    assert store_files(store_path) == before
    rows = [NEW_ROWS[0], [*NEW_ROWS[1][:3], "An Hải Bắc/Chi bộ khu dân cư số 1", *NEW_ROWS[1][4:]]]
    assert len(bob.import_candidates(rows).candidates.adds) == 1


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


def test_an_id_of_another_person_is_refused_not_overwritten(small, store_path):
    service, ids = small
    rows = [["Mã", "Họ tên", "Ngày sinh", "Đơn vị"], [str(ids["cand2"]), "Người Khác", "09/09/1999", PM1],
            [str(ids["cand1"]), "Nguyễn Văn Anh", "01/05/1991", PM1]]
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(rows)
    assert [(row, e.key) for _, row, e in err.value.bad] == [(2, "import.id_mismatch")]
    assert store_files(store_path) == before
    renamed = service.import_candidates(rows[::2])  # same id and birth date, name corrected
    assert [p.after.name for p in renamed.candidates.changes] == ["Nguyễn Văn Anh"]


def test_a_new_candidate_keeps_its_rows_id_when_the_store_has_none_with_it(small):
    service, ids = small
    rows = [["Mã", "Họ tên", "Đơn vị"], ["50", "Người Năm Mươi", PM1], ["", "Người Không Mã", PM1]]
    added = {p.after.name: p.after.id for p in service.import_candidates(rows).candidates.adds}
    assert added["Người Năm Mươi"] == 50
    assert added["Người Không Mã"] not in {50, *(ids[f"cand{n}"] for n in range(1, 7))}
    later = service.add_candidate(PM1, "Người Đến Sau")
    assert later.id not in added.values()
    twice = [["Mã", "Họ tên", "Đơn vị"], ["60", "Người Một", PM1], ["60", "Người Hai", PM1]]
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(twice)
    assert [(row, e.key) for _, row, e in err.value.bad] == [(3, "import.repeated_id")]


def test_a_branch_path_as_exported_is_found_even_when_another_folds_to_the_same(small, store_path, tmp_path):
    service, ids = small
    twin = service.add_unit("Chi bộ khu dân cư sô 1", ids["phuoc_my"], "branch")  # folds like "số 1"
    rows = [NEW_ROWS[0], [*NEW_ROWS[1][:3], service.state().path(twin.id), *NEW_ROWS[1][4:]]]
    assert [p.after.unit for p in service.import_candidates(rows).candidates.adds] == [twin.id]


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
    cands = book.worksheets[2]
    assert [c.value for c in cands[1]][:3] == [t("field.id", "vi"), t("field.unit", "vi"), t("field.name", "vi")]
    first = [c.value for c in cands[2]]
    assert first[0] == ids["cand1"] and isinstance(first[0], int)  # numbers stay numbers
    assert first[1:3] == [f"{CITY}/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1", "Nguyễn Văn An"]


def test_json_export_is_one_object(small, store_path):
    result = run(store_path, "export", "--format", "json")
    data = orjson.loads(result.stdout_bytes)
    assert set(data) == {"units", "quotas", "candidates"} and len(data["candidates"]) == 6


def test_units_sheet_names_each_unit_its_level_and_parent(small):
    service, ids = small
    head, rows = service.export("Đảng ủy phường Phước Mỹ", lang="en")["units"]
    assert head[:4] == [t("field.id", "en"), t("field.unit", "en"), t("field.level", "en"), t("import.col.parent", "en")]
    assert [row[:4] for row in rows] == [
        [ids["phuoc_my"], "Đảng ủy phường Phước Mỹ", "Grassroots committee", SON_TRA],
        [ids["pm1"], "Chi bộ khu dân cư số 1", "Branch", f"{SON_TRA}/Đảng ủy phường Phước Mỹ"],
        [ids["pm2"], "Chi bộ Trường THCS Phước Mỹ", "Branch", f"{SON_TRA}/Đảng ủy phường Phước Mỹ"],
    ]


# -- round trip: export, then import into an empty store ------------------------------------------
def decorate(service: Service, ids: dict[str, int]) -> None:
    """Values every column of the small store can carry: choices, flags, lists, sensitive fields, an exit."""
    service.edit(ids["cand1"], {"religion": "Công giáo", "tags": ["youth_union", "renter"], "renter": True,
                                "education": "university", "occupation": "student", "youth_union": True,
                                "ethnicity": "Cơ Tu", "notes": "Cha là đảng viên", "residence": "12 Lê Lợi"})
    service.exit(ids["cand5"], "Chuyển công tác", day="01/11/2024")
    service.set_members(ids["son_tra"], 1200, 2024)
    service.set_quota(ids["son_tra"], 2025, rate="3.5%")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Service:
    service = Service(Store(tmp_path_factory.mktemp("demo") / "ptdv.json"), today=TODAY)
    build_demo(service, today=TODAY)
    return service


@pytest.mark.parametrize("kind", ["xlsx", "json"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_export_then_import_into_an_empty_store_reproduces_the_data(small, store_path, tmp_path, kind, lang):
    service, ids = small
    decorate(service, ids)
    out = tmp_path / f"all.{kind}"
    result = run(store_path, "--lang", lang, "export", "--format", kind, "-o", str(out), "--include-sensitive")
    assert result.exit_code == 0, result.output
    target_path = tmp_path / "empty" / "ptdv.json"
    target = empty_store(target_path)
    versions = len(target.backups())
    imported = run(target_path, "--lang", "en", "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert summary("en", "units", done=True, added=10, changed=0, unchanged=1) in imported.output
    assert summary("en", "quotas", done=True, added=4, changed=0, unchanged=0) in imported.output
    assert summary("en", "candidates", done=True, added=6, changed=0, unchanged=0) in imported.output
    assert len(target.backups()) == versions + 1  # one write
    assert snapshot(target) == snapshot(service)
    assert run(target_path, "report", CITY, "--year", "2024").output == \
        run(store_path, "report", CITY, "--year", "2024").output
    entries, files = audit_count(target), store_files(target_path)
    again = run(target_path, "--lang", "en", "import", str(out))
    assert again.exit_code == 0, again.output
    assert summary("en", "units", done=True, added=0, changed=0, unchanged=11) in again.output
    assert (audit_count(target), store_files(target_path)) == (entries, files)


@pytest.mark.parametrize("kind", ["xlsx", "json"])
def test_the_demo_store_makes_the_round_trip(demo_store, tmp_path, kind):
    out = tmp_path / f"demo.{kind}"
    out.write_bytes(write(demo_store.export(lang="vi", include_sensitive=True), kind, "vi"))
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=TODAY)
    target.init(CITY)
    plan = target.import_tables(read_tables(out))
    assert len(plan.candidates.adds) == len(demo_store.candidates(include_exited=True)) > 1000
    assert snapshot(target) == snapshot(demo_store)
    for quarter in (None, 3):
        mine, theirs = target.report(CITY, 2024, quarter), demo_store.report(CITY, 2024, quarter)
        assert [(r.name, r.to_json() | {"unit": None}) for r in mine.rows] == \
            [(r.name, r.to_json() | {"unit": None}) for r in theirs.rows]
        assert mine.total == theirs.total


def test_a_districts_export_goes_under_the_same_top_unit_of_a_new_store_keeping_candidate_ids(small, store_path,
                                                                                               tmp_path):
    service, ids = small
    out = tmp_path / "hai_chau.xlsx"
    assert run(store_path, "export", "Quận ủy Hải Châu", "--format", "xlsx", "-o", str(out)).exit_code == 0
    target_path = tmp_path / "copy" / "ptdv.json"
    target = empty_store(target_path)
    result = run(target_path, "import", str(out))
    assert result.exit_code == 0, result.output
    mine, theirs = snapshot(target), snapshot(service)
    assert set(mine["candidates"]) == {ids["cand5"], ids["cand6"]}  # not renumbered from 1
    assert mine["candidates"] == {cid: theirs["candidates"][cid] for cid in mine["candidates"]}
    assert mine["units"] == {path: unit for path, unit in theirs["units"].items()
                             if path == CITY or path.startswith(f"{CITY}/Quận ủy Hải Châu")}
    again = run(target_path, "import", str(out))
    assert summary("vi", "candidates", done=True, added=0, changed=0, unchanged=2) in again.output


def test_a_csv_brings_candidates_into_units_imported_before(small, store_path, tmp_path):
    service, ids = small
    decorate(service, ids)
    data = export_json(service, tmp_path / "all.json")
    del data["candidates"]
    (tmp_path / "units.json").write_bytes(orjson.dumps(data))
    (tmp_path / "all.csv").write_bytes(write(service.export(include_sensitive=True), "csv", "vi"))
    target_path = tmp_path / "copy" / "ptdv.json"
    target = empty_store(target_path)
    assert run(target_path, "import", str(tmp_path / "units.json")).exit_code == 0
    assert target.candidates(include_exited=True) == []
    result = run(target_path, "import", str(tmp_path / "all.csv"))
    assert result.exit_code == 0, result.output
    assert snapshot(target) == snapshot(service)


def test_into_a_store_with_some_of_the_units_only_the_missing_ones_are_added(small, tmp_path):
    service, ids = small
    export_json(service, tmp_path / "all.json")
    target = empty_store(tmp_path / "copy" / "ptdv.json")
    kept = target.add_unit("Quận ủy Sơn Trà", CITY, "district")
    plan = target.import_tables(read_tables(tmp_path / "all.json"))
    assert [target.state().path(p.after.id) for p in plan.units.adds][:2] == [
        f"{CITY}/Quận ủy Hải Châu", f"{CITY}/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang"]
    assert len(plan.units.adds) == 9 and plan.units.unchanged == 2  # the top unit and Sơn Trà were there
    assert target.resolve_unit(SON_TRA).id == kept.id
    assert snapshot(target) == snapshot(service)


def test_a_dry_run_lists_the_units_and_quotas_it_would_add_and_writes_nothing(small, tmp_path):
    service, ids = small
    export_json(service, tmp_path / "all.json", lang="en")
    target_path = tmp_path / "copy" / "ptdv.json"
    empty_store(target_path)
    before = store_files(target_path)
    result = run(target_path, "--lang", "en", "import", str(tmp_path / "all.json"), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == ["Units:", f"  + row 3: {CITY}/Quận ủy Hải Châu",
                         f"  + row 4: {CITY}/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang"]
    assert "Quotas:" in lines and f"  + row 2: {CITY}, 2024: 4%" in lines
    assert f"  + row 4: {CITY}/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang, 2024: 3" in lines
    assert f"  + row 2: Nguyễn Văn An ({SON_TRA}/Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1)" in lines
    assert lines[-4:] == [summary("en", "units", added=10, changed=0, unchanged=1),
                          summary("en", "quotas", added=3, changed=0, unchanged=0),
                          summary("en", "candidates", added=6, changed=0, unchanged=0),
                          t("cli.import.dry_run", "en")]
    assert store_files(target_path) == before


def test_changed_members_and_quotas_are_listed_then_set(small, store_path, tmp_path):
    service, ids = small
    data = export_json(service, tmp_path / "all.json", lang="en")
    pm1 = next(i for i, u in enumerate(data["units"]) if u["ID"] == ids["pm1"])
    data["units"][pm1]["Members 2024"] = 50
    thach_thang = next(i for i, q in enumerate(data["quotas"]) if q["Unit"].endswith("Thạch Thang"))
    data["quotas"][thach_thang]["Target"] = 5
    (tmp_path / "all.json").write_bytes(orjson.dumps(data))
    shown = run(store_path, "--lang", "en", "import", str(tmp_path / "all.json"), "--dry-run")
    assert f"  ~ row {pm1 + 2}: {SON_TRA}/Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1: Members 2024" \
        in shown.output.splitlines()
    assert f"  ~ row {thach_thang + 2}: {CITY}/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang, 2024: 3 → 5" \
        in shown.output.splitlines()
    entries = audit_count(service)
    result = run(store_path, "import", str(tmp_path / "all.json"))
    assert result.exit_code == 0, result.output
    assert service.state().units[ids["pm1"]].members == {2024: 50}
    assert service.unit_figures(ids["thach_thang"], 2024).target == 5
    actions = [e["action"] for e in service.store.audit_since(0)[entries:]]
    assert actions == ["unit.members", "quota.set"]


# -- refusals -------------------------------------------------------------------------------------
def test_a_bad_unit_row_and_a_bad_quota_row_refuse_the_whole_file(small, store_path, tmp_path):
    service, ids = small
    data = export_json(service, tmp_path / "all.json", lang="en")
    data["units"].append({"Unit": "Chi bộ mới", "Level": "Tổ đảng", "Parent unit": f"{SON_TRA}/Đảng ủy phường Phước Mỹ"})
    data["units"].append({"Unit": "Chi bộ lạc", "Level": "Branch", "Parent unit": f"{CITY}/Quận ủy Không Có"})
    data["quotas"].insert(1, {"Unit": SON_TRA, "Year": 2024, "Target": "nhiều"})
    data["candidates"][0]["Born"] = "32/13/1990"
    (tmp_path / "bad.json").write_bytes(orjson.dumps(data))
    target_path = tmp_path / "copy" / "ptdv.json"
    empty_store(target_path)
    before = store_files(target_path)
    with pytest.raises(ImportRefused) as err:
        Service(Store(target_path), today=TODAY).import_tables(read_tables(tmp_path / "bad.json"))
    units = len(service.state().units)
    assert [(sheet, row, e.key) for sheet, row, e in err.value.bad] == [
        ("units", units + 2, "unit.unknown_level"), ("units", units + 3, "unit.not_found"),
        ("quotas", 3, "input.not_a_number"), ("candidates", 2, "input.bad_date")]
    result = run(target_path, "--lang", "en", "import", str(tmp_path / "bad.json"))
    assert result.exit_code == 1
    assert t("import.refused", "en", count=4) in result.output
    assert f"Units, row {units + 2}: " + PtdvError("unit.unknown_level", level="Tổ đảng",
                                                   levels="city, district, grassroots, branch").message("en") \
        in result.output
    assert f"Units, row {units + 3}: " in result.output and "Quận ủy Không Có" in result.output
    assert "Quotas, row 3: " + PtdvError("input.not_a_number", field="target", value="nhiều").message("en") \
        in result.output
    assert store_files(target_path) == before


def test_a_whole_store_goes_only_into_a_store_with_the_same_top_unit(small, tmp_path):
    service, ids = small
    export_json(service, tmp_path / "all.json")
    target_path = tmp_path / "other" / "ptdv.json"
    empty_store(target_path, "Đảng bộ tỉnh Quảng Nam")
    result = run(target_path, "--lang", "en", "import", str(tmp_path / "all.json"))
    assert result.exit_code == 1
    assert "Units, row 2: " + t("import.other_root", "en", unit=CITY, root="Đảng bộ tỉnh Quảng Nam") in result.output
    assert f'ptdv init --root "{CITY}"' in result.output


def test_a_unit_of_another_level_in_the_store_is_refused(small, tmp_path):
    service, ids = small
    export_json(service, tmp_path / "all.json")
    target = empty_store(tmp_path / "copy" / "ptdv.json")
    target.add_unit("Quận ủy Sơn Trà", CITY, "grassroots")
    with pytest.raises(ImportRefused) as err:
        target.import_tables(read_tables(tmp_path / "all.json"))
    sheet, row, refusal = err.value.bad[0]
    assert (sheet, refusal.key) == ("units", "import.level_differs")
    assert refusal.message("en") == "Quận ủy Sơn Trà is a Grassroots committee in this store, not a " \
                                    "District or bloc committee."


def test_only_an_admin_adds_units_an_editor_may_set_members(store_path, tmp_path):
    ids = build_small(as_user(store_path, "boss"))
    boss = as_user(store_path, "boss")
    boss.add_user("bob", ids["an_hai_bac"], "editor")
    bob = as_user(store_path, "bob")
    tables = {"units": [["Đơn vị", "Cấp", "Đơn vị cấp trên", "Đảng viên 2024"],
                        ["Chi bộ khu dân cư số 1", "Chi bộ", f"{SON_TRA}/Đảng ủy phường An Hải Bắc", "40"],
                        ["Chi bộ khu dân cư số 2", "Chi bộ", f"{SON_TRA}/Đảng ủy phường An Hải Bắc", "25"]]}
    with pytest.raises(ImportRefused) as err:
        bob.import_tables(tables)
    assert [(sheet, row) for sheet, row, _ in err.value.bad] == [("units", 3)]
    assert isinstance(err.value.bad[0][2], access.AccessError)
    del tables["units"][2]
    assert [p.after.members for p in bob.import_tables(tables).units.changes] == [{2024: 40}]


def test_the_plans_unit_paths_are_the_states_even_in_a_hand_made_cycle():
    """An import's tree makes each unit's path from its parent's; a cycle (a hand-edited store) and the units
    under it read as ``State.path`` reads them, each chain stopped where it comes back."""
    from db.model import Settings, Unit
    from db.state import State
    from db.transfer import _unit_paths

    parents = {1: None, 2: 1, 3: 4, 4: 3, 5: 4, 6: 6, 7: 99, 8: 5}  # 3 <-> 4, 6 its own parent, 99 no unit
    state = State(Settings(), 1, {}, {uid: Unit(uid, f"u{uid}", "x", parent) for uid, parent in parents.items()}, {})
    paths = _unit_paths(state)
    assert paths == {uid: state.path(uid) for uid in state.units}
    assert paths[4] == "u3/u4" and paths[3] == "u4/u3" and paths[8] == "u3/u4/u5/u8" and paths[6] == "u6"
