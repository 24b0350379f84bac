"""The official calendar in the store (issue 12 item 5): the shipped days are the base, an admin adds the
days announced later (`ptdv calendar add/remove/list`), every session counts the same working days, and
the due list says when a date moved."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import orjson
import pytest
from click.testing import CliRunner

from db.errors import PtdvError
from db.model import Settings
from db.service import Service
from db.store import Store
from db.store.summaries import settings_key
from db.workdays import CalendarEntry, official_calendar
from tui.app import make_app
from tui.cli import main
from tui.screens.due import DueScreen

from conftest import TODAY, caller
from tui_pilot import pilot_test, settle

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
BRANCH_VOTE = date(2024, 9, 3)     # candidate 3 (Lê Văn Cường) was voted by the branch on Tue 03/09/2024
DECISION_DUE = date(2024, 11, 26)  # 60 working days later under the shipped calendar
EXTRA_DAY_OFF = "2024-10-15"       # a Tuesday between the two, which an "announcement" makes a day off


@pytest.fixture
def run(store_path):
    def invoke(*args: str, lang: str = "vi"):
        return CliRunner().invoke(main, ["--db", str(store_path), "--lang", lang, *args], obj={"today": TODAY},
                                  env=CLEAN_ENV)
    return invoke


def reopen(store_path) -> Service:
    """Another session (another process, another machine) on the same store."""
    return Service(Store(store_path), today=TODAY)


def decision_due(service: Service, cid: int) -> date:
    return next(f.due for f in service.findings(service.candidate(cid)) if f.code == "decision")


def records(store_path) -> dict:
    """The store's records as the files hold them (summaries and caches left out)."""
    folder = store_path.with_name(store_path.stem + ".parts")
    return {p.name: p.read_bytes() for p in [store_path, *folder.glob("p*.json")] if ".sum." not in p.name
            and ".rep." not in p.name}


def test_the_fixture_candidate_is_waiting_for_its_decision(small):
    service, ids = small
    assert service.candidate(ids["cand3"]).stage_date("branch") == BRANCH_VOTE
    assert decision_due(service, ids["cand3"]) == DECISION_DUE


def test_calendar_list_2026_shows_the_announced_swap_with_its_source(run, small):
    result = run("calendar", "list", "2026")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    off = next(line for line in lines if line.startswith("02/01/2026"))
    work = next(line for line in lines if line.startswith("10/01/2026"))
    assert "Ngày nghỉ" in off and "12729/VPCP-KGVX" in off and "có sẵn" in off
    assert "Ngày làm bù" in work and "T7" in work and "12729/VPCP-KGVX" in work
    rows = {r["date"]: r for r in json.loads(run("calendar", "list", "2026", "--json").output)}
    assert rows["2026-01-02"]["kind"] == "day_off" and rows["2026-01-02"]["origin"] == "shipped"
    assert rows["2026-01-02"]["source"].startswith("Công văn 12729/VPCP-KGVX ngày 25/12/2025")
    assert rows["2026-01-10"]["kind"] == "workday" and rows["2026-01-10"]["shipped"] is True
    assert rows["2026-01-10"]["by"] is None


def test_add_list_and_remove_through_the_cli(run, small, store_path):
    service, ids = small
    added = run("calendar", "add", "2027-05-04", "--day-off", "--source", "Thông báo 1/TB-BNV ngày 01/04/2027",
                "--label", "Nghỉ thêm dịp 30/4–1/5")
    assert added.exit_code == 0, added.output
    assert "04/05/2027" in added.output and "Nghỉ thêm dịp 30/4–1/5" in added.output
    rows = {r["date"]: r for r in json.loads(run("calendar", "list", "2027", "--json").output)}
    row = rows["2027-05-04"]
    assert (row["kind"], row["origin"], row["label"], row["by"]) == (
        "day_off", "added", "Nghỉ thêm dịp 30/4–1/5", service.user)
    assert row["source"] == "Thông báo 1/TB-BNV ngày 01/04/2027" and row["at"]
    listed = run("calendar", "list", "2027", lang="en").output
    assert f"added by {service.user}" in next(line for line in listed.splitlines() if line.startswith("04/05/2027"))
    assert not reopen(store_path).state().settings.calendar.is_workday(date(2027, 5, 4))
    removed = run("calendar", "remove", "04/05/2027")
    assert removed.exit_code == 0, removed.output
    assert "2027-05-04" not in {r["date"] for r in json.loads(run("calendar", "list", "2027", "--json").output)}
    assert reopen(store_path).state().settings.calendar.is_workday(date(2027, 5, 4))


def test_adding_and_removing_are_audited_writes_of_the_top_unit(small):
    service, ids = small
    entry = service.add_calendar_day("2027-05-04", "day_off", "Thông báo 1/TB-BNV", "Nghỉ bù")
    assert (entry.by, entry.kind, entry.shipped) == (service.user, "day_off", False)
    service.remove_calendar_day(date(2027, 5, 4))
    add, remove = service.log()[-2:]
    assert (add["action"], add["target"], add["unit"], add["before"]) == (
        "calendar.add", "calendar:2027-05-04", ids["city"], None)
    assert add["after"] == {"date": "2027-05-04", "kind": "day_off", "label": "Nghỉ bù", "source": "Thông báo 1/TB-BNV"}
    assert (remove["action"], remove["before"], remove["after"]) == ("calendar.remove", add["after"], None)


def test_a_user_who_is_not_admin_of_the_top_unit_is_refused_and_nothing_is_written(small, store_path, run):
    service, ids = small
    service.add_user("ward_admin", ids["phuoc_my"], "admin")
    service.add_calendar_day("2027-05-04", "day_off", "Thông báo 1/TB-BNV")
    before = records(store_path)
    ward_admin = Service(Store(store_path), caller=caller("ward_admin"), today=TODAY)
    for attempt in (lambda: ward_admin.add_calendar_day("2027-05-05", "day_off", "x"),
                    lambda: ward_admin.remove_calendar_day("2027-05-04")):
        with pytest.raises(PtdvError) as err:
            attempt()
        assert err.value.key.startswith("access.")
    assert records(store_path) == before
    assert len(ward_admin.calendar(2027)) == len(service.calendar(2027))  # reading it is for every user


def test_an_added_day_off_moves_a_due_date_and_every_session_and_summary_follows(small, store_path):
    service, ids = small
    cid, branch = ids["cand3"], ids["pm2"]
    other = reopen(store_path)
    assert other.state().source.counts([branch])[branch].due == [DECISION_DUE]   # summaries made, cached
    service.add_calendar_day(EXTRA_DAY_OFF, "day_off", "Thông báo 2/TB-BNV")
    later = date(2024, 11, 27)
    assert decision_due(service, cid) == later
    assert service.state().source.counts([branch])[branch].due == [later]
    assert decision_due(other, cid) == later                                   # a session opened before
    assert other.state().source.counts([branch])[branch].due == [later]
    assert decision_due(reopen(store_path), cid) == later                      # and one opened after
    summary = orjson.loads((store_path.with_name("ptdv.parts") / f"p{ids['phuoc_my']}.sum.json").read_bytes())
    assert summary["counts"][str(branch)]["due"] == [later.isoformat()]
    assert summary["settings"] == settings_key(reopen(store_path).state().settings)


def test_the_due_list_says_which_date_moved_and_why(run, small):
    service, ids = small
    service.add_calendar_day(EXTRA_DAY_OFF, "day_off", "Thông báo 2/TB-BNV", "Nghỉ thêm")
    item = next(i for i in service.due() if i.candidate.id == ids["cand3"] and i.finding.code == "decision")
    assert item.finding.due == date(2024, 11, 27)
    assert item.moved.before == DECISION_DUE and [e.day for e in item.moved.changes] == [date(2024, 10, 15)]
    assert all(i.moved is None for i in service.due() if i is not item and i.finding.code != "decision"
               or i.candidate.id != ids["cand3"])
    line = next(line for line in run("due").output.splitlines() if "Lê Văn Cường" in line)
    assert "27/11/2024" in line and "trước là 26/11/2024" in line and "15/10/2024 ngày nghỉ «Nghỉ thêm»" in line
    rows = json.loads(run("due", "--json").output)
    moved = next(r for r in rows if r["candidate"] == ids["cand3"] and r["code"] == "decision")["moved"]
    assert moved == {"before": "2024-11-26", "calendar": [
        {"date": "2024-10-15", "kind": "day_off", "label": "Nghỉ thêm", "source": "Thông báo 2/TB-BNV",
         "shipped": False, "by": service.user, "at": moved["calendar"][0]["at"]}]}


def test_a_made_up_day_that_cancels_an_added_day_off_moves_nothing(small):
    service, ids = small
    service.add_calendar_day(EXTRA_DAY_OFF, "day_off", "Thông báo 2/TB-BNV")
    service.add_calendar_day("2024-10-19", "workday", "Thông báo 2/TB-BNV")   # Saturday worked in exchange
    assert decision_due(service, ids["cand3"]) == DECISION_DUE
    assert all(i.moved is None for i in service.due())


def test_restoring_the_version_before_the_change_gives_the_old_due_date(small, store_path):
    service, ids = small
    version = service.log()[-1]["seq"]
    service.add_calendar_day(EXTRA_DAY_OFF, "day_off", "Thông báo 2/TB-BNV")
    assert decision_due(reopen(store_path), ids["cand3"]) == date(2024, 11, 27)
    service.restore(version)
    fresh = reopen(store_path)
    assert decision_due(fresh, ids["cand3"]) == DECISION_DUE
    assert fresh.state().source.counts([ids["pm2"]])[ids["pm2"]].due == [DECISION_DUE]
    assert "2024-10-15" not in {r.entry.day.isoformat() for r in fresh.calendar(2024)}
    assert decision_due(service, ids["cand3"]) == DECISION_DUE


def test_the_shipped_days_cannot_be_removed(run, small):
    result = run("calendar", "remove", "02/01/2026")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "02/01/2026" in result.stderr and "không gỡ được" in result.stderr
    with pytest.raises(PtdvError) as err:
        small[0].remove_calendar_day("2026-01-05")                     # nothing there at all
    assert err.value.key == "calendar.no_entry"


@pytest.mark.parametrize("args, key", [
    (("2026-01-02", "day_off"), "calendar.as_shipped"),     # the shipped calendar says so already
    (("2026-09-19", "day_off"), "calendar.weekend"),        # a Saturday is off anyway
    (("2026-09-16", "workday"), "calendar.already_workday"),  # a Wednesday is a working day anyway
    (("1999-05-03", "day_off"), "calendar.bad_year"),
    (("2026-09-16", "holiday"), "calendar.bad_kind"),
])
def test_an_entry_that_would_change_nothing_or_cannot_be_is_refused(small, store_path, args, key):
    service = small[0]
    before = records(store_path)
    with pytest.raises(PtdvError) as err:
        service.add_calendar_day(*args, "Thông báo 3/TB-BNV")
    assert err.value.key == key
    assert records(store_path) == before


def test_a_day_is_added_once_and_needs_its_source(run, small):
    service = small[0]
    service.add_calendar_day("2027-05-04", "day_off", "Thông báo 1/TB-BNV")
    with pytest.raises(PtdvError) as err:
        service.add_calendar_day("2027-05-04", "day_off", "Thông báo 1/TB-BNV")
    assert err.value.key == "calendar.exists"
    with pytest.raises(PtdvError) as err:
        service.add_calendar_day("2027-05-05", "day_off", "   ")
    assert err.value.key == "input.required"
    for args in (("2027-05-05", "--source", "x"), ("2027-05-05", "--day-off"),
                 ("2027-05-05", "--day-off", "--workday", "--source", "x")):
        result = run("calendar", "add", *args)
        assert result.exit_code in (1, 2) and "Traceback" not in result.output and result.stderr


def test_an_added_entry_replaces_the_shipped_one_of_its_date(run, small):
    service = small[0]
    service.add_calendar_day("2026-08-31", "workday", "Thông báo 4/TB-BNV", "Hủy nghỉ bù")  # the swap called off
    calendar = service.state().settings.calendar
    assert calendar.is_workday(date(2026, 8, 31))
    rows = [r for r in json.loads(run("calendar", "list", "2026", "--json").output) if r["date"] == "2026-08-31"]
    assert [(r["kind"], r["origin"]) for r in rows] == [("day_off", "replaced"), ("workday", "added")]
    service.remove_calendar_day("2026-08-31")
    assert not service.state().settings.calendar.is_workday(date(2026, 8, 31))


def test_a_year_outside_the_data_lists_its_estimated_days_and_takes_added_ones(small):
    service = small[0]
    rows = service.calendar(2028)
    assert rows and {r.origin for r in rows} == {"estimated"}
    assert date(2028, 5, 1) in {r.entry.day for r in rows}
    assert service.state().settings.calendar.is_workday(date(2028, 6, 6))
    service.add_calendar_day("2028-06-06", "day_off", "Thông báo 5/TB-BNV")
    assert not service.state().settings.calendar.is_workday(date(2028, 6, 6))    # an added day off counts there too


def test_the_settings_carry_the_calendar_without_writing_it_and_the_summary_key_follows_it():
    plain = Settings()
    assert plain.calendar is official_calendar() and "store_calendar" not in plain.to_doc()
    extra = CalendarEntry(date(2024, 10, 15), "day_off", "x", "x", "x", by="admin", at="2024-10-01T00:00:00")
    added = replace(plain, store_calendar=official_calendar().with_added([extra]))
    assert added.to_doc() == plain.to_doc()
    assert added.calendar.add_workdays(BRANCH_VOTE, 60) == date(2024, 11, 27)
    assert plain.calendar.add_workdays(BRANCH_VOTE, 60) == DECISION_DUE
    assert settings_key(added) != settings_key(plain)
    assert Settings.from_doc(plain.to_doc()) == plain


@pilot_test
async def test_the_apps_due_list_says_which_date_moved(small):
    service, ids = small
    service.add_calendar_day(EXTRA_DAY_OFF, "day_off", "Thông báo 2/TB-BNV", "Nghỉ thêm")
    app = make_app(service, lang="vi", year=2024)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        app.open_due(ids["son_tra"])
        await settle(pilot)
        assert isinstance(app.screen, DueScreen)
        table = app.screen.table
        rows = [[cell.plain for cell in table.get_row(key)] for key in table.visible_keys()]
        row = next(r for r in rows if r[2] == "Lê Văn Cường")
        assert row[1] == "27/11/2024"
        record = next(r for r in table.records if r.key == f"{ids['cand3']}:decision")
        assert "trước là 26/11/2024" in record.cells[4] and "15/10/2024 ngày nghỉ «Nghỉ thêm»" in record.cells[4]
        assert all("trước là" not in str(r.cells[4]) for r in table.records if r is not record)
        note = str(app.screen.query_one("#moved").render())   # the rule column is narrow: said under the table
        assert "(1)" in note and "#3 Lê Văn Cường: 27/11/2024" in note and "trước là 26/11/2024" in note
