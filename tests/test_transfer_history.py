"""Import and export of the organisation's history (docs/HISTORY.md, issue 11): units' periods (began, ended,
how, what they became, earlier parents) and candidates' transfers make the round trip; a file without those
columns imports as before; a known candidate that a row puts in another branch is transferred, its past
left where it happened."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from db.i18n import t
from db.model import Move, StageEntry
from db.service import Service
from db.store import Store
from db.transfer import ImportRefused, match_headings
from tui.cli import main
from tui.transfer_io import read_tables, write

from conftest import TODAY, build_small
from test_store import store_files

LATER = date(2026, 3, 2)  # "today" once the wards were merged on 01/07/2025
MERGED = date(2025, 7, 1)
CITY = "Đảng bộ thành phố Đà Nẵng"
SON_TRA = f"{CITY}/Quận ủy Sơn Trà"
AN_HAI = f"{CITY}/Đảng ủy phường An Hải"
CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


def run(path: Path, *args: str, today: date = LATER):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": today}, env=CLEAN_ENV)


def merged_store(path: Path) -> tuple[Service, dict[str, int]]:
    """The small store (built in 2024), then in 2025: a candidate admitted at Phước Mỹ and one transferred
    from Phước Mỹ to Thạch Thang on 01/02/2025; on 01/07/2025 the wards Phước Mỹ and An Hải Bắc merged into
    a new phường An Hải under the city (their branches under it since), and Quận ủy Sơn Trà dissolved."""
    ids = build_small(Service(Store(path), today=TODAY))
    service = Service(Store(path), today=LATER)
    service.set_quota(ids["phuoc_my"], 2025, target=5)
    late = service.add_candidate(ids["pm2"], "Đỗ Văn Sáu", gender="male", born="06/06/1996", date_="06/01/2025")
    ids["late"] = late.id
    service.advance(late.id, None, "10/02/2025")
    with service.store.transaction() as tx:
        cand = tx.state.candidate(ids["cand2"])
        pinned = tuple(replace(e, unit=ids["pm1"]) for e in cand.history)
        moved = cand.with_(unit=ids["tt1"], history=pinned + (StageEntry("verified", date(2025, 2, 20), "boss", tx.at,
                                                                         ids["tt1"]),),
                           moves=(Move(date(2025, 2, 1), ids["pm1"], ids["tt1"], "chuyển nơi cư trú", "boss", tx.at),))
        tx.put_candidate(moved)
    with service.store.transaction() as tx:
        state = tx.state
        an_hai = tx.new_unit_id()
        ids["an_hai"] = an_hai
        city = state.units[ids["city"]]
        tx.put_unit(replace(city, id=an_hai, name="Đảng ủy phường An Hải", level="grassroots", parent=ids["city"],
                            members={2026: 900}, began=MERGED))
        for ward in ("phuoc_my", "an_hai_bac"):
            tx.put_unit(replace(state.units[ids[ward]], ended=MERGED, end="merged", successors=(an_hai,)))
        tx.put_unit(replace(state.units[ids["son_tra"]], ended=MERGED, end="dissolved"))
        for branch, ward, name in (("pm1", "phuoc_my", None), ("pm2", "phuoc_my", None),
                                   ("ahb1", "an_hai_bac", "Chi bộ khu dân cư số 5")):
            unit = state.units[ids[branch]]
            tx.put_unit(replace(unit, name=name or unit.name, parent=an_hai, earlier=((MERGED, ids[ward]),)))
    service.set_quota(ids["an_hai"], 2026, target=12)
    return service, ids


@pytest.fixture
def merged(tmp_path) -> tuple[Service, dict[str, int], Path]:
    path = tmp_path / "old" / "ptdv.json"
    service, ids = merged_store(path)
    return service, ids, path


def history(service: Service) -> dict:
    """What a user compares: units by path with their members and periods (successors and earlier parents
    by path), quotas by unit path, candidates by id with stages (and where each happened), transfers and exit."""
    state = service.state()
    path = state.path
    units = {path(u.id): (u.level, u.members, u.began, u.ended, u.end, [path(s) for s in u.successors],
                          [(until, path(p)) for until, p in u.earlier])
             for u in (state.units[uid] for uid in state.units)}
    quotas = {(path(q.unit), q.year): (q.target, q.rate) for q in state.quotas.values()}
    cands = {}
    for c in service.candidates(include_exited=True):
        cands[c.id] = (c.name, path(c.unit), [(e.stage, e.date, path(c.unit_of(e))) for e in c.history],
                       [(m.on, path(m.source), path(m.target), m.reason) for m in c.moves],
                       c.exit and (c.exit.kind, c.exit.reason, c.exit.date))
    return {"units": units, "quotas": quotas, "candidates": cands}


def reports(service: Service, unit: str = CITY) -> list:
    """The report of each year and quarter around the merge, rows by name (ids differ between stores)."""
    out = []
    for year in (2024, 2025):
        for quarter in (None, 2, 3):
            found = service.report(unit, year, quarter)
            out.append(([(r.name, r.to_json() | {"unit": None}) for r in found.rows], found.total.to_json()))
    return out


def figures(service: Service) -> dict:
    """The roll-up of 2024, 2025 and 2026 (each in the tree of its view day), units by path."""
    from dataclasses import asdict

    from db.quota import rollup

    state = service.state()
    return {year: {state.path(uid): asdict(fig) | {"unit": None} for uid, fig in rollup(state, year, LATER).items()}
            for year in (2024, 2025, 2026)}


def summary(sheet: str, lang: str = "en", **counts: int) -> str:
    return t("cli.import.done", lang, sheet=t(f"export.sheet.{sheet}", lang), **counts)


# -- round trip ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, lang", [("xlsx", "vi"), ("json", "en"), ("xlsx", "en")])
def test_a_store_with_a_merge_and_a_transfer_makes_the_round_trip(merged, tmp_path, kind, lang):
    service, ids, path = merged
    out = tmp_path / f"all.{kind}"
    exported = run(path, "--lang", lang, "export", "--format", kind, "-o", str(out), "--include-sensitive")
    assert exported.exit_code == 0, exported.output
    copy = tmp_path / "copy" / "ptdv.json"
    assert run(copy, "init", "--root", CITY).exit_code == 0
    imported = run(copy, "--lang", "en", "import", str(out))
    assert imported.exit_code == 0, imported.output
    units = len(service.state().units)  # the ended wards and district too
    assert summary("units", added=units - 1, changed=0, unchanged=1) in imported.output
    assert summary("candidates", added=7, changed=0, unchanged=0) in imported.output
    target = Service(Store(copy), today=LATER)
    assert history(target) == history(service)
    assert figures(target) == figures(service)
    before = store_files(copy)
    again = run(copy, "--lang", "en", "import", str(out))
    assert again.exit_code == 0, again.output
    assert summary("units", added=0, changed=0, unchanged=units) in again.output
    assert summary("candidates", added=0, changed=0, unchanged=7) in again.output
    assert store_files(copy) == before


def test_reports_of_2024_and_2025_are_the_same_in_both_stores(merged, tmp_path):
    service, ids, path = merged
    out = tmp_path / "all.json"
    out.write_bytes(write(service.export(lang="vi", include_sensitive=True), "json", "vi"))
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=LATER)
    target.init(CITY)
    target.import_tables(read_tables(out))
    assert reports(target) == reports(service)
    assert reports(target, "An Hải") == reports(service, "An Hải")


def test_ended_units_come_after_their_parent_and_successors_are_found_later_in_the_file(merged):
    service, ids, path = merged
    head, rows = service.export(lang="en")["units"]
    order = [row[0] for row in rows]
    assert {ids["phuoc_my"], ids["an_hai_bac"], ids["son_tra"]} <= set(order)
    assert order.index(ids["son_tra"]) < order.index(ids["phuoc_my"])
    assert order.index(ids["phuoc_my"]) > order.index(ids["an_hai"])  # An Hải before the ward that became it...
    state = service.state()
    pm1 = rows[order.index(ids["pm1"])]
    assert order.index(ids["pm1"]) < order.index(ids["phuoc_my"])  # ...and before the ward a branch was under
    assert pm1[3:9] == [AN_HAI, "", "", "", "", f"{SON_TRA}/Đảng ủy phường Phước Mỹ before 01/07/2025"]
    target = Service(Store(path.parent.parent / "copy" / "ptdv.json"), today=LATER)
    target.init(CITY)
    target.import_tables({"units": [head, *rows]})
    assert target.state().path(target.resolve_unit("Chi bộ khu dân cư số 5").id) == f"{AN_HAI}/Chi bộ khu dân cư số 5"
    assert state.units[ids["pm1"]].earlier == ((MERGED, ids["phuoc_my"]),)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_history_headings_and_cells_in_the_sheet_language(merged, lang):
    service, ids, _ = merged
    tables = service.export(lang=lang)
    head, rows = tables["units"]
    names = ["began", "ended", "end", "successors", "earlier"]
    assert head[4:9] == [t(f"import.col.{k}", lang) for k in names]
    assert list(match_headings(head, "units").values())[4:9] == names
    ward = next(row for row in rows if row[0] == ids["phuoc_my"])
    assert ward[4:9] == ["", "01/07/2025", t("import.end.merged", lang), AN_HAI, ""]
    district = next(row for row in rows if row[0] == ids["son_tra"])
    assert district[4:9] == ["", "01/07/2025", t("import.end.dissolved", lang), "", ""]
    an_hai = next(row for row in rows if row[0] == ids["an_hai"])
    assert an_hai[4:9] == ["01/07/2025", "", "", "", ""]
    cand_head, cands = tables["candidates"]
    assert cand_head[-1] == t("import.col.moves", lang)
    moved = next(row for row in cands if row[0] == ids["cand2"])
    assert moved[-1] == (f"01/02/2025: {AN_HAI}/Chi bộ khu dân cư số 1 → {CITY}/Quận ủy Hải Châu/"
                         "Đảng ủy phường Thạch Thang/Chi bộ khu dân cư số 3 (chuyển nơi cư trú)")
    assert all(row[-1] == "" for row in cands if row[0] != ids["cand2"])


@pytest.mark.parametrize("headings", [
    ["Đơn vị", "Đơn vị cấp trên", "Bắt đầu từ ngày", "Kết thúc từ ngày", "Cách kết thúc", "Trở thành",
     "Cấp trên trước đây"],
    ["unit", "parent unit", "began on", "ENDED ON", "how it ended", "became", "Earlier parents"],
    ["don vi", "don vi cap tren", "bat dau tu ngay", "ket thuc tu ngay", "cach ket thuc", "tro thanh",
     "cap tren truoc day (don vi truoc dd/mm/yyyy; …)"],
])
def test_history_headings_match_in_either_language_short_or_with_the_form(headings):
    assert list(match_headings(headings, "units").values()) == ["unit", "parent", "began", "ended", "end",
                                                                "successors", "earlier"]


def test_how_a_unit_ended_and_earlier_parents_are_read_in_either_language(merged, tmp_path):
    service, ids, _ = merged
    head, rows = service.export(lang="vi")["units"]
    for row in rows:  # an English sheet's cells under Vietnamese headings, as a list put together by hand
        row[6] = {"sáp nhập": "Merged", "giải thể": "dissolved"}.get(row[6], row[6])
        row[8] = row[8].replace(" trước ", " before ")
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=LATER)
    target.init(CITY)
    target.import_tables({"units": [head, *rows]})
    assert history(target)["units"] == history(service)["units"]


# -- files without the new columns; stores of today's schema --------------------------------------
def test_a_store_without_history_exports_no_history_columns(small):
    service, ids = small
    tables = service.export(lang="en")
    assert tables["units"][0][:5] == [t("field.id", "en"), t("field.unit", "en"), t("field.level", "en"),
                                      t("import.col.parent", "en"), t("import.col.members_in", "en", year=2024)]
    assert t("import.col.moves", "en") not in tables["candidates"][0]


def test_a_file_without_history_columns_imports_as_before(merged, tmp_path):
    service, ids, _ = merged
    tables = service.export(lang="vi")
    head, rows = tables["units"]
    keep = [i for i in range(len(head)) if i not in range(4, 9)]
    cand_head, cands = tables["candidates"]
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=LATER)
    target.init(CITY)
    target.import_tables({"units": [[r[i] for i in keep] for r in [head, *rows]],
                          "candidates": [cand_head[:-1], *(r[:-1] for r in cands)]})
    state = target.state()
    assert all((u.began, u.ended, u.end, u.successors, u.earlier) == (None, None, None, (), ())
               for u in (state.units[uid] for uid in state.units))
    assert state.path(target.resolve_unit("Đảng ủy phường Phước Mỹ").id) == f"{SON_TRA}/Đảng ủy phường Phước Mỹ"
    moved = target.candidate(ids["cand2"])
    assert moved.moves == () and state.path(moved.unit).endswith("Thạch Thang/Chi bộ khu dân cư số 3")


def test_a_store_of_todays_schema_takes_a_file_with_history(small, store_path, tmp_path):
    """The small store has no periods anywhere: its units read as there from the start of time, match the
    rows with empty period cells, and a unit the file adds with a period gets it."""
    service, ids = small
    head = ["Đơn vị", "Cấp", "Đơn vị cấp trên", "Bắt đầu từ ngày", "Kết thúc từ ngày", "Cách kết thúc",
            "Trở thành", "Cấp trên trước đây"]
    rows = [[CITY, "Thành ủy", "", "", "", "", "", ""],
            ["Quận ủy Sơn Trà", "", CITY, "", "", "", "", ""],
            ["Đảng ủy phường Mới", "", CITY, "01/07/2025", "", "", "", f"{SON_TRA} trước 01/09/2025"]]
    plan = Service(Store(store_path), today=LATER).import_tables({"units": [head, *rows]})
    assert plan.units.unchanged == 2 and len(plan.units.adds) == 1
    added = service.state().units[plan.units.adds[0].after.id]
    assert (added.began, added.earlier) == (MERGED, ((date(2025, 9, 1), ids["son_tra"]),))
    assert service.state().units[ids["son_tra"]].began is None


# -- refusals ----------------------------------------------------------------------------------------
def test_bad_history_cells_are_refused_each_by_row(small, tmp_path):
    service, ids = small
    head = ["Đơn vị", "Đơn vị cấp trên", "Bắt đầu từ ngày", "Kết thúc từ ngày", "Cách kết thúc", "Trở thành",
            "Cấp trên trước đây"]
    rows = [["Phường A", CITY, "", "01/07/2025", "biến mất", "", ""],
            ["Phường B", CITY, "", "01/07/2025", "", "", ""],
            ["Phường C", CITY, "", "01/07/2025", "sáp nhập", f"{CITY}/Phường D; {CITY}/Phường E", ""],
            ["Phường D", CITY, "01/07/2025", "", "", "", ""],
            ["Phường E", CITY, "", "", "", "", "Quận ủy Sơn Trà 01/09/2025"],
            ["Phường F", CITY, "01/07/2025", "01/03/2025", "giải thể", "", ""],
            ["Phường G", CITY, "", "", "", "", "Quận ủy Sơn Trà trước 01/09/2025"]]
    with pytest.raises(ImportRefused) as err:
        service.import_tables({"units": [head, *rows]})
    assert [(row, e.key) for _, row, e in err.value.bad] == [
        (2, "import.bad_choice"), (3, "import.end_incomplete"), (4, "import.bad_successors"),
        (6, "import.bad_earlier"), (7, "import.period_order")]
    assert err.value.bad[0][2].message("vi").endswith("Cách kết thúc.")
    assert err.value.bad[0][2].message("en").endswith("How it ended.")
    assert "'Unit before dd/mm/yyyy'" in err.value.bad[3][2].message("en")


def test_a_unit_the_store_has_with_another_history_is_refused(merged, tmp_path):
    service, ids, path = merged
    head, rows = service.export(lang="en")["units"]
    ward = next(row for row in rows if row[0] == ids["phuoc_my"])
    ward[5] = "01/08/2025"
    with pytest.raises(ImportRefused) as err:
        service.import_tables({"units": [head, *rows]})
    assert [e.key for _, _, e in err.value.bad] == ["import.period_differs"]
    assert "ptdv unit merge" in err.value.bad[0][2].message("en")


# -- a known candidate in another branch is transferred ---------------------------------------------
PM1 = "Phước Mỹ/Chi bộ khu dân cư số 1"
TT1 = "Thạch Thang/Chi bộ khu dân cư số 3"


def test_a_known_candidate_in_another_branch_is_transferred_keeping_its_past(small, store_path, tmp_path):
    service, ids = small
    later = Service(Store(store_path), today=LATER)
    report_2024 = reports(later)
    admitted = later.candidate(ids["cand1"])  # admitted at Phước Mỹ in 2024
    file = tmp_path / "chuyen.csv"
    file.write_text(f"Mã,Họ tên,Chi bộ\n{ids['cand1']},Nguyễn Văn An,{TT1}\n", encoding="utf-8")
    before = store_files(store_path)
    dry = run(store_path, "--lang", "en", "import", str(file), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"~ row 2: #{ids['cand1']} Nguyễn Văn An" in dry.output
    assert store_files(store_path) == before
    done = run(store_path, "import", str(file))
    assert done.exit_code == 0, done.output
    moved = later.candidate(ids["cand1"])
    assert moved.unit == ids["tt1"]
    assert [(m.on, m.source, m.target, m.reason) for m in moved.moves] == [
        (LATER, ids["pm1"], ids["tt1"], "nhập từ tệp chuyen.csv")]
    assert [e.unit for e in moved.history] == [ids["pm1"]] * len(admitted.history)
    assert [(e.stage, e.date) for e in moved.history] == [(e.stage, e.date) for e in admitted.history]
    assert reports(later) == report_2024  # the 2024 admission stays at Phước Mỹ
    again = run(store_path, "import", str(file))
    assert "0 sửa" in again.output or t("cli.import.done", "vi", sheet=t("export.sheet.candidates", "vi"),
                                        added=0, changed=0, unchanged=1) in again.output


def test_the_transfer_column_gives_the_transfers_date_and_reason(small, store_path):
    service, ids = small
    later = Service(Store(store_path), today=LATER)
    state = later.state()
    rows = [["Mã", "Họ tên", "Chi bộ", "Chuyển chi bộ"],
            [str(ids["cand2"]), "Trần Thị Bình", TT1,
             f"01/09/2025: {state.path(ids['pm1'])} → {state.path(ids['tt1'])} (chuyển công tác)"]]
    plan = later.import_candidates(rows)
    assert [p.after.id for p in plan.candidates.changes] == [ids["cand2"]]
    moved = later.candidate(ids["cand2"])
    assert [(m.on, m.source, m.target, m.reason) for m in moved.moves] == [
        (date(2025, 9, 1), ids["pm1"], ids["tt1"], "chuyển công tác")]
    assert later.import_candidates(rows).candidates.counts() == {"added": 0, "changed": 0, "unchanged": 1}


def test_a_new_candidates_stages_happened_where_its_transfers_say(small, store_path):
    service, ids = small
    later = Service(Store(store_path), today=LATER)
    rows = [["Họ tên", "Chi bộ", "Ngày Quần chúng ưu tú", "Ngày Đã học lớp nhận thức về Đảng", "Transfers"],
            ["Lý Thị Mai", TT1, "01/03/2025", "01/10/2025", f"01/06/2025: {PM1} → {TT1}"]]
    cand = later.import_candidates(rows).candidates.adds[0].after
    assert [(e.stage, e.unit) for e in cand.history] == [("source", ids["pm1"]), ("class", ids["tt1"])]
    assert [(m.source, m.target, m.reason) for m in cand.moves] == [(ids["pm1"], ids["tt1"], "")]


@pytest.mark.parametrize("cell, key", [
    ("01/06/2025 {pm1} to {tt1}", "import.bad_move"),
    ("01/06/2025: {tt1} → {pm1}", "import.moves_chain"),            # does not lead to the row's branch
    ("01/06/2027: {pm1} → {tt1}", "import.moves_chain"),            # after today
    ("01/06/2025: {pm1} → {tt2}; 01/05/2025: {tt2} → {tt1}", "import.moves_chain"),  # days go back
])
def test_bad_transfers_are_refused(small, store_path, cell, key):
    service, ids = small
    later = Service(Store(store_path), today=LATER)
    rows = [["Họ tên", "Chi bộ", "Chuyển chi bộ"],
            ["Lý Thị Mai", TT1, cell.format(pm1=PM1, tt1=TT1, tt2="Thạch Thang/Chi bộ Trạm y tế")]]
    with pytest.raises(ImportRefused) as err:
        later.import_candidates(rows)
    assert [e.key for _, _, e in err.value.bad] == [key]


def test_transfers_that_differ_from_the_recorded_ones_are_refused(merged):
    service, ids, _ = merged
    state = service.state()
    rows = [["Mã", "Họ tên", "Chi bộ", "Chuyển chi bộ"],
            [str(ids["cand2"]), "Trần Thị Bình", state.path(ids["tt1"]),
             f"05/02/2025: {state.path(ids['pm1'])} → {state.path(ids['tt1'])}"]]
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(rows)
    assert [e.key for _, _, e in err.value.bad] == ["import.moves_differ"]


def test_json_export_keeps_the_transfers_of_a_csv(merged, tmp_path):
    """A csv is candidates only: its transfers column brings them into a store that has the units."""
    service, ids, path = merged
    units = tmp_path / "units.json"
    data = orjson.loads(write(service.export(lang="vi", include_sensitive=True), "json", "vi"))
    units.write_bytes(orjson.dumps({"units": data["units"], "quotas": data["quotas"]}))
    cands = tmp_path / "cands.csv"
    cands.write_bytes(write(service.export(lang="vi", include_sensitive=True), "csv", "vi"))
    copy = tmp_path / "copy" / "ptdv.json"
    assert run(copy, "init", "--root", CITY).exit_code == 0
    assert run(copy, "import", str(units)).exit_code == 0
    result = run(copy, "import", str(cands))
    assert result.exit_code == 0, result.output
    assert history(Service(Store(copy), today=LATER)) == history(service)
    assert read_tables(cands).source == "cands.csv"


def test_the_demo_with_the_2025_reorganisation_makes_the_round_trip(tmp_path):
    """The demo's Đà Nẵng (wards merged on 1/1 and 1/7/2025, district committees dissolved, branches moved,
    candidates transferred): the same units with their periods, candidates with where each stage happened,
    and the same reports of 2024, 2025 and 2026."""
    from db.demo import build_demo

    service = Service(Store(tmp_path / "demo" / "ptdv.json"), today=LATER)
    build_demo(service, today=LATER)
    assert any(u.ended for u in service.state().units.values())
    out = tmp_path / "demo.json"
    out.write_bytes(write(service.export(lang="vi", include_sensitive=True), "json", "vi"))
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=LATER)
    target.init(service.root().name)
    target.import_tables(read_tables(out))
    assert history(target) == history(service)
    for year in (2024, 2025, 2026):
        mine, theirs = target.report(target.root().id, year), service.report(service.root().id, year)
        assert [(r.name, r.to_json() | {"unit": None}) for r in mine.rows] == \
            [(r.name, r.to_json() | {"unit": None}) for r in theirs.rows]
