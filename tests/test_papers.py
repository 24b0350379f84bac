"""The dossier's papers (issue 12 item 6): kept on the candidate, required by route, the branch vote refused while
one is missing (rule ``papers``), shown on the due list, redone with the dossier; the CLI and the app's checklist."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from db import papers
from db.errors import PtdvError
from db.i18n import t
from db.model import Candidate, Paper
from db.rules import RULES_BY_ID, RuleRefused
from db.service import Service
from db.store import Store
from tui.app import make_app
from tui.cli import main
from tui.screens.candidate import CandidateScreen
from tui.screens.papers_dialog import PapersDialog

from conftest import TODAY, receive_papers
from tui_pilot import flat, open_with, pilot_test, settle, shown

EVERY = ["application", "biography", "certificate", "letter", "letter", "comments", "verification"]


def at_verified(service: Service, unit: int, name: str = "Đặng Văn Tư", **fields) -> int:
    """A candidate verified on 01/04/2024 (dossier 01/03/2024), born in 1995 unless told."""
    fields.setdefault("born", "01/01/1995")
    fields.setdefault("introducers", ["Ngô Văn Hai", "Đỗ Thị Ba"])
    cand = service.add_candidate(unit, name, date_="01/01/2024", **fields)
    for stage, day in (("class", "01/02/2024"), ("dossier", "01/03/2024"), ("verified", "01/04/2024")):
        service.advance(cand.id, stage, day)
    return cand.id


def refused_rule(call, *args, **kwargs) -> RuleRefused:
    with pytest.raises(RuleRefused) as err:
        call(*args, **kwargs)
    return err.value


# -- the record ----------------------------------------------------------------------------------
def test_a_paper_is_kept_with_its_day_and_who_recorded_it_and_old_records_still_read(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    cand = service.receive_paper(cid, "biography", "05/03/2024", note="bản viết tay")
    assert cand.papers == (Paper("biography", date(2024, 3, 5), service.user, cand.papers[0].at, "bản viết tay"),)
    assert Service(Store(service.store.path), today=TODAY).candidate(cid).papers == cand.papers  # stored
    assert Candidate.from_doc(1, {"unit": 1, "name": "Lê Văn Cũ"}).papers == ()  # written before papers
    assert "papers" not in Candidate(1, 1, "Lê Văn Cũ").to_doc()
    entry = service.log()[-1]
    assert entry["action"] == "candidate.paper" and entry["after"]["papers"][0]["kind"] == "biography"


def test_kinds_by_id_form_or_name_without_diacritics(service):
    assert [service.paper_kind(k) for k in ("ly lich", "Lý lịch", "2-KNĐ", "2-knd", "biography", "giay gioi thieu",
                                              "youth resolution", "ket luan tham tra ly lich")] == \
        ["biography"] * 5 + ["letter", "youth_resolution", "verification"]
    with pytest.raises(PtdvError) as err:
        service.paper_kind("giấy khai sinh")
    assert err.value.key == "paper.unknown_kind"


def test_every_kind_has_its_source_labels_and_the_rule_is_hard_at_the_branch_vote():
    for kind in papers.KINDS:
        assert kind.source and t(f"paper.{kind.id}", "vi") != f"paper.{kind.id}" != t(f"paper.{kind.id}", "en")
    assert [k.form for k in papers.KINDS if k.form] == ["1-KNĐ", "2-KNĐ", "3-KNĐ"]
    assert "source not found" in papers.KINDS_BY_ID["residence"].source
    spec = RULES_BY_ID["papers"]
    assert (spec.kind, spec.stage, spec.exception) == ("hard", "branch", False)
    assert "12-HD/BTCTW" in spec.source and "source not found" in spec.source


def test_a_future_day_a_candidate_who_left_and_a_wrong_correction_are_refused(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    for call, key in ((lambda: service.receive_paper(cid, "biography", "16/11/2024"), "stage.future_date"),
                      (lambda: service.remove_paper(cid, "biography"), "paper.none")):
        with pytest.raises(PtdvError) as err:
            call()
        assert err.value.key == key
    service.receive_paper(cid, "letter", "02/03/2024")
    with pytest.raises(PtdvError) as err:
        service.remove_paper(cid, "letter", 2)
    assert err.value.key == "paper.bad_index"
    assert service.remove_paper(cid, "letter", 1).papers == ()
    service.exit(cid, "chuyển công tác", day="15/11/2024")
    with pytest.raises(PtdvError) as err:
        service.receive_paper(cid, "biography", "15/11/2024")
    assert err.value.key == "candidate.exited"


# -- the branch vote ------------------------------------------------------------------------------
def test_the_branch_vote_is_refused_while_a_paper_is_missing_then_accepted(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    err = refused_rule(service.advance, cid, "branch", "02/05/2024")
    assert err.rule_id == "papers"
    assert "thiếu: đơn xin vào Đảng, lý lịch" in err.message("vi")
    assert "2 giấy giới thiệu" in err.message("vi") and "[quy tắc papers: Hướng dẫn 12-HD/BTCTW" in err.message("vi")
    assert service.candidate(cid).stage == "verified"  # nothing written
    for kind in EVERY[:-1]:
        service.receive_paper(cid, kind, "10/03/2024")
    err = refused_rule(service.advance, cid, "branch", "02/05/2024")
    assert err.params["missing"].text("en") == "verification conclusion"
    service.receive_paper(cid, "verification", "01/04/2024")
    assert service.advance(cid, "branch", "02/05/2024").stage == "branch"
    assert service.papers(service.candidate(cid)).complete


def test_a_paper_received_after_the_vote_day_does_not_count_for_it(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    receive_papers(service, cid, "10/05/2024")
    err = refused_rule(service.advance, cid, "branch", "02/05/2024")
    assert err.rule_id == "papers"
    assert service.advance(cid, "branch", "10/05/2024").stage == "branch"


def test_the_youth_union_route_needs_the_resolution_and_one_letter(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"], born="01/01/2000", youth_union=True, introducers=["Ngô Văn Hai"])
    found = service.papers(service.candidate(cid))
    assert found.youth_route
    needed = {i.kind: i.needed for i in found.items}
    assert needed["letter"] == 1 and needed["youth_resolution"] == 1
    for kind in ("application", "biography", "certificate", "letter", "comments", "verification"):
        service.receive_paper(cid, kind, "10/03/2024")
    err = refused_rule(service.advance, cid, "branch", "02/05/2024")
    assert err.params["missing"].text("vi") == "nghị quyết giới thiệu của BCH Đoàn"
    service.receive_paper(cid, "youth_resolution", "12/03/2024")
    assert service.advance(cid, "branch", "02/05/2024").stage == "branch"


def test_past_youth_age_a_youth_union_member_needs_two_letters_and_a_renter_the_wards_comment(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"], born="01/01/1980", youth_union=True, renter=True,
                      introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
    needed = {i.kind: i.needed for i in service.papers(service.candidate(cid)).items}
    assert needed["letter"] == 2 and "youth_resolution" not in needed and needed["residence"] == 1
    for kind in EVERY:
        service.receive_paper(cid, kind, "10/03/2024")
    err = refused_rule(service.advance, cid, "branch", "02/05/2024")
    assert err.params["missing"].text("en") == "comment of the ward where they rent"


def test_a_redone_dossier_needs_the_letters_and_comments_again(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    receive_papers(service, cid, "10/03/2024")
    service.advance(cid, "dossier", "01/06/2024")  # the dossier redone
    found = service.papers(service.candidate(cid))
    assert found.redone == date(2024, 6, 1)
    assert [(k, n) for k, n in found.missing] == [("letter", 2), ("comments", 1)]
    err = refused_rule(service.advance, cid, "branch", "03/06/2024")
    assert err.params["missing"].text("en") == "2 × introducer's letter, comments of the organisations and the " \
                                                 "residence branch"
    for kind in ("letter", "letter", "comments"):
        service.receive_paper(cid, kind, "02/06/2024")
    assert service.advance(cid, "branch", "03/06/2024").stage == "branch"


def test_old_histories_are_not_judged_for_papers_afterwards(small):
    service, ids = small
    cand = service.candidate(ids["cand4"])  # voted in 2024 with its papers; take them away as an old record
    old = cand.with_(papers=(), history=tuple(e.__class__(**{**e.__dict__, "breaches": None}) for e in cand.history))
    assert [b.rule for _, b in service.breaches(old)] == []


# -- the due list ----------------------------------------------------------------------------------
def test_the_due_list_says_what_is_missing(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    service.receive_paper(cid, "application", "10/03/2024")
    [item] = [i for i in service.due() if i.candidate.id == cid]
    assert item.finding.code == "papers" and item.finding.rule_id == "papers"
    text = t(item.finding.rule, "vi", **item.finding.params)
    assert text.startswith("Hồ sơ thiếu: lý lịch, giấy chứng nhận lớp nhận thức về Đảng, 2 giấy giới thiệu")
    receive_papers(service, cid, "10/03/2024")
    assert [i for i in service.due() if i.candidate.id == cid] == []


def test_at_the_dossier_the_verification_conclusion_is_not_yet_asked(small):
    service, ids = small
    cid = ids["cand2"]  # at the dossier since 11/03/2024
    for kind in EVERY[:-1]:
        service.receive_paper(cid, kind, "12/03/2024")
    assert [i.finding.code for i in service.due() if i.candidate.id == cid] == []
    assert service.papers(service.candidate(cid)).missing == [("verification", 1)]


# -- the CLI ---------------------------------------------------------------------------------------
@pytest.fixture
def run(store_path):
    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(store_path), *args], obj={"today": TODAY},
                                  env={"PTDV_LANG": None, "PTDV_DB": None})
    return invoke


def test_cli_paper_papers_and_show(run, small, store_path):
    service, ids = small
    cid = str(at_verified(service, ids["pm1"]))
    result = run("--lang", "en", "candidate", "advance", cid, "branch", "--date", "02/05/2024")
    assert result.exit_code == 1 and "rule papers" in result.output and "Dossier" not in result.output
    assert "The dossier is missing: application, biography" in result.output
    result = run("candidate", "paper", cid, "ly lich", "--date", "05/03/2024", "--note", "viết tay")
    assert result.exit_code == 0, result.output
    assert "đã nhận lý lịch ngày 05/03/2024" in result.output and "Thiếu: đơn xin vào Đảng" in result.output
    assert run("candidate", "paper", cid, "giay khai sinh").exit_code == 1
    data = json.loads(run("candidate", "papers", cid, "--json").output)
    assert data["complete"] is False and {"kind": "letter", "count": 2} in data["missing"]
    [bio] = [i for i in data["items"] if i["kind"] == "biography"]
    assert bio["form"] == "2-KNĐ" and bio["received"][0]["received"] == "2024-03-05" and bio["missing"] == 0
    text = run("--lang", "en", "candidate", "papers", cid).output
    assert "✓ biography (2-KNĐ): 1. 05/03/2024" in text and "✗ introducer's letter (3-KNĐ) 0/2: missing 2" in text
    removed = run("candidate", "paper", cid, "biography", "--remove", "1")
    assert removed.exit_code == 0, removed.output
    assert Service(Store(store_path), today=TODAY).candidate(cid).papers == ()  # the last paper: the key goes
    assert "✗ biography (2-KNĐ): missing" in run("--lang", "en", "candidate", "papers", cid).output
    for kind in EVERY + ["biography"]:
        assert run("candidate", "paper", cid, kind, "--date", "10/03/2024").exit_code == 0
    assert "Every paper the branch vote needs is received." in run("--lang", "en", "candidate", "papers", cid).output
    assert run("candidate", "advance", cid, "branch", "--date", "02/05/2024").exit_code == 0
    shown_ = run("--lang", "en", "candidate", "show", cid).output
    assert "Papers" in shown_ and "✓ verification conclusion: 1. 10/03/2024" in shown_
    assert json.loads(run("candidate", "show", cid, "--json").output)["dossier"]["complete"] is True


# -- the app -------------------------------------------------------------------------------------------
@pilot_test
async def test_h_opens_the_checklist_space_ticks_a_paper_and_the_screen_shows_it(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    for kind in EVERY[1:]:
        service.receive_paper(cid, kind, "10/03/2024")
    app = make_app(service, lang="vi", year=2024, candidate_id=cid)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        assert "✗ đơn xin vào Đảng" in flat(shown(app.screen.query_one("#papers")))
        keys = {b.binding.id: b.binding for b in app.screen.active_bindings.values() if b.enabled}
        assert keys["papers"].key == "h" and keys["papers"].description == "Hồ sơ"
        assert "Hồ sơ" in [label for label, _, _ in app.screen.commands()]  # the palette's commands
        await open_with(pilot, "h", PapersDialog)
        options = app.screen.query_one("#papers")
        assert options.option_count == 6 and options.highlighted == 0  # the two letters on one row
        assert "✗ đơn xin vào Đảng (1-KNĐ)" in str(options.get_option_at_index(0).prompt)
        await pilot.press("space")
        await settle(pilot)
        assert "✓ đơn xin vào Đảng (1-KNĐ)" in str(options.get_option_at_index(0).prompt)
        assert "15/11/2024" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")  # already received: nothing more
        await settle(pilot)
        assert [p.kind for p in service.candidate(cid).papers].count("application") == 1
        await open_with(pilot, "escape", CandidateScreen)
        papers_text = flat(shown(app.screen.query_one("#papers")))
        assert "✓ đơn xin vào Đảng 15/11/2024" in papers_text and "✗" not in papers_text
        assert service.advance(cid, "branch", "15/11/2024").stage == "branch"


@pilot_test
async def test_the_date_field_receives_on_another_day_and_delete_takes_it_back(small):
    service, ids = small
    cid = at_verified(service, ids["pm1"])
    app = make_app(service, lang="en", year=2024, candidate_id=cid)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_with(pilot, "h", PapersDialog)
        await pilot.press("down", "d")  # the biography, on another day
        await settle(pilot)
        field = app.screen.query_one("#paper-date")
        assert field.has_focus
        field.value = ""
        await pilot.press(*"05/03/2024", "enter")
        await settle(pilot)
        assert [(p.kind, p.received) for p in service.candidate(cid).papers] == [("biography", date(2024, 3, 5))]
        assert not app.screen.query_one("#date-row").display
        await pilot.press("delete")
        await settle(pilot)
        assert service.candidate(cid).papers == ()
        assert "the last one removed" in flat(shown(app.screen.query_one("#paper-message")))
