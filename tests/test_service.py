"""db.service: what staff do, as every front end asks for it (today is Fri 15/11/2024)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from db.errors import PtdvError
from db import model
from db.model import STAGES, Candidate
from db.rules import SEVERITIES
from db.workdays import add_workdays

from conftest import TODAY, part_holding


def refused(key: str, call, *args, **kwargs) -> PtdvError:
    with pytest.raises(PtdvError) as err:
        call(*args, **kwargs)
    assert err.value.key == key, err.value
    return err.value


def unchanged_after(service, key: str, call, *args, **kwargs) -> PtdvError:
    """A refused write leaves the file as it was."""
    before = service.store.path.read_bytes()
    err = refused(key, call, *args, **kwargs)
    assert service.store.path.read_bytes() == before
    return err


# -- units ------------------------------------------------------------------------------
def test_add_unit_takes_the_level_below_its_parent_and_is_found_by_path(small):
    service, ids = small
    unit = service.add_unit("Chi bộ khu dân cư số 2", "phường Phước Mỹ")
    assert unit.level == "branch" and unit.parent == ids["phuoc_my"]
    assert service.resolve_unit("Son Tra/Phuoc My/khu dan cu so 2").id == unit.id
    assert service.state().path(unit.id) == "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ/" \
                                            "Chi bộ khu dân cư số 2"


def test_add_unit_refuses_a_duplicate_name_or_an_unknown_level(small):
    service, ids = small
    err = unchanged_after(service, "unit.duplicate", service.add_unit, "chi bộ khu dân cư số 1", ids["phuoc_my"])
    assert "Phước Mỹ" in err.message("vi")
    unchanged_after(service, "unit.unknown_level", service.add_unit, "Tổ đảng 1", ids["pm1"], "cell")
    # The same name under another parent is fine: An Hải Bắc has its own "Chi bộ khu dân cư số 1".
    assert service.state().units[ids["ahb1"]].name == service.state().units[ids["pm1"]].name


def test_rename_unit_keeps_its_place_and_is_audited(small):
    service, ids = small
    renamed = service.rename_unit(ids["tt2"], "Chi bộ Trạm y tế phường")
    assert renamed.parent == ids["thach_thang"] and renamed.rev == 2
    assert service.resolve_unit("Trạm y tế phường").id == ids["tt2"]
    entry = service.log()[-1]
    assert entry["action"] == "unit.rename"
    assert (entry["before"]["name"], entry["after"]["name"]) == ("Chi bộ Trạm y tế", "Chi bộ Trạm y tế phường")
    unchanged_after(service, "input.required", service.rename_unit, ids["tt2"], "   ")


def test_rename_or_move_onto_a_sibling_name_is_refused(small):
    service, ids = small
    unchanged_after(service, "unit.duplicate", service.rename_unit, ids["pm2"], "Chi bộ khu dân cư số 1")
    # An Hải Bắc's "Chi bộ khu dân cư số 1" cannot join Phước Mỹ, which has one of that name.
    unchanged_after(service, "unit.duplicate", service.move_unit, ids["ahb1"], ids["phuoc_my"])
    assert service.rename_unit(ids["pm1"], "CHI BỘ KHU DÂN CƯ SỐ 1").name == "CHI BỘ KHU DÂN CƯ SỐ 1"  # itself


def test_move_unit_moves_its_candidates_figures_with_it(small):
    service, ids = small
    assert service.unit_figures(ids["hai_chau"], 2024).admitted == 0
    assert service.unit_figures(ids["son_tra"], 2024).admitted == 2
    service.move_unit(ids["phuoc_my"], ids["hai_chau"])
    assert service.state().units[ids["phuoc_my"]].parent == ids["hai_chau"]
    assert service.unit_figures(ids["hai_chau"], 2024).admitted == 1   # Nguyễn Văn An, decided 01/07/2024
    assert service.unit_figures(ids["son_tra"], 2024).admitted == 1    # Phạm Thị Dung stays
    assert service.unit_figures(ids["city"], 2024).admitted == 2


def test_a_unit_cannot_move_under_itself_or_its_descendants(small):
    service, ids = small
    for target in ("pm1", "phuoc_my"):
        err = unchanged_after(service, "unit.move_into_itself", service.move_unit, ids["son_tra"], ids[target])
        assert "Sơn Trà" in err.message("en")
    unchanged_after(service, "unit.move_into_itself", service.move_unit, ids["city"], ids["tt1"])
    assert service.check() == []


def test_set_members_and_clearing_it_falls_back_to_the_branches_sum(small):
    service, ids = small
    assert service.unit_figures(ids["phuoc_my"], 2024).members == 45 + 20
    service.set_members(ids["phuoc_my"], "70", 2024)
    fig = service.unit_figures(ids["phuoc_my"], 2024)
    assert (fig.members, fig.members_mismatch) == (70, True)
    service.set_members(ids["phuoc_my"], None, 2024)
    assert service.unit_figures(ids["phuoc_my"], 2024).members == 65
    unchanged_after(service, "input.negative", service.set_members, ids["pm1"], -3, 2024)
    unchanged_after(service, "input.not_a_number", service.set_members, ids["pm1"], "bốn lăm", 2024)


@pytest.mark.parametrize("typed, count", [("1.234", 1234), ("1,234", 1234), ("139.534", 139534), (" 22 ", 22), (45, 45)])
def test_member_counts_accept_thousands_separators(small, typed, count):
    service, ids = small
    assert service.set_members(ids["phuoc_my"], typed, 2024).members[2024] == count


@pytest.mark.parametrize("typed", ["4.5", "2,5", "12.34", "1.2345", "1.234,5", "bốn lăm", ""])
def test_member_counts_refuse_fractions_and_malformed_numbers(small, typed):
    service, ids = small
    if typed:
        unchanged_after(service, "input.not_a_number", service.set_members, ids["phuoc_my"], typed, 2024)
    unchanged_after(service, "input.not_a_number", service.set_quota, ids["phuoc_my"], 2024, target=typed)


# -- quotas ------------------------------------------------------------------------------
def test_set_quota_takes_a_target_or_a_rate(small):
    service, ids = small
    # The city's 4% applies to the branches' 167 members (45+20+38+52+12): 6.68 rounds up to 7.
    assert service.unit_figures(ids["city"], 2024).target == 7
    service.set_quota(ids["son_tra"], 2024, target="5")
    assert service.unit_figures(ids["son_tra"], 2024).target == 5
    service.set_quota(ids["son_tra"], 2024, rate="3,5%")   # replaces the number: 3.5% of 103 = 3.605 -> 4
    fig = service.unit_figures(ids["son_tra"], 2024)
    assert (fig.rate, fig.target) == (3.5, 4)
    assert sum(1 for q in service.state().quotas if q == (ids["son_tra"], 2024)) == 1
    assert [e["action"] for e in service.log()[-2:]] == ["quota.set", "quota.set"]


@pytest.mark.parametrize("kwargs, key", [
    ({"target": 5, "rate": 4}, "quota.target_or_rate"),
    ({}, "quota.target_or_rate"),
    ({"target": -1}, "input.negative"),
    ({"target": "nhiều"}, "input.not_a_number"),
    ({"rate": "-1%"}, "quota.bad_rate"),
    ({"rate": "150%"}, "quota.bad_rate"),
    ({"rate": "nan"}, "quota.bad_rate"),
])
def test_set_quota_refuses(small, kwargs, key):
    service, ids = small
    unchanged_after(service, key, service.set_quota, ids["son_tra"], 2024, **kwargs)


def test_suggest_then_allocate_closes_the_allocation_gap(small):
    service, ids = small
    assert service.unit_figures(ids["phuoc_my"], 2024).allocation_gap == 4   # 4, branches have no targets
    suggestion = service.suggest_allocation(ids["phuoc_my"], 2024)
    # 4 split as 45:20 is 2.77 and 1.23; the larger remainder gets the fourth.
    assert suggestion == {ids["pm1"]: 3, ids["pm2"]: 1}
    service.allocate(ids["phuoc_my"], suggestion, 2024)
    fig = service.unit_figures(ids["phuoc_my"], 2024)
    assert (fig.children_target, fig.allocation_gap, fig.children_without_target) == (4, 0, 0)
    assert not any(k == "check.allocation_gap" and "Phước Mỹ" in p["unit"] for k, p in service.warnings(2024))
    # Only direct children: a branch of another ward is refused, and nothing of the allocation is written.
    unchanged_after(service, "quota.not_a_child", service.allocate, ids["phuoc_my"],
                    {ids["pm1"]: 1, ids["tt1"]: 1}, 2024)


# -- candidates --------------------------------------------------------------------------
def test_add_candidate_only_on_a_branch(small):
    service, ids = small
    err = unchanged_after(service, "candidate.not_a_branch", service.add_candidate, ids["phuoc_my"], "Đỗ Văn Giang")
    assert "Phước Mỹ" in err.message("vi")
    cand = service.add_candidate("Phước Mỹ/Trường THCS", "Đỗ Văn Giang", date_="01/11/2024", gender="male")
    assert (cand.unit, cand.stage, cand.stage_date("source"), cand.rev) == (ids["pm2"], "source", date(2024, 11, 1), 1)


@pytest.mark.parametrize("values, key", [
    ({"stage": "class"}, "candidate.starts_at_source"),
    ({"date_": "16/11/2024"}, "stage.future_date"),
    ({"gender": "other"}, "candidate.bad_gender"),
    ({"born": "30/02/2000"}, "input.bad_date"),
    ({"born": "01/01/2030"}, "candidate.bad_birth"),
    ({"religion_": "x"}, "candidate.unknown_field"),
    ({"tags": ["youth union"]}, "candidate.bad_tag"),
])
def test_add_candidate_refuses_bad_fields(small, values, key):
    service, ids = small
    unchanged_after(service, key, service.add_candidate, ids["pm1"], "Đỗ Văn Giang", **values)


def test_edit_validates_and_keeps_a_trail(small):
    service, ids = small
    cand = service.edit(ids["cand5"], {"born": "5/3/1999", "education": "university", "tags": ["renter", "remote"],
                                       "notes": "  Bố   là thương binh "}, expected_rev=1)
    assert (cand.born, cand.education, cand.tags, cand.notes, cand.rev) == \
        (date(1999, 3, 5), "university", ("renter", "remote"), "Bố là thương binh", 2)
    entry = service.log()[-1]
    assert entry["action"] == "candidate.edit" and entry["before"]["education"] is None
    assert entry["after"]["education"] == "university"
    for values, key in (({"name": ""}, "input.required"), ({"occupation": "pilot"}, "candidate.bad_occupation"),
                        ({"stage": "official"}, "candidate.unknown_field"), ({"history": []}, "candidate.unknown_field"),
                        ({"notes": "x\x1b[2Jy"}, "input.control_chars"), ({"born": "abc"}, "input.bad_date")):
        unchanged_after(service, key, service.edit, ids["cand5"], values)
    refused("candidate.not_found", service.edit, 999, {"notes": "x"})


def test_advance_records_the_next_stage_and_refuses_a_skip(small):
    service, ids = small
    cand = service.advance(ids["cand5"], None, "12/11/2024")
    assert (cand.stage, cand.stage_date("class")) == ("class", date(2024, 11, 12))
    err = unchanged_after(service, "stage.skipped", service.advance, ids["cand5"], "verified", "13/11/2024")
    assert err.params["expected"] == "dossier"
    unchanged_after(service, "stage.before_previous", service.advance, ids["cand5"], None, "11/11/2024")


def test_exit_needs_a_reason(small):
    service, ids = small
    unchanged_after(service, "exit.reason_required", service.exit, ids["cand2"], "   ")
    left = service.exit(ids["cand2"], "Chuyển công tác ra Hà Nội", kind="withdrawn", day="14/11/2024")
    assert (left.live, left.exit.reason, left.exit.date) == (False, "Chuyển công tác ra Hà Nội", date(2024, 11, 14))
    assert ids["cand2"] not in [c.id for c in service.candidates(ids["pm1"])]
    assert ids["cand2"] in [c.id for c in service.candidates(ids["pm1"], include_exited=True)]
    unchanged_after(service, "candidate.exited", service.advance, ids["cand2"])
    unchanged_after(service, "candidate.exited", service.exit, ids["cand2"], "again")


def test_move_candidate_to_another_branch_only(small):
    service, ids = small
    moved = service.move_candidate(ids["cand5"], ids["tt2"])
    assert moved.unit == ids["tt2"]
    unchanged_after(service, "candidate.not_a_branch", service.move_candidate, ids["cand5"], ids["thach_thang"])


def test_candidates_filters_by_unit_stage_and_overdue(small):
    service, ids = small
    everyone = service.candidates()
    assert len(everyone) == 6
    assert [STAGES.index(c.stage) for c in everyone] == sorted(STAGES.index(c.stage) for c in everyone)
    assert {c.id for c in service.candidates(ids["phuoc_my"])} == {ids["cand1"], ids["cand2"], ids["cand3"]}
    assert [c.id for c in service.candidates(ids["son_tra"], stage="branch")] == [ids["cand3"]]
    # Overdue today: only Nguyễn Văn An, decided 01/07/2024 and still without a ceremony.
    assert [c.id for c in service.candidates(overdue=True)] == [ids["cand1"]]
    refused("stage.unknown", service.candidates, None, stage="promoted")
    refused("unit.not_found", service.candidates, "Ngũ Hành Sơn")


def test_due_lists_overdue_then_due_soon_then_warnings(small):
    service, ids = small
    old = service.add_candidate(ids["tt1"], "Đinh Văn Hùng", date_="01/01/2019")
    service.advance(old.id, "class", "10/11/2019")                  # certificate expired on 10/11/2024
    lone = service.add_candidate(ids["tt1"], "Mai Thị Lan", date_="01/09/2024", introducers=["Ngô Văn Hai"])
    service.advance(lone.id, "class", "01/10/2024")
    service.advance(lone.id, "dossier", "01/11/2024")               # one introducer of two
    got = [(i.candidate.id, i.finding.code, i.finding.severity) for i in service.due()]
    assert got == [
        (ids["cand1"], "ceremony", "overdue"),    # due 12/08/2024, 30 working days after 01/07/2024
        (old.id, "certificate", "overdue"),       # due 10/11/2024
        (ids["cand3"], "decision", "due"),        # branch vote 03/09/2024: due 26/11/2024
        (ids["cand2"], "papers", "warning"),      # at the dossier: no paper received yet
        (lone.id, "introducers", "warning"),
        (lone.id, "papers", "warning"),
    ]
    assert service.due()[0].finding.due == add_workdays(date(2024, 7, 1), 30) == date(2024, 8, 12)
    assert service.due()[2].finding.due == date(2024, 11, 26)
    assert [i.candidate.id for i in service.due(ids["hai_chau"])] == [old.id, lone.id, lone.id]
    assert all(SEVERITIES.index(i.finding.severity) < SEVERITIES.index("upcoming") for i in service.due())


def test_days_in_stage(small):
    service, ids = small
    assert service.days_in_stage(service.candidate(ids["cand5"])) == (TODAY - date(2024, 10, 10)).days == 36


# -- audit and integrity -------------------------------------------------------------------
def test_log_by_unit_and_since(small):
    service, ids = small
    ward = service.log(ids["phuoc_my"])
    assert ward and all(e["unit"] in {ids["phuoc_my"], ids["pm1"], ids["pm2"]} for e in ward)
    adds = [e for e in ward if e["action"] == "candidate.add"]
    assert sorted(int(e["target"].split(":")[1]) for e in adds) == [ids["cand1"], ids["cand2"], ids["cand3"]]
    assert len(service.log()) > len(ward)
    written = date.fromisoformat(service.log()[-1]["at"][:10])   # the audit keeps the real time of the write
    assert service.log(since=written) == service.log()
    assert service.log(since=(written + timedelta(days=1)).strftime("%d/%m/%Y")) == []
    refused("input.bad_date", service.log, None, "yesterday")


def test_check_finds_nothing_in_a_store_built_through_the_service(small):
    service, _ = small
    assert service.check() == []


def _hand_edit(service, table: str, doc_id: int, **changes) -> None:
    """Change a record's fields as a hand edit of the files would, past every rule."""
    with service.store.transaction() as tx:
        if table == "candidates":
            tx.put_candidate(Candidate.from_doc(doc_id, {**tx.state.candidate(doc_id).to_doc(), **changes}))
        elif table == "units" and tx.placed(doc_id) is not None:  # where the unit index puts a branch in the tree
            place = {**tx.placed(doc_id), **changes}
            tx.branches.set(doc_id, (place["parent"], place["name"]))
        else:
            tx.put_unit(replace(tx.state.units[doc_id], **changes))


def test_check_finds_hand_made_inconsistencies(small):
    service, ids = small
    _hand_edit(service, "candidates", ids["cand2"], history=[
        {"stage": "source", "date": "2024-01-05"}, {"stage": "dossier", "date": "2024-03-11"},
        {"stage": "class", "date": "2024-02-10"}])
    _hand_edit(service, "candidates", ids["cand6"], history=[
        {"stage": "source", "date": "2024-03-01"}, {"stage": "class", "date": "2024-02-01"}])
    _hand_edit(service, "candidates", ids["cand5"], unit=ids["thach_thang"])
    _hand_edit(service, "units", ids["tt2"], parent=999)
    found = service.check()
    outside = {"check.file_changed", "check.file_unknown"}
    problems = {(key, params.get("id", params.get("unit"))) for key, params in found if key not in outside}
    assert problems == {
        ("check.candidate_order", ids["cand2"]), ("check.candidate_dates", ids["cand2"]),
        ("check.candidate_dates", ids["cand6"]),
        ("check.candidate_not_branch", ids["cand5"]),
        ("check.unit_parent", ids["tt2"]), ("check.unit_record", ids["tt2"]),
        ("check.unit_unplaced", ids["tt2"]),   # and Thạch Thang's part keeps a record nothing places there
    }
    # the edits did not go through ptdv's audited writes: each file they changed or made is named
    changed = {(key, Path(params["path"]).name) for key, params in found if key in outside}
    assert changed == {("check.file_changed", "units0.json"),
                       ("check.file_changed", part_holding(service.store.path, ids["cand2"]).name),
                       ("check.file_changed", f"p{ids['thach_thang']}.json"),  # cand5 left its branch's part ...
                       ("check.file_unknown", part_holding(service.store.path, ids["cand5"]).name),  # ... for a new one
                       ("check.file_changed", "ids0.json")}  # and the candidate index says where it is now


def test_check_finds_a_cycle_without_hanging(small):
    service, ids = small
    _hand_edit(service, "units", ids["city"], parent=ids["pm1"])   # the top unit now sits under one of its branches
    problems = service.check()
    assert ("check.root_parent", {"unit": ids["city"], "parent": ids["pm1"]}) in problems
    # ... and the branch now has a unit under it, so its candidates are no longer on a branch.
    assert {key for key, _ in problems} == {"check.root_parent", "check.candidate_not_branch", "check.file_changed"}
    assert service.unit_figures(ids["city"], 2024).admitted == 2   # the figures still add up, once each


def test_warnings_name_member_and_allocation_gaps(small):
    service, ids = small
    service.set_members(ids["son_tra"], 120, 2024)                 # its branches add up to 103
    found = service.warnings(2024)
    assert ("check.members_mismatch", {"unit": "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà", "own": 120,
                                       "children": 103, "year": 2024}) in found
    gaps = {p["unit"].rsplit("/", 1)[-1]: p["gap"] for k, p in found if k == "check.allocation_gap"}
    # The city asks 4% of 184 members (120 + 64) = 7.36 -> 8, and neither district has a target.
    assert gaps == {"Đảng bộ thành phố Đà Nẵng": 8, "Đảng ủy phường Phước Mỹ": 4, "Đảng ủy phường Thạch Thang": 3}
    assert service.check() == []   # warnings are not integrity problems


def test_a_record_read_back_equals_the_one_written_and_an_old_one_gets_the_defaults():
    """model.built fills records without their constructor: what it makes must be the constructor's."""
    cand = Candidate(id=7, unit=3, name="Lê Thị Hoa", born=date(2000, 1, 2), tags=("youth",), renter=True)
    cand = cand.with_(history=(model.StageEntry("source", date(2024, 3, 1), "root", "2024-03-01T08:00:00", unit=3),),
                      papers=(model.Paper("letter", date(2024, 3, 2), "root", "2024-03-02T08:00:00"),))
    back = Candidate.from_doc(7, cand.to_doc())
    assert back == cand and hash(back) == hash(cand) and vars(back) == vars(cand)
    assert Candidate.from_doc(8, {"unit": 3, "name": "Trần Văn An"}) == Candidate(id=8, unit=3, name="Trần Văn An")


def test_a_candidate_with_changes_is_the_one_the_constructor_makes_and_refuses_an_unknown_field():
    cand = Candidate(id=7, unit=3, name="Lê Thị Hoa")
    changed = cand.with_(name="Lê Thị Hòa", renter=True)
    assert changed == replace(cand, name="Lê Thị Hòa", renter=True) and vars(changed) == vars(
        replace(cand, name="Lê Thị Hòa", renter=True))
    assert cand.name == "Lê Thị Hoa"  # the record it came from is unchanged
    with pytest.raises(TypeError):
        cand.with_(nickname="Hoa")
