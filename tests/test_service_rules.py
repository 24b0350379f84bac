"""What the rules leave behind, seen through the service and the command line: ``ptdv check`` lists the rules
candidates' recorded steps did not keep, and recognition's second step (the committee's decision after the
branch's vote) has its due date (docs/RULES.md)."""
from __future__ import annotations

from datetime import date

import orjson
import pytest
from click.testing import CliRunner

from db import rules
from db.errors import PtdvError
from db.i18n import t
from db.model import Candidate, Settings
from tui.cli import main

from conftest import TODAY
from test_transfer_rules import FULL, person, rows

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
LATE = "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022"
CEREMONY_SOURCE = "Quy định 232-QĐ/TW, điểm 4.1"


def run(service, *args: str):
    return CliRunner().invoke(main, ["--db", str(service.store.path), *args], obj={"today": TODAY}, env=CLEAN_ENV)


def outside(service) -> dict[str, int]:
    """Two candidates whose histories did not keep a rule: a late ceremony allowed by the superior committee,
    and a branch vote with one introducer."""
    late = person("Nguyễn Thị Muộn", **{**FULL, "admitted": "30/08/2022"}, exception=LATE)
    one = person("Lý Văn Một", introducers="Ngô Văn Hai", **FULL)
    plan = service.import_candidates(rows(late, one))
    return {p.after.name: p.after.id for p in plan.candidates.adds}


# -- ptdv check lists breaches -------------------------------------------------------------------
def test_check_lists_exceptions_then_breaches_each_with_its_rule(small):
    service, ids = small
    made = outside(service)
    problems, warnings = service.check_all(2024)
    assert problems == [] and service.check() == []  # not integrity problems
    found = [(key, p["id"], p["rule"], p["stage"], p["exception"]) for key, p in warnings
             if key in ("check.exception", "check.breach")]
    assert found == [("check.exception", made["Nguyễn Thị Muộn"], "ceremony", "admitted", LATE),
                     ("check.breach", made["Lý Văn Một"], "introducers", "branch", "")]


def test_ptdv_check_prints_them_as_warnings_with_their_sources(small):
    service, ids = small
    made = outside(service)
    result = run(service, "--lang", "en", "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == t("check.ok", "en")
    warned = lines[lines.index(t("check.warnings", "en", count=len(service.check_all(2024)[1]))):]
    late = next(l for l in warned if f"#{made['Nguyễn Thị Muộn']} " in l)
    assert "exception: " + LATE in late and "[rule ceremony: " + CEREMONY_SOURCE in late
    one = next(l for l in warned if f"#{made['Lý Văn Một']} " in l)
    assert t("breach.introducers", "en", count=1, needed=2) in one and "[rule introducers: Điều lệ Đảng, Điều 4]" in one
    data = orjson.loads(run(service, "--lang", "vi", "check", "--json").output)
    texts = {w["key"]: w["text"] for w in data["warnings"]}
    assert "ngoại lệ: " + LATE in texts["check.exception"] and "quy tắc introducers" in texts["check.breach"]


def test_check_reads_the_candidates_once_for_problems_and_breaches(small, monkeypatch):
    service, ids = small
    outside(service)
    made = []
    original = Candidate.from_doc.__func__
    monkeypatch.setattr(Candidate, "from_doc", classmethod(lambda cls, cid, doc: made.append(cid)
                                                           or original(cls, cid, doc)))
    fresh = type(service)(type(service.store)(service.store.path), today=TODAY)
    problems, warnings = fresh.check_all(2024)
    assert made and len(made) == len(set(made))   # every candidate made once, for problems and breaches alike
    assert any(key == "check.breach" for key, _ in warnings)
    made.clear()
    again = type(service)(type(service.store)(service.store.path), today=TODAY)
    assert again.check_all(2024) == (problems, warnings)
    assert made == []   # no part changed since: what check found of each is kept (ptdv.parts/checks.json)


# -- recognition: the branch votes, then the committee decides -----------------------------------------
@pytest.fixture
def on_probation(small):
    """A member admitted on 20/06/2023: probation ended on 20/06/2024."""
    service, ids = small
    waiting = person("Trần Văn Chờ", **{stage: day[:-4] + "2023" for stage, day in FULL.items()})
    [added] = service.import_candidates(rows(waiting)).candidates.adds
    return service, added.after.id


def test_the_branch_vote_alone_makes_the_committees_decision_due_in_30_working_days(on_probation):
    service, cid = on_probation
    assert [f.code for f in service.findings(service.candidate(cid))] == ["recognition"]  # the vote is due
    voted = service.record_vote(cid, "05/07/2024")
    assert voted.stage == "admitted" and voted.recognition_vote == date(2024, 7, 5)
    [finding] = service.findings(voted)
    due = Settings().calendar.add_workdays(date(2024, 7, 5), 30)
    assert (finding.code, finding.due, finding.severity, finding.source_rule) == \
        ("recognition_decision", due, "overdue", "recognition_decision")
    assert rules.source_text("recognition_decision", "en") == rules.source_text("recognition", "en")
    assert service.log()[-1]["action"] == "candidate.vote"
    official = service.advance(cid, "official", "10/10/2024")  # the decision, after its due date
    entry = official.history[-1]
    assert (entry.vote, official.recognition_vote) == (date(2024, 7, 5), None)
    assert [b.rule for b in entry.breaches] == ["recognition_decision"]
    assert [b.rule for e, b in service.breaches(official)] == ["recognition_decision"]


def test_a_decision_in_time_keeps_nothing(on_probation):
    service, cid = on_probation
    service.record_vote(cid, "05/07/2024")
    official = service.advance(cid, "official", "01/08/2024")
    assert official.history[-1].vote == date(2024, 7, 5) and official.history[-1].breaches == ()


def test_a_vote_is_refused_before_probation_ends_twice_or_before_admission(small, on_probation):
    service, cid = on_probation
    with pytest.raises(PtdvError) as err:
        service.record_vote(cid, "10/06/2024")
    assert err.value.key == "refused.probation" and "Điều lệ Đảng, Điều 5 khoản 1" in err.value.message("en")
    service.record_vote(cid, "05/07/2024")
    with pytest.raises(PtdvError) as err:
        service.record_vote(cid, "06/07/2024")
    assert err.value.key == "stage.vote_recorded"
    with pytest.raises(PtdvError) as err:
        service.advance(cid, "official", "01/08/2024", vote="06/07/2024")  # another vote than the one recorded
    assert err.value.key == "stage.vote_recorded"
    with pytest.raises(PtdvError) as err:
        service.record_vote(small[1]["cand1"], "05/07/2024")  # decided, not admitted
    assert err.value.key == "stage.vote_not_probation"


def test_a_store_written_before_the_vote_could_be_recorded_alone_reads_as_before():
    doc = {"unit": 3, "name": "Trần Văn Chờ", "history": [], "exit": None}
    old = Candidate.from_doc(9, doc)
    assert old.recognition_vote is None and "recognition_vote" not in old.to_doc()
    voted = old.with_(recognition_vote=date(2024, 7, 5))
    assert voted.to_doc()["recognition_vote"] == "2024-07-05"
    assert Candidate.from_doc(9, voted.to_doc()) == voted


def test_candidate_advance_with_vote_and_no_date_records_the_vote_alone(on_probation):
    service, cid = on_probation
    result = run(service, "--lang", "en", "candidate", "advance", str(cid), "official", "--vote", "05/07/2024")
    assert result.exit_code == 0, result.output
    due = Settings().calendar.add_workdays(date(2024, 7, 5), 30)
    assert result.output.strip() == t("cli.candidate.voted", "en", id=cid, name="Trần Văn Chờ", vote="05/07/2024",
                                      due=due.strftime("%d/%m/%Y"))
    assert service.candidate(cid).stage == "admitted"
    shown = run(service, "--lang", "en", "candidate", "show", str(cid))
    assert t("rule.recognition_decision", "en", vote="05/07/2024", workdays=30) in shown.output
    done = run(service, "--lang", "en", "candidate", "advance", str(cid), "--date", "01/08/2024")
    assert done.exit_code == 0, done.output
    assert service.candidate(cid).history[-1].vote == date(2024, 7, 5)
