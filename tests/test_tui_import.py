"""The app's import screen (``i``) and export dialog (``w``) as office staff drive them: a list picked in the
folder tree or typed, its dry run, ctrl+s or Esc; refusals and faults said on the screen; an export that the
import screen reads back."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest
from textual.widgets import Input, Select, Static

from conftest import TODAY, caller

from db.i18n import t
from db.service import Service
from db.store import Store
from tui.app import make_app
from tui.screens.branch import BranchScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.import_screen import ImportScreen, PlanText
from tui.screens.unit import UnitScreen
from tui.widgets.file_tree import FileTree
from tui_pilot import clear_and_type, notified, open_with, pilot_test, settle, shown, until

SIZE = (80, 24)
LIST = ("Họ và tên,Ngày sinh,Giới tính,Ngày Quần chúng ưu tú\n"
        "Nguyễn Thị Hoa,12/03/1998,Nữ,01/03/2024\n"
        "Trần Văn Minh,05/07/1995,Nam,02/03/2024\n")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """The user's home folder (an empty one of the test's), holding nothing but what the test writes."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def listed(home) -> Path:
    """A list of two people, as a csv in the home folder."""
    path = home / "danh-sach.csv"
    path.write_text(LIST, encoding="utf-8")
    return path


@asynccontextmanager
async def opened(service, unit_id: int, key: str | None = None, lang: str = "vi"):
    """The app on the screen of ``unit_id``, and ``key`` pressed there: the import screen (``i``) or the
    export dialog (``w``) open over it."""
    app = make_app(service, lang=lang, year=2024, unit_id=unit_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if key:
            await open_with(pilot, key, {"i": ImportScreen, "w": ExportDialog}[key])
        yield pilot


def names_in(service, unit_id: int) -> set[str]:
    return {c.name for c in service.candidates(unit_id)}


async def answered(pilot) -> None:
    """Wait until the screen's thread has read and planned (or written) the file and the answer is shown."""
    pane = pilot.app.screen.query_one(PlanText)
    for _ in range(200):
        await pilot.pause(0.05)
        if not pane.loading:
            break
    await pilot.pause()


async def tree_listed(pilot) -> FileTree:
    """Wait until the folder opened at the start (the home folder) is listed (at once when it shows nothing)."""
    tree = pilot.app.screen.query_one(FileTree)

    def listed() -> bool:
        if not tree.root.children:
            return False
        place = tree.root.children[-1]
        return bool(place.children) or (place.data.loaded and not tree.filter_paths(place.data.path.iterdir()))
    await until(pilot, listed, "the home folder is listed")
    return tree


def status(app) -> str:
    return str(app.screen.query_one("#status", Static).content)


def pane(app) -> str:
    return app.screen.query_one(PlanText).text


async def dry_run_of(pilot, path: Path) -> None:
    """Type ``path`` in the file field, as ``~/…`` when in the home folder (as a user types it; a key press
    costs a Pilot test tens of milliseconds), and press Enter."""
    pilot.app.screen.query_one("#path", Input).focus()
    home = Path.home()
    await clear_and_type(pilot, f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path))
    await pilot.press("enter")
    await answered(pilot)


# -- opening, picking, confirming, cancelling ---------------------------------------------------------
@pilot_test
async def test_a_list_picked_in_the_tree_shows_its_dry_run_and_ctrl_s_writes_it(small, listed):
    service, ids = small
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        screen = app.screen
        assert screen.query_one("#unit", Input).value == "Đảng ủy phường Phước Mỹ/Chi bộ khu dân cư số 1"  # on screen
        tree = await tree_listed(pilot)
        assert [n.label.plain for n in tree.root.children[-1].children] == ["danh-sach.csv"]
        await pilot.press("down", "down", "enter")  # past the store's folder, from the home folder to its list
        await answered(pilot)
        assert screen.query_one("#path", Input).value == "~/danh-sach.csv"
        text = pane(app)
        assert "+ dòng 2: Nguyễn Thị Hoa" in text and "+ dòng 3: Trần Văn Minh" in text
        assert text.splitlines()[0] == "Quần chúng: 2 sẽ thêm, 0 sẽ sửa, 0 không đổi."  # the counts first
        assert text.splitlines()[-1] == t("cli.import.dry_run")
        assert "Ctrl+S: ghi vào kho (2 thêm, 0 sửa)" in status(app)
        assert not names_in(service, ids["pm1"]) & {"Nguyễn Thị Hoa", "Trần Văn Minh"}  # a dry run writes nothing

        await pilot.press("ctrl+s")
        await answered(pilot)
        assert {"Nguyễn Thị Hoa", "Trần Văn Minh"} <= names_in(service, ids["pm1"])
        assert "Quần chúng: đã thêm 2, sửa 0, không đổi 0." in pane(app)
        assert t("ui.import.written_file", file="danh-sach.csv") in notified(app)
        await pilot.press("ctrl+s")  # written: nothing more to write until another dry run
        await pilot.pause()
        assert len([c for c in service.candidates(ids["pm1"]) if c.name == "Nguyễn Thị Hoa"]) == 1

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)  # and it shows them: the screen re-read the store
        assert {"Nguyễn Thị Hoa", "Trần Văn Minh"} <= {r.name for r in app.screen.table.records}


@pilot_test
async def test_esc_after_a_dry_run_writes_nothing(small, listed):
    service, ids = small
    before = names_in(service, ids["pm1"])
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, listed)
        assert "2 sẽ thêm" in pane(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
    assert names_in(service, ids["pm1"]) == before


@pytest.mark.embedded  # the store's folder is the tree's first place; a served store has none
@pilot_test
async def test_the_folders_show_the_lists_not_other_files_nor_the_stores_own(small, home):
    service, ids = small
    for name in ("b.xlsx", "a.CSV", "c.json", "ghi-chu.txt", ".an.csv"):
        (home / name).write_bytes(b"")
    (home / "lists").mkdir()
    async with opened(service, ids["pm1"], "i") as pilot:
        tree = await tree_listed(pilot)
        store_folder, home_folder = tree.root.children  # the store's folder first, then the home folder, open
        assert str(store_folder.label).endswith(f"{service.store.path.parent} (dữ liệu)")
        assert [n.label.plain for n in home_folder.children] == ["lists", "a.CSV", "b.xlsx", "c.json"]
        await pilot.press("enter")  # the store's folder opens: the home folder in it, none of the store's files
        for _ in range(100):
            await pilot.pause(0.05)
            if store_folder.children:
                break
        assert [n.label.plain for n in store_folder.children] == ["home"]
        assert sorted(p.name for p in service.store.path.parent.iterdir()) == [
            "home", "ptdv.audit.jsonl", "ptdv.backups", "ptdv.json", "ptdv.json.lock", "ptdv.parts"]


@pytest.mark.embedded  # the store's folder is the tree's first place; a served store has none
@pytest.mark.parametrize("key", ["backspace", "left", "escape"])
@pilot_test
async def test_backspace_left_and_esc_in_the_folders_go_back(small, home, key):
    service, ids = small
    async with opened(service, ids["pm1"], "i") as pilot:
        await tree_listed(pilot)
        await pilot.press(key)  # the cursor is on the top folder: nothing above it but the screen before
        await settle(pilot)
        assert isinstance(pilot.app.screen, BranchScreen)


@pilot_test
async def test_left_closes_a_folder_before_it_goes_back(small, home):
    service, ids = small
    (home / "lists").mkdir()
    (home / "lists" / "a.csv").write_text(LIST, encoding="utf-8")
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        tree = await tree_listed(pilot)
        await pilot.press("down", "down", "enter")  # past the store's folder and the home folder: "lists" opens
        await tree_listed(pilot)
        await pilot.pause(0.2)
        await pilot.press("down")
        assert tree.cursor_node.label.plain == "a.csv"
        await pilot.press("left")  # from the file to its folder
        assert tree.cursor_node.label.plain == "lists" and tree.cursor_node.is_expanded
        await pilot.press("left")  # the folder closes
        assert not tree.cursor_node.is_expanded and isinstance(app.screen, ImportScreen)


@pilot_test
async def test_the_palette_opens_the_import_screen_of_the_unit_on_screen(small, home):
    service, ids = small
    async with opened(service, ids["phuoc_my"]) as pilot:
        app = pilot.app
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"nhap tu tep")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen) and app.screen.unit_id == ids["phuoc_my"]


# -- a unit above the branches: the branch is chosen --------------------------------------------------
@pilot_test
async def test_on_a_ward_rows_without_a_branch_are_refused_until_one_is_typed(small, listed):
    service, ids = small
    async with opened(service, ids["phuoc_my"], "i") as pilot:
        app = pilot.app
        assert isinstance(app.screen_stack[-2], UnitScreen)
        assert app.screen.query_one("#unit", Input).value == "Đảng ủy phường Phước Mỹ"  # the ward on screen
        await dry_run_of(pilot, listed)
        lines = pane(app).splitlines()
        assert lines[0] == "Tệp bị từ chối, không ghi gì: 2 dòng sai."
        assert lines[1].startswith("  Quần chúng, dòng 2: ") and lines[2].startswith("  Quần chúng, dòng 3: ")
        assert status(app) == t("ui.import.refused")
        await pilot.press("tab")  # to the unit: typed without diacritics, → takes the suggestion
        await pilot.press("end", "ctrl+u", *"chi bo truong")
        await pilot.press("right", "enter")
        await answered(pilot)
        assert app.screen.query_one("#unit", Input).value == "Chi bộ Trường THCS Phước Mỹ"
        assert "Quần chúng: 2 sẽ thêm" in pane(app)
        await pilot.press("ctrl+s")
        await answered(pilot)
    assert {"Nguyễn Thị Hoa", "Trần Văn Minh"} <= names_in(service, ids["pm2"])


OFFICE_LIST = """DANH SÁCH QUẦN CHÚNG ƯU TÚ
Đảng ủy phường Phước Mỹ - năm 2024
,,,,,
STT,Họ và tên,Ngày sinh,Giới tính,Chi bộ,Quê quán
1,Nguyễn Thị Hoa,12/03/1998,Nữ,Chi bộ khu dân cư số 1,Quảng Nam
2,Trần Văn Minh,1995,Nam,Chi bộ Trường THCS Phước Mỹ,Huế
Tổng cộng: 2 người,,,,,
"""


@pilot_test
async def test_a_wards_own_list_goes_to_the_branches_it_names_saying_what_was_skipped(small, home):
    service, ids = small
    (home / "ds-phuoc-my.csv").write_text(OFFICE_LIST, encoding="utf-8")
    async with opened(service, ids["phuoc_my"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, home / "ds-phuoc-my.csv")
        text = pane(app)
        assert "+ dòng 5: Nguyễn Thị Hoa (" in text and "Chi bộ khu dân cư số 1)" in text
        assert "+ dòng 6: Trần Văn Minh (" in text and "Chi bộ Trường THCS Phước Mỹ)" in text
        assert "Cột không nhập (ptdv không có trường cho các cột này): Quê quán." in text
        assert "Bỏ qua dòng " in text and t("import.skip.total") in text
        await pilot.press("ctrl+s")
        await answered(pilot)
    assert "Nguyễn Thị Hoa" in names_in(service, ids["pm1"]) and "Trần Văn Minh" in names_in(service, ids["pm2"])


@pilot_test
async def test_above_the_wards_no_unit_is_guessed(small, home):
    service, ids = small
    async with opened(service, ids["son_tra"], "i") as pilot:
        assert pilot.app.screen.query_one("#unit", Input).value == ""


@pilot_test
async def test_a_workbook_with_several_lists_asks_for_the_sheet(small, home):
    from openpyxl import Workbook

    service, ids = small
    book = Workbook()
    first = book.active
    first.title = "Khu dân cư"
    second = book.create_sheet("Trường học")
    for sheet, (name, born) in ((first, ("Nguyễn Thị Hoa", "12/03/1998")), (second, ("Trần Văn Minh", "05/07/1995"))):
        sheet.append(["Họ và tên", "Ngày sinh"])
        sheet.append([name, born])
    book.save(home / "hai-trang.xlsx")
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, home / "hai-trang.xlsx")
        assert status(app) == t("ui.import.several_sheets", sheets="Khu dân cư, Trường học")
        app.screen.query_one("#sheet", Input).focus()
        await pilot.press(*"Trường học", "enter")
        await answered(pilot)
        assert "+ dòng 2: Trần Văn Minh" in pane(app) and "Nguyễn Thị Hoa" not in pane(app)


@pilot_test
async def test_a_branch_typed_after_the_dry_run_asks_for_a_new_one_before_writing(small, listed):
    service, ids = small
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, listed)
        app.screen.query_one("#unit", Input).focus()
        await clear_and_type(pilot, "Chi bộ Trạm y tế")
        assert status(app) == t("ui.import.changed")
        await pilot.press("ctrl+s")  # not the dry run on screen: not written
        await pilot.pause()
        assert not names_in(service, ids["tt2"]) & {"Nguyễn Thị Hoa"}
        assert not names_in(service, ids["pm1"]) & {"Nguyễn Thị Hoa"}


@pilot_test
async def test_a_unit_typed_while_the_dry_run_runs_is_not_written_unseen(small, listed, monkeypatch):
    from threading import Event

    from tui.transfer_io import read_tables
    service, ids = small
    typed = Event()

    def slow(path, limits=None, sheet=None):
        typed.wait(10)  # a big file: read while the user types
        return read_tables(path, limits, sheet)
    monkeypatch.setattr("tui.screens.import_screen.read_tables", slow)
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        app.screen.query_one("#path", Input).value = str(listed)
        await pilot.press("tab", "enter")  # the dry run starts ...
        assert status(app) == t("ui.import.reading", file="danh-sach.csv")
        await pilot.press("tab", *"Chi bộ Trạm y tế")  # ... and the screen answers the keys meanwhile
        typed.set()
        await answered(pilot)
        assert "Quần chúng: 2 sẽ thêm" in pane(app)  # into khu dân cư số 1, as the unit was when it began
        assert status(app) == t("ui.import.changed")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert not (names_in(service, ids["pm1"]) | names_in(service, ids["tt2"])) & {"Nguyễn Thị Hoa"}


# -- what goes wrong is said on the screen -------------------------------------------------------------
@pilot_test
async def test_a_refused_file_lists_every_bad_row_and_cannot_be_written(small, home):
    service, ids = small
    (home / "sai.csv").write_text(LIST + "Lê Văn Tám,31/02/1990,Nam,01/03/2024\n,01/01/1990,Nam,01/03/2024\n"
                                  "Phan Thị Út,01/01/1990,Không rõ,01/03/2024\n", encoding="utf-8")
    before = names_in(service, ids["pm1"])
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, home / "sai.csv")
        lines = pane(app).splitlines()
        assert lines[0] == "Tệp bị từ chối, không ghi gì: 3 dòng sai."
        assert [line.split(":")[0].strip() for line in lines[1:]] == [
            "Quần chúng, dòng 4", "Quần chúng, dòng 5", "Quần chúng, dòng 6"]
        assert "'Không rõ'" in lines[3]  # the value found, in the reason
        assert status(app) == t("ui.import.refused")
        assert "ctrl+s" not in [b.binding.key for b in app.screen.active_bindings.values() if b.enabled]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert names_in(service, ids["pm1"]) == before


@pilot_test
async def test_a_list_corrected_after_a_refusal_is_read_again(small, home):
    service, ids = small
    path = home / "sai.csv"
    path.write_text(LIST.replace("12/03/1998", "31/02/1998"), encoding="utf-8")
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, path)
        assert status(app) == t("ui.import.refused")
        path.write_text(LIST, encoding="utf-8")  # corrected in the spreadsheet, then Enter again
        await pilot.press("enter")
        await answered(pilot)
        assert "Quần chúng: 2 sẽ thêm, 0 sẽ sửa, 0 không đổi." in pane(app)


@pytest.mark.parametrize("name, key, detail", [("khong-co.csv", "import.unreadable", "No such file or directory"),
                                               ("ghi-chu.txt", "import.bad_format", ""),
                                               ("thu-muc.csv", "import.not_a_file", "")])
@pilot_test
async def test_a_file_that_cannot_be_read_is_said_in_the_users_language(small, home, name, key, detail):
    service, ids = small
    (home / "ghi-chu.txt").write_text("x", encoding="utf-8")
    (home / "thu-muc.csv").mkdir()
    async with opened(service, ids["pm1"], "i", lang="en") as pilot:
        app = pilot.app
        await dry_run_of(pilot, home / name)
        said = t(key, "en", path=str(home / name), detail=detail)
        assert status(app) == said and pane(app) == said
        assert isinstance(app.screen, ImportScreen)


@pilot_test
async def test_nothing_chosen_is_said(small, home):
    service, ids = small
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await pilot.press("tab", "enter")  # from the folders to the file's field, empty
        assert status(app) == t("ui.import.no_file")


@pilot_test
async def test_a_fault_while_reading_is_said_and_the_app_goes_on(small, listed, monkeypatch):
    service, ids = small

    def broken(path, limits=None, sheet=None):
        raise RuntimeError("bad cell")
    monkeypatch.setattr("tui.screens.import_screen.read_tables", broken)
    async with opened(service, ids["pm1"], "i") as pilot:
        app = pilot.app
        await dry_run_of(pilot, listed)
        assert status(app) == t("ui.import.failed", detail="bad cell")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)


@pilot_test
async def test_a_viewer_is_not_offered_the_import_key_but_may_export(small, home):
    service, ids = small
    service.add_user("xem.pm", ids["phuoc_my"], "viewer")
    viewer = Service(Store(service.store.path), caller=caller("xem.pm"), today=TODAY)
    async with opened(viewer, ids["pm1"]) as pilot:
        app = pilot.app
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
        assert t("ui.import.key.open") not in [label for label, _, _ in app.screen.commands()]
        assert t("ui.export.key.open") in [label for label, _, _ in app.screen.commands()]


# -- export ----------------------------------------------------------------------------------------------
async def exported(pilot) -> None:
    """Enter in the export dialog, then wait until its thread has written the file (the dialog closes) or
    the refusal is shown (the dialog stays, not writing)."""
    dialog = pilot.app.screen
    await pilot.press("enter")
    await until(pilot, lambda: pilot.app.screen is not dialog or dialog.writing is None, "the export ends")
    await pilot.pause()


def refusal(dialog: ExportDialog) -> tuple[str, str]:
    """What the dialog says of a refused export: under the file's name, and at the bottom."""
    return dialog.query_one("#field-path").error, str(dialog.query_one("#message", Static).content)


@pilot_test
async def test_export_writes_a_csv_the_import_screen_reads_back_unchanged(small, home):
    service, ids = small
    async with opened(service, ids["pm1"], "w") as pilot:
        app = pilot.app
        path = app.screen.query_one("#input-path", Input)
        assert path.value == str(home / "xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.xlsx")
        assert app.screen.query_one("#input-format", Select).value == "xlsx"
        await pilot.press("down")  # the format's list opens: xlsx, csv, json
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen.query_one("#input-format", Select).value == "csv"
        assert path.value == str(home / "xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.csv")  # the name follows
        await exported(pilot)
        written = home / "xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.csv"
        assert isinstance(app.screen, BranchScreen)
        assert t("cli.export.written", path=str(written)) in notified(app)
        assert os.stat(written).st_mode & 0o777 == 0o600
        heading = written.read_text(encoding="utf-8-sig").splitlines()[0]
        assert "Họ tên" in heading and t("field.ethnicity") not in heading  # sensitive fields: not by default

        await open_with(pilot, "i", ImportScreen)
        await dry_run_of(pilot, written)
        count = len(service.candidates(ids["pm1"]))
        assert f"Quần chúng: 0 sẽ thêm, 0 sẽ sửa, {count} không đổi." in pane(app)
        assert status(app) == t("ui.import.nothing")


@pilot_test
async def test_export_with_the_sensitive_fields_when_chosen_as_json(small, home):
    service, ids = small
    async with opened(service, ids["phuoc_my"], "w", lang="en") as pilot:
        app = pilot.app
        app.screen.query_one("#input-format", Select).value = "json"
        await pilot.pause()
        app.screen.query_one("#input-sensitive").focus()
        await pilot.press("space")
        await exported(pilot)
        assert isinstance(app.screen, UnitScreen)
    data = orjson.loads((home / "export-dang-uy-phuong-phuoc-my-2024-11-15.json").read_bytes())
    assert set(data) == {"units", "quotas", "candidates"}
    assert len(data["candidates"]) == len(service.candidates(ids["phuoc_my"]))
    assert t("field.ethnicity", "en") in data["candidates"][0]


@pilot_test
async def test_export_to_a_missing_folder_is_refused_under_the_file_and_keeps_the_dialog(small, home):
    service, ids = small
    async with opened(service, ids["pm1"], "w") as pilot:
        app = pilot.app
        app.screen.query_one("#input-path", Input).focus()
        await clear_and_type(pilot, "~/khong-co/a.xlsx")  # as a user types it
        await exported(pilot)
        assert isinstance(app.screen, ExportDialog)
        assert refusal(app.screen) == ("✗ " + t("ui.report.no_folder", folder=str(home / "khong-co")),
                                       "✗ " + t("ui.form.not_saved"))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
    assert list(home.iterdir()) == []


@pilot_test
async def test_export_through_a_link_is_refused_in_english_and_the_link_stays(small, home):
    service, ids = small
    aside = home / "aside.xlsx"
    aside.write_bytes(b"kept")
    link = home / "export-chi-bo-khu-dan-cu-so-1-2024-11-15.xlsx"
    link.symlink_to(aside)
    async with opened(service, ids["pm1"], "w", lang="en") as pilot:
        await exported(pilot)
        assert isinstance(pilot.app.screen, ExportDialog)
        assert refusal(pilot.app.screen)[0] == "✗ " + t("ui.report.link", "en", path=str(link))
    assert link.is_symlink() and aside.read_bytes() == b"kept"


@pilot_test
async def test_a_fault_while_exporting_is_said_in_the_dialog_and_the_app_goes_on(small, home, monkeypatch):
    service, ids = small

    def broken(tables, kind, lang):
        raise RuntimeError("bad cell")
    monkeypatch.setattr("tui.screens.export_dialog.write", broken)
    async with opened(service, ids["pm1"], "w") as pilot:
        app = pilot.app
        await exported(pilot)
        assert isinstance(app.screen, ExportDialog)
        assert refusal(app.screen)[1] == "✗ " + t("ui.export.failed", detail="bad cell")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
    assert list(home.iterdir()) == []


@pilot_test
async def test_export_says_when_the_file_is_there_already(small, home):
    service, ids = small
    (home / "xuat-chi-bo-khu-dan-cu-so-1-2024-11-15.xlsx").write_bytes(b"old")
    async with opened(service, ids["pm1"], "w") as pilot:
        app = pilot.app
        assert shown(app.screen.query_one("#exists")) == t("ui.report.dialog_exists")


# -- how it looks ----------------------------------------------------------------------------------------
@pytest.mark.embedded  # the store's folder is the tree's first place; a served store has none
def test_import_screen_with_a_dry_run_80x24(small, tmp_path, monkeypatch, snap_compare):
    """A ward's own list on the ward's screen: the folders (the home folder is the store's here: one place),
    the file, unit and sheet, the dry run with the rows skipped and the column not imported, the keys."""
    service, ids = small
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ds-phuoc-my.csv").write_text(OFFICE_LIST, encoding="utf-8")
    app = make_app(service, lang="vi", year=2024, unit_id=ids["phuoc_my"])

    async def dry_run(pilot) -> None:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        await tree_listed(pilot)
        await pilot.press("down", "enter")
        await answered(pilot)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()
    assert snap_compare(app, terminal_size=(80, 24), run_before=dry_run)
