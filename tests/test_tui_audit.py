"""The audit screen as a user drives it: opened with ``l`` from a unit, newest change first with
its labels, narrowed by person and by days, one entry shown whole with Enter, Back, read only;
and a snapshot at 80×24."""
from __future__ import annotations

from datetime import datetime

from conftest import OFFICER
from textual.widgets import Input, Select, Static

from db.i18n import t
from tui.app import make_app
from tui.screens.audit import AuditEntryScreen, AuditScreen
from tui.screens.unit import UnitScreen
from tui.widgets.record_table import RecordTable
from tui_pilot import flat, open_from_unit, open_with, pilot_test, read_in, settle, shown

SIZE = (120, 40)
def records(app) -> dict[str, tuple[str, ...]]:
    """The rows the audit table shows, in order: key -> cells as text (before any cut to width)."""
    table = app.screen.query_one(RecordTable)
    cells = {r.key: tuple(c if isinstance(c, str) else c.plain for c in r.cells) for r in table.records}
    return {key: cells[key] for key in table.visible_keys()}


async def open_log(pilot, unit_id: int) -> AuditScreen:
    return await open_from_unit(pilot, unit_id, "l", AuditScreen)


# -- opening it, what it shows -------------------------------------------------------------
@pilot_test
async def test_l_on_a_unit_opens_its_log_newest_first_with_labels(logged):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        await open_log(pilot, ids["phuoc_my"])
        rows = list(records(app).values())
        when, who, action, record, change = rows[0]
        assert (when, who) == ("15/11/2024 09:30", OFFICER)
        assert action == t("cli.action.candidate.advance")
        assert record == "#2 Trần Thị Bình"
        assert change == f"{t('field.stage')}: {t('stage_short.verified')} (15/11/2024)"
        assert rows[1][2:] == (t("cli.action.candidate.edit"), "#2 Trần Thị Bình",
                               f"{t('field.education')}: {t('value.none')} → {t('education.university')}")
        whens = [datetime.strptime(row[0], "%d/%m/%Y %H:%M") for row in rows]
        assert whens == sorted(whens, reverse=True)
        # Thạch Thang is not under Phước Mỹ: its quota change is not in this log
        assert not any("Thạch Thang" in row[3] for row in rows)
        heading = str(app.screen.query_one("#heading", Static).content)
        assert heading == t("ui.audit.title", unit="Đảng ủy phường Phước Mỹ", count=len(rows))


@pilot_test
async def test_the_branch_screen_opens_the_log_and_back_returns(logged):
    service, ids = logged
    app = make_app(service, lang="en", year=2024, unit_id=ids["pm2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        branch = app.screen
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen) and app.screen.unit_id == ids["pm2"]
        rows = list(records(app).values())
        # the only candidate of this branch is Lê Văn Cường; the edited one (#2) is in another branch
        assert rows and all("Lê Văn Cường" in row[3] or "Chi bộ Trường" in row[3] for row in rows)
        assert rows[0][2] == t("cli.action.candidate.advance", "en")
        await pilot.press("backspace")
        await settle(pilot)
        assert app.screen is branch


# -- filters ------------------------------------------------------------------------------
@pilot_test
async def test_filter_by_person_shows_only_their_changes(logged):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(pilot, ids["phuoc_my"])
        everyone = records(app)
        assert {row[1] for row in everyone.values()} == {"canbo.tochuc", OFFICER}
        await pilot.press("p")
        assert app.focused is screen.query_one("#person", Select)
        await pilot.press("enter", "down", "enter")   # the menu: everyone, canbo.pm, canbo.tochuc
        await settle(pilot)
        theirs = records(app)
        assert [row[1] for row in theirs.values()] == [OFFICER]
        assert str(screen.query_one("#heading", Static).content) == \
            t("ui.audit.title", unit="Đảng ủy phường Phước Mỹ", count=1)


@pilot_test
async def test_filter_by_days_narrows_and_a_reversed_range_is_refused_in_words(logged):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(pilot, ids["phuoc_my"])
        total = len(records(app))
        await pilot.press("f")
        assert app.focused is screen.query_one("#since", Input)
        await pilot.press(*"14/11/2024", "enter")
        await settle(pilot)
        assert app.focused is screen.query_one(RecordTable)
        since_14 = records(app)
        assert [row[0][:10] for row in since_14.values()] == ["15/11/2024", "14/11/2024"]
        assert total > len(since_14)

        screen.query_one("#until", Input).focus()
        await pilot.press(*"14/11/2024")
        await settle(pilot)
        assert [row[0] for row in records(app).values()] == ["14/11/2024 09:30"]

        screen.query_one("#since", Input).value = "15/11/2024"   # after the last day: refused, rows stay
        await settle(pilot)
        problem = screen.query_one("#problem", Static)
        assert problem.display
        assert flat(shown(problem)) == t("audit.bad_range", since="15/11/2024", until="14/11/2024")
        assert [row[0] for row in records(app).values()] == ["14/11/2024 09:30"]


@pilot_test
async def test_slash_filters_by_any_text_of_the_rows(logged):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        await open_log(pilot, ids["phuoc_my"])
        await pilot.press("slash", *"dai hoc", "enter")   # diacritics ignored: "Đại học"
        await settle(pilot)
        rows = list(records(app).values())
        assert [row[2] for row in rows] == [t("cli.action.candidate.edit")]


@pilot_test
async def test_more_than_the_rows_shown_says_how_many_are_left(logged, monkeypatch):
    service, ids = logged
    monkeypatch.setattr("tui.screens.audit.SHOWN", 5)
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(pilot, ids["phuoc_my"])
        total = len(service.log(ids["phuoc_my"]))
        assert len(records(app)) == 5
        assert flat(shown(screen.query_one("#more", Static))) == t("ui.audit.more", shown=5, more=total - 5)
        assert list(records(app))[0] == str(service.log(ids["phuoc_my"])[-1]["seq"])  # still the newest


# -- one entry whole, read only -------------------------------------------------------------
@pilot_test
async def test_enter_shows_the_entry_whole_and_escape_goes_back(logged):
    service, ids = logged
    app = make_app(service, lang="en", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_log(pilot, ids["phuoc_my"])
        await pilot.press("down", "enter")   # the second newest: the admin's edit
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, AuditEntryScreen)
        assert flat(shown(detail.query_one("#changes", Static))) == \
            f"• {t('field.education', 'en')}: {t('value.none', 'en')} → {t('education.university', 'en')}"
        record = flat(shown(detail.query_one("#record", Static)))
        assert f"≠ {t('field.education', 'en')} {t('value.none', 'en')} {t('education.university', 'en')}" in record
        assert f"{t('field.name', 'en')} Trần Thị Bình Trần Thị Bình" in record   # unchanged, shown too
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await open_with(pilot, "escape", UnitScreen)


@pilot_test
async def test_no_key_on_the_audit_screen_writes(logged, store_path):
    service, ids = logged
    log_file = service.store.audit_path
    before = log_file.read_bytes(), store_path.read_bytes()
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        await open_log(pilot, ids["phuoc_my"])
        for key in ("a", "e", "x", "greater_than_sign", "d", "t", "delete", "s", "enter", "e", "x", "escape"):
            await pilot.press(key)
            await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
    assert (log_file.read_bytes(), store_path.read_bytes()) == before


# -- picture ------------------------------------------------------------------------------
def test_audit_screen_80x24(logged, snap_compare):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])

    async def open_it(pilot) -> None:
        await read_in(pilot)
        await pilot.press("l")
        await read_in(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_it)


@pilot_test
async def test_the_palette_offers_the_log_of_the_unit_on_screen(logged):
    service, ids = logged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {label: run for label, run, _ in app.screen.commands()}
        await commands[t("ui.audit.key.open")]()
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen) and app.screen.unit_id == ids["pm1"]
