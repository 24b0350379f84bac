"""Made-up stores at three sizes (db.generate): a ward written in full, the city's shape written at
a fiftieth of its size, and the full city and metro sizes planned without writing."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from db import rules
from db.errors import PtdvError
from db.generate import FIRMS_BLOC, PEOPLES_COMMITTEE_BLOC, _Generator, generate, plan
from db.model import COUNTS_TOWARD_QUOTA, STAGES, Candidate, StageEntry
from db.quota import rate_target
from db.service import Service
from db.store import Store
from conftest import raw_tables, store_bytes

TODAY = date(2025, 9, 30)
YEARS = [2023, 2024, 2025]
CITY_FRACTION = 0.02
CHANGE_DAY = date(2025, 7, 1)  # the reorganisation of the city and metro stores


def new_service(path) -> Service:
    return Service(Store(path), today=TODAY)


@pytest.fixture(scope="module")
def ward(tmp_path_factory) -> tuple[Service, dict]:
    service = new_service(tmp_path_factory.mktemp("ward") / "ptdv.json")
    return service, generate(service, "ward", seed=1)


@pytest.fixture(scope="module")
def city_part(tmp_path_factory) -> tuple[Service, dict]:
    """The city's shape at a fiftieth of its size."""
    service = new_service(tmp_path_factory.mktemp("city") / "ptdv.json")
    return service, generate(service, "city", seed=1, fraction=CITY_FRACTION)


@pytest.fixture(scope="module", params=["city", "metro"])
def full(request) -> tuple[str, dict]:
    return request.param, plan(request.param, seed=1, today=TODAY)


def reopened(service: Service) -> Service:
    """The store as another process sees it."""
    return Service(Store(service.store.path), today=TODAY)


def records(service: Service) -> dict:
    """The stored tables but the timestamps of when things were recorded and the audit trail."""
    data = raw_tables(service.store.path)
    for cand in data["candidates"].values():
        for entry in cand["history"] + ([cand["exit"]] if cand["exit"] else []) + cand.get("papers", []):
            del entry["at"]
    del data["meta"]["1"]["created_at"]
    return data


def counted(service: Service) -> dict:
    """The summary's figures, counted in the store."""
    state = service.state()
    figures = service.figures(YEARS[-1])
    return {"units": len(state.units), "levels": dict(Counter(u.level for u in state.units.values())),
            "members": figures[state.root].members, "candidates": len(state.candidates),
            "live": sum(c.live for c in state.candidates.values()), "quotas": len(state.quotas), "years": YEARS}


def without_seconds(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "seconds"}


# -- the ward, in full ----------------------------------------------------------------------
def test_ward_store_reopens_without_problems_and_matches_its_summary(ward):
    service, summary = ward
    again = reopened(service)
    assert again.check() == []
    assert counted(again) == without_seconds(summary)
    assert [entry["action"] for entry in again.log()] == ["store.init", "demo.generate"]
    assert summary["seconds"] < 1.0


def test_ward_is_one_ward_committee_over_about_twenty_branches(ward):
    service, summary = ward
    state = service.state()
    root = service.root()
    assert re.fullmatch(r"Đảng ủy phường \w+( \w+)*", root.name)
    assert root.level == "grassroots"
    branches = state.children[root.id]
    assert 15 <= len(branches) <= 30
    assert all(state.is_leaf(b) and state.units[b].level == "branch" for b in branches)
    assert 100 <= summary["members"] <= 1500
    assert 30 <= summary["candidates"] <= 120


def test_members_only_on_branches_and_quotas_add_up(ward):
    service, _ = ward
    state = service.state()
    for unit in state.units.values():
        assert (unit.members != {}) == state.is_leaf(unit.id)
        if unit.members:
            assert sorted(unit.members) == YEARS and min(unit.members.values()) >= 3
    for year in YEARS:
        assert service.warnings(year) == []  # no member mismatch, no allocation gap


def test_the_roots_target_is_its_rate_of_the_members(ward):
    service, _ = ward
    state = service.state()
    root = service.root()
    for year in YEARS:
        quota = state.quotas[(root.id, year)]
        assert quota.rate in (3.0, 3.5, 4.0)
        members = sum(u.members[year] for u in state.units.values() if u.members)
        assert service.unit_figures(root.id, year).target == rate_target(quota.rate, members)


def test_the_roll_up_counts_every_candidate_decided_in_each_year(ward):
    service, _ = ward
    cands = service.state().candidates.values()
    for year in YEARS:
        decided = [c for c in cands if c.stage_date(COUNTS_TOWARD_QUOTA)
                   and c.stage_date(COUNTS_TOWARD_QUOTA).year == year]
        assert decided
        assert service.unit_figures(service.root().id, year).admitted == len(decided)


def test_every_stage_has_live_candidates(ward):
    service, _ = ward
    assert {c.stage for c in service.state().candidates.values() if c.live} == set(STAGES)


def test_nothing_is_after_today_and_histories_obey_the_rules(ward):
    service, _ = ward
    for cand in service.state().candidates.values():
        replay = Candidate(id=cand.id, unit=cand.unit, name=cand.name, youth_union=cand.youth_union)
        for entry in cand.history:
            assert entry.by == service.user
            rules.check_advance(replay, entry.stage, entry.date, TODAY)  # in order, never after today
            replay = replay.with_(history=replay.history + (StageEntry(entry.stage, entry.date, "", ""),))
        if cand.exit:
            rules.check_exit(replay, cand.exit.kind, cand.exit.reason, cand.exit.date, TODAY)


def test_records_are_stored_as_the_model_writes_them(ward):
    service, _ = ward
    data = raw_tables(service.store.path)
    for doc_id, doc in data["candidates"].items():
        assert Candidate.from_doc(int(doc_id), doc).to_doc() == doc


def test_same_seed_same_records_other_seed_other_records(ward, tmp_path):
    service, _ = ward
    again = new_service(tmp_path / "again.json")
    generate(again, "ward", seed=1)
    assert records(again) == records(service)
    other = new_service(tmp_path / "other.json")
    generate(other, "ward", seed=2)
    assert records(other)["candidates"] != records(service)["candidates"]
    assert records(other)["units"] != records(service)["units"]


def test_refuses_an_existing_store_and_an_unknown_scale(ward, tmp_path):
    service, _ = ward
    before = service.store.path.read_bytes()
    with pytest.raises(PtdvError) as err:
        generate(reopened(service), "ward")
    assert err.value.key == "store.exists"
    assert service.store.path.read_bytes() == before
    with pytest.raises(ValueError, match="country"):
        generate(new_service(tmp_path / "x.json"), "country")
    assert not (tmp_path / "x.json").exists()


# -- the city's shape at a fiftieth -------------------------------------------------------
def test_city_part_is_what_the_plan_says(city_part):
    service, summary = city_part
    assert without_seconds(summary) == plan("city", seed=1, today=TODAY, fraction=CITY_FRACTION)
    assert counted(reopened(service)) == without_seconds(summary)
    assert service.check() == []
    assert summary["seconds"] < 3.0


def test_city_has_no_districts_the_city_is_over_wards_communes_and_blocs(city_part):
    service, _ = city_part
    state = service.state()
    depth_of_level = {"city": 0, "district": 1, "grassroots": 2, "branch": 3}
    assert all(state.depth(u.id) == depth_of_level[u.level] for u in state.units.values())
    assert all(state.is_leaf(u.id) == (u.level == "branch") for u in state.units.values() if not u.ended)
    top = [state.units[uid].name for uid in state.children[state.root]]
    assert any(name.startswith("Đảng ủy phường ") for name in top)
    assert any(name.startswith("Đảng ủy xã ") for name in top)
    assert {"Đảng ủy các cơ quan Đảng thành phố", "Đảng ủy Ủy ban nhân dân thành phố",
            "Đảng ủy Quân sự thành phố"} <= set(top)
    for uid in state.units:  # names are unique under each parent
        names = [state.units[kid].name.casefold() for kid in state.children[uid]]
        assert len(names) == len(set(names))


def test_city_candidates_are_about_a_kilobyte_and_some_are_overdue(city_part):
    service, summary = city_part
    assert 600 <= store_bytes(service.store.path) / summary["candidates"] <= 2000  # with the dossier's papers
    due = service.due()
    assert {"decision", "ceremony", "recognition"} & {i.finding.code for i in due if i.finding.severity == "overdue"}
    assert {c.stage for c in service.state().candidates.values() if c.live} == set(STAGES)


def test_city_people_fit_their_branches(city_part):
    service, _ = city_part
    state = service.state()
    cands = list(state.candidates.values())
    for cand in cands:
        branch = state.units[cand.unit].name
        if branch.startswith("Chi bộ Xí nghiệp") or state.units[state.units[cand.unit].parent].name.startswith(
                ("Đảng bộ Công ty", "Đảng ủy Công ty")):
            assert cand.occupation == "non_state_worker"
        if cand.stage_date("branch"):
            assert 18 <= rules.age_on(cand.born, cand.stage_date("branch")) <= 60
    kinh = sum(c.ethnicity == "Kinh" for c in cands)
    assert 0.8 * len(cands) < kinh < len(cands)
    assert len({c.name for c in cands}) > 0.8 * len(cands)


def test_city_part_carries_a_reorganisation(city_part):
    """Two former areas of the first ward committee merged on 1/7/2025 into a new one, their branches with it."""
    service, _ = city_part
    state = service.state()
    ended = [u for u in state.units.values() if u.ended]
    assert len(ended) >= 2 and all(u.ended == CHANGE_DAY and u.end == "merged" for u in ended)
    merged, = {s for u in ended for s in u.successors}
    assert state.units[merged].began == CHANGE_DAY
    assert state.parent_of(merged) == ended[0].parent
    moved = [u for u in state.units.values() if u.earlier]
    assert moved and all(u.parent == merged and u.earlier[0][0] == CHANGE_DAY for u in moved)
    before = state.on(CHANGE_DAY - timedelta(days=1))
    assert all(before.parent_of(u.id) in {e.id for e in ended} for u in moved)
    assert not before.exists(merged) and all(before.exists(e.id) for e in ended)
    for year in YEARS:  # planned in the tree of each 1 January: the new unit has no quota of its own for 2025
        assert ((merged, year) in state.quotas) == (year > CHANGE_DAY.year)
        assert all((e.id, year) in state.quotas for e in ended)
    assert all(entry.unit == cand.unit for cand in state.candidates.values() for entry in cand.history)


# -- the full sizes, planned ----------------------------------------------------------------
TARGETS = {  # (units, committees under the top, grassroots, branches, members, live candidates)
    "city": ((5_000, 6_500), (90, 100), (780, 900), (4_500, 5_500), (130_000, 160_000), (18_000, 30_000)),
    "metro": ((18_000, 23_000), (150, 300), (2_000, 3_500), (15_000, 19_000), (480_000, 580_000), (70_000, 105_000)),
}


def test_full_trees_carry_a_reorganisation(full):
    """Besides the merge, a bloc committee of firms dissolved on the day, its firms under the People's
    Committee's bloc since."""
    scale, _ = full
    gen = _Generator(scale, 1, TODAY, 1.0)
    root = gen.tree()
    ended = [node for node in root.walk() if node.ended]
    assert {(node.level, node.end) for node in ended} == {("grassroots", "merged"), ("district", "dissolved")}
    assert all(node.ended == CHANGE_DAY for node in ended)
    bloc, = [node for node in ended if node.end == "dissolved"]
    assert bloc.name == FIRMS_BLOC and not bloc.children and bloc.former
    people = next(node for node in root.children if node.name == PEOPLES_COMMITTEE_BLOC)
    assert all(firm in people.children and firm.earlier == [(CHANGE_DAY, bloc)] for firm in bloc.former)
    assert set(bloc.former) <= set(people.kids_on(CHANGE_DAY)) and not set(bloc.former) & set(
        people.kids_on(CHANGE_DAY - timedelta(days=1)))


def test_full_sizes_are_the_city_and_the_largest_city(full):
    scale, summary = full
    units, committees, grassroots, branches, members, live = TARGETS[scale]
    levels = summary["levels"]
    assert levels["city"] == 1 and sum(levels.values()) == summary["units"]
    for value, (low, high) in ((summary["units"], units), (levels["district"], committees),
                               (levels["grassroots"], grassroots), (levels["branch"], branches),
                               (summary["members"], members), (summary["live"], live)):
        assert low <= value <= high
    assert summary["live"] <= summary["candidates"] <= 1.1 * summary["live"]
    assert summary["years"] == YEARS
