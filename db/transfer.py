"""Import and export of units, quotas and candidates: column headings, row parsing, and a plan of adds and changes.

A file holds up to three tables (``SHEETS``), each a list of rows under one heading row: the units
(name, level, parent unit's path, members per year), the quotas (unit path, year, target or rate) and the
candidates.  Headings are matched in Vietnamese or English, with or without diacritics (``db.text.fold``).
Every rule is the service's or ``db.rules``'s own; this module only maps cells to values, finds the
records rows are about, and replays stage dates through ``rules.check_advance``.

Units are found by their path (as export writes it, case aside) and added under their parent when the
store has none of that name there; their ids are the store's.  Candidates keep the id of their row when
the store has no candidate with that id, so a round trip into an empty store keeps them.

The organisation's history (docs/HISTORY.md) makes the round trip too: units that ended are exported,
with their periods (``UNIT_HISTORY``: began, ended, how, what they became, earlier parents), and
candidates with their transfers (``moves``), each column only when the export has one.  So do what a
step keeps besides its date (each column only when a candidate has one): the day the decision was received
(``received``), the branch's recognition vote (``vote``: with no recognition date, a vote recorded alone)
and the exception that allowed a hard rule at a step (``exception:<stage>``; a hand-made file may give one
``exception`` column for whichever step needs it).  A file keeps one date per stage: a retaken class or a
redone dossier is exported with its latest date.  An imported history is judged by the rules as a step is
(``rules.judge_step``): a hard rule broken without an exception a rule allows refuses the row, naming the
rule and its source; what it finds is kept on the entries.  A grassroots branch's rows have no committee
date.  A file without
them brings units that were there from the start of time.  A known candidate whose row names another
branch is transferred there (a ``Move`` on the import's day), its stages left where they happened.

A list kept by a ward office is read too (:func:`read_rows`): its heading row under titles and merged
cells, a second heading row or a row of column numbers, its rows to the footer; the headings and values
offices write are data in ``db.headings``.  What is no record (a title, a total, a signature) is
``Skipped``; a heading ptdv has no field for is ``Plan.unused`` (refused with ``strict``); a birth year
alone is kept as 31/12 of that year (``Assumed``: the age rules never count a candidate older than they
are).  A list of those who took the class gives no day they became sources: the class's day is taken.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, cached_property, lru_cache
from itertools import compress, count, islice
from operator import itemgetter
from typing import Callable, Iterable, Mapping, Sequence

from . import access, headings, rules, store
from .cells import (AT, CANDIDATE_COLUMNS, CHOICES, EXCEPTION_COLUMN, FLAGS, LISTS, OPTIONAL, STAGE_COLUMN, day_text,
                    optional_columns)
from .errors import PtdvError
from .i18n import CATALOGUES, LANGS, t
from .model import EDITABLE_FIELDS, END_KINDS, STAGES, Candidate, Exit, Move, Quota, Settings, StageEntry, Unit
from .state import State
from .text import clean_name, clean_text, clean_unit_name, fmt_date, fold, parse_count, parse_date, parse_rate, safe

Progress = Callable[[int, int], None]  # told (rows done, rows in all) as a long import goes
PROGRESS_ROWS = 500  # ... every so many rows
SHEETS = ("units", "quotas", "candidates")  # the order export writes them and import reads them
SENSITIVE = frozenset({"ethnicity", "religion", "notes"})
MEMBERS_COLUMN = "members:"  # members at the start of a year: "members:2024"
# a unit's period (docs/HISTORY.md): written only when a unit of the export has one; a file without them
# (an older export, a list made by hand) has units that were there from the start of time
UNIT_HISTORY = ("began", "ended", "end", "successors", "earlier")
UNIT_COLUMNS = ("id", "unit", "level", "parent", *UNIT_HISTORY)  # then a members column per year
QUOTA_COLUMNS = ("unit", "year", "target", "rate")
COLUMNS = {"units": UNIT_COLUMNS, "quotas": QUOTA_COLUMNS, "candidates": CANDIDATE_COLUMNS}
REQUIRED = {"units": ("unit", "parent"), "quotas": ("unit", "year"), "candidates": ("name",)}

# -- how much import reads: a file past one of these is refused before it is read whole (a zip bomb, a
# never-ending device); each may be set in the environment variable named in LIMIT_VARIABLES ------------
MAX_BYTES = 50 * 1024 * 1024       # the file as it is on disk
MAX_UNPACKED = 500 * 1024 * 1024   # an xlsx's parts unpacked (the sizes its zip declares, which bound what it yields)
MAX_ROWS = 300_000                 # rows of all its tables (a metro export: ~170,000)
MAX_COLUMNS = 1_000                # cells of a row (an export: ~50)
LIMIT_VARIABLES = {"bytes": "PTDV_IMPORT_MAX_BYTES", "unpacked": "PTDV_IMPORT_MAX_UNPACKED",
                   "rows": "PTDV_IMPORT_MAX_ROWS"}


@dataclass(frozen=True)
class Limits:
    """What import reads at most; :meth:`from_env` takes them from ``PTDV_IMPORT_MAX_*`` where set."""
    bytes: int = MAX_BYTES
    unpacked: int = MAX_UNPACKED
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Limits":
        found = {}
        for field, name in LIMIT_VARIABLES.items():
            text = env.get(name, "").strip()
            if not text:
                continue
            if not re.fullmatch(r"[0-9]{1,15}", text, re.ASCII) or int(text) == 0:
                raise PtdvError("import.bad_limit", name=name, value=safe(text))
            found[field] = int(text)
        return cls(**found)


def size_text(count: int) -> str:
    """``50 MB``, ``1.5 MB`` or ``900 B``: a limit as the refusal names it."""
    megabytes = count / (1024 * 1024)
    return f"{megabytes:.3g} MB" if megabytes >= 1 else f"{count} B"


def _short(label: str) -> str:
    """A label without its trailing note in brackets: ``Nghị quyết chi bộ (6-KNĐ)`` -> ``Nghị quyết chi bộ``."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def heading(key: str, lang: str) -> str:
    """The heading export writes for column ``key``."""
    if key.startswith(STAGE_COLUMN):
        return t("import.col.stage_date", lang, stage=_short(t(f"stage.{key[len(STAGE_COLUMN):]}", lang)))
    if key.startswith(MEMBERS_COLUMN):
        return t("import.col.members_in", lang, year=key[len(MEMBERS_COLUMN):])
    if key.startswith(EXCEPTION_COLUMN):
        return t("import.col.stage_exception", lang, stage=_short(t(f"stage.{key[len(EXCEPTION_COLUMN):]}", lang)))
    if key in ("exit_reason", "exit_date", "parent", "moves", "received", "vote", "exception", *UNIT_HISTORY):
        return t(f"import.col.{key}", lang)
    return t(f"field.{key}", lang)


@lru_cache(maxsize=65536)
def _form(text: str) -> str:
    """A heading or a value as matched: folded (``db.text.fold``), punctuation as spaces, single spaces:
    ``Họ và tên (khai sinh)`` -> ``ho va ten khai sinh``."""
    return " ".join(_PUNCTUATION.sub(" ", fold(text)).split())


_PUNCTUATION = re.compile(r"[^\w]+")


@cache
def _aliases(sheet: str) -> dict[str, str]:
    """Every heading a column is read under (:func:`_form`) -> its key: ptdv's own in either language, then
    (candidates) those of the lists offices keep, ``db.headings.HEADINGS``."""
    out: dict[str, str] = {}
    for key in COLUMNS[sheet]:
        out[_form(key)] = key
        for lang in LANGS:
            out[_form(heading(key, lang))] = key
            if key.startswith(STAGE_COLUMN):
                full = t("import.col.stage_date", lang, stage=t(f"stage.{key[len(STAGE_COLUMN):]}", lang))
                out[_form(full)] = key
            if key.startswith(EXCEPTION_COLUMN):
                full = t("import.col.stage_exception", lang, stage=t(f"stage.{key[len(EXCEPTION_COLUMN):]}", lang))
                out.setdefault(_form(full), key)
            if key == "earlier":  # the heading without the form it names in brackets
                out.setdefault(_form(_short(heading(key, lang))), key)
    if sheet == "candidates":  # a list made by hand names the candidate's unit "Chi bộ" (branch)
        for lang in LANGS:
            out.setdefault(_form(t("import.col.branch", lang)), "unit")
        for key, forms in headings.HEADINGS.items():
            for form in forms:
                out.setdefault(_form(form), key)
    return out


@cache
def _members_headings() -> re.Pattern:
    """``Đảng viên 2024`` / ``Members 2024`` (:func:`_form`), the year captured."""
    forms = {re.escape(_form(t("import.col.members_in", lang, year="0000"))).replace("0000", r"(\d{4})")
             for lang in LANGS}
    return re.compile("|".join(forms))


@lru_cache(maxsize=1024)
def _column(sheet: str, text: str) -> str | None:
    found = _form(text)
    key = _aliases(sheet).get(found)
    if key is None and sheet == "units" and (year := _members_headings().fullmatch(found)):
        key = MEMBERS_COLUMN + next(g for g in year.groups() if g)
    return key


class LabelledError(PtdvError):
    """An error whose parameters may be given in every language (``{"vi": ..., "en": ...}``)."""

    def _label(self, name: str, value: object, lang: str) -> object:
        if isinstance(value, dict) and lang in value:
            return value[lang]
        return super()._label(name, value, lang)


def _in_langs(label: Callable[[str], str]) -> dict[str, str]:
    return {lang: label(lang) for lang in LANGS}


def match_headings(headings: list[object], sheet: str = "candidates") -> dict[int, str]:
    """Column index -> column key; an unknown or repeated heading, or a missing required column, is refused
    (``import --strict``; a list read as offices keep it lists the unknown ones instead: :func:`read_rows`)."""
    texts = [_cell_text(cell) for cell in headings]
    columns, unused = _match(texts, [_column(sheet, text) if text else None for text in texts], sheet)
    if unused:
        raise PtdvError("import.unknown_column", column=safe(unused[0]))
    return columns


MULTIPLE = headings.HIGHEST_OF | headings.FIRST_OF  # columns a list may give twice


def _match(labels: list[str], keys: list[str | None], sheet: str) -> tuple[dict[int, str], list[str]]:
    """Column index -> key of the columns ptdv reads, and the headings of those it has no field for; a
    repeated column (but those of ``MULTIPLE``) or a missing required one is refused."""
    found: dict[int, str] = {}
    unused: list[str] = []
    for index, (label, key) in enumerate(zip(labels, keys)):
        if not label:
            continue
        if key is None:
            unused.append(label)
            continue
        if key in found.values() and key not in MULTIPLE and key != headings.NUMBER:
            raise PtdvError("import.repeated_column", column=safe(label))
        found[index] = key
    for key in REQUIRED[sheet]:
        if key not in found.values():
            raise LabelledError("import.missing_column", column=_in_langs(lambda lang: heading(key, lang)))
    return found, unused


def _cell_text(cell: object) -> str:
    kind = cell.__class__
    if kind is str:  # the most cells: first
        return cell.strip()  # type: ignore[attr-defined]
    if cell is None:
        return ""
    if kind is float:  # a number as a workbook gives it: then
        return str(int(cell)) if cell.is_integer() else str(cell).strip()  # type: ignore[attr-defined]
    if isinstance(cell, datetime):
        return day_text(cell.date())
    if isinstance(cell, date):
        return day_text(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


@cache
def _choice_ids(key: str) -> dict[str, str]:
    """Id, labels (both languages) and the words lists write (``db.headings.WORDS``), as :func:`_form` -> the
    id; the first option wins where two read alike."""
    prefix, options = CHOICES[key]
    out: dict[str, str] = {}
    for option in options:
        for text in (option, *(CATALOGUES[lang][f"{prefix}.{option}"] for lang in LANGS)):
            out.setdefault(_form(text), option)
    for option, words in headings.WORDS.get(key, {}).items():
        for word in words:
            out.setdefault(_form(word), option)
    return out


_GRADE = re.compile(r"(\d{1,2})\s*/\s*(12|10)")


@lru_cache(maxsize=4096)
def _choice(key: str, text: str) -> str:
    """A choice cell as its id: the id itself, its label in either language or a word lists write for it, with
    or without diacritics; an education as a grade (``12/12``); an occupation as a job (``Công nhân Cty
    May 10``: ``db.headings.OCCUPATION_WORDS``)."""
    form = _form(text)
    option = _choice_ids(key).get(form)
    if option is None and key == "education" and (grade := _GRADE.fullmatch(fold(text).strip())):
        reached, years = int(grade.group(1)), int(grade.group(2))
        option = next((level for least, level in headings.GRADES[years] if least <= reached <= years), None)
    if option is None and key == "occupation":
        option = _job(text)
    if option is None:
        prefix, options = CHOICES[key]
        raise LabelledError("import.bad_option", field=key, value=safe(text),
                            options=_in_langs(lambda lang: "; ".join(t(f"{prefix}.{o}", lang) for o in options)))
    return option


def _words(text: str) -> str:
    """Lower-case words of ``text`` with their diacritics (``Tổ trưởng`` is no ``trường``), or folded when the
    text has none (typed without them)."""
    return f" {_form(text)} " if text.isascii() else f" {' '.join(_PUNCTUATION.sub(' ', text.lower()).split())} "


@cache
def _job_words() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """Each occupation's words (:func:`_words`) as written, and without diacritics."""
    return tuple((job, tuple(_words(unicodedata.normalize("NFC", w)).strip() for w in words),
                  tuple(_form(w) for w in words)) for job, words in headings.OCCUPATION_WORDS)


def _job(text: str) -> str | None:
    """The occupation of a job as written (``Công nhân Cty May 10``): the first of
    ``db.headings.OCCUPATION_WORDS`` with a word in it."""
    text = unicodedata.normalize("NFC", text)
    found = _words(text)
    plain = text.isascii()
    return next((job for job, marked, bare in _job_words()
                 if any(f" {word} " in found for word in (bare if plain else marked))), None)


def _mark(text: str) -> str:
    """A yes/no cell as matched: :func:`_form`, or the sign itself (``✓``, ``-``)."""
    return _form(text) or text.strip()


TRUE = frozenset(map(_mark, headings.YES))
FALSE = frozenset(map(_mark, headings.NO))


def _flag(key: str, text: str) -> bool:
    form = _mark(text)
    if form in TRUE:
        return True
    if form in FALSE:
        return False
    raise PtdvError("import.bad_flag", field=key, value=safe(text))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass(frozen=True)
class Row:
    number: int            # the row's number in its sheet, as a spreadsheet shows it
    cells: dict[str, str]  # column key -> cell text
    error: PtdvError | None = None  # a cell that cannot be read: the row is refused when planned


@dataclass(frozen=True)
class Read:
    """A table as read: its records' rows, the rows that are none, the headings of columns ptdv has no field
    for, the values read as more than they say, and the number of the heading row."""

    rows: list[Row]
    skipped: list[Skipped]
    unused: list[str]
    assumed: list[Assumed]
    heading: int


HEADING_ROWS = 30  # the heading row is looked for in a table's first rows (under titles and blank rows)
DATE_KEYS = frozenset({"born", "received", "vote", "exit_date", *(STAGE_COLUMN + s for s in STAGES)})
EXCEL_DAY_ZERO = date(1899, 12, 30)  # Excel's serial 1 is 1/1/1900 (counting its 29/2/1900 that never was)
BORN_YEAR = (1900, 2100)  # a birth date cell of a year alone: 31/12 of it (the age rules never count it early)


def read_rows(table: list[list[object]], sheet: str = "candidates") -> Read:
    """A table as offices keep it: titles, blank rows and merged cells above the heading row (found in the
    first ``HEADING_ROWS`` rows by the required column's heading), perhaps a second heading row under it
    (``Nam``/``Nữ`` under ``Ngày sinh``, ``Văn hóa``/``Chuyên môn`` under ``Trình độ``) and a row of column
    numbers; then the records, until a footer (``Người lập biểu``, ``T/M …``, ``…, ngày … tháng … năm …``).
    Totals, a branch's name heading its rows, numbered rows left empty and blank rows are no record: they
    are ``skipped`` with the reason."""
    if not table:
        raise PtdvError("import.empty")
    top = _heading_row(table, sheet)
    if top and _group_row(_row_texts(table[top - 1]), _row_texts(table[top]), sheet):
        top -= 1
    texts = [[_cell_text(c) for c in table[i]] if i < len(table) else [] for i in range(top, top + 3)]
    skipped = [Skipped(sheet, number, "title") for number in range(1, top + 1) if any(_row_texts(table[number - 1]))]
    labels, keys, used = _headings(texts, sheet)
    first = top + used
    for offset in range(used, 3):
        if not _numbering(texts[offset]):
            break
        skipped.append(Skipped(sheet, top + offset + 1, "numbers"))
        first = top + offset + 1
    columns, unused = _match(labels, keys, sheet)
    reader = _RowReader(sheet, columns)
    rows, assumed = [], []
    blank: list[int] = []
    section = ""
    for index in range(first, len(table)):
        number = index + 1
        texts = _row_texts(table[index])
        # the first texts of the row, as many as tell whether it is a record (_no_record: no more than 3)
        present = [(i, texts[i]) for i in islice(compress(count(), texts), 4)]
        if not present:
            blank.append(number)
            continue
        why = _no_record(present, columns, sheet) if sheet == "candidates" else None
        if why == "footer":  # to the last row with text, blank rows of the signature block too
            last = next(n for n in range(len(table), number - 1, -1) if any(_row_texts(table[n - 1])))
            skipped += [Skipped(sheet, n, "footer") for n in range(number, last + 1)]
            break
        if rows:  # blank rows between records (not those under the headings or at the end)
            skipped += [Skipped(sheet, n, "blank") for n in blank]
        blank = []
        if why is not None:
            if why == "section":
                section = _branch_section(present[0][1])
                why = "branch" if section else "section"
            skipped.append(Skipped(sheet, number, why))
            continue
        row, guessed = reader.read(texts, number, section)
        rows.append(row)
        if guessed:
            assumed += [Assumed(sheet, number, what) for what in guessed]
    return Read(rows, sorted(skipped, key=lambda s: s.row), unused, assumed, top + 1)


def _row_texts(raw: list[object]) -> list[str]:
    return [cell.strip() if cell.__class__ is str else _cell_text(cell) for cell in raw]  # type: ignore[attr-defined]


def _heading_row(table: list[list[object]], sheet: str) -> int:
    """The index of the first row (of the first ``HEADING_ROWS``) with the headings of every required column."""
    wanted = set(REQUIRED[sheet])
    for index, raw in enumerate(table[:HEADING_ROWS]):
        if wanted <= {_column(sheet, text) for text in _row_texts(raw) if text}:
            return index
    missing = REQUIRED[sheet][0]
    raise LabelledError("import.no_headings", rows=min(len(table), HEADING_ROWS),
                        column=_in_langs(lambda lang: heading(missing, lang)))


def _headings(texts: list[list[str]], sheet: str) -> tuple[list[str], list[str | None], int]:
    """Each column's heading as the file writes it and its key (None: ptdv has no field for it), from the
    heading row and, when the row under it is a second heading row, that one too; and how many rows the
    headings take (1 or 2).  A second-row heading under a merged one is read on its own (``Văn hóa``) or
    with it (``Ngày sinh`` over ``Nam``, ``Nữ``), and named ``Trình độ / Lý luận chính trị`` when unknown."""
    top, below = texts[0], texts[1]
    width = max(len(top), len(below))
    top, below = top + [""] * (width - len(top)), below + [""] * (width - len(below))
    if not _second_heading(top, below, sheet):
        return top, [_column(sheet, text) if text else None for text in top], 1
    labels, keys = [], []
    parent = ""
    for index, (above, text) in enumerate(zip(top, below)):
        parent = above or (parent if text else "")
        own = _column(sheet, text) if text else None
        alone = bool(above) and (index + 1 == width or bool(top[index + 1]) or not below[index + 1])
        if not text or (own is None and alone):  # one row's heading, or a note under it: "(dd/mm/yyyy)"
            labels.append(above)
            keys.append(_column(sheet, above) if above else None)
        else:
            labels.append(text if own is not None or not parent else f"{parent} / {text}")
            keys.append(own)
    return labels, keys, 2


def finds_headings(table: list[list[object]], sheet: str = "candidates") -> bool:
    """Whether a table's first rows hold the headings of ``sheet``'s required columns (a workbook's sheet
    that holds a list of candidates)."""
    try:
        _heading_row(table, sheet)
    except PtdvError:
        return False
    return True


def _group_row(upper: list[str], row: list[str], sheet: str) -> bool:
    """Whether the row above the one with the required headings holds headings too (``STT`` merged down, a
    group's heading merged across the columns of ``Họ và tên``, ``Ngày sinh``): the two are the headings."""
    return any(_column(sheet, text) for text in upper if text) and _second_heading(upper, row, sheet)


def _second_heading(top: list[str], below: list[str], sheet: str) -> bool:
    """Whether the row under the headings is a second heading row: each of its texts a known heading, or
    under a heading merged over several columns (blank in the heading row, or the first of such a group)."""
    present = [(i, text) for i, text in enumerate(below) if text]
    if not present or _numbering(below):
        return False
    for index, text in present:
        above = top[index] if index < len(top) else ""
        merged = not above or (index + 1 < len(top) and not top[index + 1]
                               and index + 1 < len(below) and bool(below[index + 1]))
        if not merged and _column(sheet, text) is None:
            return False
    return True


@cache
def _patterns(name: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in getattr(headings, name)))


def _numbering(texts: list[str]) -> bool:
    """A row of column numbers: ``1 2 3 …``, ``(1) (2) …``, ``A B C …``."""
    present = [text for text in texts if text]
    return len(present) >= 2 and all(_patterns("COLUMN_NUMBER").fullmatch(fold(text)) for text in present)


def _no_record(present: list[tuple[int, str]], columns: dict[int, str], sheet: str) -> str | None:
    """Why a row with text is no record (None: it is one): a ``footer`` line, a ``total``, a ``section`` (one
    text alone, in a column other than the name's), a numbered row left ``empty``."""
    if len(present) <= 3 and any(_patterns("FOOTER").fullmatch(fold(text)) for _, text in present):
        return "footer"
    if any(text[0] in _TOTAL_START and _patterns("TOTAL").fullmatch(fold(text)) for _, text in present[:2]):
        return "total"
    if len(present) == 1 and columns.get(present[0][0]) == headings.NUMBER and present[0][1].isdigit():
        return "empty"
    if len(present) == 1 and columns.get(present[0][0]) != "name" and not present[0][1].isdigit():
        return "section"
    return None


_TOTAL_START = frozenset("TtCc")  # the letters every TOTAL pattern begins with (Tổng, Cộng): the rest not folded
_SECTION_NUMBER = re.compile(r"^\s*(?:[IVXLC]+|\d{1,3}|[A-Za-z])\s*[.)/:-]\s*")


def _branch_section(text: str) -> str:
    """The branch a section row names (``I. Chi bộ khu dân cư số 1`` -> ``Chi bộ khu dân cư số 1``), or ""."""
    name = _SECTION_NUMBER.sub("", text).strip()
    return name if _form(name).startswith(_form(t("import.col.branch", "vi"))) else ""


class _RowReader:
    """A table's rows as cells of its keys, values read as people write them: Excel serial dates, a birth
    year alone, a birth date or a mark under ``Nam``/``Nữ``, a grade or a word for education, a job for an
    occupation, "không" as no religion; the highest education and the first occupation that tells of
    columns a list gives twice."""

    def __init__(self, sheet: str, columns: dict[int, str]) -> None:
        self.sheet = sheet
        self.columns = [(i, key) for i, key in columns.items() if key != headings.NUMBER]
        self.single = [(i, key) for i, key in self.columns if list(columns.values()).count(key) == 1]
        self.multiple: dict[str, list[int]] = {}
        for i, key in self.columns:
            if (i, key) not in self.single:
                self.multiple.setdefault(key, []).append(i)
        self.width = max(columns, default=0) + 1
        # what every row takes: the texts of the columns given once (by one itemgetter), the date columns
        self.keys = [key for _, key in self.single]
        self.pick = taker([i for i, _ in self.single])
        self.dates = sorted(DATE_KEYS.intersection([*self.keys, *self.multiple]))

    def read(self, texts: list[str], number: int, section: str) -> tuple[Row, list[str]]:
        """Row ``number`` of cell ``texts`` (:func:`_cell_text`); ``section``: the branch a row above named."""
        if len(texts) < self.width:
            texts = [*texts, *[""] * (self.width - len(texts))]
        cells = dict(zip(self.keys, self.pick(texts)))
        for key, indexes in self.multiple.items():
            cells[key] = _combined(key, [texts[i] for i in indexes])
        assumed: list[str] = []
        error = None
        try:
            _read_values(cells, assumed, self.dates)
        except PtdvError as err:
            error = err
        if section and not cells.get("unit"):
            cells["unit"] = section
        return Row(number, cells, error), assumed


def taker(keys: Sequence) -> Callable[[object], list]:
    """``lambda data: [data[k] for k in keys]``, by one ``itemgetter`` (which gives a value, not a tuple, of one
    key, and cannot be made of none)."""
    if not keys:
        return lambda data: []
    get = itemgetter(*keys)
    return (lambda data: [get(data)]) if len(keys) == 1 else (lambda data: list(get(data)))


def _combined(key: str, texts: list[str]) -> str:
    """One cell of the texts of columns a list gives twice: the highest education, the first occupation that
    tells (an unreadable text is kept, to be refused with its row)."""
    ids = []
    for text in filter(None, texts):
        try:
            ids.append(_choice(key, text))
        except PtdvError:
            if key in headings.HIGHEST_OF:
                return text
    if not ids:
        return next(filter(None, texts), "")
    return max(ids, key=CHOICES[key][1].index) if key in headings.HIGHEST_OF else ids[0]


def _read_values(cells: dict[str, str], assumed: list[str], dates: Iterable[str] | None = None) -> None:
    """``cells`` with dates, genders, religions and ethnicities as ptdv reads them (in place); ``dates``: the
    keys of ``cells`` that are dates, when the caller knows them (a table's rows all have the same)."""
    for key in DATE_KEYS.intersection(cells) if dates is None else dates:
        text = cells[key]
        if text[:5].isdigit() or len(text) == 4:  # else (empty, dd/mm/yyyy) _date_text leaves it as it is
            cells[key] = _date_text(text, key, assumed)
    if headings.MALE in cells or headings.FEMALE in cells:
        _gender_marks(cells, assumed)
    if cells.get("occupation") and not _known_occupation(cells["occupation"]):
        # a job no group of the catalogue names (Nhân viên văn phòng): Khác, said
        cells["occupation"] = "other"
        assumed.append("occupation_other")
    if "religion" in cells and _form(cells["religion"]) in _NO_RELIGION:
        cells["religion"] = ""
    if "ethnicity" in cells:
        cells["ethnicity"] = _ETHNICITIES.get(_form(cells["ethnicity"]), cells["ethnicity"])


def _gender_marks(cells: dict[str, str], assumed: list[str]) -> None:
    """The columns ``Nam`` and ``Nữ`` of ``cells`` as its gender (a mark) or its gender and birth date (a date)."""
    marks = {key: cells.pop(key) for key in (headings.MALE, headings.FEMALE) if key in cells}
    given = [(key, text) for key, text in marks.items() if text]
    if len(given) > 1:
        raise PtdvError("import.both_genders", male=safe(given[0][1]), female=safe(given[1][1]))
    for key, text in given:
        if _mark(text) in TRUE or _choice_ids("gender").get(_form(text)) == key:
            cells["gender"] = key
            continue
        day = _date_text(text, "born", assumed)
        if not _DAY.fullmatch(day):
            raise LabelledError("import.bad_gender_cell", value=safe(text),
                                column=_in_langs(lambda lang: t(f"gender.{key}", lang)))
        cells["gender"] = key
        cells["born"] = day


@lru_cache(maxsize=4096)
def _known_occupation(text: str) -> bool:
    """Whether :func:`_choice` reads ``text`` as an occupation (a list repeats the jobs it names)."""
    try:
        _choice("occupation", text)
    except LabelledError:
        return False
    return True


_DAY = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2}", re.ASCII)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?", re.ASCII)


def _date_text(text: str, key: str, assumed: list[str]) -> str:
    """A date cell as dd/mm/yyyy when it is an Excel serial (``45366``) or, for a birth date, a year alone
    (``1998``: 31/12/1998, said in ``assumed``); else as it is (read, or refused, when planned)."""
    if text[:5].isdigit() and _SERIAL.fullmatch(text):  # most dates are written: dd/mm/yyyy
        return _serial_date(text)
    if key == "born" and len(text) == 4 and text.isdigit() and BORN_YEAR[0] <= int(text) <= BORN_YEAR[1]:
        assumed.append("born_year")
        return f"31/12/{text}"
    return text


@lru_cache(maxsize=8192)
def _serial_date(text: str) -> str:
    """An Excel serial date (``45366``) as dd/mm/yyyy (a list repeats the same days)."""
    return fmt_date(EXCEL_DAY_ZERO + timedelta(days=int(float(text))))


_NO_RELIGION = frozenset(_form(text) for text in headings.NO_RELIGION)
_ETHNICITIES = {_form(text): text for text in headings.ETHNICITIES}


class Tables(dict):
    """A file's tables by name (of ``SHEETS``), and the file's name (``source``: the reason of a transfer
    an import records says it)."""

    def __init__(self, tables: Mapping[str, list[list[object]]], source: str = "") -> None:
        super().__init__(tables)
        self.source = source


def moved_reason(source: str, lang: str = "vi") -> str:
    """The reason of the transfer an import records for a known candidate in another branch."""
    return t("import.moved", lang, file=source) if source else t("import.moved_unnamed", lang)


class ImportRefused(PtdvError):
    """A file with bad rows: every one of them, by sheet, number and reason; nothing was written."""

    def __init__(self, bad: list[tuple[str, int, PtdvError]]) -> None:
        super().__init__("import.refused", count=len(bad))
        self.bad = bad

    def message(self, lang: str = "vi") -> str:
        lines = [t("import.refused", lang, count=len(self.bad))]
        lines += [t("import.bad_row", lang, sheet=t(f"export.sheet.{sheet}", lang), row=row, reason=err.message(lang))
                  for sheet, row, err in self.bad]
        return "\n".join(lines)


class Sheets(dict):
    """The records' rows of each table of a file (of ``SHEETS``), and what reading found besides: the rows
    that are no record, the columns ptdv has no field for, the values read as more than they say."""

    def __init__(self, reads: Mapping[str, Read]) -> None:
        super().__init__({name: read.rows for name, read in reads.items()})
        self.skipped = tuple(s for read in reads.values() for s in read.skipped)
        self.unused = tuple(dict.fromkeys(label for read in reads.values() for label in read.unused))
        self.assumed = tuple(a for read in reads.values() for a in read.assumed)


def read_sheets(tables: dict[str, list[list[object]]], *, strict: bool = False) -> Sheets:
    """The rows of each table a file holds (of ``SHEETS``); heading problems of every table refuse the file,
    each at its table's heading row (row 1 when none was found); ``strict``: a column ptdv has no field for
    too."""
    reads: dict[str, Read] = {}
    bad: list[tuple[str, int, PtdvError]] = []
    for sheet in SHEETS:
        if sheet in tables:
            try:
                reads[sheet] = found = read_rows(tables[sheet], sheet)
            except PtdvError as err:
                bad.append((sheet, 1, err))
                continue
            if strict:
                bad += [(sheet, found.heading, PtdvError("import.unknown_column", column=safe(label)))
                        for label in found.unused]
    if bad:
        raise ImportRefused(bad)
    if not reads:
        raise PtdvError("import.empty")
    return Sheets(reads)


# -- the plan -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    row: int
    before: Unit | Quota | Candidate | None  # None: a new record
    after: Unit | Quota | Candidate


@dataclass(frozen=True)
class Changes:
    adds: list[Planned]
    changes: list[Planned]
    unchanged: int

    def counts(self) -> dict[str, int]:
        return {"added": len(self.adds), "changed": len(self.changes), "unchanged": self.unchanged}


@dataclass(frozen=True)
class Skipped:
    """A row of a file that is not a record: a title above the headings, a blank row, a total or a
    signature below the data.  ``why`` names the message ``import.skip.<why>``."""

    sheet: str
    row: int
    why: str


@dataclass(frozen=True)
class Assumed:
    """A value read as more than the file says (a birth year alone kept as 31/12 of that year): ``what``
    names the message ``import.assumed.<what>``."""

    sheet: str
    row: int
    what: str


@dataclass(frozen=True)
class Plan:
    sheets: tuple[str, ...]  # the tables the file had, of SHEETS
    units: Changes
    quotas: Changes
    candidates: Changes
    paths: dict[int, str]    # the path of every unit the plan names (those it adds too)
    skipped: tuple[Skipped, ...] = ()  # rows of the file read as no record, and why
    unused: tuple[str, ...] = ()       # headings of columns ptdv has no field for, as the file writes them
    assumed: tuple[Assumed, ...] = ()  # values read as more than the file says (a birth year alone)


class _Tree:
    """The store's units and those a file adds.  A unit is found by its path as export writes it (case
    aside), else as ``State.resolve_unit`` reads a name or path of a unit the store has; once per text."""

    def __init__(self, service, state: State, new_id: Callable[[], int]) -> None:
        self.service = service
        self.state = state
        self.new_id = new_id
        self.paths = _unit_paths(state)
        self.by_path = {path.casefold(): uid for uid, path in self.paths.items()}
        self.found: dict[str, int] = {}
        self.at_path: dict[str, int] = {}  # texts found in by_path (which only grows): not case-folded again
        self.stored: dict[int, bool] = {}  # whether the store has unit uid (asked for each quota row)
        self.store_units: dict[int, Unit] = {}  # the store's units asked for (a branch's is made from its part)
        self.changed: dict[int, Unit] = {}  # added by the file, or changed by it
        self.with_new_children: set[int] = set()
        self.allowed: dict[tuple[str, int], PtdvError | None] = {}
        self.grassroots_on: dict[tuple[int, date | None], bool] = {}

    @cached_property
    def levels(self) -> dict[str, str]:
        """Folded level id and labels (both languages) -> the level id; the first level wins where two fold alike."""
        out: dict[str, str] = {}
        for level in self.state.levels.values():
            for name in (level.id, level.vi, level.en):
                out.setdefault(fold(name), level.id)
        return out

    def unit(self, uid: int) -> Unit:
        return self.changed.get(uid) or self.stored_unit(uid)

    def stored_unit(self, uid: int) -> Unit:
        """``state.units[uid]``, made once."""
        found = self.store_units.get(uid)
        if found is None:
            found = self.store_units[uid] = self.state.units[uid]
        return found

    def find(self, ref: str) -> int:
        uid = self.at_path.get(ref)
        if uid is not None:
            return uid
        uid = self.by_path.get(ref.casefold())
        if uid:
            self.at_path[ref] = uid
            return uid
        uid = self.found.get(ref)
        if uid is None:
            uid = self.found[ref] = self.state.resolve_unit(ref).id
        return uid

    def in_store(self, uid: int) -> bool:
        """``uid in state.units``, asked once a unit."""
        found = self.stored.get(uid)
        if found is None:
            found = self.stored[uid] = uid in self.state.units
        return found

    def child(self, parent: int, name: str) -> int | None:
        return self.by_path.get(f"{self.paths[parent]}/{name}".casefold())

    def add(self, unit: Unit) -> None:
        self.changed[unit.id] = unit
        if unit.id not in self.paths:
            self.paths[unit.id] = f"{self.paths[unit.parent]}/{unit.name}"
            self.by_path[self.paths[unit.id].casefold()] = unit.id
            self.with_new_children.add(unit.parent)

    def part_of(self, uid: int) -> int:
        """The part that holds branch ``uid``'s candidates (``State.part_of``; for a unit the file adds: its
        parent's)."""
        if uid in self.state.units:
            return self.state.part_of(uid)
        parent = self.unit(uid).parent
        return uid if parent is None else parent

    def is_leaf(self, uid: int) -> bool:
        return uid not in self.with_new_children and (uid not in self.state.units or self.state.is_leaf(uid))

    def branch(self, ref: str) -> int:
        uid = self.find(ref)
        if not self.is_leaf(uid):
            raise PtdvError("candidate.not_a_branch", unit=self.unit(uid).name)
        return uid

    def grassroots(self, uid: int, day: date) -> bool:
        """Whether branch ``uid`` is a grassroots branch on ``day`` (``State.is_grassroots_branch``; for a
        unit the file adds, from the level of its parent in the file): its rows have no committee date."""
        key = (uid, None)  # a unit of the store that never moved: any day alike
        if key in self.grassroots_on:
            return self.grassroots_on[key]
        if uid in self.state.units:
            found = self.state.is_grassroots_branch(uid, day)
            if not self.state.units[uid].earlier:
                self.grassroots_on[key] = found
            return found
        levels = self.state.levels
        if "grassroots" not in levels or not self.is_leaf(uid):
            return False
        parent = self.unit(uid).parent_on(day)
        if parent is None:
            return True
        above = levels.get(self.unit(parent).level)
        return above is not None and above.order < levels["grassroots"].order

    def require(self, action: str, uid: int) -> None:
        """The user may do ``action`` at ``uid`` (for a unit the file adds: at the store's unit above it)."""
        key = (action, uid)
        if key not in self.allowed:  # asked once a unit: a branch's many rows look no unit up again
            while uid not in self.state.units:
                uid = self.changed[uid].parent
            try:
                access.require(self.state, self.service.user, action, uid)
                self.allowed[key] = None
            except PtdvError as err:
                self.allowed[key] = err
        if (err := self.allowed[key]) is not None:
            raise err


def _unit_paths(state: State) -> dict[int, str]:
    """``State.path`` of every unit of the store, each made from its parent's (``State.path`` walks up to the
    root from each: 20,000 units at metro); the units of a cycle (a hand-made store) by ``State.path`` itself."""
    units = state.units
    order = list(units)
    paths: dict[int, str] = {}
    for uid in order:
        if uid in paths:
            continue
        stack: list[int] = []  # uid and its ancestors whose paths wait on their parents'
        current = uid
        while True:
            stack.append(current)
            parent = state.parent_of(current)
            if parent is None or parent not in units:  # the top of its chain
                path = None
                break
            if parent in paths:
                path = paths[parent]
                break
            if parent in stack:  # a cycle: State.path stops each unit's chain where it comes back
                start = stack.index(parent)
                paths.update((u, state.path(u)) for u in stack[start:])
                del stack[start:]
                path = paths[parent]
                break
            current = parent
        for u in reversed(stack):
            name = state.name_of(u)
            path = paths[u] = name if path is None else f"{path}/{name}"
    return {uid: paths[uid] for uid in order}


def _level(tree: _Tree, text: str) -> str | None:
    """A level cell as the store's level id: the id or its label in either language (None when empty)."""
    if not text:
        return None
    found = tree.levels.get(fold(text))
    if found is None:
        raise PtdvError("unit.unknown_level", level=safe(text), levels=", ".join(tree.state.levels))
    return found


@lru_cache(maxsize=1024)
def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text, re.ASCII) or not 1900 <= int(text) <= 9999:
        raise PtdvError("import.bad_year", value=safe(text))
    return int(text)


def _plan_unit(service, tree: _Tree, row: Row, seen: dict[int, int], dated: list[tuple[int, Row]]) -> Planned | None:
    """The unit a units row adds or changes (None: the store has it as the row says).  A row of a file with
    the period columns is put in ``dated``, read once every unit of the file is known (:func:`_period`)."""
    state = tree.state
    name = clean_unit_name(row.cells.get("unit", ""), field="unit")
    level = _level(tree, row.cells.get("level", ""))
    members = {int(key[len(MEMBERS_COLUMN):]): _count(text, "members")
               for key, text in row.cells.items() if key.startswith(MEMBERS_COLUMN) and text}
    parent_ref = row.cells.get("parent", "")
    if parent_ref:
        parent = tree.find(parent_ref)
        uid = tree.child(parent, name)
    else:
        parent, uid = None, state.root
        if name.casefold() != state.units[uid].name.casefold():
            raise PtdvError("import.other_root", unit=name, root=state.units[uid].name)
    if uid in seen:
        raise PtdvError("import.repeated_row", first=seen[uid])
    if uid is None:
        tree.require(access.UNITS, parent)
        level = level or state.level_below(tree.unit(parent).level)
        unit = Unit(id=tree.new_id(), name=name, level=level, parent=parent, members=members)
        seen[unit.id] = row.number
        tree.add(unit)
        if any(key in row.cells for key in UNIT_HISTORY):
            dated.append((unit.id, row))
        return Planned(row.number, None, unit)
    seen[uid] = row.number
    if any(key in row.cells for key in UNIT_HISTORY):
        dated.append((uid, row))
    before = tree.unit(uid)
    if level not in (None, before.level):
        raise LabelledError("import.level_differs", unit=before.name,
                            level=_in_langs(lambda lang: state.level_label(before.level, lang)),
                            given=_in_langs(lambda lang: state.level_label(level, lang)))
    if all(before.members.get(year) == n for year, n in members.items()):
        return None
    tree.require(access.QUOTA, uid)
    after = replace(before, members={**before.members, **members}, rev=before.rev + 1)
    tree.add(after)
    return Planned(row.number, before, after)


PERIOD_FIELDS = ("began", "ended", "end", "successors", "earlier")  # Unit's fields that UNIT_HISTORY columns give


@cache
def _end_kinds() -> dict[str, str]:
    """Folded id and labels (both languages) of how a unit ended -> the id."""
    out: dict[str, str] = {}
    for kind in END_KINDS:
        for text in (kind, *(t(f"import.end.{kind}", lang) for lang in LANGS)):
            out.setdefault(fold(text), kind)
    return out


@cache
def _earlier_form() -> re.Pattern:
    """``PATH trước dd/mm/yyyy`` / ``PATH before dd/mm/yyyy`` (the word in either language, with or without
    diacritics): the path and the date; the last such word splits them."""
    words = {word for lang in LANGS for word in (t("import.before", lang), fold(t("import.before", lang)))}
    return re.compile(rf"(.+)\s+(?:{'|'.join(map(re.escape, sorted(words)))})\s+(\S+)", re.IGNORECASE)


def _earlier(tree: _Tree, text: str) -> tuple[date, int]:
    found = _earlier_form().fullmatch(text.strip())
    if found is None:
        raise LabelledError("import.bad_earlier", value=safe(text),
                            form=_in_langs(lambda lang: t("import.earlier_entry", lang, unit=t("field.unit", lang),
                                                          date="dd/mm/yyyy")))
    return _date(found.group(2)), tree.find(found.group(1).strip())


def _period(tree: _Tree, uid: int, cells: dict[str, str]) -> dict:
    """The period a units row gives, as :class:`Unit`'s keyword arguments (empty cells: it began at the start
    of time, has not ended, never moved); successors and earlier parents are paths of the store's units or
    the file's."""
    began = _date(cells["began"]) if cells.get("began") else None
    ended = _date(cells["ended"]) if cells.get("ended") else None
    end = None
    if cells.get("end"):
        end = _end_kinds().get(fold(cells["end"]))
        if end is None:
            raise LabelledError("import.bad_choice", value=safe(cells["end"]),
                                field=_in_langs(lambda lang: heading("end", lang)))
    if (ended is None) != (end is None):
        raise LabelledError("import.end_incomplete", ended=_in_langs(lambda lang: heading("ended", lang)),
                            how=_in_langs(lambda lang: heading("end", lang)))
    successors = tuple(dict.fromkeys(tree.find(ref) for ref in _split(cells.get("successors", ""))))
    wanted = {None: (0, 0), "dissolved": (0, 0), "merged": (1, 1), "split": (1, len(successors))}[end]
    if not wanted[0] <= len(successors) <= wanted[1] or uid in successors:
        raise LabelledError("import.bad_successors", column=_in_langs(lambda lang: heading("successors", lang)),
                            count=len(successors))
    earlier = tuple(sorted(_earlier(tree, text) for text in _split(cells.get("earlier", ""))))
    days = [began, *(until for until, _ in earlier)]
    if any(a is not None and a >= b for a, b in zip(days, days[1:])) \
            or (ended is not None and any(d is not None and d > ended for d in days[1:])) \
            or (ended is not None and began is not None and began >= ended):
        raise PtdvError("import.period_order")
    return {"began": began, "ended": ended, "end": end, "successors": successors, "earlier": earlier}


_NO_PERIOD = {"began": None, "ended": None, "end": None, "successors": (), "earlier": ()}


def _plan_periods(tree: _Tree, dated: list[tuple[int, Row]], adds: list[Planned], bad: list) -> list[Planned]:
    """The periods of the units rows give, once every unit of the file is known (a successor or an earlier
    parent may come later in it): set on the units the file adds; a unit the store has must have them
    already (a change of the tree is recorded by ``ptdv unit merge``, ``split``, ``close`` or ``move``)."""
    for uid, row in dated:
        try:
            # empty cells (most units): the period _period gives them, from the start of time
            period = _period(tree, uid, row.cells) if any(map(row.cells.get, UNIT_HISTORY)) else _NO_PERIOD
            if tree.in_store(uid):
                before = tree.stored_unit(uid)
                if {key: getattr(before, key) for key in PERIOD_FIELDS} != period:
                    raise PtdvError("import.period_differs", unit=before.name)
            else:
                tree.changed[uid] = replace(tree.changed[uid], **period)
        except PtdvError as err:
            bad.append(("units", row.number, err))
    return [Planned(p.row, None, tree.changed[p.after.id]) for p in adds]


def _plan_quota(tree: _Tree, row: Row, seen: dict[tuple[int, int], int]) -> Planned | None:
    """The quota a quotas row sets (None: the store has it as the row says)."""
    uid = tree.find(row.cells["unit"]) if row.cells.get("unit") else None
    if uid is None:
        raise PtdvError("input.required", field="unit")
    year = _year(row.cells.get("year", ""))
    target, rate = row.cells.get("target", ""), row.cells.get("rate", "")
    if bool(target) == bool(rate):
        raise PtdvError("quota.target_or_rate")
    quota = Quota(unit=uid, year=year, target=_count(target, "target") if target else None,
                  rate=parse_rate(rate) if rate else None)
    if (uid, year) in seen:
        raise PtdvError("import.repeated_row", first=seen[(uid, year)])
    seen[(uid, year)] = row.number
    before = tree.state.quotas.get((uid, year)) if tree.in_store(uid) else None
    if before == quota:
        return None
    tree.require(access.QUOTA, uid)
    return Planned(row.number, before, quota)


@lru_cache(maxsize=8192)
def _count(text: str, field: str) -> int:
    """``parse_count`` of a members or target cell (a file repeats the same figures many times)."""
    return parse_count(text, field=field)


def _fields(service, cells: dict[str, str]) -> dict:
    """The person-editable fields a row gives, validated by the service (absent columns: not given)."""
    values: dict = {}
    for key in EDITABLE_FIELDS:
        if key not in cells:
            continue
        text = cells[key]
        if key in LISTS:
            items = _split(text)
            values[key] = [_choice(key, i) for i in items] if key in CHOICES else items
        elif key in FLAGS:
            values[key] = _flag(key, text)
        elif key in CHOICES:
            values[key] = _choice(key, text) if text else None
        else:
            values[key] = text
    return service.validate_candidate_fields(values)


@lru_cache(maxsize=8192)
def _date(text: str) -> date:
    """A date cell (a file repeats the same days many times)."""
    return parse_date(text, field="date")


_STAGE_COLUMNS = tuple((stage, STAGE_COLUMN + stage, EXCEPTION_COLUMN + stage) for stage in STAGES)


def _replay(cand: Candidate, cells: dict[str, str], today: date, user: str, at: str, settings: Settings,
            grassroots: Callable[[int, date], bool]) -> Candidate:
    """``cand`` with the stage dates, the decision's received day, the recognition vote, the exceptions and
    the exit of a row that it has not recorded yet, as the rules allow: each step is checked in order as
    ``Service.advance`` checks it (a grassroots branch skips the committee; a newer class or dossier date
    than the recorded one is a retake) and judged (``rules.judge_step``): a hard rule broken refuses the row
    unless the rule allows an exception and the row gives one (``exception:<stage>``, or ``exception`` for
    whichever step needs it); what the rules found is kept on the entry."""
    history = list(cand.history)
    details = {"received": _date(cells["received"]) if cells.get("received") else None,
               "vote": _date(cells["vote"]) if cells.get("vote") else None}
    anyhow = clean_text(cells["exception"], field="exception") if cells.get("exception") else ""
    used = False
    probe = cand  # the candidate with the steps so far: made again only when a step is added
    for stage, column, exception in _STAGE_COLUMNS:
        text = cells.get(column, "")
        given = clean_text(cells[exception], field="exception") if cells.get(exception) else ""
        if not text:
            if given:
                raise PtdvError("exception.not_needed", stage=stage)
            continue
        got = details["received"] if stage == "decided" else None
        voted = details["vote"] if stage == "official" else None
        day = _date(text)
        if not history and stage == STAGES[1] and not cells.get(STAGE_COLUMN + STAGES[0]):
            # a list of those who took the class says not since when they were sources: since then at the latest
            history.append(StageEntry(STAGES[0], day, user, at, cand.unit_on(day)))
            probe = cand.with_(history=tuple(history))
        recorded = probe.stage_entry(stage)  # the latest (a retaken class, a redone dossier)
        if recorded is not None and (recorded.date == day or not rules.may_retake(probe, stage)
                                     or day < recorded.date):
            if recorded.date != day:
                raise PtdvError("import.history_differs", stage=stage, date=fmt_date(day),
                                recorded=fmt_date(recorded.date))
            for label, value, kept in (("exception", given, recorded.exception), ("received", got, recorded.received),
                                       ("vote", voted, recorded.vote)):
                if value and value != kept:
                    raise PtdvError("import.detail_differs", stage=stage, field=label,
                                    value=fmt_date(value) if isinstance(value, date) else value,
                                    recorded=fmt_date(kept) if isinstance(kept, date) else kept or "—")
            used = used or bool(anyhow and recorded.exception == anyhow)
            continue
        if stage == "dossier" and probe.stage_date("class") and probe.stage_date("class") > day \
                and recorded is None:
            raise PtdvError("import.retake_order", date=fmt_date(probe.stage_date("class")), dossier=fmt_date(day))
        if history:
            rules.check_advance(probe, stage, day, today, skip_committee=grassroots(cand.unit_on(day), day))
        elif stage != STAGES[0]:
            raise PtdvError("stage.skipped", stage=stage, expected=STAGES[0])
        else:
            rules.check_stage_date(probe, stage, day, today)
        if voted is None and stage == "official":
            voted = cand.recognition_vote
        rules.check_details(probe, stage, day, today, received=got, vote=voted)
        found = rules.judge_step(probe, stage, day, settings, received=got, vote=voted)
        hard = [rules.rule(b.rule) for b in found if rules.rule(b.rule).kind == "hard"]
        if hard and not given and anyhow and all(spec.exception for spec in hard):
            given, used = anyhow, True
        for breach in found:
            spec = rules.rule(breach.rule)
            if spec.kind == "hard" and not (spec.exception and given):
                raise rules.RuleRefused(breach.rule, needs_exception=spec.exception, **breach.params)
        if given and not hard:
            raise PtdvError("exception.not_needed", stage=stage)
        history.append(StageEntry(stage, day, user, at, cand.unit_on(day), breaches=tuple(found), exception=given,
                                  received=got, vote=voted))
        if stage == "official":
            cand = cand.with_(recognition_vote=None)
        probe = cand.with_(history=tuple(history))
    if anyhow and not used:
        raise PtdvError("import.exception_unused", text=anyhow)
    if not history:
        history.append(StageEntry(STAGES[0], today, user, at, cand.unit))
    if len(history) != len(cand.history):
        cand = cand.with_(history=tuple(history))
    vote = details["vote"]
    if vote is not None and not cells.get(STAGE_COLUMN + "official"):  # the branch's vote recorded alone
        if cand.recognition_vote != vote:
            if cand.recognition_vote is not None:
                raise PtdvError("import.detail_differs", stage="official", field="vote", value=fmt_date(vote),
                                recorded=fmt_date(cand.recognition_vote))
            rules.check_vote(cand, vote, settings, today)
            cand = cand.with_(recognition_vote=vote)
    exit_cells = [cells.get(k, "") for k in ("exit", "exit_reason", "exit_date")]
    if any(exit_cells):
        kind = _choice("exit", exit_cells[0]) if exit_cells[0] else ""
        day = _date(exit_cells[2]) if exit_cells[2] else today
        if cand.exit is not None:
            if (cand.exit.kind, cand.exit.reason, cand.exit.date) != (kind, " ".join(exit_cells[1].split()), day):
                raise PtdvError("import.exit_differs", id=cand.id)
        else:
            rules.check_exit(cand, kind, exit_cells[1], day, today)
            cand = cand.with_(exit=Exit(kind, clean_name(exit_cells[1], field="reason"), day, user, at))
    return cand


@dataclass(frozen=True)
class _Person:
    """A candidates row read: its branch, fields, the id it gives (None: no id) and its transfers; ``same``: the
    row is what export writes of the candidate of that id (:class:`_Stored`), so it changes nothing and its
    fields are not read."""
    row: Row
    unit: int
    fields: dict
    ident: int | None
    moves: tuple[Move, ...] = ()
    same: bool = False


MOVE_FORM = re.compile(r"(\S+?)\s*:\s*(.+?)\s*(?:→|->)\s*(.+)", re.DOTALL)
_MOVE_START = re.compile(r";\s*(?=[0-9][0-9/.\-]*\s*:)")  # each transfer begins with its date


def _moves(tree: _Tree, text: str, unit: int, today: date, user: str, at: str) -> tuple[Move, ...]:
    """A transfers cell (``dd/mm/yyyy: FROM → TO (reason); …``, oldest first) as moves that lead from one
    branch to the next, up to the row's branch ``unit``, on days that go forward, none after today."""
    moves: list[Move] = []
    for entry in _MOVE_START.split(text.strip().rstrip(";")):
        found = MOVE_FORM.fullmatch(entry.strip())
        if found is None:
            raise LabelledError("import.bad_move", value=safe(entry.strip()),
                                form=_in_langs(lambda lang: t("import.move_entry", lang)))
        day = _date(found.group(1))
        target, reason = _target_and_reason(tree, found.group(3).strip())
        moves.append(Move(day, tree.find(found.group(2)), target, reason, user, at))
    chain = [a.target == b.source and a.on <= b.on for a, b in zip(moves, moves[1:])]
    if not all(chain) or moves[-1].target != unit or any(m.source == m.target or m.on > today for m in moves):
        raise PtdvError("import.moves_chain", unit=tree.paths.get(unit, ""))
    return tuple(moves)


def _target_and_reason(tree: _Tree, text: str) -> tuple[int, str]:
    """``PATH (reason)`` or ``PATH``: the unit and the reason.  A unit's name may hold brackets too, so the
    split is the first `` (`` after which the rest is a reason and before which a unit's path."""
    if text.casefold() in tree.by_path or not text.endswith(")"):
        return tree.find(text), ""
    splits = [i for i in range(len(text)) if text.startswith(" (", i)]
    for index in splits:
        if text[:index].strip().casefold() in tree.by_path:
            return tree.find(text[:index].strip()), text[index + 2:-1].strip()
    for index in splits:  # a name or a short path, as a list made by hand gives it
        try:
            return tree.find(text[:index].strip()), text[index + 2:-1].strip()
        except PtdvError:
            continue
    return tree.find(text), ""


def _moved(before: Candidate, person: _Person, today: date, reason: str, user: str, at: str) -> Candidate:
    """A known candidate with the transfers of its row that the store has not recorded (those it has must
    agree), then one on ``today`` to the row's branch when it still differs; stages recorded before keep
    the branch they were recorded in."""
    recorded, given = before.moves, person.moves
    key = lambda moves: [(m.on, m.source, m.target) for m in moves]  # noqa: E731
    if key(given[:len(recorded)]) == key(recorded):
        extra = given[len(recorded):]
    elif key(recorded[:len(given)]) == key(given):
        extra = ()  # a file older than the store's last transfer
    else:
        raise PtdvError("import.moves_differ", id=before.id)
    if extra and (extra[0].source != before.unit or (recorded and extra[0].on < recorded[-1].on)):
        raise PtdvError("import.moves_differ", id=before.id)
    moves = recorded + extra
    unit = moves[-1].target if moves else before.unit
    if unit != person.unit:
        moves += (Move(max(today, moves[-1].on) if moves else today, unit, person.unit, reason, user, at),)
    if moves == recorded:
        return before
    history = tuple(e if e.unit is not None else replace(e, unit=before.unit_of(e)) for e in before.history)
    return before.with_(unit=person.unit, moves=moves, history=history)


class _Stored:
    """The stored cells (``db.cells.stored_cells``) of the candidates whose ids a file's rows give, read from the
    parts' caches of them, to know a row that is what export writes of its candidate (in either language): a
    round trip of an export reads no candidate and checks no rule again for the rows that did not change."""

    def __init__(self, state: State, in_use: dict[int, int], rows: list[Row]) -> None:
        given = {cid for row in rows if (cid := _row_id(row)) is not None}
        homes = {in_use[cid] for cid in given if cid in in_use}
        at = AT["id"]
        self.cells = {stored[at]: stored for stored in state.source.stored_cells(homes) if stored[at] in given}
        self.writers = [_Cells(state, lang) for lang in LANGS]
        # a row's keys -> what to take of the row, and a reader of stored cells in each language
        self.readers: dict[tuple[str, ...], tuple[Callable[[dict], list], list[Callable[[list], list]]]] = {}

    def same(self, row: Row, ident: int | None, unit: int) -> bool:
        """Whether ``row`` (of branch ``unit``) is what export writes of candidate ``ident``, cell for cell."""
        stored = self.cells.get(ident)
        if stored is None or stored[AT["unit"]] != unit:
            return False
        keys = tuple(row.cells)
        found = self.readers.get(keys)
        if found is None:
            columns = [key for key in keys if key not in ("id", "unit")]
            readers = [cells.reader(columns) for cells in self.writers] if all(key in AT for key in columns) else []
            found = self.readers[keys] = (taker(columns), readers)
        take, readers = found
        texts = take(row.cells)
        return any(read(stored) == texts for read in readers)


class _Candidates:
    """The store's candidates a file may be about, loaded once: those of the branches its rows name and of
    the ids they give (the name index says where those are: ``in_use``, id -> branch)."""

    def __init__(self, state: State, in_use: dict[int, int], people: list[_Person]) -> None:
        self.in_use = in_use
        units = {p.unit for p in people} | {self.in_use[p.ident] for p in people if p.ident in self.in_use}
        loaded = state.source.of_units([u for u in units if u in state.units])
        self.by_id = {c.id: c for c in loaded}
        self.by_person: dict[tuple, Candidate] = {}
        for cand in sorted(loaded, key=lambda c: c.id):
            self.by_person.setdefault((fold(cand.name), cand.born, cand.unit), cand)

    def identity(self, person: _Person) -> Candidate | None:
        """The candidate a row is about: by id when the store has it, else by name, birth date and branch.
        An id whose candidate has another name and another birth date is refused (a file of another store)."""
        fields = person.fields
        known = self.by_id.get(person.ident) if person.ident is not None else None
        if known is not None:
            if fold(known.name) != fold(fields["name"]) and known.born != fields.get("born"):
                raise PtdvError("import.id_mismatch", id=known.id, name=known.name)
            return known
        return self.by_person.get((fold(fields["name"]), fields.get("born"), person.unit))


def _require_own(tree: _Tree, store: _Candidates, person: _Person) -> None:
    """A row whose id is a candidate of a unit the user does not cover is refused without naming that unit
    (nor the candidate): only that it lies outside theirs."""
    home = store.in_use.get(person.ident) if person.ident is not None else None
    if home is None or home not in tree.state.units:
        return
    try:
        tree.require(access.WRITE, home)
    except PtdvError as err:
        if err.key == "access.no_role":
            raise PtdvError("import.outside_scope", id=person.ident) from None
        raise


def _scope(tree: _Tree, default_unit: str | None) -> str | PtdvError | None:
    """The path of the unit ``--unit`` names when it is above branches (a ward): the branches rows name are
    looked for under it; None when it is a branch or not given; the error when it is not found (each row
    that names a branch is refused with it, as each that names none)."""
    try:
        uid = tree.find(default_unit) if default_unit else None
    except PtdvError as err:
        return err
    return tree.paths[uid] if uid is not None and not tree.is_leaf(uid) else None


def _row_id(row: Row) -> int | None:
    """The candidate id a row gives (``123`` or ``#123``; None: none)."""
    text = row.cells.get("id", "").lstrip("#")
    return int(text) if text.isdigit() else None


def _first_row(seen: dict[object, int], key: object, number: int) -> None:
    """Row ``number`` is the first about the candidate ``key`` names (refused when an earlier row was)."""
    if key in seen:
        raise PtdvError("import.repeated_row", first=seen[key])
    seen[key] = number


def _plan_candidates(service, tree: _Tree, rows: list[Row], default_unit: str | None, at: str,
                     bad: list, reason: str, progress: Progress | None = None) -> Changes:
    """The candidates rows add and change; ``progress`` is told of each ``PROGRESS_ROWS`` rows read, then
    checked (each row counts half when read, half when checked)."""
    people: list[_Person] = []
    today = service.today()
    scope = _scope(tree, default_unit)
    total = len(rows)
    in_use = {hit.id: hit.unit for hit in tree.state.source.names()}
    stored = _Stored(tree.state, in_use, rows)
    branches: dict[str, int] = {}  # a branch's rows name it alike: found once
    for done, row in enumerate(rows):
        if progress is not None and done % PROGRESS_ROWS == 0:
            progress(done // 2, total)
        try:
            if row.error is not None:
                raise row.error
            ref = row.cells.get("unit")
            if ref and isinstance(scope, PtdvError):
                raise scope
            if ref and scope and ref.casefold() not in tree.by_path:  # not a whole path, as export writes it
                ref = f"{scope}/{ref}"
            ref = ref or default_unit
            if not ref:
                raise PtdvError("input.required", field="unit")
            unit = branches.get(ref) or branches.setdefault(ref, tree.branch(ref))
            tree.require(access.WRITE, unit)
            ident = _row_id(row)
            if stored.same(row, ident, unit):
                people.append(_Person(row, unit, {}, ident, same=True))
                continue
            moves = _moves(tree, row.cells["moves"], unit, today, service.user, at) if row.cells.get("moves") else ()
            people.append(_Person(row, unit, _fields(service, row.cells), ident, moves))
        except PtdvError as err:
            bad.append(("candidates", row.number, err))
    store = _Candidates(tree.state, in_use, [p for p in people if not p.same])
    adds, changes, unchanged = [], [], 0
    seen: dict[object, int] = {}
    kept: dict[int, int] = {}  # ids of new candidates kept from their rows -> row
    for done, person in enumerate(people):
        if progress is not None and done % PROGRESS_ROWS == 0:
            progress((total + done) // 2, total)
        try:
            if person.same:  # in the branch it names, where the first pass found the user may write
                _first_row(seen, person.ident, person.row.number)
                unchanged += 1
                continue
            _require_own(tree, store, person)
            before = store.identity(person)
            fields = person.fields
            _first_row(seen, before.id if before else (fold(fields["name"]), fields.get("born"), person.unit),
                       person.row.number)
            if before is not None:
                tree.require(access.WRITE, before.unit)
                start = _moved(before.with_(**fields), person, today, reason, service.user, at)
            else:
                ident = person.ident if person.ident is not None and person.ident not in store.in_use else 0
                if ident in kept:
                    raise PtdvError("import.repeated_id", id=ident, first=kept[ident])
                if ident:
                    kept[ident] = person.row.number
                start = Candidate(id=ident, unit=person.unit, moves=person.moves, **fields)
            after = _replay(start, person.row.cells, today, service.user, at, tree.state.settings, tree.grassroots)
        except PtdvError as err:
            bad.append(("candidates", person.row.number, err))
            continue
        if before is None:
            adds.append(Planned(person.row.number, None, after))
        elif after == before:
            unchanged += 1
        else:
            changes.append(Planned(person.row.number, before, after.with_(rev=before.rev + 1)))
    if progress is not None:
        progress(total, total)
    return Changes(adds, changes, unchanged)


def plan(service, state: State, sheets: Sheets, *, default_unit: str | None = None, at: str = "",
         new_unit_id: Callable[[], int] | None = None, moved_reason: str = "", progress: Progress | None = None) -> Plan:
    """What importing ``sheets`` would add and change, units first (parents before children), then quotas,
    then candidates; ``ImportRefused`` listing every bad row.  ``new_unit_id`` gives the ids of new units
    (a dry run numbers them after the store's); ``moved_reason`` is the reason of the transfer a known
    candidate gets when a row names another branch (:func:`moved_reason`); ``progress`` is told of the
    candidates' rows as they are read and checked."""
    tree = _Tree(service, state, new_unit_id or count(max(state.units, default=0) + 1).__next__)
    bad: list[tuple[str, int, PtdvError]] = []
    found: dict[str, Changes] = {}
    dated: list[tuple[int, Row]] = []
    for sheet, planner in (("units", lambda row, seen: _plan_unit(service, tree, row, seen, dated)),
                           ("quotas", lambda row, seen: _plan_quota(tree, row, seen))):
        adds, changes, unchanged, seen = [], [], 0, {}
        for row in sheets.get(sheet, []):
            try:
                item = planner(row, seen)
            except PtdvError as err:
                bad.append((sheet, row.number, err))
                continue
            if item is None:
                unchanged += 1
            else:
                (adds if item.before is None else changes).append(item)
        if sheet == "units":
            adds = _plan_periods(tree, dated, adds, bad)
        found[sheet] = Changes(adds, changes, unchanged)
    candidates = _plan_candidates(service, tree, sheets.get("candidates", []), default_unit, at, bad,
                                  moved_reason or t("import.moved_unnamed"), progress)
    bad += _parts_past_their_limit(service, tree, candidates)
    if bad:
        raise ImportRefused(sorted(bad, key=lambda b: (SHEETS.index(b[0]), b[1])))
    return Plan(tuple(s for s in SHEETS if s in sheets), found["units"], found["quotas"], candidates, tree.paths,
                sheets.skipped, sheets.unused, sheets.assumed)


def _parts_past_their_limit(service, tree: _Tree, planned: Changes) -> list[tuple[str, int, PtdvError]]:
    """The grassroots units whose part the planned candidates (added, or moved in from another part) would grow
    past what the store keeps in one (``Store.part_room``): one ``store.part_full`` each, naming the unit, the
    count the file would leave there and the limit, at the row that takes it past the limit."""
    arriving: dict[int, list[int]] = {}  # part -> the rows of the candidates it would get, in the file's order
    leaving: dict[int, int] = {}
    for item in planned.adds + planned.changes:
        part = tree.part_of(item.after.unit)
        if item.before is not None:
            source = tree.part_of(item.before.unit)
            if source == part:
                continue
            leaving[source] = leaving.get(source, 0) + 1
        arriving.setdefault(part, []).append(item.row)
    growth = {pid: len(rows) - leaving.get(pid, 0) for pid, rows in arriving.items()}
    found = []
    for pid, total in service.store.part_room(growth).items():
        rows, limit = sorted(arriving[pid]), store.PART_LIMIT
        held = total - growth[pid]  # the candidates the part holds now
        past = rows[max(0, min(len(rows) - 1, limit - held + leaving.get(pid, 0)))]
        found.append(("candidates", past, PtdvError("store.part_full", unit=tree.unit(pid).name, count=total,
                                                    limit=limit)))
    return found


def apply(service, sheets: Sheets, *, default_unit: str | None = None, moved_reason: str = "",
          progress: Progress | None = None) -> Plan:
    """Plan again under the store's lock and write it all in one transaction; one audit entry per unit,
    quota and candidate added or changed."""
    with service.store.transaction(by=service.user) as tx:
        found = plan(service, tx.state, sheets, default_unit=default_unit, at=tx.at,
                     new_unit_id=tx.new_unit_id, moved_reason=moved_reason, progress=progress)
        if found.units.adds:
            tx.add_units({p.after.id: p.after.to_doc() for p in found.units.adds})
        for item in found.units.adds:
            tx.audit("unit.add", f"unit:{item.after.id}", item.after.id, None, item.after.to_doc())
        for item in found.units.changes:
            tx.put_unit(item.after)
            tx.audit("unit.members", f"unit:{item.after.id}", item.after.id, item.before.to_doc(), item.after.to_doc())
        if found.quotas.adds:
            tx.add_quotas([p.after.to_doc() for p in found.quotas.adds])
        for item in found.quotas.changes:
            tx.put_quota(item.after)
        for item in found.quotas.adds + found.quotas.changes:
            quota = item.after
            tx.audit("quota.set", f"quota:{quota.unit}:{quota.year}", quota.unit,
                     item.before.to_doc() if item.before else None, quota.to_doc())
        candidates = _write_candidates(tx, found.candidates)
    return replace(found, candidates=candidates)


def _write_candidates(tx, planned: Changes) -> Changes:
    """New candidates keep the id of their row when the plan kept one, else get the store's next free id."""
    taken = {p.after.id for p in planned.adds}
    added, docs = [], {}
    for item in planned.adds:
        cand = item.after
        if not cand.id:
            new_id = tx.new_candidate_id()
            while new_id in taken:
                new_id = tx.new_candidate_id()
            cand = cand.with_(id=new_id)
        added.append(Planned(item.row, None, cand))
        docs[cand.id] = cand.to_doc()
        tx.audit("candidate.add", f"candidate:{cand.id}", cand.unit, None, docs[cand.id])
    if docs:
        tx.add_candidates(docs)
    for item in planned.changes:
        tx.put_candidate(item.after)
        tx.audit("candidate.edit", f"candidate:{item.after.id}", item.after.unit,
                 item.before.to_doc(), item.after.to_doc())
    return replace(planned, adds=added)


# -- export ---------------------------------------------------------------------------------
Table = tuple[list[str], list[list[object]]]


class _Cells:
    """Candidate cells as export writes them, with labels and unit paths looked up once."""

    def __init__(self, state: State, lang: str) -> None:
        self.state = state
        self.lang = lang
        self.paths: dict[int, str] = {}
        self.labels = {key: {v: t(f"{prefix}.{v}", lang) for v in options}
                       for key, (prefix, options) in CHOICES.items()}

    def path(self, uid: int) -> str:
        if uid not in self.paths:
            self.paths[uid] = self.state.path(uid)
        return self.paths[uid]

    def move(self, move: list) -> str:
        """``dd/mm/yyyy: FROM → TO (reason)`` of a transfer as stored cells keep it, the reason left out when
        there is none."""
        on, source, target, reason = move
        text = f"{on}: {self.path(source)} → {self.path(target)}"
        return f"{text} ({reason})" if reason else text

    def period(self, unit: Unit) -> list[str]:
        """The cells of the UNIT_HISTORY columns."""
        word = t("import.before", self.lang)
        return [day_text(unit.began), day_text(unit.ended),
                t(f"import.end.{unit.end}", self.lang) if unit.end else "",
                "; ".join(self.path(s) for s in unit.successors),
                "; ".join(f"{self.path(p)} {word} {day_text(until)}" for until, p in unit.earlier if p is not None)]

    def reader(self, columns: list[str]) -> Callable[[list], list[str | int]]:
        """A candidate's row of ``columns`` from its stored cells (``db.cells.stored_cells``): the cells taken
        as they are stored, then the few a language or a path writes (:meth:`written`), each chosen once."""
        take = taker([AT[key] for key in columns])
        written = [(index, write) for index, key in enumerate(columns) if (write := self.written(key)) is not None]

        def row(stored: list) -> list[str | int]:
            out = take(stored)
            for index, write in written:
                out[index] = write(out[index])
            return out
        return row

    def written(self, key: str) -> Callable[[object], str] | None:
        """How column ``key``'s stored value is written: a label for a choice, a path for a branch (None: as it
        is stored)."""
        if key == "unit":
            return self.path
        if key == "moves":
            return lambda moves: "; ".join(self.move(m) for m in moves)
        if key in CHOICES:
            labels = self.labels[key]
            if key in LISTS:
                return lambda ids: "; ".join(labels.get(v, v) for v in ids)
            return lambda value: labels.get(value, value) if value else ""
        return None


def _has_period(unit: Unit) -> bool:
    return unit.began is not None or unit.ended is not None or bool(unit.earlier)


def export_tables(state: State, units: list[int], candidates: list[list], lang: str,
                  include_sensitive: bool = False) -> dict[str, Table]:
    """Units, quotas and candidates (their stored cells: ``db.cells.stored_cells``) as tables with headings in
    ``lang`` (sensitive columns only when asked; the units' periods when one has a period, the candidates'
    transfers when one was transferred)."""
    cells = _Cells(state, lang)
    records = [state.units[uid] for uid in units]
    years = sorted({y for u in records for y in u.members})
    dated = any(_has_period(u) for u in records)
    unit_rows = [[u.id, u.name, state.level_label(u.level, lang), cells.path(u.parent) if u.parent is not None else "",
                  *(cells.period(u) if dated else ()), *(u.members.get(y, "") for y in years)] for u in records]
    unit_head = [heading(k, lang) for k in (*(k for k in UNIT_COLUMNS if dated or k not in UNIT_HISTORY),
                                            *(f"{MEMBERS_COLUMN}{y}" for y in years))]
    wanted = set(units)
    quota_rows = [[cells.path(q.unit), q.year, "" if q.target is None else q.target, "" if q.rate is None else q.rate]
                  for q in sorted(state.quotas.values(), key=lambda q: (q.unit, q.year)) if q.unit in wanted]
    quota_head = [heading(k, lang) for k in QUOTA_COLUMNS]
    optional = optional_columns(candidates)
    columns = [k for k in CANDIDATE_COLUMNS if (include_sensitive or k not in SENSITIVE)
               and (k not in OPTIONAL and not k.startswith(EXCEPTION_COLUMN) or k in optional)]
    row = cells.reader(columns)
    cand_rows = [row(c) for c in candidates]
    return {"units": (unit_head, unit_rows), "quotas": (quota_head, quota_rows),
            "candidates": ([heading(k, lang) for k in columns], cand_rows)}
