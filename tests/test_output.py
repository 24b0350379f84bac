"""tui.output: text laid out for the terminal."""
from __future__ import annotations

from tui.output import shorten, shorten_name, width


def test_a_name_cut_short_keeps_the_part_in_brackets_that_tells_it_apart():
    # two branches of one name, from two wards merged on 1/7/2025
    one, two = "Chi bộ khu dân cư số 1 (An Hải Bắc)", "Chi bộ khu dân cư số 1 (Phước Mỹ)"
    assert shorten_name(one, 27) == "Chi bộ khu dân…(An Hải Bắc)" and width(shorten_name(one, 27)) == 27
    assert shorten_name(two, 27).endswith("…(Phước Mỹ)") and shorten_name(one, 27) != shorten_name(two, 27)
    assert shorten(one, 27) == "Chi bộ khu dân cư số 1 (An…"  # other texts are cut at the end


def test_a_name_without_brackets_or_with_too_long_ones_is_cut_at_the_end():
    assert shorten("Chi bộ Trường THCS Nguyễn Văn Cừ", 20) == "Chi bộ Trường THCS…"
    assert shorten_name("abc (defghijklmnop)", 10) == "abc (defg…"
    assert shorten("Đảng ủy phường An Hải", 40) == "Đảng ủy phường An Hải"


def test_a_cut_counts_cells_not_characters():
    decomposed = "Nguye\u0302\u0303n Va\u0306n Hu\u031bo\u031b\u0300ng"  # a name typed with combining marks
    cut = shorten(decomposed, 12)
    assert width(cut) <= 12 and cut.endswith("…") and cut.startswith("Nguye\u0302\u0303n Va\u0306n")
    wide = "中文名字很长的单位名称"  # two cells a character
    assert shorten(wide, 9) == "中文名字…" and width(shorten(wide, 9)) == 9
