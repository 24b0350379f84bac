"""The app never freezes: a screen reads in a worker thread, a key pressed while a slow read is in flight is
handled at once, the screen says it is loading, and when the read ends it shows the data last asked for —
a store change made meanwhile included.

The slow read: a service whose chosen methods, called from a worker thread, wait after reading until the test
lets them go (the app's reading session is a copy of the service it is given, so it waits too)."""
from __future__ import annotations

import asyncio
import threading

from conftest import TODAY, build_small

from textual import events
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static

from db.i18n import t
from db.service import Service
from db.store import Store
from tui.app import make_app
from tui.messages import StoreChanged
from tui.screens.branch import BranchScreen
from tui.screens.due import DueScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.help import HelpScreen
from tui.screens.report import ReportScreen
from tui.screens.unit import UnitScreen
from tui.widgets.record_table import RecordTable
from tui.widgets.report_table import ReportTable
from tui_pilot import WAIT_S, notified, open_from_unit, open_with, pilot_test, settle, until

import pytest

SIZE = (120, 40)


class Gate:
    """Holds the reads named, made from a worker thread, once they have read, until let through."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.arrived = 0      # held reads so far
        self.passes = 0       # held reads that may go on (let_one_through)
        self.changed = threading.Condition()

    def hold(self, name: str) -> None:
        with self.changed:
            self.names.add(name)

    def release(self) -> None:
        with self.changed:
            self.names.clear()
            self.changed.notify_all()

    def let_one_through(self) -> None:
        with self.changed:
            self.passes += 1
            self.changed.notify_all()

    def passing(self, name: str) -> None:
        if name not in self.names or threading.current_thread() is threading.main_thread():
            return
        with self.changed:
            self.arrived += 1
            self.changed.notify_all()
            assert self.changed.wait_for(lambda: name not in self.names or self.passes, WAIT_S), f"{name} held"
            if name in self.names:
                self.passes -= 1

    async def in_flight(self, count: int = 1) -> None:
        """Until ``count`` held reads have read and waited (or wait now)."""
        def arrived() -> bool:
            with self.changed:
                return self.changed.wait_for(lambda: self.arrived >= count, WAIT_S)
        assert await asyncio.to_thread(arrived), "no held read was made"


class HeldService(Service):
    def __init__(self, store: Store, **kwargs) -> None:
        super().__init__(store, **kwargs)
        self.gate = Gate()  # the same object in the copy the app reads through

    def report(self, *args, **kwargs):
        found = super().report(*args, **kwargs)
        self.gate.passing("report")
        return found

    def candidates(self, *args, **kwargs):
        found = super().candidates(*args, **kwargs)
        self.gate.passing("candidates")
        return found

    def figures(self, *args, **kwargs):
        found = super().figures(*args, **kwargs)
        self.gate.passing("figures")
        return found

    def due(self, *args, **kwargs):
        found = super().due(*args, **kwargs)
        self.gate.passing("due")
        return found

    def export(self, *args, **kwargs):
        found = super().export(*args, **kwargs)
        self.gate.passing("export")
        return found


@pytest.fixture
def held(store_path) -> tuple[HeldService, dict[str, int]]:
    service = HeldService(Store(store_path), today=TODAY)
    return service, build_small(service)


async def open_held(pilot, service: HeldService, read: str, unit_id: int, key: str, screen_class: type):
    """On the unit screen of ``unit_id``, ``key`` opens a ``screen_class`` whose ``read`` of the service is held:
    returned while that read is in flight."""
    service.gate.hold(read)
    screen = await open_from_unit(pilot, unit_id, key, screen_class)
    await service.gate.in_flight()
    return screen


def names(table: RecordTable) -> list[str]:
    return [str(table.get_row(row.key)[1]) for row in table.ordered_rows]


# -- the first read of a screen --------------------------------------------------------------------
@pilot_test
async def test_help_opens_while_the_report_reads_and_the_rows_come_when_the_read_ends(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_held(pilot, service, "report", ids["city"], "r", ReportScreen)
        table = screen.query_one(ReportTable)
        await until(pilot, lambda: table.loading, "the table shows that it is loading")
        assert table.row_count == 0

        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)  # the key was handled while the read was in flight
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        service.gate.release()
        await until(pilot, lambda: table.row_count, "the report's rows are shown")
        assert not table.loading and app.focused is table
        assert screen.report == service.report(ids["city"], 2024)
        assert table.row_count == len(screen.report.rows) + 1  # and the total


@pilot_test
async def test_a_quarter_key_pressed_while_the_report_reads_is_what_it_shows(held):
    service, ids = held
    app = make_app(service, lang="en", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_held(pilot, service, "report", ids["city"], "r", ReportScreen)
        await pilot.press("2")
        assert screen.quarter == 2  # at once, not after the read
        service.gate.let_one_through()  # the whole year's read ends; the second quarter's is made, and held
        await service.gate.in_flight(2)
        await pilot.pause()
        await pilot.pause()
        table = screen.query_one(ReportTable)
        assert screen.report is None and table.row_count == 0  # the year's answer, no longer asked for, not shown
        service.gate.release()
        await until(pilot, lambda: screen.report is not None, "a report is shown")
        assert screen.report == service.report(ids["city"], 2024, 2)
        assert table.row_count == len(screen.report.rows) + 1


@pilot_test
async def test_back_while_the_due_list_reads_and_the_app_goes_on(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        await open_held(pilot, service, "due", ids["phuoc_my"], "d", DueScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, UnitScreen)
        service.gate.release()  # the read of a screen no longer there ends: nothing is shown, nothing fails
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, UnitScreen)
        due = await open_from_unit(pilot, ids["phuoc_my"], "d", DueScreen)
        await until(pilot, lambda: due.table.row_count, "the due list's rows are shown")


def footer_keys(screen) -> list[str]:
    return [key.key for key in screen.query("FooterKey")]


async def first_due_read_held(pilot, service: HeldService, unit_id: int) -> DueScreen:
    """The due list of ``unit_id`` opened, its first read held until its table shows that it is loading."""
    due = await open_held(pilot, service, "due", unit_id, "d", DueScreen)
    await until(pilot, lambda: due.table.loading, "the table shows that it is loading")
    return due


async def rows_come_to_the_focused_table(pilot, service: HeldService, due: DueScreen) -> None:
    """The held read ends: the rows are shown, the table has the focus, the footer offers its keys and its
    sort key sorts at once."""
    table = due.table
    service.gate.release()
    await until(pilot, lambda: table.row_count, "the due list's rows are shown")
    assert pilot.app.focused is table
    await until(pilot, lambda: "s" in footer_keys(due), "the footer offers the table's keys")
    assert {"enter", "slash"} <= set(footer_keys(due))
    await pilot.press("s")
    assert table.sort_column == 0 and str(table.ordered_columns[0].label).startswith("▲")


@pilot_test
async def test_the_table_has_the_focus_and_its_keys_when_the_first_rows_come(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        due = await first_due_read_held(pilot, service, ids["phuoc_my"])
        await until(pilot, lambda: "s" not in footer_keys(due), "the footer no longer offers the table's keys")
        assert "question_mark" in footer_keys(due)  # the screen's keys stay
        await rows_come_to_the_focused_table(pilot, service, due)


@pilot_test
async def test_the_table_gets_the_focus_back_after_the_terminal_lost_it_while_it_loaded(held):
    service, ids = held
    app = make_app(service, lang="en", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        due = await first_due_read_held(pilot, service, ids["phuoc_my"])
        # the user goes to another window and back: Textual gives the focus back to the table, which refuses
        # it while it loads
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus, "the app knows it lost the focus")
        app.post_message(events.AppFocus())
        await until(pilot, lambda: app.app_focus, "the app knows it has the focus again")
        assert due.focused is None
        await rows_come_to_the_focused_table(pilot, service, due)


@pilot_test
async def test_backspace_goes_back_along_the_path_the_palette_opened_while_its_screens_still_load(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["city"])
    async with app.run_test(size=SIZE) as pilot:
        city = app.screen
        await until(pilot, lambda: city.table.row_count, "the city's rows are shown")
        service.gate.hold("figures")
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette opens")
        await pilot.press(*"thach thang")
        await until(pilot, lambda: app.screen.query(CommandList).only_one().option_count, "the palette finds it")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["thach_thang"],
                    "the palette opens the unit's screen")
        await service.gate.in_flight()
        await settle(pilot)
        path = [screen for screen in app.screen_stack if isinstance(screen, UnitScreen)]
        assert [screen.unit_id for screen in path] == [ids["city"], ids["hai_chau"], ids["thach_thang"]]
        # When a screen is made Textual focuses its first focusable widget unless told which: that was the
        # filter's hidden field, kept while the table was covered by the loading look; it took Backspace as text
        assert not any(isinstance(screen.focused, Input) for screen in path)
        await pilot.press("backspace")
        await until(pilot, lambda: app.screen is path[1], "Backspace goes back to the ward")
        await pilot.press("backspace")
        await until(pilot, lambda: app.screen is city, "Backspace goes back to the city")
        service.gate.release()
        await until(pilot, lambda: not city.reading and city.table.row_count, "the city's rows are shown again")
        assert app.focused is city.table


@pilot_test
async def test_news_of_saves_faster_than_a_read_does_not_keep_the_rows_from_coming(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])
    async with app.run_test(size=SIZE) as pilot:
        due = await first_due_read_held(pilot, service, ids["phuoc_my"])
        for _ in range(3):  # another client saves, again and again, while the list reads
            app.post_message(StoreChanged())
            await pilot.pause()
        assert due.read_again and service.gate.arrived == 1  # the read under way goes on: no second one yet
        service.gate.let_one_through()
        await until(pilot, lambda: due.table.row_count, "the read under way is shown")
        await service.gate.in_flight(2)  # then the list reads once more, for the news that came meanwhile
        assert not due.read_again
        service.gate.release()


# -- an export --------------------------------------------------------------------------------------
@pilot_test
async def test_keys_are_handled_while_the_export_reads_and_the_dialog_closes_once_written(held, tmp_path,
                                                                                        monkeypatch):
    service, ids = held
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "w", ExportDialog)
        dialog = app.screen
        target = tmp_path / "xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.xlsx"
        service.gate.hold("export")
        await pilot.press("enter")
        await service.gate.in_flight()
        message = dialog.query_one("#message", Static)
        assert str(message.content) == t("ui.export.writing", file=target.name)
        await pilot.press("escape")  # handled at once: the dialog stays, and says to wait
        assert app.screen is dialog and str(message.content) == "✗ " + t("ui.export.wait")
        await pilot.press("tab")
        assert app.focused is dialog.query_one("#input-path", Input)
        assert not target.exists()

        service.gate.release()
        await until(pilot, lambda: app.screen is not dialog, "the dialog closes once the file is written")
        assert isinstance(app.screen, BranchScreen) and target.is_file()
        assert t("cli.export.written", path=str(target)) in notified(app)


# -- a read again, with data on screen ------------------------------------------------------------
@pilot_test
async def test_while_the_branch_reads_again_its_rows_stay_and_the_cursor_moves(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BranchScreen)
        table = screen.table
        before = names(table)
        assert len(before) == 2 and table.cursor_row == 0

        service.gate.hold("candidates")
        await pilot.press("right_square_bracket")  # the next year: the branch reads again
        await service.gate.in_flight()
        await until(pilot, lambda: screen.sub_title, "the header says that it is loading")
        assert screen.sub_title == "Năm 2025 · đang tải…"
        assert not table.loading and names(table) == before  # the rows on screen stay
        await pilot.press("down")
        assert table.cursor_row == 1  # the key was handled while the read was in flight
        chosen = table.current_key

        service.gate.release()
        await until(pilot, lambda: screen.sub_title is None, "the header no longer says loading")
        await settle(pilot)
        assert table.current_key == chosen  # the cursor stays on the candidate it was on


@pilot_test
async def test_a_change_saved_while_the_branch_reads_is_shown_after_that_read(held):
    service, ids = held
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        service.gate.hold("candidates")
        service.add_candidate(ids["pm1"], "Đinh Văn Mới", date_="01/11/2024")  # saved by someone else
        await service.gate.in_flight()  # the poll saw it: the branch read again, and waits
        service.add_candidate(ids["pm1"], "Lý Thị Sau", date_="02/11/2024")  # saved while that read waits
        service.gate.release()
        await until(pilot, lambda: "Lý Thị Sau" in names(table), "the change saved during the read is shown")
        assert {"Đinh Văn Mới", "Lý Thị Sau"} <= set(names(table))
