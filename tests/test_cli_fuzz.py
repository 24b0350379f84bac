"""Bad input of every kind through the command line (hypothesis): names, dates, numbers and unit
references.  Whatever is typed, ptdv answers with a message, never a traceback; a refusal exits 1
or 2 and leaves every file of the store byte for byte as it was; what is accepted is stored clean."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY, build_small
from db.service import Service
from db.store import Store
from test_store import store_files
from tui.cli import main

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None}
CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F).filter(
    lambda ch: ch < " " and ch not in "\t\n\r" or "\x7f" <= ch <= "\x9f")
# unicode that is not plain letters: combining marks, zero-width and direction marks, emoji, CJK, NFD Vietnamese
ODD = st.sampled_from(["\u0301", "\u200b", "\u200f", "\u202e", "\ufeff", "🙂", "漢字", "Nguye\u0302\u0303n", "ǅ", "\u00a0"])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One small store for the module (built once); each example runs commands against it."""
    path = tmp_path_factory.mktemp("fuzz") / "ptdv.json"
    ids = build_small(Service(Store(path), today=TODAY))
    return path, ids


def ptdv(path, *args: str, lang: str = "vi"):
    return CliRunner().invoke(main, ["--db", str(path), "--lang", lang, *args], obj={"today": TODAY},
                              env=CLEAN_ENV)


def assert_clean(result) -> None:
    """An answer, not a crash: no traceback, no exception escaping, a status ptdv documents."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output


def run_checked(path, *args: str, must_refuse: bool = False):
    """Run a command; when it is refused, every file of the store is unchanged and it says why."""
    before = store_files(path)
    result = ptdv(path, *args)
    assert_clean(result)
    if must_refuse:
        assert result.exit_code in (1, 2), f"{args!r} was accepted: {result.output}"
    if result.exit_code != 0:
        assert result.stderr.strip() and result.stdout == ""
        assert store_files(path) == before, f"{args!r} was refused but changed the store"
    return result


# -- names ------------------------------------------------------------------------------------
bad_names = st.one_of(
    st.sampled_from(["", " ", "\t", "\n \n", "\u3000"]),                                        # empty
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=8), CONTROL, st.text(max_size=8)),  # control chars
    st.builds(lambda word, n: word * n, st.sampled_from(["a", "Nguyễn ", "漢"]), st.integers(210, 2000)),  # too long
)


@FUZZ
@given(name=bad_names)
def test_bad_names_are_refused_by_every_command_that_takes_one(store, name):
    path, ids = store
    run_checked(path, "candidate", "add", "--unit", str(ids["pm1"]), "--name", name, must_refuse=True)
    run_checked(path, "candidate", "edit", str(ids["cand6"]), "--name", name, must_refuse=True)
    run_checked(path, "unit", "add", name, "--parent", str(ids["phuoc_my"]), must_refuse=True)
    run_checked(path, "unit", "rename", str(ids["pm2"]), name, must_refuse=True)
    run_checked(path, "candidate", "exit", str(ids["cand5"]), "--reason", name, must_refuse=True)


@FUZZ
@given(name=st.one_of(st.text(max_size=60), st.builds(lambda a, o, b: a + o + b, st.text(max_size=10), ODD,
                                                      st.text(max_size=10))))
def test_any_name_is_stored_as_typed_in_nfc_with_only_letters_or_refused(store, name):
    path, ids = store
    result = run_checked(path, "candidate", "edit", str(ids["cand6"]), "--name", name)
    if result.exit_code == 0:
        stored = Service(Store(path), today=TODAY).candidate(ids["cand6"]).name
        typed = name.translate(str.maketrans("\u2019\u2018\u02bc\u2010\u2011", "'''--"))  # typographic ’: '
        assert stored == " ".join(unicodedata.normalize("NFC", typed).split())
        assert stored[0].isalpha() and all(unicodedata.category(ch)[0] in "LM" or ch in " '-" for ch in stored)


# -- dates ------------------------------------------------------------------------------------
impossible = st.builds(lambda d, m, y: f"{d:02d}/{m:02d}/{y}", st.integers(0, 99), st.integers(0, 99),
                       st.integers(1000, 9999)).filter(lambda s: not _real(s))
future = st.integers(1, (date.max - TODAY).days).map(lambda n: TODAY + timedelta(days=n)).map(lambda d: d.strftime("%d/%m/%Y"))
never_dates = st.one_of(impossible, future, st.sampled_from(["29/02/2023", "31/04/2024", "00/00/0000", "2024-13-01",
                                                             "15/11/99999", "-1/01/2024", "15 11 2024"]))


def _real(text: str) -> bool:
    d, m, y = (int(p) for p in text.split("/"))
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


@FUZZ
@given(day=never_dates)
def test_impossible_and_future_dates_are_refused(store, day):
    path, ids = store
    run_checked(path, "candidate", "add", "--unit", str(ids["pm1"]), "--name", "Đỗ Văn Mới", "--date", day,
                must_refuse=True)
    run_checked(path, "candidate", "advance", str(ids["cand2"]), "--date", day, must_refuse=True)
    run_checked(path, "candidate", "exit", str(ids["cand5"]), "--reason", "Chuyển đi", "--date", day,
                must_refuse=True)
    run_checked(path, "candidate", "edit", str(ids["cand6"]), "--born", day, must_refuse=True)


DATE_SHAPE = re.compile(r"\s*(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2})\s*")


@FUZZ
@given(day=st.text(max_size=30).filter(lambda s: not DATE_SHAPE.fullmatch(s)))
def test_random_text_as_a_date_is_refused_cleanly(store, day):
    path, ids = store
    run_checked(path, "candidate", "advance", str(ids["cand2"]), "--date", day or " ", must_refuse=True)
    result = run_checked(path, "log", "--since", day or "x", "--until", day or "x")   # reads only
    assert result.exit_code in (0, 1)


# -- numbers ----------------------------------------------------------------------------------
bad_counts = st.one_of(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=10_000_001).map(str),
    # fractions (but not 1.125: "." groups thousands in Vietnamese, that is 1125)
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)).map(repr)
    .filter(lambda s: not re.fullmatch(r"-?[1-9]\d{0,2}([.,]\d{3})+", s)),
    st.text(alphabet=st.characters(categories=["L", "P", "S", "Zs"]), min_size=1, max_size=12),
    st.sampled_from(["1e3", "0x10", "12abc", "½", "٣", "1_000", "--5", "+-3", "4,5", "3.25"]),
)
bad_rates = st.one_of(st.floats(max_value=-0.001).map(repr), st.floats(min_value=100.001).map(repr),
                      st.sampled_from(["nan", "inf", "-inf", "abc%", "%", "1e400"]))


@FUZZ
@given(count=bad_counts)
def test_bad_numbers_are_refused(store, count):
    path, ids = store
    run_checked(path, "quota", "set", str(ids["phuoc_my"]), "--target", count, must_refuse=True)
    before = store_files(path)
    members = run_checked(path, "unit", "members", str(ids["pm1"]), count)
    # N is an argument there: "-h…" asks for the help (and changes nothing); anything else is refused
    assert members.exit_code != 0 or (members.stdout.startswith("Usage:") and store_files(path) == before)
    run_checked(path, "init", "--root", "Đảng bộ", "--members", count, must_refuse=True)


@FUZZ
@given(rate=bad_rates)
def test_bad_rates_are_refused(store, rate):
    path, ids = store
    run_checked(path, "quota", "set", str(ids["city"]), "--rate", rate, must_refuse=True)


# -- unit references --------------------------------------------------------------------------
@FUZZ
@given(ref=st.one_of(st.integers(1000, 10**30).map(str), st.integers(max_value=0).map(str),
                     st.integers(1000, 10**6).map(lambda n: f"#{n}"),
                     st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs", "Cc", "So"]), max_size=25)))
def test_unknown_unit_references_exit_2_or_are_refused(store, ref):
    path, ids = store
    result = run_checked(path, "quota", "set", ref, "--target", "3")
    if result.exit_code == 0:   # text that names a unit after all: then it is that unit's quota
        assert Service(Store(path), today=TODAY).resolve_unit(ref)
    run_checked(path, "candidate", "list", ref)


@pytest.mark.parametrize("ref", ["Chi bộ khu dân cư số 1", "chi bo khu dan cu so 1", "CHI BỘ KHU DÂN CƯ SỐ 1"])
def test_an_ambiguous_unit_name_exits_2_listing_both_and_changes_nothing(store, ref):
    path, ids = store
    result = run_checked(path, "candidate", "add", "--unit", ref, "--name", "Đỗ Văn Mới", must_refuse=True)
    assert result.exit_code == 2
    assert "Phước Mỹ" in result.stderr and "An Hải Bắc" in result.stderr


def test_the_english_messages_are_clean_too(store):
    path, ids = store
    result = ptdv(path, "quota", "set", "no such unit", "--target", "-5", lang="en")
    assert_clean(result)
    assert result.exit_code in (1, 2) and result.stderr.startswith("Error")
