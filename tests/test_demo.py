"""The demo store (``ptdv demo``): Đà Nẵng of the 2024 article, consistent with the rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from db import rules
from db.demo import (CITY, MERGED_2025_01, MERGED_2025_07, QUANG_NAM_WARDS, UNEVEN_DISTRICT, UNEVEN_WARD,
                     WARDS_2025_01, WARDS_2025_07, build_demo)
from db.errors import PtdvError
from db.model import STAGES, Candidate, StageEntry
from db.quota import rate_target
from db.service import Service
from db.store import Store
from db.workdays import add_months, workdays_between
from conftest import raw_tables

LATE_2026 = date(2026, 11, 29)
LATE_2024 = date(2024, 11, 15)
END_2024, START_2026 = date(2024, 12, 31), date(2026, 1, 1)
HAI_CHAU_2024 = ("Thạch Thang", "Hải Châu 1", "Hải Châu 2", "Phước Ninh", "Hòa Thuận Tây", "Hòa Thuận Đông", "Nam Dương",
                 "Bình Hiên", "Bình Thuận", "Hòa Cường Bắc", "Hòa Cường Nam", "Thuận Phước", "Thanh Bình")


@dataclass
class Demo:
    service: Service
    summary: dict

    @property
    def today(self) -> date:
        return self.service.today()


@pytest.fixture(scope="module", params=[LATE_2026, LATE_2024], ids=str)
def demo(request, tmp_path_factory) -> Demo:
    """The demo built once per "today" (the service's today is the default)."""
    service = Service(Store(tmp_path_factory.mktemp("demo") / "ptdv.json"), today=request.param)
    return Demo(service, build_demo(service))


def reopened(demo: Demo) -> Service:
    """The store as another process sees it."""
    return Service(Store(demo.service.store.path), today=demo.today)


def records(service: Service) -> tuple[dict, dict, list]:
    """Units, candidates and quotas as stored, without the timestamps of when they were recorded."""
    data = raw_tables(service.store.path)
    candidates = data["candidates"]
    for cand in candidates.values():
        for entry in cand["history"] + ([cand["exit"]] if cand["exit"] else []) + cand.get("papers", []):
            del entry["at"]
    quotas = sorted((q["unit"], q["year"], q["target"], q["rate"]) for q in data["quotas"].values())
    return data["units"], candidates, quotas


def live(service: Service) -> list[Candidate]:
    return [c for c in service.state().candidates.values() if c.live]


def after_2025(demo: Demo) -> None:
    if demo.today < WARDS_2025_07:
        pytest.skip("the demo of a today before the changes of 2025 has none")


def named(state, name: str) -> list:
    """Every unit of that name, ended or not."""
    return [u for u in state.units.values() if u.name == name]


# -- the store --------------------------------------------------------------------------
def test_store_reopens_with_no_integrity_problem(demo):
    service = reopened(demo)
    state = service.state()
    assert service.check() == []
    assert service.root().name == CITY
    assert len(state.units) == demo.summary["units"]
    assert len(state.candidates) == demo.summary["candidates"]
    assert demo.summary["years"] == list(range(2024, demo.today.year + 1))


def test_size(demo):
    """How long the build takes is measured in benchmarks/, not asserted here."""
    assert 300 <= demo.summary["units"] <= 600
    if demo.today == LATE_2026:  # three years of candidates
        assert 1500 <= demo.summary["candidates"] <= 3000


def test_one_audit_entry_for_the_build(demo):
    log = reopened(demo).log()
    assert [e["action"] for e in log] == ["store.init", "demo.build"]
    assert log[-1]["after"]["candidates"] == demo.summary["candidates"]


def test_refuses_to_overwrite_an_existing_store(demo):
    path = demo.service.store.path
    before = path.read_bytes()
    with pytest.raises(PtdvError) as err:
        build_demo(Service(Store(path), today=demo.today))
    assert err.value.key == "store.exists"
    assert path.read_bytes() == before


def test_same_seed_and_today_give_the_same_records(demo, tmp_path):
    again = Service(Store(tmp_path / "again.json"), today=demo.today)
    build_demo(again, today=demo.today, seed=2024)
    assert records(again) == records(demo.service)
    other = Service(Store(tmp_path / "other.json"), today=demo.today)
    build_demo(other, today=demo.today, seed=7)
    assert records(other)[1] != records(demo.service)[1]


# -- the tree ---------------------------------------------------------------------------
def test_tree_of_2024_is_the_city_of_the_article(demo):
    service = demo.service
    state = service.state().on(END_2024)
    hai_chau = service.resolve_unit("Quận ủy Hải Châu")
    wards = {state.units[c].name for c in state.children[hai_chau.id]}
    assert wards == {f"Đảng ủy phường {w}" for w in HAI_CHAU_2024}
    son_tra = service.resolve_unit("Quận ủy Sơn Trà")
    assert "Đảng ủy phường Phước Mỹ" in {state.units[c].name for c in state.children[son_tra.id]}
    assert state.parent_of(son_tra.id) == state.root
    for name in ("Quận ủy Sơn Trà/Phước Mỹ", "Quận ủy Thanh Khê/Tam Thuận", "Huyện ủy Hòa Vang",
                 "Đảng ủy khối Các cơ quan thành phố", "Đảng ủy khối Doanh nghiệp"):
        service.resolve_unit(name)
    there = state.subtree(state.root)
    names = {state.units[u].name for u in there}
    assert {"Đảng ủy phường An Hải Tây", "Đảng ủy phường An Hải Đông"} <= names
    assert not {"Đảng ủy phường An Hải", "Đảng ủy phường An Hải Nam"} & names  # they came in 2025
    depth_of_level = {"city": 0, "district": 1, "grassroots": 2, "branch": 3}
    assert all(state.depth(u) == depth_of_level[state.units[u].level] for u in there)
    assert all(state.is_leaf(u) == (state.units[u].level == "branch") for u in there)


def test_tree_of_2026_has_the_new_wards_under_the_city_and_no_district(demo):
    after_2025(demo)
    service = demo.service
    state = service.state().on(START_2026)
    an_hai = service.resolve_unit("an hai")
    assert an_hai.name == "Đảng ủy phường An Hải" and an_hai.began == WARDS_2025_07
    assert state.parent_of(an_hai.id) == state.root
    top = {state.units[u].name for u in state.children[state.root]}
    assert {f"Đảng ủy {name}" for name, _ in MERGED_2025_07} <= top
    assert {f"Đảng ủy phường {name}" for name in QUANG_NAM_WARDS} <= top
    assert not [name for name in top if name.startswith(("Quận ủy", "Huyện ủy"))]
    blocs = {state.units[u].name for u in state.children[state.root] if state.units[u].level == "district"}
    assert blocs == {"Đảng ủy khối Các cơ quan thành phố", "Đảng ủy khối Doanh nghiệp"}  # they stay as they were
    for uid in state.subtree(state.root):  # a ward's branches are one level higher than a bloc's
        unit = state.units[uid]
        under_bloc = unit.level != "city" and state.units[state.chain(uid)[1]].level == "district"
        depth_of_level = {"city": 0, "district": 1, "grassroots": 1 + under_bloc, "branch": 2 + under_bloc}
        assert state.depth(uid) == depth_of_level[unit.level]
        assert unit.ended is None


def test_names_are_unique_under_each_parent_in_every_tree(demo):
    state = demo.service.state()
    for day in (END_2024, WARDS_2025_01, WARDS_2025_07, START_2026, demo.today):
        view = state.on(day)
        for uid in view.subtree(view.root):
            names = [view.folded[kid] for kid in view.children[uid]]
            assert len(names) == len(set(names)), (day, view.units[uid].name)
    if demo.today >= WARDS_2025_07:  # merged wards' branches are told apart by the ward they come from
        an_hai = demo.service.resolve_unit("an hai")
        names = {state.units[kid].name for kid in state.children[an_hai.id]}
        assert {"Chi bộ khu dân cư số 1 (Phước Mỹ)", "Chi bộ khu dân cư số 1 (An Hải Bắc)"} <= names


def test_a_demo_of_before_2025_has_no_change(demo):
    if demo.today >= WARDS_2025_01:
        pytest.skip("this demo has the changes")
    state = demo.service.state()
    assert not [u for u in state.units.values() if u.began or u.ended or u.earlier]


def test_the_wards_end_merged_and_the_districts_dissolved_on_their_days(demo):
    after_2025(demo)
    state = demo.service.state()
    phuoc_my, = named(state, "Đảng ủy phường Phước Mỹ")
    an_hai, = named(state, "Đảng ủy phường An Hải")
    assert (phuoc_my.ended, phuoc_my.end, phuoc_my.successors) == (WARDS_2025_07, "merged", (an_hai.id,))
    assert phuoc_my.last_day == date(2025, 6, 30)
    tam_thuan, = named(state, "Đảng ủy phường Tam Thuận")  # the article's ward, merged into Xuân Hà on 1/1/2025
    xuan_ha, = named(state, "Đảng ủy phường Xuân Hà")
    assert (tam_thuan.ended, tam_thuan.end, tam_thuan.successors) == (WARDS_2025_01, "merged", (xuan_ha.id,))
    assert xuan_ha.began is None and xuan_ha.ended == WARDS_2025_07  # it went on until 1/7/2025
    for name, olds in MERGED_2025_01 + MERGED_2025_07:
        new = [u for u in state.units.values() if u.name.endswith(f" {name}") and u.began in (None, WARDS_2025_01,
                                                                                                WARDS_2025_07)]
        assert new, name
    for unit in state.units.values():
        if unit.name.startswith(("Quận ủy", "Huyện ủy")):
            assert (unit.ended, unit.end, unit.successors) == (WARDS_2025_07, "dissolved", ())
        if unit.level == "grassroots" and unit.parent is not None and state.units[unit.parent].name.startswith(
                ("Quận ủy", "Huyện ủy")):
            assert unit.ended in (WARDS_2025_01, WARDS_2025_07) and unit.end == "merged"
        if unit.ended:
            assert all(state.units[s].began == unit.ended or state.units[s].began is None for s in unit.successors)
    # a unit that ended is seen on its last day, under its district
    assert state.on(phuoc_my.last_day).parent_of(phuoc_my.id) == named(state, "Quận ủy Sơn Trà")[0].id
    assert not state.on(WARDS_2025_07).exists(phuoc_my.id)


def test_every_branch_that_moved_has_its_earlier_parent(demo):
    after_2025(demo)
    state = demo.service.state()
    an_hai, = named(state, "Đảng ủy phường An Hải")
    phuoc_my, = named(state, "Đảng ủy phường Phước Mỹ")
    moved = [u for u in state.units.values() if u.level == "branch" and u.earlier]
    assert {u.id for u in moved} >= set(state.on(END_2024).children[phuoc_my.id])
    for branch in moved:
        for until, before in branch.earlier:
            old = state.units[before]
            assert old.ended == until and old.end == "merged"  # moved because its ward merged
            assert state.on(until - timedelta(days=1)).parent_of(branch.id) == before
        now = state.units[branch.parent]
        assert now.ended is None and now.began == WARDS_2025_07 and state.parent_of(now.id) == state.root
    for uid in state.on(END_2024).children[phuoc_my.id]:
        assert state.units[uid].earlier == ((WARDS_2025_07, phuoc_my.id),)
        assert state.units[uid].parent == an_hai.id
    an_hai_nam, = named(state, "Đảng ủy phường An Hải Nam")  # two moves: 1/1/2025 and 1/7/2025
    twice = [u for u in moved if len(u.earlier) == 2]
    assert twice and all(u.earlier[1] == (WARDS_2025_07, an_hai_nam.id) for u in twice if u.parent == an_hai.id)


def test_candidates_history_entries_carry_their_branch(demo):
    state = demo.service.state()
    for cand in state.candidates.values():
        assert all(entry.unit == cand.unit for entry in cand.history)  # branches persist: no transfer here
        assert not cand.moves
    if demo.today >= WARDS_2025_07:
        data = raw_tables(demo.service.store.path)
        assert all(entry["unit"] == cand["unit"] for cand in data["candidates"].values() for entry in cand["history"])


def test_decisions_of_2025_fall_in_both_halves_and_in_the_tree_of_their_day(demo):
    after_2025(demo)
    state = demo.service.state()
    decided = [c.stage_date("decided") for c in state.candidates.values()
               if c.stage_date("decided") and c.stage_date("decided").year == 2025]
    assert sum(d < WARDS_2025_07 for d in decided) > 100 and sum(d >= WARDS_2025_07 for d in decided) > 100
    phuoc_my, = named(state, "Đảng ủy phường Phước Mỹ")
    branches = set(state.on(END_2024).children[phuoc_my.id])
    own = [c for c in state.candidates.values() if c.unit in branches]
    assert any(c.stage_date("decided") and c.stage_date("decided") < WARDS_2025_07
               and c.stage_date("decided").year == 2025 for c in own)
    assert any(c.stage_date("decided") and c.stage_date("decided") >= WARDS_2025_07 for c in own)


def test_members_only_on_branches_and_no_mismatch(demo):
    state = demo.service.state()
    for unit in state.units.values():
        if unit.level == "branch":  # from the first year it existed on 1 January (Quảng Nam's: 2026)
            years = [y for y in demo.summary["years"] if unit.exists_on(date(y, 1, 1))]
            assert set(unit.members) == set(years)
            assert 10 <= unit.members[years[0]] <= 80
        else:
            assert unit.members == {}
    for year in demo.summary["years"]:
        assert not [w for w in demo.service.warnings(year) if w[0] == "check.members_mismatch"]


# -- quotas -----------------------------------------------------------------------------
def test_city_target_is_the_rate_of_its_members(demo):
    service = demo.service
    state = service.state()
    root = service.root()
    for year in demo.summary["years"]:
        rate = 4.0 if year == 2024 else 3.5
        assert state.quotas[(root.id, year)].rate == rate
        members = sum(u.members.get(year, 0) for u in state.units.values() if u.level == "branch")
        assert service.unit_figures(root.id, year).target == rate_target(rate, members)


def test_phuoc_my_has_22_allocated_to_every_branch_and_its_30_from_the_class(demo):
    service = demo.service
    state = service.state()
    phuoc_my = service.resolve_unit("phuoc my")
    figures = service.unit_figures("phuoc my", 2024)
    assert figures.target == 22
    branches = state.on(END_2024).children[phuoc_my.id]
    branch_targets = [state.quotas[(b, 2024)].target for b in branches]
    assert min(branch_targets) >= 1 and sum(branch_targets) == 22
    finished_class_2024 = [c for c in state.candidates.values() if c.unit in branches
                           and c.stage_date("class") and c.stage_date("class").year == 2024]
    assert len(finished_class_2024) >= 30


def test_quotas_of_2025_are_the_old_units_and_of_2026_the_new_ones(demo):
    """2025 began in the tree of 1/1/2025: its units keep their targets; the wards formed on 1/7/2025 have
    none of their own for it (the roll-up sums their predecessors'); 2026 is allocated in the new tree."""
    after_2025(demo)
    service = demo.service
    state = service.state()
    an_hai = service.resolve_unit("an hai")
    predecessors = [u for u in state.units.values() if an_hai.id in u.successors]
    assert {u.name for u in predecessors} == {f"Đảng ủy phường {w}" for w in ("Phước Mỹ", "An Hải Bắc", "An Hải Nam")}
    assert (an_hai.id, 2025) not in state.quotas
    assert all(state.quotas[(u.id, 2025)].target for u in predecessors)
    assert service.unit_figures(an_hai.id, 2025).target == sum(state.quotas[(u.id, 2025)].target for u in predecessors)
    assert state.quotas[(an_hai.id, 2026)].target > 0
    assert not [u for u in predecessors if (u.id, 2026) in state.quotas]
    for name in QUANG_NAM_WARDS:  # made up: a few of Quảng Nam's units, from 1/7/2025, quotas from 2026
        ward, = named(state, f"Đảng ủy phường {name}")
        assert ward.began == WARDS_2025_07 and (ward.id, 2025) not in state.quotas and (ward.id, 2026) in state.quotas
        branches = state.children[ward.id]
        assert branches and all(state.units[b].began == WARDS_2025_07 for b in branches)
        assert all(c.history[0].date >= WARDS_2025_07 for c in state.candidates.values() if c.unit in branches)
    members = {year: service.unit_figures(state.root, year).members for year in (2025, 2026)}
    assert members[2026] > 1.05 * members[2025]  # the merged city is larger


def test_allocation_warning_only_for_the_uneven_units(demo):
    """Quận ủy Cẩm Lệ gives its wards more than its target (2024, 2025), phường Cẩm Lệ its branches (2026).
    2025 is seen in the tree of 31/12/2025, where Cẩm Lệ's wards are carried by their successors: its
    surplus shows at the city's."""
    expected = {2024: f"{CITY}/{UNEVEN_DISTRICT}", 2025: f"{CITY}/{UNEVEN_DISTRICT}", 2026: f"{CITY}/{UNEVEN_WARD}"}
    if demo.today >= WARDS_2025_07:
        expected[2025] = CITY
    for year in demo.summary["years"]:
        gaps = [p["unit"] for key, p in demo.service.warnings(year) if key == "check.allocation_gap"]
        assert gaps == [expected[year]]


def test_meters_differ_between_grassroots_units(demo):
    service = demo.service
    state = service.state()
    figures = service.figures(2024)
    percents = [f.percent for uid, f in figures.items() if state.units[uid].level == "grassroots" and f.target]
    assert max(percents) >= 100
    assert min(percents) < 50


# -- candidates -------------------------------------------------------------------------
def test_every_stage_has_live_candidates(demo):
    assert {c.stage for c in live(demo.service)} == set(STAGES)


def test_admissions_in_every_quarter_of_2024(demo):
    by_quarter = demo.service.unit_figures(demo.service.root().id, 2024).by_quarter
    assert all(n > 0 for n in by_quarter)


def test_histories_obey_the_rules_and_nothing_is_after_today(demo):
    service = demo.service
    today = demo.today
    for cand in service.state().candidates.values():
        replay = Candidate(id=cand.id, unit=cand.unit, name=cand.name)
        for entry in cand.history:
            assert entry.by == service.user
            rules.check_advance(replay, entry.stage, entry.date, today)
            replay = replay.with_(history=replay.history + (StageEntry(entry.stage, entry.date, "", ""),))
        if cand.exit:
            rules.check_exit(replay, cand.exit.kind, cand.exit.reason, cand.exit.date, today)
            assert cand.exit.by == service.user


def test_stage_gaps_are_realistic(demo):
    decided = [c for c in demo.service.state().candidates.values() if c.stage_date("decided")]
    waits = [workdays_between(c.stage_date("branch"), c.stage_date("decided")) for c in decided]
    assert max(waits) <= 90  # 60 working days, +30 at most
    assert sum(w <= 60 for w in waits) >= 0.9 * len(waits)
    for cand in decided:
        assert 14 <= (cand.stage_date("decided") - cand.stage_date("branch")).days
        if cand.stage_date("admitted"):
            assert 7 <= (cand.stage_date("admitted") - cand.stage_date("decided")).days <= 50
        if cand.stage_date("official"):
            probation_end = add_months(cand.stage_date("admitted"), 12)
            assert probation_end <= cand.stage_date("official") <= probation_end + timedelta(days=45)


def test_some_left_the_pipeline_with_a_reason(demo):
    exits = [c.exit for c in demo.service.state().candidates.values() if c.exit]
    assert {e.kind for e in exits} == {"withdrawn", "rejected"}
    assert all(e.reason.strip() for e in exits)
    assert len(exits) < 0.1 * demo.summary["candidates"]


def test_due_list_has_overdue_and_due_soon_items(demo):
    due = demo.service.due()
    overdue = {i.finding.code for i in due if i.finding.severity == "overdue"}
    assert {"decision", "ceremony", "recognition"} <= overdue
    assert any(i.finding.severity == "due" for i in due)
    assert any(i.finding.code == "introducers" for i in due)  # a few have one introducer too few


def test_candidates_fit_their_branch_and_age(demo):
    state = demo.service.state()
    cands = list(state.candidates.values())
    for cand in cands:
        branch = state.units[cand.unit].name
        if branch.startswith("Chi bộ Trường"):
            assert cand.occupation in ("public_service", "student")
        if branch.startswith("Chi bộ Công ty") or "Xí nghiệp" in branch:
            assert cand.occupation == "non_state_worker"
        if branch.startswith("Chi bộ Quân sự"):
            assert cand.occupation == "armed_forces"
        assert 1964 <= cand.born.year <= 2006
        if cand.stage_date("branch"):
            assert 18 <= rules.age_on(cand.born, cand.stage_date("branch")) <= 60
        assert cand.youth_union == ("youth_union" in cand.tags)
        assert bool(cand.religion) == ("religious" in cand.tags)
    kinh = sum(c.ethnicity == "Kinh" for c in cands)
    assert 0.9 * len(cands) < kinh < len(cands)
    assert {c.religion for c in cands} >= {"Phật giáo", "Công giáo", "Cao Đài"}
    assert any(c.renter for c in cands) and any("demobilised" in c.tags for c in cands)
