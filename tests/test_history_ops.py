"""Changes of the organisation on a date (docs/HISTORY.md, "Changes"): merge, split, close and move units,
transfer a candidate; from the service and from the command line.  Today is 15/11/2025: the small store's
2024 is history, and the wards of Sơn Trà merge on 01/07/2025 as they did."""
from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.service import Service
from db.store import Store
from tui.cli import main

from conftest import build_small, part_holding, receive_papers

TODAY = date(2025, 11, 15)
JULY = date(2025, 7, 1)
JUNE_30 = date(2025, 6, 30)
CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


@pytest.fixture
def small(store_path):
    service = Service(Store(store_path), today=TODAY)
    return service, build_small(service)


def refused(key: str, call, *args, **kwargs) -> PtdvError:
    """``call`` is refused with message ``key``, and the store's files are as they were."""
    store = call.__self__.store
    files = sorted(store.path.parent.rglob("*.json"))
    before = {p: p.read_bytes() for p in files if not p.name.endswith((".sum.json", ".rep.json"))}
    with pytest.raises(PtdvError) as err:
        call(*args, **kwargs)
    assert err.value.key == key, err.value
    assert {p: p.read_bytes() for p in before} == before
    assert "{" not in err.value.message("vi") and "{" not in err.value.message("en")  # every parameter given
    return err.value


def fresh(service: Service) -> Service:
    """Another session over the same files, to see what the write left in them."""
    return Service(Store(service.store.path), today=TODAY)


# -- merge ---------------------------------------------------------------------------------------
def test_two_wards_merge_into_a_new_ward_that_takes_their_branches_from_that_day(small):
    service, ids = small
    an_hai = service.merge_units([ids["phuoc_my"], "phường An Hải Bắc"], "Đảng ủy phường An Hải", "01/07/2025")
    state = fresh(service).state()
    assert (an_hai.began, an_hai.parent, an_hai.level) == (JULY, ids["son_tra"], "grassroots")
    for old in ("phuoc_my", "an_hai_bac"):
        unit = state.units[ids[old]]
        assert (unit.ended, unit.end, unit.successors) == (JULY, "merged", (an_hai.id,))
    # Today Sơn Trà has the new ward only; on 30/06/2025 it still had the two old ones with their branches.
    assert state.children[ids["son_tra"]] == [an_hai.id]
    assert sorted(state.children[an_hai.id]) == sorted([ids["pm1"], ids["pm2"], ids["ahb1"]])
    before = state.on(JUNE_30)
    assert sorted(before.children[ids["son_tra"]]) == sorted([ids["phuoc_my"], ids["an_hai_bac"]])
    assert before.parent_of(ids["pm1"]) == ids["phuoc_my"] and before.parent_of(ids["ahb1"]) == ids["an_hai_bac"]
    assert state.path(ids["pm2"]).endswith("Đảng ủy phường An Hải/Chi bộ Trường THCS Phước Mỹ")
    assert not state.on(JULY).exists(ids["phuoc_my"]) and state.on(JUNE_30).exists(ids["phuoc_my"])


def test_a_merge_keeps_candidates_history_moves_their_records_to_the_new_part_and_leaves_the_store_clean(small):
    service, ids = small
    an_hai = service.merge_units([ids["phuoc_my"], ids["an_hai_bac"]], "Đảng ủy phường An Hải", JULY)
    again = fresh(service)
    dung = again.candidate(ids["cand4"])
    assert dung.unit == ids["ahb1"] and dung.moves == ()  # the branch moved, not the candidate
    assert {e.unit for e in dung.history} == {ids["ahb1"]}
    # the branches' records and candidates now live in the new ward's part; the old wards stay in the catalogue
    for cand in ("cand1", "cand3", "cand4"):
        assert part_holding(service.store.path, ids[cand]).name == f"p{an_hai.id}.json"
    catalogue = orjson.loads(service.store.path.read_bytes())
    assert catalogue["units"][str(ids["phuoc_my"])]["ended"] == "2025-07-01"
    assert catalogue["placed"][str(ids["pm1"])]["parent"] == an_hai.id
    assert again.check() == []
    actions = [e["action"] for e in again.log()[-6:]]
    assert set(actions) == {"unit.merge"}


def test_branches_merge_into_one_of_them_and_its_live_candidates_are_transferred(small):
    service, ids = small
    kept = service.merge_units([ids["pm1"], ids["pm2"]], ids["pm1"], JULY)
    state = fresh(service).state()
    assert kept.id == ids["pm1"] and state.units[ids["pm1"]].ended is None
    assert (state.units[ids["pm2"]].end, state.units[ids["pm2"]].successors) == ("merged", (ids["pm1"],))
    cuong = state.candidate(ids["cand3"])
    assert cuong.unit == ids["pm1"]
    assert [(m.on, m.source, m.target) for m in cuong.moves] == [(JULY, ids["pm2"], ids["pm1"])]
    assert {e.unit for e in cuong.history} == {ids["pm2"]}  # its stages stay where they happened
    assert cuong.unit_on(JUNE_30) == ids["pm2"]
    assert state.children[ids["phuoc_my"]] == [ids["pm1"]]
    assert fresh(service).check() == []


def test_a_ward_merges_into_the_ward_beside_it_named_by_name(small):
    service, ids = small
    successor = service.merge_units(["phường Phước Mỹ"], "phường An Hải Bắc", JULY)
    state = fresh(service).state()
    assert successor.id == ids["an_hai_bac"] and successor.ended is None
    assert state.units[ids["phuoc_my"]].successors == (ids["an_hai_bac"],)
    assert state.parent_of(ids["pm1"]) == ids["an_hai_bac"]
    assert state.on(JUNE_30).parent_of(ids["pm1"]) == ids["phuoc_my"]


def test_a_merge_refuses_what_makes_no_sense(small):
    service, ids = small
    refused("unit.merge_too_few", service.merge_units, [ids["phuoc_my"]], "Đảng ủy phường Mới", JULY)
    err = refused("unit.merge_levels", service.merge_units, [ids["phuoc_my"], ids["tt1"]], "X", JULY)
    assert "Phước Mỹ" in err.message("vi") and "--across-levels" in err.message("en")
    err = refused("unit.merge_no_common_parent", service.merge_units, [ids["phuoc_my"], ids["thach_thang"]],
                  "Đảng ủy phường Mới", JULY)
    assert "Quận ủy Sơn Trà" in err.message("vi") and "Quận ủy Hải Châu" in err.message("vi")
    refused("stage.future_date", service.merge_units, [ids["pm1"], ids["pm2"]], "Chi bộ mới", date(2025, 12, 1))
    refused("unit.merge_nested", service.merge_units, [ids["phuoc_my"], ids["pm1"]], "X", JULY,
            across_levels=True)
    an_hai = service.merge_units([ids["phuoc_my"], ids["an_hai_bac"]], "Đảng ủy phường An Hải", JULY)
    err = refused("unit.ended", service.merge_units, [ids["phuoc_my"], ids["thach_thang"]], "Y", "01/08/2025",
                  parent_ref=ids["city"])
    assert "01/07/2025" in err.message("vi")
    # the successor named is a unit that ended
    refused("unit.ended", service.merge_units, [an_hai.id], f"#{ids['phuoc_my']}", "01/08/2025")
    # a date on the day the new ward began: it would exist for no day
    service.add_unit("Đảng ủy phường Mân Thái", ids["son_tra"], "grassroots")
    err = refused("unit.date_before_began", service.merge_units, [an_hai.id, "Mân Thái"], an_hai.id, JULY)
    assert "01/07/2025" in err.message("en")


def test_wards_of_different_districts_merge_under_the_parent_given(small):
    service, ids = small
    new = service.merge_units([ids["phuoc_my"], ids["thach_thang"]], "Đảng ủy phường Mới", JULY,
                              parent_ref=ids["city"])
    state = fresh(service).state()
    assert state.parent_of(new.id) == ids["city"]
    assert fresh(service).check() == []


def test_restoring_the_version_before_a_merge_gives_back_the_same_tree_and_figures(small):
    service, ids = small
    service.set_quota(ids["phuoc_my"], 2025, target=5)
    before = fresh(service)
    version = before.backups()[0]["version"]
    state = before.state()
    units, tree = dict(state.units), {u: list(state.children.get(u, [])) for u in state.units}
    figures = before.figures(2025)
    service.merge_units([ids["phuoc_my"], ids["an_hai_bac"]], "Đảng ủy phường An Hải", JULY)
    service.restore(version)
    after = fresh(service)
    state = after.state()
    assert dict(state.units) == units
    assert {u: list(state.children.get(u, [])) for u in state.units} == tree
    assert after.figures(2025) == figures
    assert after.check() == []


# -- split ---------------------------------------------------------------------------------------
def test_a_split_refuses_a_child_left_unassigned_naming_it(small):
    service, ids = small
    err = refused("unit.split_unassigned", service.split_unit, ids["thach_thang"],
                  ["Đảng ủy phường Thạch Thang A", "Đảng ủy phường Thạch Thang B"],
                  {"khu dân cư số 3": "Đảng ủy phường Thạch Thang A"}, JULY)
    assert "Chi bộ Trạm y tế" in err.message("vi")
    refused("unit.split_unknown_target", service.split_unit, ids["thach_thang"], ["A", "B"],
            {"khu dân cư số 3": "C", "Trạm y tế": "A"}, JULY)
    refused("unit.split_not_a_child", service.split_unit, ids["thach_thang"], ["A", "B"],
            {"khu dân cư số 3": "A", "Trạm y tế": "B", "Trường THCS Phước Mỹ": "B"}, JULY)
    refused("unit.split_too_few", service.split_unit, ids["thach_thang"], ["A"], {}, JULY)


def test_a_ward_splits_into_two_new_wards_each_taking_the_branches_assigned(small):
    service, ids = small
    a, b = service.split_unit(ids["thach_thang"], ["Đảng ủy phường Thạch Thang A", "Đảng ủy phường Thạch Thang B"],
                              {"khu dân cư số 3": "Đảng ủy phường Thạch Thang A", str(ids["tt2"]):
                               "đảng ủy phường thach thang b"}, JULY)
    state = fresh(service).state()
    old = state.units[ids["thach_thang"]]
    assert (old.ended, old.end, old.successors) == (JULY, "split", (a.id, b.id))
    assert (a.parent, a.level, a.began) == (ids["hai_chau"], "grassroots", JULY)
    assert state.parent_of(ids["tt1"]) == a.id and state.parent_of(ids["tt2"]) == b.id
    assert state.on(JUNE_30).parent_of(ids["tt2"]) == ids["thach_thang"]
    assert part_holding(service.store.path, ids["cand6"]).name == f"p{b.id}.json"
    assert fresh(service).check() == []


def test_a_branch_splits_by_its_candidates(small):
    service, ids = small
    a, b = service.split_unit(ids["pm1"], ["Chi bộ khu dân cư số 1A", "Chi bộ khu dân cư số 1B"],
                              {str(ids["cand1"]): "Chi bộ khu dân cư số 1A", f"#{ids['cand2']}": "Chi bộ khu dân cư số 1B"},
                              JULY)
    state = fresh(service).state()
    assert state.candidate(ids["cand1"]).unit == a.id and state.candidate(ids["cand2"]).unit == b.id
    binh = state.candidate(ids["cand2"])
    assert binh.unit_on(JUNE_30) == ids["pm1"] and {e.unit for e in binh.history} == {ids["pm1"]}
    err = refused("unit.split_unassigned", service.split_unit, a.id, ["X", "Y"], {}, "01/08/2025")
    assert "Nguyễn Văn An" in err.message("en")


# -- close ---------------------------------------------------------------------------------------
def test_a_district_closes_and_its_wards_move_up_to_the_city(small):
    service, ids = small
    taker = service.close_unit("Quận ủy Sơn Trà", JULY)
    state = fresh(service).state()
    son_tra = state.units[ids["son_tra"]]
    assert (taker.id, son_tra.ended, son_tra.end, son_tra.successors) == (ids["city"], JULY, "dissolved", ())
    assert state.parent_of(ids["phuoc_my"]) == ids["city"]
    assert state.on(JUNE_30).parent_of(ids["phuoc_my"]) == ids["son_tra"]
    assert ids["son_tra"] not in state.children[ids["city"]]
    assert fresh(service).check() == []


def test_a_closing_unit_can_send_its_units_elsewhere_and_a_branch_with_candidates_is_refused(small):
    service, ids = small
    service.close_unit(ids["son_tra"], JULY, children_to="Quận ủy Hải Châu")
    assert fresh(service).state().parent_of(ids["an_hai_bac"]) == ids["hai_chau"]
    err = refused("unit.close_has_candidates", service.close_unit, ids["pm2"], JULY)
    assert "Lê Văn Cường" in err.message("vi")
    refused("unit.move_into_itself", service.close_unit, ids["hai_chau"], "01/08/2025", children_to=ids["tt1"])
    refused("unit.is_root", service.close_unit, ids["city"], JULY)


# -- move ----------------------------------------------------------------------------------------
def test_a_unit_moved_on_a_date_was_under_its_old_parent_before_it(small):
    service, ids = small
    service.move_unit(ids["pm2"], ids["an_hai_bac"], "01/03/2025")
    state = fresh(service).state()
    assert state.parent_of(ids["pm2"]) == ids["an_hai_bac"]
    assert state.on(date(2025, 2, 28)).parent_of(ids["pm2"]) == ids["phuoc_my"]
    assert state.on(date(2024, 12, 31)).children[ids["phuoc_my"]] == sorted(
        [ids["pm1"], ids["pm2"]], key=lambda u: state.folded[u])
    assert part_holding(service.store.path, ids["cand3"]).name == f"p{ids['an_hai_bac']}.json"
    assert fresh(service).check() == []
    err = refused("unit.date_before_change", service.move_unit, ids["pm2"], ids["phuoc_my"], "01/02/2025")
    assert "01/03/2025" in err.message("vi")


def test_a_move_without_a_date_is_dated_today(small):
    service, ids = small
    service.move_unit(ids["pm2"], ids["an_hai_bac"])
    unit = fresh(service).state().units[ids["pm2"]]
    assert unit.earlier == ((TODAY, ids["phuoc_my"]),)


def test_a_move_refuses_a_parent_that_did_not_exist_then_or_is_inside_it(small):
    service, ids = small
    an_hai = service.merge_units([ids["phuoc_my"], ids["an_hai_bac"]], "Đảng ủy phường An Hải", JULY)
    err = refused("unit.parent_not_there", service.move_unit, ids["tt2"], an_hai.id, "01/06/2025")
    assert "Đảng ủy phường An Hải" in err.message("vi")
    refused("unit.parent_not_there", service.move_unit, ids["tt2"], ids["phuoc_my"], "01/06/2025")  # ended since
    refused("unit.move_into_itself", service.move_unit, ids["son_tra"], ids["pm1"], "01/08/2025")
    refused("unit.move_into_itself", service.move_unit, ids["son_tra"], ids["son_tra"], "01/08/2025")
    refused("unit.ended", service.move_unit, ids["phuoc_my"], ids["hai_chau"], "01/08/2025")


# -- candidates ----------------------------------------------------------------------------------
def test_a_candidate_transfer_keeps_where_each_stage_happened(small):
    service, ids = small
    binh = service.move_candidate(ids["cand2"], ids["tt2"], on="01/03/2025", reason="chuyển nơi cư trú")
    again = fresh(service).candidate(ids["cand2"])
    assert again == binh and again.unit == ids["tt2"]
    assert [(m.on, m.source, m.target, m.reason) for m in again.moves] == [
        (date(2025, 3, 1), ids["pm1"], ids["tt2"], "chuyển nơi cư trú")]
    assert {e.unit for e in again.history} == {ids["pm1"]}
    assert again.unit_on(date(2025, 2, 28)) == ids["pm1"]
    # a stage dated before the transfer is where the candidate was that day, one after it where it is now
    later = service.advance(ids["cand2"], None, "10/02/2025")
    assert later.history[-1].unit == ids["pm1"]
    receive_papers(service, ids["cand2"], "10/02/2025", vote="10/03/2025")  # the dossier's papers, for the vote
    later = service.advance(ids["cand2"], None, "10/03/2025")
    assert later.history[-1].unit == ids["tt2"]
    assert fresh(service).check() == []


def test_new_stages_record_their_branch(small):
    service, ids = small
    cand = service.add_candidate(ids["tt1"], "Đặng Văn Giang", date_="01/09/2025")
    cand = service.advance(cand.id, None, "01/10/2025")
    assert [e.unit for e in fresh(service).candidate(cand.id).history] == [ids["tt1"], ids["tt1"]]


def test_a_candidate_transfer_refuses_what_makes_no_sense(small):
    service, ids = small
    err = refused("candidate.move_before_stage", service.move_candidate, ids["cand1"], ids["tt1"], on="01/06/2024")
    assert "01/07/2024" in err.message("vi")
    refused("candidate.same_branch", service.move_candidate, ids["cand1"], ids["pm1"], on="01/08/2025")
    refused("stage.future_date", service.move_candidate, ids["cand1"], ids["tt1"], on="01/12/2025")
    refused("candidate.not_a_branch", service.move_candidate, ids["cand1"], ids["thach_thang"], on="01/08/2025")
    a, _ = service.split_unit(ids["tt2"], ["Chi bộ Trạm y tế A", "Chi bộ Trạm y tế B"],
                              {str(ids["cand6"]): "Chi bộ Trạm y tế A"}, JULY)
    refused("candidate.branch_not_there", service.move_candidate, ids["cand2"], a.id, on="01/03/2025")
    refused("candidate.branch_not_there", service.move_candidate, ids["cand2"], ids["tt2"], on="01/08/2025")
    refused("candidate.branch_not_there", service.add_candidate, a.id, "Đặng Văn Giang", date_="01/03/2025")


# -- the period survives ordinary edits ----------------------------------------------------------
def test_rename_and_members_keep_a_units_period(small):
    service, ids = small
    an_hai = service.merge_units([ids["phuoc_my"], ids["an_hai_bac"]], "Đảng ủy phường An Hải", JULY)
    service.rename_unit(an_hai.id, "Đảng ủy phường An Hải (mới)")
    service.set_members(an_hai.id, 300, 2026)
    service.set_members(ids["phuoc_my"], 210, 2025)
    service.move_unit(ids["pm2"], ids["thach_thang"], "01/08/2025")
    service.rename_unit(ids["pm2"], "Chi bộ Trường THCS Phước Mỹ cũ")
    state = fresh(service).state()
    renamed = state.units[an_hai.id]
    assert (renamed.name, renamed.began, renamed.members) == ("Đảng ủy phường An Hải (mới)", JULY, {2026: 300})
    old = state.units[ids["phuoc_my"]]
    assert (old.ended, old.end, old.successors, old.members[2025]) == (JULY, "merged", (an_hai.id,), 210)
    assert state.units[ids["pm2"]].earlier == ((JULY, ids["phuoc_my"]), (date(2025, 8, 1), an_hai.id))


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def run(store_path, small):
    def invoke(*args: str, lang: str = "vi"):
        argv = ["--db", str(store_path), "--lang", lang, *args]
        return CliRunner().invoke(main, argv, obj={"today": TODAY}, env=CLEAN_ENV)
    return invoke


def test_cli_merge_says_what_it_did_and_json_gives_the_ids(run, small, store_path):
    _, ids = small
    result = run("unit", "merge", "phuong phuoc my", "an hai bac", "--into", "Đảng ủy phường An Hải", "--on", "01/07/2025")
    assert result.exit_code == 0, result.output
    state = fresh(small[0]).state()
    an_hai = state.resolve_unit("Đảng ủy phường An Hải")
    assert result.stdout.startswith("Đã hợp nhất ") and "từ ngày 01/07/2025." in result.stdout
    assert "Phước Mỹ" in result.stdout and "An Hải Bắc" in result.stdout
    # two wards' "Chi bộ khu dân cư số 1" are now side by side: the user is told
    assert "Chi bộ khu dân cư số 1" in result.stderr
    result = run("unit", "merge", f"#{ids['pm1']}", f"#{ids['pm2']}", "--into", f"#{ids['pm2']}", "--on",
                 "2025-08-01", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"successor": ids["pm2"], "new": False, "ended": [ids["pm1"]],
                                         "on": "2025-08-01"}
    assert an_hai.id == state.units[ids["pm2"]].parent


def test_cli_merge_refusal_is_one_message_in_the_users_language(run, small):
    _, ids = small
    result = run("unit", "merge", "phuong phuoc my", "thach thang", "--into", "Mới", "--on", "01/07/2025", lang="en")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stdout == ""
    assert "different parents" in result.stderr and "--parent" in result.stderr


def test_cli_split_with_options_and_a_file(run, small, store_path, tmp_path):
    service, ids = small
    result = run("unit", "split", "thach thang", "--into", "Đảng ủy phường Thạch Thang A", "--into",
                 "Đảng ủy phường Thạch Thang B", "--on", "01/07/2025", "--assign",
                 "khu dân cư số 3=Đảng ủy phường Thạch Thang A")
    assert result.exit_code == 1 and "Chi bộ Trạm y tế" in result.stderr
    plan = tmp_path / "assign.txt"
    plan.write_text("khu dân cư số 3\tĐảng ủy phường Thạch Thang A\nTrạm y tế=Đảng ủy phường Thạch Thang B\n",
                    encoding="utf-8")
    result = run("unit", "split", "thach thang", "--into", "Đảng ủy phường Thạch Thang A", "--into",
                 "Đảng ủy phường Thạch Thang B", "--on", "01/07/2025", "--assign-file", str(plan), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    state = fresh(service).state()
    assert out["ended"] == ids["thach_thang"] and state.units[ids["thach_thang"]].successors == tuple(out["units"])
    assert state.parent_of(ids["tt2"]) == out["units"][1]
    plan.write_text("khu dân cư số 3 Đảng ủy phường Thạch Thang A\n", encoding="utf-8")
    result = run("unit", "split", "hai chau", "--into", "A", "--into", "B", "--on", "01/07/2025",
                 "--assign-file", str(plan), lang="en")
    assert result.exit_code == 1 and "line 1" in result.stderr


def test_cli_close_move_and_candidate_move(run, small):
    service, ids = small
    result = run("unit", "close", "Quận ủy Sơn Trà", "--on", "01/07/2025")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Đã giải thể #") and "từ ngày 01/07/2025" in result.stdout
    result = run("unit", "move", str(ids["pm2"]), "--to", "an hai bac", "--on", "01/08/2025")
    assert result.exit_code == 0, result.output
    assert "từ ngày 01/08/2025" in result.stdout
    assert fresh(service).state().on(date(2025, 7, 31)).parent_of(ids["pm2"]) == ids["phuoc_my"]
    result = run("candidate", "move", str(ids["cand2"]), "--to", "Trạm y tế", "--on", "01/09/2025",
                 "--reason", "chuyển nơi cư trú")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Đã chuyển quần chúng #{ids['cand2']} Trần Thị Bình sang ")
    assert "01/09/2025" in result.stdout
    moved = fresh(service).candidate(ids["cand2"])
    assert moved.unit == ids["tt2"] and moved.moves[-1].reason == "chuyển nơi cư trú"
    result = run("candidate", "move", str(ids["cand1"]), "--to", "Trạm y tế", "--on", "01/06/2024",
                 "--reason", "x", lang="en")
    assert result.exit_code == 1 and "before stage" in result.stderr
    assert fresh(service).check() == []
    log = run("log", lang="en")
    assert "Unit closed" in log.stdout and "Moved to another branch" in log.stdout
    assert "How it ended: — → dissolved" in log.stdout
    assert f"Transfers: #{ids['pm1']} Chi bộ khu dân cư số 1 → #{ids['tt2']} Chi bộ Trạm y tế (01/09/20" in log.stdout
