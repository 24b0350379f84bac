"""db.text: diacritics folding, safe display of control characters, dd/mm/yyyy dates."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from db.errors import PtdvError
from db.i18n import t
from db.text import clean_name, fmt_date, fold, parse_date, safe, slug


@pytest.mark.parametrize("text, folded", [
    ("Phước Mỹ", "phuoc my"),
    ("Đà Nẵng", "da nang"),
    ("ĐẢNG ỦY PHƯỜNG  Thạch   Thang", "dang uy phuong thach thang"),
    ("Sơn Trà", "son tra"),
])
def test_fold_strips_diacritics_case_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_fold_matches_precomposed_and_decomposed_input():
    import unicodedata
    name = "Nguyễn Thị Hường"
    assert fold(unicodedata.normalize("NFC", name)) == fold(unicodedata.normalize("NFD", name)) == "nguyen thi huong"


def test_slug_names_a_file_in_ascii_from_a_vietnamese_name():
    assert slug("Đảng ủy phường Phước Mỹ") == "dang-uy-phuong-phuoc-my"
    assert slug("  Chi bộ khu dân cư số 1 (cũ) ") == "chi-bo-khu-dan-cu-so-1-cu"
    assert slug("Đảng ủy khối Các cơ quan thành phố", cells=20) == "dang-uy-khoi-cac-co"  # no dash left at the end


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("line1\nline2", "line1\\nline2"),
    ("bell\x07", "bell\\x07"),
    ("tab\there", "tab\\there"),
])
def test_safe_escapes_control_characters(raw, shown):
    out = safe(raw)
    assert out == shown
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in out)


def test_safe_keeps_vietnamese_text_unchanged():
    assert safe("Chi bộ khu dân cư số 1") == "Chi bộ khu dân cư số 1"


def test_clean_name_trims_and_refuses_empty_or_control_characters():
    assert clean_name("  Chi   bộ  số 1 ") == "Chi bộ số 1"
    with pytest.raises(PtdvError) as empty:
        clean_name("   ", field="name")
    assert empty.value.key == "input.required"
    with pytest.raises(PtdvError) as ctrl:
        clean_name("Evil\x1b[2J", field="name")
    assert ctrl.value.key == "input.control_chars"
    assert "\x1b" not in ctrl.value.message("en")


@pytest.mark.parametrize("text, expected", [
    ("15/11/2024", date(2024, 11, 15)),
    ("5/1/2024", date(2024, 1, 5)),
    ("05-01-2024", date(2024, 1, 5)),
    ("05.01.2024", date(2024, 1, 5)),
    ("2024-01-05", date(2024, 1, 5)),
    (" 29/02/2024 ", date(2024, 2, 29)),
])
def test_parse_date_accepts_day_first_and_iso(text, expected):
    assert parse_date(text) == expected


def test_parse_date_passes_dates_through():
    assert parse_date(date(2024, 3, 1)) == date(2024, 3, 1)
    assert parse_date(datetime(2024, 3, 1, 10, 30)) == date(2024, 3, 1)


@pytest.mark.parametrize("text", ["31/02/2024", "29/02/2023", "abc", "2024/13/01", "13/13/2024", "", "1/1/24"])
def test_parse_date_refuses_impossible_or_malformed(text):
    with pytest.raises(PtdvError) as err:
        parse_date(text, field="born")
    assert err.value.key == "input.bad_date"
    for lang in ("vi", "en"):
        message = err.value.message(lang)
        assert t("field.born", lang) in message  # the field's label, not its id
        assert text.strip() in message


def test_parse_date_error_does_not_echo_control_characters():
    with pytest.raises(PtdvError) as err:
        parse_date("1/1/2024\x1b[2J", field="date")
    assert "\x1b" not in err.value.message("vi")


def test_fmt_date_is_day_first_with_zero_padding():
    assert fmt_date(date(2024, 1, 5)) == "05/01/2024"
    assert fmt_date(None) == ""
    assert parse_date(fmt_date(date(2025, 9, 2))) == date(2025, 9, 2)


@pytest.mark.parametrize("text", ["٠١/٠٢/٢٠٢٤", "０１/０２/２０２４", "２０２４-０１-０２"])
def test_parse_date_takes_only_ascii_digits(text):
    with pytest.raises(PtdvError):
        parse_date(text)
