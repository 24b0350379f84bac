"""The demo store (``ptdv demo``): Đà Nẵng of the 2024 article, consistent with the rules."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from db import rules
from db.demo import CITY, UNEVEN_DISTRICT, build_demo
from db.errors import PtdvError
from db.model import STAGES, Candidate, StageEntry
from db.quota import rate_target
from db.service import Service
from db.store import Store
from db.workdays import add_months, workdays_between
from conftest import raw_tables

LATE_2026 = date(2026, 11, 29)
LATE_2024 = date(2024, 11, 15)


@dataclass
class Demo:
    service: Service
    summary: dict
    seconds: float

    @property
    def today(self) -> date:
        return self.service.today()


@pytest.fixture(scope="module", params=[LATE_2026, LATE_2024], ids=str)
def demo(request, tmp_path_factory) -> Demo:
    """The demo built once per "today" (the service's today is the default)."""
    service = Service(Store(tmp_path_factory.mktemp("demo") / "ptdv.json"), today=request.param)
    start = time.perf_counter()
    summary = build_demo(service)
    return Demo(service, summary, time.perf_counter() - start)


def reopened(demo: Demo) -> Service:
    """The store as another process sees it."""
    return Service(Store(demo.service.store.path), today=demo.today)


def records(service: Service) -> tuple[dict, dict, list]:
    """Units, candidates and quotas as stored, without the timestamps of when they were recorded."""
    data = raw_tables(service.store.path)
    candidates = data["candidates"]
    for cand in candidates.values():
        for entry in cand["history"] + ([cand["exit"]] if cand["exit"] else []):
            del entry["at"]
    quotas = sorted((q["unit"], q["year"], q["target"], q["rate"]) for q in data["quotas"].values())
    return data["units"], candidates, quotas


def live(service: Service) -> list[Candidate]:
    return [c for c in service.state().candidates.values() if c.live]


# -- the store --------------------------------------------------------------------------
def test_store_reopens_with_no_integrity_problem(demo):
    service = reopened(demo)
    state = service.state()
    assert service.check() == []
    assert service.root().name == CITY
    assert len(state.units) == demo.summary["units"]
    assert len(state.candidates) == demo.summary["candidates"]
    assert demo.summary["years"] == list(range(2024, demo.today.year + 1))


def test_size_and_speed(demo):
    assert 300 <= demo.summary["units"] <= 600
    if demo.today == LATE_2026:  # three years of candidates
        assert 1500 <= demo.summary["candidates"] <= 3000
    assert demo.seconds < 3.0


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
def test_tree_is_the_city_of_the_article(demo):
    service = demo.service
    state = service.state()
    hai_chau = service.resolve_unit("Quận ủy Hải Châu")
    wards = {state.units[c].name for c in state.children[hai_chau.id]}
    assert wards == {f"Đảng ủy phường {w}" for w in (
        "Thạch Thang", "Hải Châu 1", "Hải Châu 2", "Phước Ninh", "Hòa Thuận Tây", "Hòa Thuận Đông", "Nam Dương",
        "Bình Hiên", "Bình Thuận", "Hòa Cường Bắc", "Hòa Cường Nam", "Thuận Phước", "Thanh Bình")}
    for name in ("Quận ủy Sơn Trà/Phước Mỹ", "Quận ủy Thanh Khê/Tam Thuận", "Huyện ủy Hòa Vang",
                 "Đảng ủy khối Các cơ quan thành phố", "Đảng ủy khối Doanh nghiệp"):
        service.resolve_unit(name)
    depth_of_level = {"city": 0, "district": 1, "grassroots": 2, "branch": 3}
    assert all(state.depth(u.id) == depth_of_level[u.level] for u in state.units.values())
    assert all(state.is_leaf(u.id) == (u.level == "branch") for u in state.units.values())


def test_members_only_on_branches_and_no_mismatch(demo):
    state = demo.service.state()
    for unit in state.units.values():
        if unit.level == "branch":
            assert set(unit.members) == set(demo.summary["years"])
            assert 10 <= unit.members[2024] <= 80
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
        members = sum(u.members[year] for u in state.units.values() if u.level == "branch")
        assert service.unit_figures(root.id, year).target == rate_target(rate, members)


def test_phuoc_my_has_22_allocated_to_every_branch_and_its_30_from_the_class(demo):
    service = demo.service
    state = service.state()
    phuoc_my = service.resolve_unit("phuoc my")
    figures = service.unit_figures("phuoc my", 2024)
    assert figures.target == 22
    branch_targets = [state.quotas[(b, 2024)].target for b in state.children[phuoc_my.id]]
    assert min(branch_targets) >= 1 and sum(branch_targets) == 22
    finished_class_2024 = [c for c in service.candidates("phuoc my", include_exited=True)
                           if c.stage_date("class") and c.stage_date("class").year == 2024]
    assert len(finished_class_2024) >= 30


def test_allocation_warning_only_for_the_uneven_district(demo):
    for year in demo.summary["years"]:
        gaps = [p["unit"] for key, p in demo.service.warnings(year) if key == "check.allocation_gap"]
        assert gaps == [f"{CITY}/{UNEVEN_DISTRICT}"]


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
