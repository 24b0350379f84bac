"""The organisation over time in the app (docs/HISTORY.md, issue 11): `[` and `]` change the tree with the
year, an ended unit says what it became and `g` opens it, a successor lists its predecessors, `m` records a
merge, split, dissolution or move, `v` transfers a candidate.  The history is written as the records say it
(``merge_wards`` of test_history_figures: Phước Mỹ and An Hải Bắc became phường An Hải on 01/08/2024; today is
15/11/2024), the changes made from the app go through the service."""
from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import OptionList

from tui.app import make_app
from tui.screens.branch import BranchScreen
from tui.screens.candidate import CandidateScreen
from tui.screens.help import HelpScreen
from tui.screens.links_dialog import LinksDialog
from tui.screens.reorganise_form import ReorganiseForm
from tui.screens.transfer_form import TransferForm
from tui.screens.unit import UnitScreen
from tui.widgets.record_table import RecordTable

from test_history_figures import merge_wards
from tui_pilot import clear_and_type, flat, notified, open_with, pilot_test, settle, shown

SIZE = (80, 24)


@pytest.fixture
def merged(small):
    service, ids = small
    ids["an_hai"] = merge_wards(service, ids)
    return service, ids


def stack_units(app) -> list[int]:
    return app.unit_path()


def rows(app) -> list[int]:
    return [int(key) for key in app.screen.query_one(RecordTable).visible_keys()]


def banner(app) -> str:
    return flat(str(app.screen.query_one("#history").content))


def summary(app) -> str:
    return str(app.screen.query_one("#summary").content)


def field_error(app, ident: str) -> str:
    return app.screen.query_one(f"#field-{ident}").error


def message(app) -> str:
    return flat(shown(app.screen.query_one("#message")))


async def choose(pilot, select_id: str, steps: int) -> None:
    """Open the form's list ``select_id`` with Space and take the option ``steps`` below the chosen one."""
    pilot.app.screen.query_one(f"#{select_id}").focus()
    await pilot.press("space")
    await settle(pilot)
    await pilot.press(*["down"] * steps, "enter")
    await settle(pilot)


# -- the tree of a year ------------------------------------------------------------------------
@pilot_test
async def test_year_keys_change_the_units_listed_under_a_unit(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["son_tra"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert rows(app) == [ids["an_hai"]]                       # 2024 is seen today: after the merge
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.year == 2023
        assert set(rows(app)) == {ids["phuoc_my"], ids["an_hai_bac"]}  # 2023: the wards as they were
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert rows(app) == [ids["an_hai"]]


@pilot_test
async def test_another_year_puts_the_screens_on_the_path_of_that_years_tree(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert stack_units(app) == [ids["city"], ids["son_tra"], ids["an_hai"], ids["pm1"]]
        assert "Đảng ủy phường An Hải" in flat(shown(app.screen.query_one("#breadcrumb")))
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen) and app.screen.unit_id == ids["pm1"]
        assert stack_units(app) == [ids["city"], ids["son_tra"], ids["phuoc_my"], ids["pm1"]]
        assert "Phước Mỹ" in flat(shown(app.screen.query_one("#breadcrumb")))
        await pilot.press("backspace")                               # Back goes up the tree of 2023
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["phuoc_my"]
        assert banner(app) == "Đã hợp nhất vào Đảng ủy phường An Hải từ 01/08/2024 · g: mở"


# -- an ended unit, a successor ------------------------------------------------------------------
@pilot_test
async def test_an_ended_unit_opened_for_a_later_year_shows_its_last_year_and_g_opens_its_successor(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2025, unit_id="Đảng ủy phường Phước Mỹ")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["phuoc_my"]
        assert banner(app).startswith("Không còn trong năm 2025: số liệu năm 2024, năm cuối của đơn vị "
                                      "(đến 31/07/2024)")
        assert "Đã hợp nhất vào Đảng ủy phường An Hải từ 01/08/2024" in banner(app)
        assert "năm 2024" in summary(app)
        assert set(rows(app)) == {ids["pm1"], ids["pm2"]}            # its branches on its last day
        assert app.screen.query_one("#meter").render().plain.count("1/4")  # Phước Mỹ's 2024: 1 of its 4
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["an_hai"]
        assert stack_units(app) == [ids["city"], ids["son_tra"], ids["an_hai"]]


@pilot_test
async def test_a_successor_lists_its_predecessors_and_enter_opens_one_in_its_last_year(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["an_hai"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert banner(app) == ("Hợp nhất từ: Đảng ủy phường Phước Mỹ, Đảng ủy phường An Hải Bắc (01/08/2024)"
                               " · g: mở")
        await open_with(pilot, "g", LinksDialog)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "← Đảng ủy phường Phước Mỹ · đơn vị trước, năm cuối 2024",
            "← Đảng ủy phường An Hải Bắc · đơn vị trước, năm cuối 2024"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["an_hai_bac"]
        assert stack_units(app) == [ids["city"], ids["son_tra"], ids["an_hai_bac"]]
        # 2024 is its last year: the figures stop on its last day, and its branch is under it again
        assert banner(app).startswith("Số liệu đến 31/07/2024, ngày cuối của đơn vị")
        assert rows(app) == [ids["ahb1"]]
        await open_with(pilot, "g", UnitScreen)                     # one successor: opened at once
        assert app.screen.unit_id == ids["an_hai"]
        await open_with(pilot, "g", LinksDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["an_hai"]


@pilot_test
async def test_a_unit_with_no_history_offers_no_g_and_a_later_unit_says_it_did_not_exist_yet(merged):
    service, ids = merged
    app = make_app(service, lang="en", year=2023, unit_id=ids["an_hai"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert banner(app).startswith("Did not exist in 2023: began on 01/08/2024")
        assert rows(app) == []
        await pilot.press("backspace")
        await settle(pilot)
        assert app.screen.unit_id == ids["son_tra"] and not app.screen.query_one("#history").display
        assert "history_links" not in {b.binding.id for b in app.screen.active_bindings.values()
                                       if app.screen.check_action(b.binding.action, ())}


@pilot_test
async def test_the_palette_finds_an_ended_unit_and_says_when_it_ended(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"an hai bac")
        await settle(pilot, )
        await pilot.pause(0.4)
        text = flat(shown(app.screen.query_one("CommandList")))
        assert "An Hải Bắc" in text and "đã kết thúc 01/08/2024" in text
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.unit_id == ids["an_hai_bac"] and "Đã hợp nhất vào" in banner(app)


# -- m: reorganise ----------------------------------------------------------------------------------
@pilot_test
async def test_m_merges_the_unit_with_another_into_a_new_one(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["hai_chau"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "m", ReorganiseForm)
        await pilot.press("tab", *"quan uy son t", "right")         # the suggester completes the name
        assert app.screen.query_one("#input-others").value == "Quận ủy Sơn Trà"
        await pilot.press("tab", *"Quận ủy Trung tâm", "tab", "tab", "tab")
        await clear_and_type(pilot, "01/10/2024")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen) and app.screen.unit_id == ids["hai_chau"]
        successor = service.lineage(ids["hai_chau"]).successors[0]
        assert service.state().units[successor].name == "Quận ủy Trung tâm"
        assert service.lineage(ids["son_tra"]).successors == (successor,)
        assert "Đã hợp nhất vào Quận ủy Trung tâm từ 01/10/2024." in notified(app)
        assert "Đã hợp nhất vào Quận ủy Trung tâm từ 01/10/2024" in banner(app)
        assert "reorganise" not in {b.binding.id for b in app.screen.active_bindings.values()
                                    if app.screen.check_action(b.binding.action, ())}  # it ended: no m


@pilot_test
async def test_a_refused_merge_is_shown_next_to_its_field_and_keeps_what_was_typed(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["hai_chau"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "m", ReorganiseForm)
        await pilot.press("tab", *"Đảng ủy phường Thạch Thang", "tab", *"Quận ủy Trung tâm", "tab", "tab", "tab")
        await clear_and_type(pilot, "01/10/2024")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReorganiseForm)
        assert "ở hai cấp khác nhau" in field_error(app, "across")   # a district and a ward
        assert message(app) == "✗ Chưa lưu: xem thông báo dưới ô nhập ở trên."
        await pilot.press("ctrl+u")
        await pilot.press(*"02/12/2024", "enter")                   # a day after today
        await settle(pilot)
        assert isinstance(app.screen, ReorganiseForm)
        assert "15/11/2024" in field_error(app, "date")
        assert app.screen.query_one("#input-into").value == "Quận ủy Trung tâm"
        assert service.lineage(ids["hai_chau"]).ended is None


@pilot_test
async def test_m_splits_a_ward_assigning_each_branch(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["thach_thang"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "m", ReorganiseForm)
        await choose(pilot, "input-operation", 1)                  # Chia tách
        form = app.screen
        assert not form.query_one("#field-others").display and form.query_one("#field-names").display
        await pilot.press("tab", *"Phường Thạch Thang A, Phường Thạch Thang B")
        await pilot.press("tab", *"phuong thach thang a", "right")   # Chi bộ khu dân cư số 3 →
        await pilot.press("tab", *"Phường Thạch Thang B", "tab")     # Chi bộ Trạm y tế →
        await clear_and_type(pilot, "01/10/2024")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)
        lin = service.lineage(ids["thach_thang"])
        assert lin.end == "split" and len(lin.successors) == 2
        tree = service.tree(2024)
        assert tree.parent_of(ids["tt1"]) == lin.successors[0] and tree.parent_of(ids["tt2"]) == lin.successors[1]
        assert banner(app) == ("Số liệu đến 30/09/2024, ngày cuối của đơn vị Đã chia tách thành Phường Thạch Thang A, "
                               "Phường Thạch Thang B từ 01/10/2024 · g: mở")


@pilot_test
async def test_m_dissolves_a_district_and_moves_a_ward(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["thach_thang"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "m", ReorganiseForm)
        await choose(pilot, "input-operation", 3)                  # Chuyển sang cấp trên khác
        await pilot.press("tab", "enter")                          # no parent typed
        await settle(pilot)
        assert isinstance(app.screen, ReorganiseForm) and field_error(app, "parent")
        await pilot.press(*"Quận ủy Sơn Trà", "tab")
        await clear_and_type(pilot, "01/09/2024")
        await pilot.press("enter")
        await settle(pilot)
        assert stack_units(app) == [ids["city"], ids["hai_chau"], ids["thach_thang"]]  # the screens stay
        assert service.tree(2024).parent_of(ids["thach_thang"]) == ids["son_tra"]
        assert service.tree(2023).parent_of(ids["thach_thang"]) == ids["hai_chau"]   # 2023 is as it was
        await pilot.press("backspace")
        await settle(pilot)
        assert app.screen.unit_id == ids["hai_chau"] and rows(app) == []
        await open_with(pilot, "m", ReorganiseForm)
        await choose(pilot, "input-operation", 2)                  # Giải thể
        await pilot.press("tab", "tab")
        await clear_and_type(pilot, "01/10/2024")
        await pilot.press("enter")
        await settle(pilot)
        assert service.lineage(ids["hai_chau"]).end == "dissolved"
        assert banner(app) == "Số liệu đến 30/09/2024, ngày cuối của đơn vị Đã giải thể từ 01/10/2024"


@pilot_test
async def test_m_is_not_offered_at_the_top_unit_and_help_and_palette_name_the_keys(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["an_hai"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_with(pilot, "question_mark", HelpScreen)
        keys = dict((desc, key) for key, desc in app.screen.rows)
        assert keys["Tổ chức lại"] == "m" and keys["Trước/sau"] == "g"
        await pilot.press("escape")
        await settle(pilot)
        labels = [label for label, _, _ in app.screen.commands()]
        assert "Tổ chức lại" in labels and "Trước/sau" in labels
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert app.screen.unit_id == ids["city"]
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, UnitScreen)                   # the top unit cannot be reorganised


# -- v: transfer a candidate -------------------------------------------------------------------------
@pilot_test
async def test_v_on_the_candidate_screen_transfers_them_to_another_branch(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        await open_with(pilot, "v", TransferForm)
        assert "Chi bộ khu dân cư số 1" in flat(shown(app.screen.query_one("#now")))
        await pilot.press(*"chi bo tram", "right")
        assert app.screen.query_one("#input-unit").value == "Chi bộ Trạm y tế"
        await pilot.press("tab")
        await clear_and_type(pilot, "01/10/2024")
        await pilot.press("tab", *"Chuyển nơi cư trú", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        cand = service.candidate(ids["cand2"])
        assert cand.unit == ids["tt2"] and cand.moves[-1].on == date(2024, 10, 1)
        assert cand.moves[-1].source == ids["pm1"] and cand.moves[-1].reason == "Chuyển nơi cư trú"
        assert any("Đã chuyển #" in n and "Chi bộ Trạm y tế" in n for n in notified(app))
        assert ("Chuyển chi bộ 01/10/2024: từ Chi bộ khu dân cư số 1 sang Chi bộ Trạm y tế (Chuyển nơi cư trú)"
                in flat(str(app.screen.query_one("#summary").content)))


@pilot_test
async def test_v_refuses_the_branch_they_are_in_next_to_the_field(merged):
    service, ids = merged
    app = make_app(service, lang="vi", year=2024, unit_id=ids["tt1"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen) and rows(app) == [ids["cand5"]]
        await open_with(pilot, "v", TransferForm)
        assert app.screen.candidate_id == ids["cand5"]
        await pilot.press(*"Chi bộ khu dân cư số 3", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TransferForm)
        assert field_error(app, "unit") == "✗ Quần chúng #5 Hoàng Văn Em đã thuộc 'Chi bộ khu dân cư số 3'."
        assert service.candidate(ids["cand5"]).moves == ()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
