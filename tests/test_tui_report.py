"""The report screen as a user drives it: ``r`` on a unit opens the report of the app's year, the rows
and total are the service's, the period keys and the year keys change what it shows, ``w`` writes the
Excel file the CLI writes and says where, a write that fails says why and keeps the dialog, a unit
outside one's scope is refused; snapshots at 80×24 and 120×40."""
from __future__ import annotations

import errno
import os
import stat

import pytest
from conftest import TODAY, caller
from openpyxl import load_workbook
from textual.widgets import Input, Static

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from tui import report_output
from tui.app import make_app
from tui.output import number
from tui.screens.report import ReportScreen, file_name
from tui.files import write_error
from tui.screens.write_report_dialog import WriteReportDialog
from tui.widgets.report_chart import ReportChart
from tui.widgets.report_table import ReportTable
from tui.screens.unit import UnitScreen
from tui_pilot import flat, notified, open_from_unit, open_with, pilot_test, read_in, settle, shown

SIZE = (120, 40)


def table_rows(screen: ReportScreen) -> dict[str, list[str]]:
    """The rows the table shows, in order: key ("total" or the unit's id) -> cells as text."""
    table = screen.query_one(ReportTable)
    return {row.key.value: [cell.plain.strip() for cell in table.get_row(row.key)] for row in table.ordered_rows}


def expected_rows(report, lang: str = "vi") -> dict[str, list[str]]:
    """What the service's report says, cell by cell as the CLI writes them: the total first."""
    columns = report_output.columns(lang)
    return {("total" if row.unit is None else str(row.unit)):
            [report_output.cell_text(c.value(row), c.kind, lang) for c in columns]
            for row in [report.total, *report.rows]}


def heading(screen: ReportScreen) -> str:
    return flat(shown(screen.query_one("#heading", Static)))


async def open_report(pilot, unit_id: int) -> ReportScreen:
    return await open_from_unit(pilot, unit_id, "r", ReportScreen)


# -- opening it, what it shows ---------------------------------------------------------------
@pilot_test
async def test_r_on_a_unit_shows_the_services_rows_and_total_for_the_year(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["city"])
        report = service.report(ids["city"], 2024)
        rows = table_rows(screen)
        assert rows == expected_rows(report)
        # one row per district in the service's order, the total first (kept in sight when the rows scroll)
        assert list(rows) == list(expected_rows(report))
        assert set(rows) == {"total", str(ids["son_tra"]), str(ids["hai_chau"])}
        assert rows["total"][0] == t("report.total")
        assert rows[str(ids["son_tra"])][0] == "Quận ủy Sơn Trà"
        assert report.total.admitted > 0  # the small store admits in 2024: the figures are not all zero
        assert heading(screen) == (f"{t('report.unit', unit='Đảng bộ thành phố Đà Nẵng')} · "
                                   f"{t('report.own_target', target=number(report.target, 'vi'))} "
                                   f"{report_output.period_label(report, 'vi')}")
        assert screen.title == t("report.title")
        chart = shown(screen.query_one(ReportChart))
        assert chart.splitlines()[0] == t("report.chart", bar="█", plan="│")
        assert [line.split()[0] for line in chart.splitlines()[1:]] == ["Q1", "Q2", "Q3", "Q4"]
        q4 = report.quarters[3]
        assert chart.splitlines()[4].endswith(f"{q4.cumulative}/{q4.plan}")
        notes = shown(screen.query_one("#notes", Static)).splitlines()
        assert notes == report_output.note_lines(report, "vi")


@pilot_test
async def test_the_period_keys_change_the_label_the_figures_and_the_chart(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["city"])
        year_rows = table_rows(screen)
        for keys, quarter, half in ((["1"], 1, None), (["3"], 3, None), (["h"], None, 2), (["h"], None, 1),
                                    (["4", "h"], None, 2), (["y"], None, None)):
            await pilot.press(*keys)
            await settle(pilot)
            report = service.report(ids["city"], 2024, quarter, half)
            assert table_rows(screen) == expected_rows(report), keys
            assert report_output.period_label(report, "vi") in heading(screen)
            quarters_drawn = len(shown(screen.query_one(ReportChart)).splitlines()) - 1
            assert quarters_drawn == report.period.months[1] // 3
        # the first quarter admitted no one; the year did: the figures on screen did change
        assert service.report(ids["city"], 2024, 1).total.admitted == 0 < service.report(ids["city"], 2024).total.admitted
        assert table_rows(screen) == year_rows


@pilot_test
async def test_the_year_keys_reload_the_report_and_keep_the_period(small):
    service, ids = small
    service.set_quota(ids["city"], 2025, target=9)
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["city"])
        await pilot.press("2", "right_square_bracket")
        await settle(pilot)
        report = service.report(ids["city"], 2025, 2)
        assert table_rows(screen) == expected_rows(report)
        assert t("report.period.quarter", quarter=2, year=2025) in heading(screen)
        assert t("report.own_target", target=9) in heading(screen)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert table_rows(screen) == expected_rows(service.report(ids["city"], 2024, 2))


@pilot_test
async def test_a_change_saved_elsewhere_shows_up_in_the_report(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["city"])
        before = service.report(ids["city"], 2024).total.admitted
        other = Service(Store(service.store.path), today=TODAY)
        other.advance(ids["cand3"], None, "01/10/2024")   # Lê Văn Cường: the committee, then the decision
        other.advance(ids["cand3"], None, "04/11/2024")
        report = other.report(ids["city"], 2024)   # the app's service learns of it from its own watch
        assert report.total.admitted == before + 1
        for _ in range(30):
            if table_rows(screen) == expected_rows(report):
                break
            await pilot.pause(0.1)
        assert table_rows(screen) == expected_rows(report)


# -- moving about ---------------------------------------------------------------------------
@pilot_test
async def test_enter_opens_a_units_report_and_back_returns_through_the_reports(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        city = await open_report(pilot, ids["city"])
        await pilot.press("3")
        table = city.query_one(ReportTable)
        table.move_cursor(row=list(table_rows(city)).index(str(ids["son_tra"])))
        await open_with(pilot, "enter", ReportScreen)
        son_tra = app.screen
        assert son_tra.unit_id == ids["son_tra"]
        assert table_rows(son_tra) == expected_rows(service.report(ids["son_tra"], 2024))
        await pilot.press("backspace")
        await settle(pilot)
        assert app.screen is city
        table.move_cursor(row=0)
        await pilot.press("enter")   # the total: no unit to open
        await settle(pilot)
        assert app.screen is city
        await pilot.press("right", "left", "left")   # a column right and back, then past the left edge
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["city"]


def whole_lines(table: ReportTable) -> list[str]:
    """Each line of the table, headings and rows, as it reads with every column side by side: each cell padded,
    its text to the left or, a figure, to the right."""
    pad = " " * table.cell_padding
    columns = table.ordered_columns
    headings = [column.label.plain.split("\n") for column in columns]
    lines = ["".join(pad + (heading[i] if i < len(heading) else "").ljust(column.width) + pad
                     for column, heading in zip(columns, headings)) for i in range(table.header_height)]
    for row in table.ordered_rows:
        lines.append("".join(pad + (cell.plain.rjust(column.width) if cell.justify == "right"
                                    else cell.plain.ljust(column.width)) + pad
                             for column, cell in zip(columns, table.get_row(row.key))))
    return lines


def in_view(table: ReportTable, line: str) -> str:
    """The part of a whole line on screen: the unit's name, then the figures from the horizontal scroll."""
    fixed = table.ordered_columns[0].get_render_width(table)
    scroll = round(table.scroll_x)
    return (line[:fixed] + line[fixed + scroll:scroll + table.size.width]).rstrip()


@pilot_test
async def test_every_figure_scrolled_into_view_is_painted_under_its_heading(small):
    """→ brings the figures into view a column at a time, ← takes them back: each time the lines read as the whole
    lines seen through the screen, the unit names kept at the left, a column cut at the edge shown in part (the
    table paints only the columns in view, and paints them again when the figures scroll)."""
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_report(pilot, ids["city"])
        table = screen.query_one(ReportTable)
        whole = whole_lines(table)
        assert len(whole) == table.header_height + 3 and len(shown(table).splitlines()) == len(whole)  # all shown
        offsets = set()

        async def check(key: str | None) -> None:
            if key:
                await pilot.press(key)
                await pilot.pause()
            assert shown(table).splitlines() == [in_view(table, line) for line in whole], (key, table.scroll_x)
            offsets.add(round(table.scroll_x))

        await check(None)  # as the report opens
        while table.scroll_x < table.max_scroll_x:
            await check("right")
        while table.scroll_x > 0:
            await check("left")
        assert len(offsets) > 3  # it did scroll, a column at a time


@pilot_test
async def test_the_palette_and_help_offer_the_report(small):
    service, ids = small
    app = make_app(service, lang="en", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        commands = {label: run for label, run, _ in app.screen.commands()}
        await commands[t("ui.report.key.open", "en")]()
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.unit_id == ids["phuoc_my"]
        labels = {label for label, _, _ in app.screen.commands()}
        assert {t(f"ui.report.key.{k}", "en") for k in ("year", "q1", "q4", "half", "write")} <= labels


@pilot_test
async def test_a_unit_outside_ones_scope_is_refused_with_the_services_words(small, store_path):
    service, ids = small
    service.add_user("bob", ids["phuoc_my"], "editor")
    bob = Service(Store(store_path), caller=caller("bob"), today=TODAY)
    with pytest.raises(PtdvError) as refusal:
        bob.report(ids["son_tra"], 2024)
    app = make_app(bob, lang="en", year=2024, unit_id=ids["son_tra"])   # he sees Sơn Trà's totals
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["son_tra"]
        assert refusal.value.message("en") in notified(app)


# -- writing the file ---------------------------------------------------------------------------
@pilot_test
async def test_w_writes_the_xlsx_into_the_working_folder_and_says_where(small, folder):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["phuoc_my"])
        await pilot.press("3")
        await open_with(pilot, "w", WriteReportDialog)
        expected = folder / "bao-cao-dang-uy-phuong-phuoc-my-2024-q3.xlsx"
        assert app.screen.query_one("#path", Input).value == str(expected)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert t("cli.report.written", path=str(expected)) in notified(app)
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600  # the owner's only, as every file ptdv writes
    assert list(folder.iterdir()) == [expected]
    sheet = load_workbook(expected).active
    report = service.report(ids["phuoc_my"], 2024, 3)
    # under the 36-HD/VPTW heading (rows 1-4): title, unit, period
    assert [sheet.cell(n, 1).value for n in (6, 7, 8)] == report_output.heading_lines(report, "vi")[:3]
    assert sheet.cell(7, 1).value == t("report.unit", unit="Đảng bộ thành phố Đà Nẵng/Quận ủy Sơn Trà/Đảng ủy phường Phước Mỹ")


@pilot_test
async def test_the_path_can_be_edited_and_a_folder_gets_the_files_name(small, folder):
    service, ids = small
    (folder / "reports").mkdir()
    app = make_app(service, lang="en", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        await open_report(pilot, ids["city"])
        await pilot.press("h")
        for typed, written in (("reports", folder / "reports" / "report-dang-bo-thanh-pho-da-nang-2024-h1.xlsx"),
                               ("q2 summary", folder / "q2 summary.xlsx")):
            await open_with(pilot, "w", WriteReportDialog)
            field = app.screen.query_one("#path", Input)
            field.value = typed
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ReportScreen)
            assert load_workbook(written).active.cell(8, 1).value.startswith(
                t("report.period.half1", "en", year=2024))
            assert t("cli.report.written", "en", path=str(written)) in notified(app)


@pilot_test
async def test_a_write_that_fails_says_why_in_the_users_words_and_keeps_the_dialog(small, folder):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_report(pilot, ids["city"])
        await open_with(pilot, "w", WriteReportDialog)
        dialog = app.screen
        missing = folder / "khong-co"
        dialog.query_one("#path", Input).value = str(missing / "bc.xlsx")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog
        problem = dialog.query_one("#problem", Static)
        assert flat(shown(problem)) == t("ui.report.no_folder", folder=str(missing))
        dialog.query_one("#path", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert flat(shown(problem)) == t("ui.report.no_path")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert not [n for n in notified(app) if str(folder) in n]
    assert list(folder.iterdir()) == []


@pilot_test
async def test_a_full_disk_leaves_no_file_and_says_so_in_the_dialog(small, folder, monkeypatch):
    service, ids = small
    real = os.write

    def write(fd: int, data) -> int:  # the report's file stops after a few bytes, as on a full disk
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
            return real(fd, data)
        if os.fstat(fd).st_size == 0:
            return real(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        await open_report(pilot, ids["city"])
        await open_with(pilot, "w", WriteReportDialog)
        dialog = app.screen
        path = folder / "bc.xlsx"
        dialog.query_one("#path", Input).value = str(path)
        monkeypatch.setattr(os, "write", write)
        await pilot.press("enter")
        await settle(pilot)
        monkeypatch.undo()
        assert app.screen is dialog
        assert flat(shown(dialog.query_one("#problem", Static))) == t("ui.report.disk_full", path=str(path))
    assert list(folder.iterdir()) == []  # neither a part of the file nor a temporary one


@pilot_test
async def test_an_existing_file_is_pointed_out_before_it_is_replaced(small, folder):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        await open_report(pilot, ids["city"])
        (folder / file_name(service.report(ids["city"], 2024), "vi")).write_bytes(b"old")
        await open_with(pilot, "w", WriteReportDialog)
        exists = app.screen.query_one("#exists", Static)
        assert flat(shown(exists)) == t("ui.report.dialog_exists")
        app.screen.query_one("#path", Input).value = str(folder / "new.xlsx")
        await settle(pilot)
        assert not exists.display


@pytest.mark.parametrize(("code", "key"), [(errno.EACCES, "ui.report.no_permission"), (errno.EROFS, "ui.report.no_permission"),
                                           (errno.EISDIR, "ui.report.is_folder"), (errno.ENOSPC, "ui.report.disk_full")])
def test_the_systems_write_errors_are_said_in_the_users_words(code, key, folder):
    path = folder / "bc.xlsx"
    err = write_error(path, OSError(code, "system words", str(path)))
    assert err.key == key
    assert str(path) in err.message("vi") and "system words" not in err.message("vi")


def test_other_write_errors_name_the_file_and_the_systems_reason(folder):
    path = folder / "bc.xlsx"   # the folder is there: not a missing folder
    err = write_error(path, OSError(errno.EIO, "Input/output error", str(path)))
    assert err.message("en") == t("ui.report.write_failed", "en", path=str(path), detail="Input/output error")


# -- pictures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_report_screen(snap_compare, small, size):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])

    async def open_it(pilot) -> None:
        await read_in(pilot)
        await pilot.press("r")
        await read_in(pilot)
        await pilot.press("3")
        await read_in(pilot)
    assert snap_compare(app, terminal_size=size, run_before=open_it)
