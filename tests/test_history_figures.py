"""Figures across a change of the tree (docs/HISTORY.md): every year seen in its own tree, each event counted
once, where it happened; a unit made during a year takes its predecessors' targets and members."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from db.model import Move, Unit

from conftest import TODAY, receive_papers

MERGED = date(2024, 8, 1)   # Phước Mỹ and An Hải Bắc become phường An Hải (today is 15/11/2024)


def merge_wards(service, ids, day=MERGED) -> int:
    """Record the merge as the records say it (the service's own operation is tested elsewhere)."""
    with service.store.transaction() as tx:
        state = tx.state
        new_id = tx.new_unit_id()
        tx.put_unit(Unit(new_id, "Đảng ủy phường An Hải", "grassroots", ids["son_tra"], began=day))
        for old in ("phuoc_my", "an_hai_bac"):
            unit = state.units[ids[old]]
            tx.put_unit(replace(unit, ended=day, end="merged", successors=(new_id,)))
        for branch in ("pm1", "pm2", "ahb1"):
            unit = state.units[ids[branch]]
            tx.put_unit(replace(unit, parent=new_id, earlier=((day, unit.parent),)))
        tx.audit("unit.merge", f"unit:{new_id}", new_id, None, {"on": day.isoformat()})
    return new_id


@pytest.fixture
def merged(small):
    service, ids = small
    before = {uid: (fig.admitted, fig.target) for uid, fig in service.figures(2024).items()}
    ids["an_hai"] = merge_wards(service, ids)
    return service, ids, before


def test_the_tree_of_a_day_before_the_merge_has_the_old_wards(merged):
    service, ids, _ = merged
    state = service.store.state()
    old, new = state.on(date(2024, 7, 31)), state.on(MERGED)
    assert old.children[ids["son_tra"]] == sorted([ids["phuoc_my"], ids["an_hai_bac"]],
                                                  key=lambda u: old.folded[u])
    assert set(old.children[ids["phuoc_my"]]) == {ids["pm1"], ids["pm2"]}
    assert new.children[ids["son_tra"]] == [ids["an_hai"]]
    assert set(new.children[ids["an_hai"]]) == {ids["pm1"], ids["pm2"], ids["ahb1"]}
    assert old.path(ids["pm1"]).endswith("Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1")
    assert new.path(ids["pm1"]).endswith("Quận ủy Sơn Trà/Đảng ủy phường An Hải/Chi bộ khu dân cư số 1")


def test_the_year_of_the_merge_counts_each_admission_once_whichever_way_it_is_summed(merged):
    service, ids, before = merged
    figures = service.figures(2024)
    # the successor's year includes its predecessors' part of it: cand1 decided 01/07 in Phước Mỹ,
    # cand4 decided 09/08 in An Hải (the branch of An Hải Bắc it had become)
    assert figures[ids["an_hai"]].admitted == 2
    assert figures[ids["son_tra"]].admitted == before[ids["son_tra"]][0] == 2
    assert figures[ids["city"]].admitted == before[ids["city"]][0]
    assert ids["phuoc_my"] not in figures and ids["an_hai_bac"] not in figures  # not in the tree of 2024's view day


def test_an_ended_unit_is_seen_on_its_last_day_with_what_happened_until_then(merged):
    service, ids, _ = merged
    phuoc_my = service.unit_figures(ids["phuoc_my"], 2024)
    assert phuoc_my.admitted == 1 and phuoc_my.by_quarter == [0, 0, 1, 0]   # cand1, 01/07/2024
    assert phuoc_my.target == 4
    assert service.unit_figures(ids["phuoc_my"], 2025).admitted == 0         # it did not exist in 2025


def test_a_unit_made_during_the_year_takes_its_predecessors_targets_and_members(merged):
    service, ids, _ = merged
    an_hai = service.unit_figures(ids["an_hai"], 2024)
    assert an_hai.target == 4                     # Phước Mỹ's 4; An Hải Bắc had none
    assert an_hai.members == 45 + 20 + 38         # their members at the start of 2024
    son_tra = service.unit_figures(ids["son_tra"], 2024)
    assert son_tra.children_target == 4           # each target counted once


def test_the_year_before_a_merge_is_unchanged_by_it(small):
    service, ids = small
    service.set_quota(ids["phuoc_my"], 2023, target=2)
    before = service.figures(2023)
    merge_wards(service, ids)
    after = service.figures(2023)
    assert {u: (f.admitted, f.target, f.members, f.by_stage) for u, f in after.items()} == \
        {u: (f.admitted, f.target, f.members, f.by_stage) for u, f in before.items()}


def test_a_transferred_candidate_counts_where_each_step_happened(small):
    service, ids = small
    cand = service.candidate(ids["cand4"])          # An Hải Bắc, decided 09/08/2024
    with service.store.transaction() as tx:
        moved = replace(cand, unit=ids["tt1"],
                        moves=(Move(date(2024, 10, 1), ids["ahb1"], ids["tt1"], "chuyển nơi cư trú", "t", ""),))
        tx.put_candidate(moved)
        tx.audit("candidate.move", f"candidate:{cand.id}", ids["tt1"], cand.to_doc(), moved.to_doc())
    figures = service.figures(2024)
    assert figures[ids["an_hai_bac"]].admitted == 1   # the decision stays where it was made
    assert figures[ids["thach_thang"]].admitted == 0
    # at the end of the year the candidate stands in Thạch Thang's branch
    assert figures[ids["tt1"]].by_stage["admitted"] == 1 and figures[ids["ahb1"]].by_stage["admitted"] == 0


def test_a_candidate_transferred_to_another_ward_still_counts_where_it_was_decided(small):
    service, ids = small
    cand = service.candidate(ids["cand4"])          # An Hải Bắc's branch (its own part), decided 09/08/2024
    with service.store.transaction() as tx:
        moved = replace(cand, unit=ids["tt1"],
                        moves=(Move(date(2024, 10, 1), ids["ahb1"], ids["tt1"], "chuyển nơi cư trú", "t", ""),))
        tx.put_candidate(moved)
        tx.audit("candidate.move", f"candidate:{cand.id}", ids["tt1"], cand.to_doc(), moved.to_doc())
    fresh = type(service)(type(service.store)(service.store.path), today=TODAY)
    # the ward's own figures read the part the candidate now lives in, and no more than that
    assert fresh.unit_figures(ids["an_hai_bac"], 2024).admitted == 1
    assert fresh.unit_figures(ids["thach_thang"], 2024).admitted == 0
    assert fresh.unit_figures(ids["thach_thang"], 2024).by_stage["admitted"] == 1
    assert fresh.report(ids["an_hai_bac"], 2024).total.admitted == 1
    assert fresh.check() == []


def test_a_new_units_same_period_last_year_is_its_predecessors_and_the_report_names_them(small):
    service, ids = small
    cand = service.add_candidate(ids["pm2"], "Đặng Thị Hạnh", date_="01/02/2023", gender="female", born="01/02/1999",
                                 introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
    receive_papers(service, cand.id, "02/05/2023", vote="02/06/2023")  # the dossier's papers, for the branch vote
    for day in ("01/03/2023", "03/04/2023", "02/05/2023", "02/06/2023", "16/06/2023", "03/08/2023"):
        cand = service.advance(cand.id, None, day)          # decided 03/08/2023: Q3 of 2023, in Phước Mỹ
    ids["an_hai"] = merge_wards(service, ids)
    report = service.report(ids["son_tra"], 2024, quarter=3)
    row = next(r for r in report.rows if r.unit == ids["an_hai"])
    assert row.last_year == 1
    assert report.compared == {"Đảng ủy phường An Hải": ["Đảng ủy phường Phước Mỹ", "Đảng ủy phường An Hải Bắc"]}
    assert report.total.last_year == 1
    # the same report asked of 2023 is in the 2023 tree: the old wards, each with its own figures
    old = service.report(ids["son_tra"], 2023, quarter=3)
    assert [r.unit for r in old.rows] == sorted([ids["phuoc_my"], ids["an_hai_bac"]],
                                                key=lambda u: service.store.state().folded[u])
    assert next(r for r in old.rows if r.unit == ids["phuoc_my"]).admitted == 1


def test_a_report_of_a_year_before_the_merge_is_byte_identical_after_it_is_recorded(small, store_path):
    from click.testing import CliRunner

    from tui.cli import main

    service, ids = small
    service.set_quota(ids["phuoc_my"], 2023, target=2)
    cand = service.add_candidate(ids["pm1"], "Đặng Thị Hạnh", date_="01/02/2023", gender="female", born="01/02/1999")
    receive_papers(service, cand.id, "02/05/2023", vote="02/06/2023")  # the dossier's papers, for the branch vote
    for day in ("01/03/2023", "03/04/2023", "02/05/2023", "02/06/2023", "16/06/2023", "03/08/2023"):
        service.advance(cand.id, None, day)

    def report(fmt: str) -> bytes:
        result = CliRunner().invoke(main, ["--db", str(store_path), "report", str(ids["city"]), "--year", "2023",
                                           "--format", fmt], obj={"today": TODAY}, env={"PTDV_LANG": "vi"})
        assert result.exit_code == 0, result.output
        return result.stdout_bytes

    before = {fmt: report(fmt) for fmt in ("table", "csv", "json")}
    merge_wards(service, ids)
    assert {fmt: report(fmt) for fmt in ("table", "csv", "json")} == before


def test_the_demo_citys_same_period_last_year_is_last_years_total_across_the_2025_changes(tmp_path):
    """Đà Nẵng's wards merged on 1/1/2025 and 1/7/2025: summed in the tree of Q3 2025, Q3 2024 gives the
    total the report of Q3 2024 gave in its own tree, each admission once; a new ward names what it sums."""
    from db.demo import build_demo
    from db.service import Service
    from db.store import Store

    today = date(2026, 12, 3)
    service = Service(Store(tmp_path / "ptdv.json"), today=today)
    build_demo(service, today=today)
    root = service.root().id
    for quarter in (1, 3):
        now, then = service.report(root, 2025, quarter=quarter), service.report(root, 2024, quarter=quarter)
        assert now.total.last_year == then.total.admitted > 0
    an_hai = service.resolve_unit("phường An Hải")
    sums = service.report(root, 2025, quarter=3).compared[an_hai.name]
    assert {"Đảng ủy phường Phước Mỹ", "Đảng ủy phường An Hải Bắc"} <= set(sums)
