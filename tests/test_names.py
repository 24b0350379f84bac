"""Names and texts people type (issue 10): a person's name is letters, spaces, ' and -; a unit's name is
freer but never a formula's first character; no text holds control or invisible characters; notes hold
several lines, up to 4,000 characters.  What a store already holds is read as it is."""
from __future__ import annotations

import unicodedata

import pytest

from db.demo import build_demo
from db.errors import PtdvError
from db.generate import generate
from db.i18n import t
from db.service import Service
from db.store import Store
from db.text import NOTES_LIMIT, clean_person_name, clean_text, clean_unit_name, safe
from db.transfer import ImportRefused

from conftest import TODAY, edit_candidate_file
from test_cli import ids, refused, reread, run  # noqa: F401  (fixtures)
from test_store import store_files

THU = "Nguyễn Văn Thử31/02/2001"
RLO, ZWSP, BOM = "\u202e", "\u200b", "\ufeff"


def refusal(check, text: str, **kwargs) -> PtdvError:
    with pytest.raises(PtdvError) as err:
        check(text, **kwargs)
    return err.value


# -- a person's name --------------------------------------------------------------------------------
@pytest.mark.parametrize("typed, kept", [
    ("Nguyễn Văn An", "Nguyễn Văn An"),
    ("H'Hen Niê", "H'Hen Niê"),
    ("Ksor H'Bơ", "Ksor H'Bơ"),
    ("Y-Moan", "Y-Moan"),
    ("Ksor H\u2019Bơ", "Ksor H'Bơ"),                          # a typographic apostrophe: kept as '
    (unicodedata.normalize("NFD", "Nguyễn Thị Hường"), "Nguyễn Thị Hường"),  # decomposed: composed
    ("  Nguyễn   Văn\u00a0 An ", "Nguyễn Văn An"),             # spaces collapsed and trimmed
])
def test_a_persons_name_of_letters_spaces_apostrophes_and_hyphens_is_kept_in_nfc(typed, kept):
    name = clean_person_name(typed)
    assert name == kept
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize("typed, position, char", [
    (THU, 15, "'3' (U+0033 DIGIT THREE)"),
    ("Lê/Văn Tám", 3, "'/' (U+002F SOLIDUS)"),
    ("=cmd|' /C calc'!A0", 1, "'=' (U+003D EQUALS SIGN)"),
    ("Nguyễn Văn An.", 14, "'.' (U+002E FULL STOP)"),
])
def test_a_persons_name_with_a_digit_or_a_sign_is_refused_naming_the_character_and_where(typed, position, char):
    err = refusal(clean_person_name, typed)
    assert (err.key, err.params["position"], err.params["char"]) == ("input.name_char", position, char)
    assert err.message("vi") == (f"Họ tên: tên người chỉ gồm chữ cái, dấu cách, dấu nháy (') và dấu gạch nối (-); "
                                 f"vị trí {position} là {char}")
    assert f"position {position} is {char}" in err.message("en")


@pytest.mark.parametrize("typed, position, char", [
    (f"Nguyễn{RLO}Văn An", 7, "U+202E RIGHT-TO-LEFT OVERRIDE"),
    (f"Nguyễn Văn{ZWSP} An", 11, "U+200B ZERO WIDTH SPACE"),
    (f"{BOM}An", 1, "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("An\x1b[31m", 3, "U+001B ESCAPE"),
])
def test_an_invisible_or_control_character_in_a_name_is_refused_by_its_code_and_name(typed, position, char):
    err = refusal(clean_person_name, typed)
    assert (err.key, err.params["position"], err.params["char"]) == ("input.control_chars", position, char)
    for lang in ("vi", "en"):
        message = err.message(lang)
        assert char in message and str(position) in message
        assert typed[position - 1] not in message  # named, never shown raw


def test_a_name_starts_with_a_letter():
    err = refusal(clean_person_name, "-Moan")
    assert err.key == "input.name_start"
    assert err.message("vi") == "Họ tên: tên người phải bắt đầu bằng chữ cái, không phải '-' (U+002D HYPHEN-MINUS)"


# -- a unit's name --------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["Chi bộ khu dân cư số 7", "Chi bộ Công ty TNHH Điện tử Hòa Khánh", "Chi bộ 3/2",
                                   "Chi bộ Trường THPT (cơ sở 2), P. Hòa Khánh"])
def test_a_units_name_may_hold_numbers_and_signs(typed):
    assert clean_unit_name(typed) == typed


@pytest.mark.parametrize("typed, key, char", [
    ('=HYPERLINK("http://x";"Chi bộ")', "input.formula_start", "'=' (U+003D EQUALS SIGN)"),
    ("+Chi bộ", "input.formula_start", "'+' (U+002B PLUS SIGN)"),
    ("-Chi bộ", "input.formula_start", "'-' (U+002D HYPHEN-MINUS)"),
    ("@Chi bộ", "input.formula_start", "'@' (U+0040 COMMERCIAL AT)"),
    (f"Chi bộ{ZWSP} số 7", "input.control_chars", "U+200B ZERO WIDTH SPACE"),
    (f"Chi bộ số 7{RLO}", "input.control_chars", "U+202E RIGHT-TO-LEFT OVERRIDE"),
])
def test_a_units_name_never_starts_a_formula_nor_hides_a_character(typed, key, char):
    err = refusal(clean_unit_name, typed)
    assert (err.key, err.params["char"]) == (key, char)
    assert err.message("vi").startswith("Đơn vị: ") and char in err.message("vi")


def test_a_tab_before_a_units_name_is_trimmed_not_kept_as_a_formula_start():
    assert clean_unit_name("\t Chi bộ  số 7\r") == "Chi bộ số 7"


# -- free text and notes ------------------------------------------------------------------------
def test_notes_keep_their_lines_up_to_4000_characters():
    typed = "Cha: nông dân.\r\n  Mẹ:   giáo viên.\n\n\n\n- Anh ruột: bộ đội.  "
    assert clean_text(typed, field="notes", multiline=True, limit=NOTES_LIMIT) == \
        "Cha: nông dân.\nMẹ: giáo viên.\n\n- Anh ruột: bộ đội."  # a note may start a line with "-"
    assert len(clean_text("x" * 4000, field="notes", multiline=True, limit=NOTES_LIMIT)) == 4000
    err = refusal(clean_text, "x" * 4001, field="notes", multiline=True, limit=NOTES_LIMIT)
    assert err.message("vi") == "Ghi chú lý lịch gia đình: tối đa 4000 ký tự"


def test_free_text_refuses_controls_and_invisible_characters_but_not_a_leading_minus():
    assert clean_text("- Tổ 5, phường Hòa Khánh", field="residence") == "- Tổ 5, phường Hòa Khánh"
    assert clean_text("Tổ 5\nHòa Khánh", field="residence") == "Tổ 5 Hòa Khánh"  # one line
    assert refusal(clean_text, f"Tổ 5{ZWSP}", field="residence").params["position"] == 5
    assert refusal(clean_text, "a\x07b\nc", field="notes", multiline=True).params["char"] == "U+0007 BELL"


def test_safe_shows_invisible_characters_escaped_and_keeps_lines_only_when_asked():
    assert safe(f"An{RLO}Bình") == "An\\u202eBình"
    assert safe("dòng 1\ndòng\x1b[2J 2", newlines=True) == "dòng 1\ndòng\\x1b[2J 2"
    assert safe("dòng 1\ndòng 2") == "dòng 1\\ndòng 2"


# -- the service: every person named, every unit named ------------------------------------------
@pytest.mark.parametrize("values, field", [
    ({"mentor": "Ngô Văn 2"}, "mentor"),
    ({"introducers": ["Ngô Văn Hai", "=1+1"]}, "introducers"),
    ({"name": f"Lê{ZWSP}Mai"}, "name"),
])
def test_add_candidate_refuses_a_bad_name_of_any_person_and_writes_nothing(small, values, field):
    service, ids = small
    before = len(service.candidates(include_exited=True))
    with pytest.raises(PtdvError) as err:
        service.add_candidate(ids["pm1"], values.pop("name", "Lê Thị Mai"), **values)
    assert err.value.params["field"] == field
    assert len(service.candidates(include_exited=True)) == before


def test_unit_add_rename_and_init_refuse_a_formula_or_an_invisible_character(small, tmp_path):
    service, ids = small
    for call in (lambda: service.add_unit("=HYPERLINK(1)", ids["phuoc_my"]),
                 lambda: service.rename_unit(ids["pm1"], f"Chi bộ{ZWSP}1"),
                 lambda: Service(Store(tmp_path / "other.json"), today=TODAY).init("@Đảng bộ")):
        with pytest.raises(PtdvError) as err:
            call()
        assert err.value.key in ("input.formula_start", "input.control_chars")
    assert service.add_unit("Chi bộ khu dân cư số 7", ids["phuoc_my"]).name == "Chi bộ khu dân cư số 7"
    assert service.state().units[ids["pm1"]].name != f"Chi bộ{ZWSP}1"
    assert not (tmp_path / "other.json").exists()


def test_a_name_saved_before_these_rules_still_loads_and_other_fields_can_be_edited(small, store_path):
    service, ids = small
    edit_candidate_file(store_path, ids["cand1"], name=THU, mentor="Ngô Văn 3")
    again = reread(store_path)
    assert again.candidate(ids["cand1"]).name == THU
    cand = again.edit(ids["cand1"], {"notes": "Dòng 1\nDòng 2"})
    assert (cand.name, cand.mentor, cand.notes) == (THU, "Ngô Văn 3", "Dòng 1\nDòng 2")


@pytest.mark.parametrize("build", ["demo", "ward"])
def test_the_demo_and_generated_stores_pass_the_rules_as_they_are(tmp_path, build):
    service = Service(Store(tmp_path / "ptdv.json"), today=TODAY)
    build_demo(service, today=TODAY) if build == "demo" else generate(service, "ward", seed=1, today=TODAY)
    state = service.state()
    for unit in state.units.values():
        assert clean_unit_name(unit.name) == unit.name
    cands = list(service.candidates(include_exited=True))
    assert len(cands) > 50
    for cand in cands:
        for name in (cand.name, *([cand.mentor] if cand.mentor else []), *cand.introducers):
            assert clean_person_name(name) == name
        assert service.validate_candidate_fields({key: getattr(cand, key) for key in
                                                  ("ethnicity", "religion", "residence", "notes")})


# -- the command line ---------------------------------------------------------------------------
def test_cli_candidate_add_refuses_a_name_with_a_date_in_it(run, store_path, ids):
    before = len(reread(store_path).state().candidates)
    err = refused(run("candidate", "add", "--unit", str(ids["tt1"]), "--name", THU))
    assert ("Lỗi: Họ tên: tên người chỉ gồm chữ cái, dấu cách, dấu nháy (') và dấu gạch nối (-); "
            "vị trí 15 là '3' (U+0033 DIGIT THREE)") in err
    assert len(reread(store_path).state().candidates) == before


def test_cli_unit_add_refuses_a_formula_and_init_an_invisible_character(run, store_path, ids, tmp_path):
    err = refused(run("unit", "add", '=HYPERLINK("x")', "--parent", str(ids["phuoc_my"])))
    assert "Đơn vị: không được bắt đầu bằng '=' (U+003D EQUALS SIGN)" in err
    other = tmp_path / "other.json"
    err = refused(run("--db", str(other), "init", "--root", f"Đảng bộ{RLO} phường", db=False))
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in err and RLO not in err
    assert not other.exists()


def test_cli_show_prints_each_line_of_the_notes_under_its_label(run, store_path, ids):
    notes = "Cha: nông dân.\nMẹ: giáo viên, có \x1b[2J trong ghi chép cũ."
    edit_candidate_file(store_path, ids["cand1"], notes=notes)  # an escape sequence kept from before
    result = run("candidate", "show", str(ids["cand1"]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(t("field.notes")))
    assert lines[first].endswith("  Cha: nông dân.")
    column = len(lines[first]) - len("Cha: nông dân.")
    assert lines[first + 1] == " " * column + "Mẹ: giáo viên, có \\x1b[2J trong ghi chép cũ."
    assert "\x1b" not in result.stdout


def test_cli_edit_saves_notes_of_several_lines(run, store_path, ids):
    result = run("candidate", "edit", str(ids["cand1"]), "--notes", "Dòng một\nDòng hai")
    assert result.exit_code == 0, result.output
    assert reread(store_path).candidate(ids["cand1"]).notes == "Dòng một\nDòng hai"


# -- import ------------------------------------------------------------------------------------
def test_import_refuses_the_row_with_a_bad_name_giving_the_reason(small, store_path):
    service, ids = small
    rows = [["Họ tên", "Đơn vị", "Người giới thiệu", "Ngày Quần chúng ưu tú"],
            ["Lê Thị Mai", str(ids["pm1"]), "Ngô Văn Hai", "01/09/2024"],
            [THU, str(ids["pm1"]), "", "01/09/2024"],
            ["Đỗ Văn Tư", str(ids["pm1"]), f"Ngô Văn{RLO} Hai", "01/09/2024"]]
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(rows)
    assert [(sheet, row, e.key) for sheet, row, e in err.value.bad] == [
        ("candidates", 3, "input.name_char"), ("candidates", 4, "input.control_chars")]
    message = err.value.message("vi")
    assert "dòng 3: Họ tên: tên người chỉ gồm chữ cái" in message and "vị trí 15 là '3'" in message
    assert "dòng 4: Người giới thiệu: " in message and "U+202E RIGHT-TO-LEFT OVERRIDE" in message
    assert store_files(store_path) == before


def test_import_refuses_a_unit_named_like_a_formula(small, store_path):
    service, ids = small
    before = store_files(store_path)
    with pytest.raises(ImportRefused) as err:
        service.import_tables({"units": [["Đơn vị", "Đơn vị cấp trên"],
                                         ["=1+2", service.state().path(ids["phuoc_my"])]]})
    assert [(sheet, row, e.key) for sheet, row, e in err.value.bad] == [("units", 2, "input.formula_start")]
    assert store_files(store_path) == before
