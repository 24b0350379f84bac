"""The candidate screen and the due list as a user reads and drives them."""
from __future__ import annotations

import asyncio

from conftest import TODAY, caller
from tui_pilot import flat, open_with, pilot_test, settle, shown

from db.i18n import t
from db.model import STAGES
from db.service import Service
from db.store import Store
from db.text import fmt_date
from tui.app import make_app
from tui.screens.advance_dialog import AdvanceDialog
from tui.screens.candidate import CandidateScreen
from tui.screens.candidate_form import CandidateForm
from tui.screens.due import DueScreen
from tui.screens.exit_dialog import ExitDialog


def section(app, ident: str) -> str:
    return flat(shown(app.screen.query_one(f"#{ident}")))


@pilot_test
async def test_candidate_screen_shows_the_record_timeline_and_warnings(small):
    service, ids = small
    cand = service.candidate(ids["cand1"])  # decided on 01/07/2024, ceremony not held
    app = make_app(service, lang="vi", year=2024, candidate_id=cand.id)
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        summary = section(app, "summary")
        assert f"#{cand.id} Nguyễn Văn An" in summary
        assert "Quận ủy Sơn Trà / Đảng ủy phường Phước Mỹ / Chi bộ khu dân cư số 1" in summary
        # 01/07/2024 to 15/11/2024
        assert f"{t('stage.decided', 'vi')} · 137 ngày" in summary
        findings = section(app, "findings")
        [finding] = service.findings(cand)
        assert finding.severity == "overdue"
        assert flat(f"! {t('severity.overdue', 'vi')} {fmt_date(finding.due)} "
                    f"{t(finding.rule, 'vi', **finding.params)}") in findings
        timeline = section(app, "timeline")
        for entry in cand.history:
            assert f"{t(f'stage.{entry.stage}', 'vi')} {fmt_date(entry.date)} {service.user}" in timeline
        for stage in STAGES[len(cand.history):]:
            assert f"{t(f'stage.{stage}', 'vi')} —" in timeline
        details = section(app, "details")
        assert "Giới tính Nữ" in details and "Người giới thiệu Ngô Văn Hai, Đỗ Thị Ba" in details
        assert "Đoàn viên không" in details and t("field.notes", "vi") in details


@pilot_test
async def test_candidate_screen_in_english_and_for_someone_who_left(small):
    service, ids = small
    service.exit(ids["cand2"], "Moved to another city", kind="withdrawn", day="01/11/2024")
    app = make_app(service, lang="en", year=2024, candidate_id=ids["cand2"])
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        summary = section(app, "summary")
        assert "Withdrawn: Moved to another city (on 01/11/2024; recorded by" in summary
        days = service.days_in_stage(service.candidate(ids["cand2"]))
        assert t("ui.candidate.days", "en", days=days) not in summary  # no days in a stage once left
        assert section(app, "findings") == "Warnings " + t("ui.candidate.no_findings", "en")
        assert "Gender Female" in section(app, "details")
        await pilot.press("greater_than_sign")  # advancing or leaving again are not offered
        await open_with(pilot, "x", CandidateScreen)


@pilot_test
async def test_keys_open_the_dialogs_and_the_screen_shows_what_was_saved(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand5"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, dialog in (("e", CandidateForm), ("greater_than_sign", AdvanceDialog), ("x", ExitDialog)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, dialog), key
            await open_with(pilot, "escape", CandidateScreen)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        await pilot.press("enter")  # today
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        assert f"{t('stage.class', 'vi')} · 0 ngày" in section(app, "summary")
        assert f"{t('stage.class', 'vi')} 15/11/2024" in section(app, "timeline")


@pilot_test
async def test_year_keys_and_back_keys_on_the_candidate_screen(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("left_square_bracket", "left_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert app.year == 2023 and isinstance(app.screen, CandidateScreen)
        assert "Nguyễn Văn An" in section(app, "summary")
        await pilot.press("left")
        await settle(pilot)
        assert not isinstance(app.screen, CandidateScreen)


@pilot_test
async def test_candidate_screen_follows_a_change_saved_elsewhere(small, store_path):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand6"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        service.add_user("colleague", ids["city"], "editor")  # a user with a role, since issue 5
        other = Service(Store(store_path), caller=caller("colleague"), today=TODAY)
        other.advance(ids["cand6"], None, "14/11/2024")
        for _ in range(30):  # the app looks at the file twice a second
            await asyncio.sleep(0.1)
            await pilot.pause()
            if "colleague" in section(app, "timeline"):
                break
        assert f"{t('stage.dossier', 'vi')} 14/11/2024 colleague" in section(app, "timeline")


# -- the due list ------------------------------------------------------------------------------
def due_rows(app) -> list[list[str]]:
    table = app.screen.table
    return [[cell.plain for cell in table.get_row(key)] for key in table.visible_keys()]


@pilot_test
async def test_due_list_most_urgent_first_and_enter_opens_the_candidate(small):
    service, ids = small
    service.edit(ids["cand2"], {"introducers": []})  # at the dossier stage without introducers: a warning
    app = make_app(service, lang="vi", year=2024)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.open_due(ids["son_tra"])
        await settle(pilot)
        assert isinstance(app.screen, DueScreen)
        rows = due_rows(app)
        assert [(row[0], row[2]) for row in rows] == [
            (f"! {t('severity.overdue', 'vi')}", "Nguyễn Văn An"),   # ceremony overdue since 12/08/2024
            (f"~ {t('severity.due', 'vi')}", "Lê Văn Cường"),         # decision due 26/11/2024
            (f"? {t('severity.warning', 'vi')}", "Trần Thị Bình"),    # introducers missing
            (f"? {t('severity.warning', 'vi')}", "Trần Thị Bình"),    # and the dossier's papers
        ]
        assert [row[1] for row in rows] == ["12/08/2024", "26/11/2024", t("value.none", "vi"), t("value.none", "vi")]
        assert rows[1][3] == "Chi bộ Trường THCS Phước Mỹ"
        assert rows[2][4].startswith(t("rule.introducers", "vi", count=0, needed=2)[:20])
        assert rows[3][4].startswith("Hồ sơ thiếu: đơn xin vào Đảng")
        assert f"({len(rows)})" in section(app, "heading")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen) and app.screen.candidate_id == ids["cand3"]
        await open_with(pilot, "backspace", DueScreen)


@pilot_test
async def test_due_list_says_when_nothing_is_due(small):
    service, ids = small
    app = make_app(service, lang="en", year=2024)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_due(ids["thach_thang"])
        await settle(pilot)
        assert due_rows(app) == []
        assert section(app, "empty") == t("ui.due.empty", "en")


@pilot_test
async def test_due_list_shows_the_most_urgent_and_says_how_many_more(small, monkeypatch):
    service, ids = small
    monkeypatch.setattr("tui.screens.due.SHOWN", 1)   # as if there were more items than a table shows
    app = make_app(service, lang="en", year=2024)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        app.open_due(ids["city"])
        await settle(pilot)
        rows = due_rows(app)
        assert [row[2] for row in rows] == ["Nguyễn Văn An"]      # the most urgent one only
        assert len(service.due(ids["city"])) > 1
        assert section(app, "heading") == t("ui.due.title_many", "en", unit="Đảng bộ thành phố Đà Nẵng", count=1)
        assert section(app, "more") == t("ui.due.more", "en", shown=1)
