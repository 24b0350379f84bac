"""The candidate form with the rules of issue 10: notes of several lines (Enter starts a line, ctrl+s
saves), a person's name refused next to its field, a name saved before the rules left as it is."""
from __future__ import annotations

from textual import events

from conftest import TODAY, edit_candidate_file
from tui_pilot import flat, open_with, pilot_test, settle, shown

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from tui.app import make_app
from tui.screens.branch import BranchScreen
from tui.screens.candidate import CandidateScreen
from tui.screens.candidate_form import CandidateForm
from tui.widgets.form_field import FormTextArea

THU = "Nguyễn Văn Thử31/02/2001"
# ten lines of 99 characters, the nine line breaks between them and a full stop: 1,000 characters
NOTE_LINES = [(f"Dòng {n:02d}: " + "lý lịch rõ ràng, đã thẩm tra đủ " * 3)[:99] for n in range(1, 11)]
NOTE = "\n".join(NOTE_LINES) + "."


def field_error(app, ident: str) -> str:
    return app.screen.query_one(f"#field-{ident}").error


async def to_notes(pilot) -> FormTextArea:
    """From the name (focused when the add form opens), back round to the notes with shift+tab."""
    await pilot.press("shift+tab", "shift+tab", "shift+tab")  # the branch, the entry date, the notes
    notes = pilot.app.focused
    assert isinstance(notes, FormTextArea) and notes.id == "input-notes"
    return notes


@pilot_test
async def test_add_form_takes_a_note_of_1000_characters_on_several_lines_and_ctrl_s_saves_it(small):
    service, ids = small
    assert len(NOTE) == 1000
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.add_candidate(ids["pm1"])
        await settle(pilot)
        assert t("ui.form.keys_lines", "vi") in flat(shown(app.screen.query_one("#keys")))
        await pilot.press(*"Ksor H'Bơ")
        await to_notes(pilot)
        await pilot.press(*NOTE_LINES[0], "enter")  # Enter in the notes starts a new line: nothing saved
        app.post_message(events.Paste("\n".join(NOTE_LINES[1:])))  # the rest pasted, from a report
        await pilot.pause()
        await pilot.press(".")
        assert isinstance(app.screen, CandidateForm)
        assert field_error(app, "notes") == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BranchScreen)
    [cand] = [c for c in service.candidates(ids["pm1"]) if c.id > ids["cand6"]]
    assert cand.name == "Ksor H'Bơ"
    assert cand.notes == NOTE


@pilot_test
async def test_add_form_refuses_a_name_with_a_date_next_to_the_name(small):
    service, ids = small
    before = len(service.candidates(include_exited=True))
    app = make_app(service, lang="vi", year=2024, unit_id=ids["pm1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.add_candidate(ids["pm1"])
        await settle(pilot)
        await pilot.press(*THU)
        await pilot.pause()
        expected = PtdvError("input.name_char", field="name", char="'3' (U+0033 DIGIT THREE)", position=15)
        assert field_error(app, "name") == "✗ " + expected.message("vi")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CandidateForm)
        assert app.focused.id == "input-name"
        assert flat(shown(app.screen.query_one("#message"))) == "✗ " + t("ui.form.not_saved", "vi")
    assert len(service.candidates(include_exited=True)) == before


@pilot_test
async def test_notes_too_long_are_refused_next_to_the_notes(small):
    service, ids = small
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_with(pilot, "e", CandidateForm)
        app.screen.query_one("#input-notes", FormTextArea).focus()
        app.post_message(events.Paste("y" * 4000))
        await pilot.press("z")
        await pilot.pause()
        assert field_error(app, "notes") == "✗ Ghi chú lý lịch gia đình: tối đa 4000 ký tự"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CandidateForm)
    assert service.candidate(ids["cand1"]).notes == ""


@pilot_test
async def test_edit_keeps_a_name_saved_before_the_rules_and_the_screen_shows_the_notes_lines(small, store_path):
    service, ids = small
    edit_candidate_file(store_path, ids["cand1"], name=THU)
    service = Service(Store(store_path), today=TODAY)
    app = make_app(service, lang="vi", year=2024, candidate_id=ids["cand1"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_with(pilot, "e", CandidateForm)
        assert field_error(app, "name") == ""  # as stored: not checked again until it is changed
        app.screen.query_one("#input-notes").focus()
        await pilot.press(*"Cha: nông dân.", "enter", *"Mẹ: giáo viên.", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CandidateScreen)
        details = shown(app.screen.query_one("#details"))
        lines = details.splitlines()
        first = next(i for i, line in enumerate(lines) if "Cha: nông dân." in line)
        assert lines[first + 1].strip() == "Mẹ: giáo viên."
        assert lines[first + 1].index("Mẹ") == lines[first].index("Cha")
    cand = service.candidate(ids["cand1"])
    assert (cand.name, cand.notes) == (THU, "Cha: nông dân.\nMẹ: giáo viên.")
