"""The ``ptdv`` command line, run through click's CliRunner on temporary stores with today fixed."""
from __future__ import annotations

import json
import sys
import types

import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.i18n import t
from db.model import STAGES, TAGS
from db.service import Service
from db.store import Store
from tui import output
from tui.cli import main

from conftest import TODAY, edit_candidate_file, receive_papers

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}


@pytest.fixture
def run(store_path):
    """``run(*args)``: ptdv on the test's store; ``db=False`` leaves the store to the environment."""
    def invoke(*args: str, db: bool = True, env: dict | None = None):
        argv = (["--db", str(store_path)] if db else []) + list(args)
        return CliRunner().invoke(main, argv, obj={"today": TODAY}, env={**CLEAN_ENV, **(env or {})})
    return invoke


@pytest.fixture
def ids(small):
    return small[1]


def reread(store_path) -> Service:
    """A fresh service over the file, to see what the commands left in it."""
    return Service(Store(store_path), today=TODAY)


def refused(result, status: int = 1) -> str:
    """The error output of a refused command, after checking it ended cleanly with ``status``."""
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr


# -- init and the store ------------------------------------------------------------------------
def test_init_creates_the_store_with_its_top_unit(run, store_path):
    result = run("init", "--root", "Đảng bộ thành phố Đà Nẵng", "--members", "1250")
    assert result.exit_code == 0, result.output
    root = reread(store_path).root()
    assert root.name == "Đảng bộ thành phố Đà Nẵng"
    assert root.members == {TODAY.year: 1250}
    assert t("cli.init.done", path=store_path, id=root.id, name=root.name) in result.stdout


def test_init_makes_a_store_for_one_ward_with_level(run, store_path, tmp_path):
    result = run("init", "--root", "Đảng ủy phường Phước Mỹ", "--level", "grassroots")
    assert result.exit_code == 0, result.output
    assert reread(store_path).root().level == "grassroots"
    other = tmp_path / "other" / "ptdv.json"
    err = refused(run("--db", str(other), "init", "--root", "Tổ", "--level", "tổ đảng", db=False))
    assert t("unit.unknown_level", level="tổ đảng", levels="city, district, grassroots, branch") in err
    assert not other.exists()


@pytest.mark.embedded
def test_init_refuses_an_existing_store(run, store_path, small):
    before = store_path.read_bytes()
    err = refused(run("init", "--root", "Khác"))
    assert t("store.exists", path=store_path) in err
    assert store_path.read_bytes() == before


def test_ptdv_db_environment_variable_names_the_store(run, store_path):
    result = run("init", "--root", "Đảng bộ phường", db=False, env={"PTDV_DB": str(store_path)})
    assert result.exit_code == 0, result.output
    assert reread(store_path).root().name == "Đảng bộ phường"


def test_a_missing_store_is_named_with_how_to_create_one(run, store_path):
    err = refused(run("unit", "list"))
    assert t("store.missing", path=store_path) in err
    assert not store_path.exists()


def test_a_damaged_store_is_named_and_left_as_it_was(run, store_path):
    store_path.write_bytes(b'{"meta": ')
    store_path.chmod(0o600)  # private, as every store file is (a file others may read is refused before it is read)
    for args in (("unit", "list"), ("candidate", "advance", "1"), ("check",)):
        err = refused(run(*args))
        assert str(store_path) in err
        assert t("store.damaged", path=store_path, detail="").split(":")[0] in err
    assert store_path.read_bytes() == b'{"meta": '


def test_demo_at_a_scale_generates_that_size(run, store_path):
    from db.generate import plan

    result = run("demo", "--scale", "ward", "--seed", "3")
    assert result.exit_code == 0, result.output
    state = reread(store_path).state()
    expected = plan("ward", seed=3, today=TODAY)
    assert len(state.units) == expected["units"] and len(state.candidates) == expected["candidates"]
    assert state.levels[state.units[state.root].level].id == "grassroots"   # a ward's store: a ward on top
    assert "Traceback" not in refused(run("demo", "--scale", "province"), status=2)


@pytest.mark.embedded
def test_demo_builds_a_store_and_refuses_to_overwrite_one_without_force(run, store_path, small):
    before = store_path.read_bytes()
    err = refused(run("demo"))
    assert t("cli.demo.exists", path=store_path) in err
    assert store_path.read_bytes() == before

    result = run("demo", "--force", "--seed", "7")
    assert result.exit_code == 0, result.output
    state = reread(store_path).state()
    assert "Chi bộ Trạm y tế" not in {u.name for u in state.units.values()}  # the small store is gone
    assert t("cli.demo.done", path=store_path, units=len(state.units), candidates=output.number(
        len(state.candidates), "vi"), quotas=output.number(len(state.quotas), "vi"), years="2024") in result.stdout
    assert reread(store_path).check() == []


# -- units -------------------------------------------------------------------------------------
def test_unit_add_under_a_unit_named_by_path(run, store_path, ids):
    result = run("unit", "add", "Chi bộ khu dân cư số 2", "--parent", "son tra/phuong phuoc my", "--members", "31")
    assert result.exit_code == 0, result.output
    state = reread(store_path).state()
    added = [u for u in state.units.values() if u.name == "Chi bộ khu dân cư số 2"]
    assert len(added) == 1
    assert added[0].parent == ids["phuoc_my"]
    assert added[0].level == "branch"  # the level below the ward's
    assert added[0].members == {2024: 31}


def test_unit_list_is_an_indented_tree_with_the_years_figures(run, ids):
    result = run("unit", "list", "--depth", "1", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["unit"] for r in rows] == [ids["city"], ids["hai_chau"], ids["son_tra"]]  # depth 1, by name
    city = rows[0]
    assert city["depth"] == 0 and rows[1]["depth"] == 1 and rows[1]["parent"] == ids["city"]
    assert city["members"] == 45 + 20 + 38 + 52 + 12
    assert city["target"] == 7  # 4% of 167 = 6.68, rounded up to a whole member
    assert city["admitted"] == 2  # Nguyễn Văn An (decided 01/07) and Phạm Thị Dung (decided 09/08)

    lines = run("unit", "list").stdout.splitlines()
    city_line = next(line for line in lines if "Đảng bộ thành phố Đà Nẵng" in line)
    ward_line = next(line for line in lines if "Đảng ủy phường Phước Mỹ" in line)
    assert ward_line.index("Đảng ủy") - city_line.index("Đảng bộ") == 4  # two levels deeper, 2 spaces each
    assert "Chi bộ Trạm y tế" in "\n".join(lines)
    assert "Chi bộ Trạm y tế" not in run("unit", "list", "--depth", "2").stdout


def test_unit_list_shortens_long_names_and_keeps_columns_aligned(run, ids):
    long_name = "Chi bộ Công ty Trách nhiệm hữu hạn Một thành viên Cấp thoát nước Đà Nẵng chi nhánh Sơn Trà"
    assert run("unit", "add", long_name, "--parent", str(ids["phuoc_my"])).exit_code == 0
    lines = run("unit", "list").stdout.splitlines()
    level_at = lines[1].index(t("field.level"))
    rows = lines[3:]
    shortened = next(line for line in rows if "Công ty Trách" in line)
    assert long_name not in shortened and output.ELLIPSIS in shortened
    for line in rows:
        assert line[level_at:].startswith(("Thành ủy", "Quận ủy", "Đảng ủy cơ sở", "Chi bộ")), line


def test_unit_rename_move_and_members(run, store_path, ids):
    assert run("unit", "rename", "thach thang/tram y te", "Chi bộ Trạm Y tế phường").exit_code == 0
    assert run("unit", "move", str(ids["tt2"]), "--to", "an hai bac").exit_code == 0
    assert run("unit", "members", str(ids["tt2"]), "15").exit_code == 0
    unit = reread(store_path).state().units[ids["tt2"]]
    assert (unit.name, unit.parent, unit.members) == ("Chi bộ Trạm Y tế phường", ids["an_hai_bac"], {2024: 15})
    # the figures follow the move: An Hải Bắc now counts Võ Thị Phượng (at class) in its pipeline
    ahb = json.loads(run("quota", "show", "an hai bac", "--json").stdout)
    assert ahb["pipeline"] == 1 and ahb["members"] == 38 + 15


def test_unit_members_refuses_a_negative_count(run, store_path, ids):
    err = refused(run("unit", "members", str(ids["pm1"]), "-3"))
    assert PtdvError("input.negative", field="members", value=-3).message("vi") in err
    assert reread(store_path).state().units[ids["pm1"]].members == {2024: 45}


def test_unit_move_into_its_own_subtree_is_refused(run, store_path, ids):
    err = refused(run("unit", "move", "son tra", "--to", str(ids["pm1"])))
    assert t("unit.move_into_itself", unit="Quận ủy Sơn Trà", parent="Chi bộ khu dân cư số 1") in err
    assert reread(store_path).state().units[ids["son_tra"]].parent == ids["city"]


# -- quotas ------------------------------------------------------------------------------------
def test_quota_set_rate_is_rounded_up(run, store_path, ids):
    result = run("quota", "set", "hai chau", "--rate", "4%")
    assert result.exit_code == 0, result.output
    shown = json.loads(run("quota", "show", "hai chau", "--json").stdout)
    assert shown["members"] == 64 and shown["rate"] == 4.0
    assert shown["target"] == 3  # 4% of 64 = 2.56 -> 3
    assert "3 (4% của 64 đảng viên)" in result.stdout


def test_quota_show_json_has_progress_quarters_stages_and_allocation(run, ids):
    assert run("quota", "set", "phuong phuoc my", "--target", "22").exit_code == 0
    shown = json.loads(run("quota", "show", str(ids["phuoc_my"]), "--json").stdout)
    assert {"unit", "year", "target", "admitted", "percent", "forecast", "by_quarter", "by_stage",
            "allocation_gap", "children"} <= shown.keys()
    assert (shown["unit"], shown["year"], shown["target"]) == (ids["phuoc_my"], 2024, 22)
    assert shown["admitted"] == 1  # Nguyễn Văn An, decided 01/07/2024
    assert shown["by_quarter"] == {"Q1": 0, "Q2": 0, "Q3": 1, "Q4": 0}
    assert shown["percent"] == round(100 / 22, 1)
    assert shown["forecast"] == 2  # and Lê Văn Cường, past the branch vote
    assert shown["by_stage"]["dossier"] == 1 and shown["by_stage"]["branch"] == 1
    assert shown["allocation_gap"] == 22  # the branches have no targets yet
    assert sorted(c["unit"] for c in shown["children"]) == sorted([ids["pm1"], ids["pm2"]])
    earlier = json.loads(run("quota", "show", str(ids["phuoc_my"]), "--year", "2023", "--json").stdout)
    assert (earlier["year"], earlier["target"], earlier["admitted"]) == (2023, None, 0)  # --year after the command


def test_quota_show_text_has_labels_quarters_and_the_gap(run, ids):
    result = run("--lang", "en", "quota", "show", "hai chau/thach thang")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert t("cli.quota.title", "en", unit="Đảng bộ thành phố Đà Nẵng/Quận ủy Hải Châu/Đảng ủy phường Thạch Thang",
             year=2024) in text
    for stage in ("source", "class", "official"):
        assert t(f"stage.{stage}", "en") in text
    assert "Q4: 0" in text
    assert "Chi bộ Trạm y tế" in text  # its units, with their targets
    assert t("cli.quota.gap_under", "en", gap="3", count="3") in text  # target 3, nothing allocated


def test_quota_set_refuses_a_negative_target_and_both_kinds(run, store_path, ids):
    err = refused(run("quota", "set", "hai chau", "--target", "-5"))
    assert PtdvError("input.negative", field="target", value=-5).message("vi") in err
    err = refused(run("quota", "set", "hai chau", "--target", "5", "--rate", "4%"))
    assert t("quota.target_or_rate") in err
    assert (ids["hai_chau"], 2024) not in reread(store_path).state().quotas


# -- candidates --------------------------------------------------------------------------------
def test_candidate_add_with_details(run, store_path, ids):
    result = run("candidate", "add", "--unit", "thach thang/so 3", "--name", "Đặng Thị Mai", "--born", "02/03/2000",
                 "--gender", "female", "--education", "university", "--occupation", "student", "--youth-union",
                 "--tag", "renter", "--renter", "--introducer", "Ngô Văn Hai", "--date", "2024-11-01")
    assert result.exit_code == 0, result.output
    cand = next(c for c in reread(store_path).state().candidates.values() if c.name == "Đặng Thị Mai")
    assert cand.unit == ids["tt1"]
    assert (cand.born.isoformat(), cand.gender, cand.education, cand.occupation) == (
        "2000-03-02", "female", "university", "student")
    assert cand.youth_union and cand.renter and cand.tags == ("renter",) and cand.introducers == ("Ngô Văn Hai",)
    assert [(e.stage, e.date.isoformat()) for e in cand.history] == [("source", "2024-11-01")]


def test_candidate_add_refuses_control_characters_in_the_name(run, store_path, ids):
    err = refused(run("candidate", "add", "--unit", str(ids["tt1"]), "--name", "An\x1b[31mBình"))
    assert PtdvError("input.control_chars", field="name", char="U+001B ESCAPE", position=3).message("vi") in err
    assert "\x1b" not in err
    assert len(reread(store_path).state().candidates) == 6


def test_candidate_add_refuses_a_unit_with_units_under_it_and_a_bad_choice(run, store_path, ids):
    err = refused(run("candidate", "add", "--unit", "phuong thach thang", "--name", "Mai"))
    assert t("candidate.not_a_branch", unit="Đảng ủy phường Thạch Thang") in err
    err = refused(run("candidate", "add", "--unit", str(ids["tt1"]), "--name", "Mai", "--gender", "other"))
    assert t("candidate.bad_gender", value="other", options="male, female") in err
    err = refused(run("candidate", "add", "--unit", str(ids["tt1"]), "--name", "Mai", "--tag", "vip"))
    assert t("candidate.bad_tag", value="vip", options=", ".join(TAGS)) in err
    assert len(reread(store_path).state().candidates) == 6


def test_candidate_advance_to_the_next_stage_today_or_on_a_date(run, store_path, ids):
    assert run("candidate", "advance", str(ids["cand2"]), "--date", "20/10/2024").exit_code == 0
    receive_papers(reread(store_path), ids["cand2"], "20/10/2024", vote="15/11/2024")
    result = run("candidate", "advance", f"#{ids['cand2']}", "branch")
    assert result.exit_code == 0, result.output
    history = reread(store_path).candidate(ids["cand2"]).history
    assert [(e.stage, e.date) for e in history[-2:]] == [("verified", TODAY.replace(month=10, day=20)),
                                                        ("branch", TODAY)]
    assert t("stage.branch") in result.stdout and "15/11/2024" in result.stdout


@pytest.mark.parametrize("args, error", [
    (("verified",), PtdvError("stage.skipped", stage="verified", expected="dossier")),
    (("--date", "16/11/2024"), PtdvError("stage.future_date", date="16/11/2024", today="15/11/2024")),
    (("--date", "2024/11/01"), PtdvError("input.bad_date", field="date", value="2024/11/01")),
    (("--date", "31/01/2024"), PtdvError("stage.before_previous", date="31/01/2024", previous="class",
                                         previous_date="01/02/2024")),
])
def test_candidate_advance_refusals(run, store_path, ids, args, error):
    """Võ Thị Phượng: source 02/01/2024, class 01/02/2024."""
    err = refused(run("candidate", "advance", str(ids["cand6"]), *args))
    assert error.message("vi") in err
    assert reread(store_path).candidate(ids["cand6"]).stage == "class"


def test_candidate_advance_unknown_stage_is_refused_in_the_users_language(run, ids):
    err = refused(run("--lang", "en", "candidate", "advance", str(ids["cand6"]), "vote"))
    assert t("stage.unknown", "en", stage="vote", stages=", ".join(STAGES)) in err


def test_candidate_exit_and_the_list_with_all(run, store_path, ids):
    result = run("candidate", "exit", str(ids["cand5"]), "--reason", "Chuyển đi nơi khác", "--kind", "withdrawn",
                 "--date", "12/11/2024")
    assert result.exit_code == 0, result.output
    left = reread(store_path).candidate(ids["cand5"]).exit
    assert (left.kind, left.reason, left.date.isoformat()) == ("withdrawn", "Chuyển đi nơi khác", "2024-11-12")
    live = json.loads(run("candidate", "list", "--json").stdout)
    assert ids["cand5"] not in [c["id"] for c in live]
    everyone = json.loads(run("candidate", "list", "--all", "--json").stdout)
    gone = next(c for c in everyone if c["id"] == ids["cand5"])
    assert gone["live"] is False and gone["exit"]["kind"] == "withdrawn" and gone["since"] == "2024-11-12"
    row = next(line for line in run("candidate", "list", "--all").stdout.splitlines() if "Hoàng Văn Em" in line)
    assert t("exit.withdrawn") in row and "12/11/2024" in row
    err = refused(run("candidate", "exit", str(ids["cand5"]), "--reason", "again"))
    assert t("candidate.exited", id=ids["cand5"]) in err


def test_candidate_edit_changes_only_the_options_given(run, store_path, ids):
    before = reread(store_path).candidate(ids["cand6"])
    result = run("candidate", "edit", str(ids["cand6"]), "--education", "university", "--youth-union")
    assert result.exit_code == 0, result.output
    after = reread(store_path).candidate(ids["cand6"])
    assert (after.education, after.youth_union) == ("university", True)
    assert (after.name, after.gender, after.born, after.introducers, after.history) == (
        before.name, before.gender, before.born, before.introducers, before.history)
    assert after.rev == before.rev + 1
    err = refused(run("candidate", "edit", str(ids["cand6"])))
    assert t("cli.candidate.nothing_to_change") in err


def test_candidate_list_by_unit_stage_and_overdue(run, ids):
    def listed(*args):
        result = run("candidate", "list", *args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert sorted(c["id"] for c in listed("phuong phuoc my")) == sorted([ids["cand1"], ids["cand2"], ids["cand3"]])
    at_branch = listed("phuong phuoc my", "--stage", "branch")
    assert [(c["id"], c["stage"], c["since"], c["days_in_stage"]) for c in at_branch] == [
        (ids["cand3"], "branch", "2024-09-03", 73)]
    assert [c["id"] for c in listed("--overdue")] == [ids["cand1"]]  # ceremony due 30 working days after 01/07

    lines = run("candidate", "list", "phuong phuoc my").stdout.splitlines()
    row = next(line for line in lines if "Nguyễn Văn An" in line)
    assert t("stage_short.decided") in row and "01/07/2024" in row and "Chi bộ khu dân cư số 1" in row
    assert row.rstrip().endswith("!!")
    assert t("cli.candidate.count", count=3) in lines


def test_candidate_show_text_and_json(run, store_path, ids):
    result = run("--lang", "en", "candidate", "show", str(ids["cand1"]))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert f"#{ids['cand1']} Nguyễn Văn An" in text
    assert t("field.born", "en") in text and "01/05/1991" in text and t("gender.female", "en") in text
    user = reread(store_path).store.user
    history = [line for line in text.splitlines() if line.startswith("03/06/2024")]
    assert len(history) == 1 and t("stage.branch", "en") in history[0] and user in history[0]
    assert t("severity.overdue", "en") in text
    assert t("rule.ceremony", "en", workdays=30, since="01/07/2024") in text

    shown = json.loads(run("candidate", "show", str(ids["cand1"]), "--json").stdout)
    assert (shown["id"], shown["unit"], shown["stage"]) == (ids["cand1"], ids["pm1"], "decided")
    assert shown["history"][0] == {"stage": "source", "date": "2024-02-01", "by": user,
                                   "at": shown["history"][0]["at"], "unit": ids["pm1"]}  # recorded in its branch
    assert [(f["code"], f["severity"], f["due"]) for f in shown["findings"]][0] == (
        "ceremony", "overdue", "2024-08-12")


def test_names_from_the_store_never_reach_the_terminal_raw(run, store_path, ids):
    edit_candidate_file(store_path, ids["cand1"], name="An\x1b]0;owned\x07")
    for args in (("candidate", "list"), ("candidate", "show", str(ids["cand1"])), ("due",)):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "An\\x1b]0;owned\\x07" in result.output


def test_due_lists_the_most_urgent_first(run, ids):
    result = run("due", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [(i["candidate"], i["code"], i["severity"]) for i in items] == [
        (ids["cand1"], "ceremony", "overdue"),  # due 12/08/2024
        (ids["cand3"], "decision", "due"),  # 60 working days after 03/09/2024: 26/11/2024
        (ids["cand2"], "papers", "warning"),  # at the dossier without its papers
    ]


def test_due_shows_the_most_urgent_up_to_its_limit_and_says_how_to_see_all(run, ids):
    everything = json.loads(run("due", "--json", "--limit", "0").stdout)
    first_two = json.loads(run("due", "--json", "--limit", "2").stdout)
    assert first_two == everything[:2] and len(everything) == 3
    shown = run("due", "--limit", "2")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[-1] == t("cli.due.limited", limit=2)
    assert t("cli.due.limited", limit=4) not in run("due", "--limit", "4").stdout  # three items: all shown
    assert run("due", "--limit", "-1").exit_code == 2


# -- check and log -----------------------------------------------------------------------------
def test_check_a_consistent_store_shows_warnings_and_exits_0(run, store_path):
    run("init", "--root", "Đảng bộ")
    assert run("check").exit_code == 0


@pytest.mark.embedded
def test_check_lists_warnings_then_problems_exit_1(run, store_path, ids):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert t("check.ok") in result.stdout
    path = "Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ"
    assert t("check.allocation_gap", unit=path, target=4, children=0, gap=4, year=2024) in result.stdout

    index = store_path.with_name("ptdv.parts") / "units0.json"
    data = json.loads(index.read_text())
    data["units"][str(ids["tt2"])][0] = 99  # where the unit index puts a branch in the tree
    index.write_text(json.dumps(data))
    result = run("check")
    assert result.exit_code == 1
    assert t("check.problems", count=4) in result.stdout
    last_index_write = max(e["seq"] for e in json.loads(run("log", "--json").stdout) if "units0.json" in e["files"])
    assert t("check.file_changed", path=index, seq=last_index_write) in result.stdout  # edited by hand
    assert t("check.unit_parent", unit=ids["tt2"], parent=99) in result.stdout
    assert t("check.unit_record", unit=ids["tt2"], part=99) in result.stdout  # its record is still in its old part
    assert t("check.unit_unplaced", unit=ids["tt2"], part=ids["thach_thang"]) in result.stdout
    assert "Traceback" not in result.output


def test_log_shows_who_changed_what_under_a_unit(run, store_path, ids):
    assert run("candidate", "advance", str(ids["cand2"])).exit_code == 0
    assert run("quota", "set", "phuong thach thang", "--target", "5").exit_code == 0
    entries = json.loads(run("log", "phuong phuoc my", "--json").stdout)
    assert entries[-1]["action"] == "candidate.advance" and entries[-1]["target"] == f"candidate:{ids['cand2']}"
    assert all(e["target"] != f"quota:{ids['thach_thang']}:2024" for e in entries)  # not under Phước Mỹ
    user = reread(store_path).store.user

    lines = run("--lang", "en", "log", "phuong phuoc my").stdout.splitlines()
    last = lines[-1]
    assert t("cli.action.candidate.advance", "en") in last and user in last
    assert f"Candidate #{ids['cand2']} Trần Thị Bình" in last
    assert f"{t('field.stage', 'en')}: {t('stage_short.verified', 'en')} (15/11/2024)" in last
    quota_line = run("log", "phuong thach thang").stdout.splitlines()[-1]
    assert f"{t('field.target')}: 3 → 5" in quota_line


def test_log_since_a_later_date_is_empty(run, ids):
    result = run("log", "--since", "01/01/9999")
    assert result.exit_code == 0
    assert t("cli.log.none") in result.stdout


# -- naming units, languages, errors ----------------------------------------------------------
def test_unknown_unit_exits_2_with_the_message(run, ids):
    err = refused(run("candidate", "list", "khong co"), status=2)
    assert t("unit.not_found", ref="khong co") in err


def test_ambiguous_unit_exits_2_and_lists_the_matches(run, ids):
    err = refused(run("quota", "show", "phuoc my"), status=2)
    assert f"#{ids['phuoc_my']} Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ" in err
    assert f"#{ids['pm2']} Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ/Chi bộ Trường THCS " \
           "Phước Mỹ" in err


def test_unknown_candidate_exits_2(run, ids):
    err = refused(run("candidate", "show", "99"), status=2)
    assert t("candidate.not_found", ref="99") in err


def test_english_output_and_errors(run, ids):
    result = run("--lang", "en", "candidate", "list", "phuong phuoc my")
    assert t("field.stage", "en") in result.stdout and t("stage_short.branch", "en") in result.stdout
    err = refused(run("candidate", "list", "nowhere", env={"PTDV_LANG": "en"}), status=2)
    assert t("cli.error", "en", message=t("unit.not_found", "en", ref="nowhere")) in err


@pytest.mark.embedded
def test_an_unexpected_failure_is_one_line_unless_debugging(run, ids, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(Service, "figures", broken)
    err = refused(run("unit", "list"), status=3)
    assert t("cli.internal_error", kind="ZeroDivisionError") in err
    result = run("unit", "list", env={"PTDV_DEBUG": "1"})
    assert result.exit_code == 3 and "Traceback" in result.stderr and "boom" in result.stderr


# -- the app -----------------------------------------------------------------------------------
@pytest.fixture
def fake_app(monkeypatch):
    """Stands in for tui.app: records what the app would be opened with, and shows nothing."""
    opened: list[dict] = []

    def make_app(service, **kwargs):
        opened.append({"store": service.store.path, **kwargs})
        return types.SimpleNamespace(run=lambda: None)
    monkeypatch.setitem(sys.modules, "tui.app", types.SimpleNamespace(make_app=make_app))
    return opened


def test_open_with_a_bad_unit_exits_2_before_any_screen(run, ids, fake_app):
    err = refused(run("open", "nowhere"), status=2)
    assert t("unit.not_found", ref="nowhere") in err
    err = refused(run("open", "--candidate", "99"), status=2)
    assert t("candidate.not_found", ref="99") in err
    assert fake_app == []


@pytest.mark.embedded
def test_open_resolves_the_unit_and_candidate_first(run, store_path, ids, fake_app):
    assert run("--lang", "en", "open", "phuong phuoc my", "--candidate", str(ids["cand3"])).exit_code == 0
    assert fake_app == [{"store": store_path, "lang": "en", "year": 2024, "unit_id": ids["phuoc_my"],
                         "candidate_id": ids["cand3"]}]


def test_first_run_builds_the_demo_in_the_default_store_then_opens_the_app(run, tmp_path, fake_app):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}  # where platformdirs puts the user's data on Linux
    result = run(db=False, env=env)  # plain `ptdv`
    assert result.exit_code == 0, result.output
    default = tmp_path / "data" / "ptdv" / "ptdv.json"
    assert result.stdout.startswith(t("cli.first_run", path=default) + "\n")
    assert reread(default).root().name == "Đảng bộ thành phố Đà Nẵng"
    assert fake_app == [{"store": default, "lang": "vi", "year": 2024, "unit_id": None, "candidate_id": None}]
    again = run("open", db=False, env=env)  # the second time, the store is there: no demo
    assert again.exit_code == 0 and t("cli.first_run", path=default) not in again.stdout


def test_open_an_explicit_missing_store_is_refused(run, store_path, fake_app):
    err = refused(run("open"))
    assert t("store.missing", path=store_path) in err
    assert not store_path.exists() and fake_app == []


# -- issue 12: rules with sources, refusals, exceptions, breaches ----------------------------------------
def test_rules_lists_every_rule_with_its_source(run, ids):
    from db.rules import RULES
    result = run("--lang", "en", "rules")
    assert result.exit_code == 0, result.output
    for spec in RULES:
        assert spec.id in result.stdout
    assert "Quy định 232-QĐ/TW" in result.stdout and "source not found" in result.stdout
    rows = json.loads(run("rules", "--json").stdout)
    assert {r["id"] for r in rows} == {r.id for r in RULES}
    assert {r["kind"] for r in rows} == {"hard", "soft"}


def test_official_before_twelve_months_is_refused_and_nothing_is_written(run, ids, store_path):
    before = reread(store_path).candidate(ids["cand4"])   # ceremony 09/09/2024
    err = refused(run("--lang", "en", "candidate", "advance", str(ids["cand4"]), "official", "--date", "15/11/2024"))
    assert "[rule probation: Điều lệ Đảng, Điều 5 khoản 1]" in err
    assert reread(store_path).candidate(ids["cand4"]) == before


def test_a_late_ceremony_is_recorded_with_the_superiors_agreement(run, ids, store_path):
    cid = str(ids["cand1"])   # decided 01/07/2024: the ceremony was due within 30 working days
    err = refused(run("--lang", "en", "candidate", "advance", cid, "admitted", "--date", "15/11/2024"))
    assert "rule ceremony" in err and "--exception" in err
    agreed = "Quận ủy Sơn Trà, CV 45-CV/QU, 10/11/2024"
    result = run("--lang", "en", "candidate", "advance", cid, "admitted", "--date", "15/11/2024", "--exception", agreed)
    assert result.exit_code == 0, result.output
    cand = reread(store_path).candidate(cid)
    assert cand.history[-1].exception == agreed and [b.rule for b in cand.history[-1].breaches] == ["ceremony"]
    last = reread(store_path).log()[-1]
    assert last["after"]["history"][-1]["exception"] == agreed   # in the audit log
    shown = run("--lang", "en", "candidate", "show", cid).stdout
    assert "Recorded outside the rules" in shown and agreed in shown and "[ceremony:" in shown


def test_a_soft_breach_stays_visible_and_is_counted_in_the_report(run, ids, store_path):
    service = reread(store_path)
    cand = service.add_candidate(ids["pm1"], "Đặng Văn Tư", born="01/01/1995", date_="01/01/2024",
                                 introducers=["Ngô Văn Hai"])
    for stage, day in (("class", "01/02/2024"), ("dossier", "01/03/2024"), ("verified", "01/04/2024"),
                       ("branch", "02/05/2024"), ("committee", "10/05/2024"), ("decided", "20/05/2024")):
        if stage == "branch":
            receive_papers(service, cand.id, "01/04/2024", vote=day)
        service.advance(cand.id, stage, day)
    shown = run("--lang", "en", "candidate", "show", str(cand.id)).stdout
    assert "Voted with 1 introducer(s) (2 needed)" in shown and "[introducers: Điều lệ Đảng, Điều 4]" in shown
    data = json.loads(run("--lang", "en", "candidate", "show", str(cand.id), "--json").stdout)
    assert [b["rule"] for b in data["outside_rules"]] == ["introducers"]
    report = reread(store_path).report(ids["city"], 2024)
    assert report.total.exceptions == 1 and report.total.admitted >= 1


def test_outcomes_are_separate_and_counted_separately(run, ids, store_path):
    err = refused(run("--lang", "en", "candidate", "exit", str(ids["cand4"]), "--kind", "rejected",
                      "--reason", "không đủ tư cách", "--date", "15/11/2024"))
    assert "rule exit_kind" in err
    result = run("candidate", "exit", str(ids["cand4"]), "--kind", "struck_off", "--reason", "vi phạm",
                 "--date", "15/11/2024")
    assert result.exit_code == 0, result.output
    report = reread(store_path).report(ids["city"], 2024)
    assert report.total.exits["struck_off"] == 1 and report.total.exits["rejected"] == 0
    assert t("exit.struck_off", "en") in run("--lang", "en", "candidate", "show", str(ids["cand4"])).stdout


def test_retaking_the_class_is_recorded_with_its_new_date(run, ids, store_path):
    cid = str(ids["cand2"])   # class 10/02/2024, dossier 11/03/2024
    result = run("candidate", "advance", cid, "class", "--date", "14/11/2024")
    assert result.exit_code == 0, result.output
    cand = reread(store_path).candidate(cid)
    assert [e.stage for e in cand.history] == ["source", "class", "dossier", "class"]
    assert cand.stage == "dossier" and cand.stage_date("class").isoformat() == "2024-11-14"
    assert reread(store_path).check() == []


def test_readmission_is_a_kind_of_candidate_with_its_own_checks(run, ids, store_path):
    base = ["--lang", "en", "candidate", "add", "--unit", str(ids["pm1"]), "--name", "Lý Văn Sáu",
            "--born", "01/01/1980", "--readmission", "--left", "01/01/2020"]
    err = refused(run(*base, "--left-reason", "abandoned"))
    assert "rule readmit_excluded" in err and "294-QĐ/TW" in err
    result = run(*base, "--left-reason", "struck_off")
    assert result.exit_code == 0, result.output
    cand = [c for c in reread(store_path).candidates(ids["pm1"]) if c.name == "Lý Văn Sáu"][0]
    assert cand.readmission.reason == "struck_off"
    assert "Re-admission: left the party on 01/01/2020" in run("--lang", "en", "candidate", "show", str(cand.id)).stdout
    refused(run("--lang", "en", "candidate", "add", "--unit", str(ids["pm1"]), "--name", "Lý Văn Bảy",
                "--left", "01/01/2020"))   # --left without --readmission


def test_a_grassroots_branch_has_no_committee_vote(run, ids, store_path):
    service = reread(store_path)
    branch = service.add_unit("Chi bộ cơ sở Cảng", ids["son_tra"], "branch")   # directly under a district
    cand = service.add_candidate(branch.id, "Mai Văn Tám", born="01/01/1995", date_="01/01/2024",
                                 introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
    for stage, day in (("class", "01/02/2024"), ("dossier", "01/03/2024"), ("verified", "01/04/2024"),
                       ("branch", "02/05/2024")):
        if stage == "branch":
            receive_papers(service, cand.id, "01/04/2024", vote=day)
        service.advance(cand.id, stage, day)
    result = run("candidate", "advance", str(cand.id), "--date", "20/05/2024")
    assert result.exit_code == 0, result.output
    assert reread(store_path).candidate(cand.id).stage == "decided"
    assert reread(store_path).check() == []
