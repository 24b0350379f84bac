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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache, cached_property, lru_cache
from itertools import count
from typing import Callable, Mapping

from . import access, rules
from .errors import PtdvError
from .i18n import CATALOGUES, LANGS, t
from .model import (EDITABLE_FIELDS, EDUCATION, END_KINDS, EXIT_KINDS, GENDERS, OCCUPATIONS, STAGES, TAGS, Candidate,
                    Exit, Move, Quota, Settings, StageEntry, Unit)
from .state import State
from .text import clean_name, clean_text, clean_unit_name, fmt_date, fold, parse_date, safe

SHEETS = ("units", "quotas", "candidates")  # the order export writes them and import reads them
SENSITIVE = frozenset({"ethnicity", "religion", "notes"})
STAGE_COLUMN = "stage:"
EXCEPTION_COLUMN = "exception:"  # the exception that allowed a hard rule at a step: "exception:decided"
EXCEPTION_STAGES = tuple(s for s in STAGES if any(r.stage == s and r.exception for r in rules.RULES))
MEMBERS_COLUMN = "members:"  # members at the start of a year: "members:2024"
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "id", "unit", *EDITABLE_FIELDS, *(STAGE_COLUMN + s for s in STAGES), "received", "vote",
    *(EXCEPTION_COLUMN + s for s in EXCEPTION_STAGES), "exception", "exit", "exit_reason", "exit_date",
    "moves")  # received, vote, the exceptions and transfers: written only when a candidate of the export has one
# a unit's period (docs/HISTORY.md): written only when a unit of the export has one; a file without them
# (an older export, a list made by hand) has units that were there from the start of time
UNIT_HISTORY = ("began", "ended", "end", "successors", "earlier")
UNIT_COLUMNS = ("id", "unit", "level", "parent", *UNIT_HISTORY)  # then a members column per year
QUOTA_COLUMNS = ("unit", "year", "target", "rate")
COLUMNS = {"units": UNIT_COLUMNS, "quotas": QUOTA_COLUMNS, "candidates": CANDIDATE_COLUMNS}
REQUIRED = {"units": ("unit", "parent"), "quotas": ("unit", "year"), "candidates": ("name",)}
CHOICES = {"gender": ("gender", GENDERS), "education": ("education", EDUCATION),
           "occupation": ("occupation", OCCUPATIONS), "tags": ("tag", TAGS), "exit": ("exit", EXIT_KINDS)}
LISTS = frozenset({"tags", "introducers"})
FLAGS = frozenset({"youth_union", "renter"})
TRUE = frozenset({"x", "1", "true", "yes", "co"})
FALSE = frozenset({"", "0", "false", "no", "khong"})

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


@cache
def _aliases(sheet: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in COLUMNS[sheet]:
        out[fold(key)] = key
        for lang in LANGS:
            out[fold(heading(key, lang))] = key
            if key.startswith(STAGE_COLUMN):
                full = t("import.col.stage_date", lang, stage=t(f"stage.{key[len(STAGE_COLUMN):]}", lang))
                out[fold(full)] = key
            if key.startswith(EXCEPTION_COLUMN):
                full = t("import.col.stage_exception", lang, stage=t(f"stage.{key[len(EXCEPTION_COLUMN):]}", lang))
                out.setdefault(fold(full), key)
            if key == "earlier":  # the heading without the form it names in brackets
                out.setdefault(fold(_short(heading(key, lang))), key)
    if sheet == "candidates":  # a list made by hand names the candidate's unit "Chi bộ" (branch)
        for lang in LANGS:
            out.setdefault(fold(t("import.col.branch", lang)), "unit")
    return out


@cache
def _members_headings() -> re.Pattern:
    """``Đảng viên 2024`` / ``Members 2024`` (folded), the year captured."""
    forms = {re.escape(fold(t("import.col.members_in", lang, year="0000"))).replace("0000", r"(\d{4})")
             for lang in LANGS}
    return re.compile("|".join(forms))


def _column(sheet: str, text: str) -> str | None:
    folded = fold(text)
    key = _aliases(sheet).get(folded)
    if key is None and sheet == "units" and (found := _members_headings().fullmatch(folded)):
        key = MEMBERS_COLUMN + next(g for g in found.groups() if g)
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
    """Column index -> column key; an unknown or repeated heading, or a missing required column, is refused."""
    found: dict[int, str] = {}
    for index, cell in enumerate(headings):
        text = _cell_text(cell)
        if not text:
            continue
        key = _column(sheet, text)
        if key is None:
            raise PtdvError("import.unknown_column", column=safe(text))
        if key in found.values():
            raise PtdvError("import.repeated_column", column=safe(text))
        found[index] = key
    for key in REQUIRED[sheet]:
        if key not in found.values():
            raise LabelledError("import.missing_column", column=_in_langs(lambda lang: heading(key, lang)))
    return found


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return fmt_date(cell.date())
    if isinstance(cell, date):
        return fmt_date(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


@cache
def _choice_ids(key: str) -> dict[str, str]:
    """Folded id and labels (both languages) -> the id; the first option wins where two fold alike."""
    prefix, options = CHOICES[key]
    out: dict[str, str] = {}
    for option in options:
        for text in (option, *(CATALOGUES[lang][f"{prefix}.{option}"] for lang in LANGS)):
            out.setdefault(fold(text), option)
    return out


def _choice(key: str, text: str) -> str:
    """A choice cell as its id: the id itself or its label in either language, with or without diacritics."""
    option = _choice_ids(key).get(fold(text))
    if option is None:
        raise PtdvError("import.bad_choice", field=key, value=safe(text))
    return option


def _flag(key: str, text: str) -> bool:
    folded = fold(text)
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise PtdvError("import.bad_flag", field=key, value=safe(text))


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass(frozen=True)
class Row:
    number: int            # the row's number in its sheet (the heading row is 1)
    cells: dict[str, str]  # column key -> cell text


def read_rows(table: list[list[object]], sheet: str = "candidates") -> list[Row]:
    """Rows of a table whose first row holds the headings; blank rows are skipped."""
    if not table:
        raise PtdvError("import.empty")
    columns = match_headings(list(table[0]), sheet)
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        cells = {key: _cell_text(raw[i]) if i < len(raw) else "" for i, key in columns.items()}
        if any(cells.values()):
            rows.append(Row(number, cells))
    return rows


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


def read_sheets(tables: dict[str, list[list[object]]]) -> dict[str, list[Row]]:
    """The rows of each table a file holds (of ``SHEETS``); heading problems of every table refuse the file,
    each as its table's row 1."""
    sheets: dict[str, list[Row]] = {}
    bad: list[tuple[str, int, PtdvError]] = []
    for sheet in SHEETS:
        if sheet in tables:
            try:
                sheets[sheet] = read_rows(tables[sheet], sheet)
            except PtdvError as err:
                bad.append((sheet, 1, err))
    if bad:
        raise ImportRefused(bad)
    if not sheets:
        raise PtdvError("import.empty")
    return sheets


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
class Plan:
    sheets: tuple[str, ...]  # the tables the file had, of SHEETS
    units: Changes
    quotas: Changes
    candidates: Changes
    paths: dict[int, str]    # the path of every unit the plan names (those it adds too)
    skipped: tuple[Skipped, ...] = ()  # rows of the file read as no record, and why
    unused: tuple[str, ...] = ()       # headings of columns ptdv has no field for, as the file writes them


class _Tree:
    """The store's units and those a file adds.  A unit is found by its path as export writes it (case
    aside), else as ``State.resolve_unit`` reads a name or path of a unit the store has; once per text."""

    def __init__(self, service, state: State, new_id: Callable[[], int]) -> None:
        self.service = service
        self.state = state
        self.new_id = new_id
        self.paths = {uid: state.path(uid) for uid in state.units}
        self.by_path = {path.casefold(): uid for uid, path in self.paths.items()}
        self.found: dict[str, int] = {}
        self.changed: dict[int, Unit] = {}  # added by the file, or changed by it
        self.with_new_children: set[int] = set()
        self.allowed: dict[tuple[str, int], PtdvError | None] = {}

    @cached_property
    def levels(self) -> dict[str, str]:
        """Folded level id and labels (both languages) -> the level id; the first level wins where two fold alike."""
        out: dict[str, str] = {}
        for level in self.state.levels.values():
            for name in (level.id, level.vi, level.en):
                out.setdefault(fold(name), level.id)
        return out

    def unit(self, uid: int) -> Unit:
        return self.changed.get(uid) or self.state.units[uid]

    def find(self, ref: str) -> int:
        uid = self.by_path.get(ref.casefold()) or self.found.get(ref)
        if uid is None:
            uid = self.found[ref] = self.state.resolve_unit(ref).id
        return uid

    def child(self, parent: int, name: str) -> int | None:
        return self.by_path.get(f"{self.paths[parent]}/{name}".casefold())

    def add(self, unit: Unit) -> None:
        self.changed[unit.id] = unit
        if unit.id not in self.paths:
            self.paths[unit.id] = f"{self.paths[unit.parent]}/{unit.name}"
            self.by_path[self.paths[unit.id].casefold()] = unit.id
            self.with_new_children.add(unit.parent)

    def is_leaf(self, uid: int) -> bool:
        return uid not in self.with_new_children and (uid not in self.state.units or self.state.is_leaf(uid))

    def branch(self, ref: str) -> int:
        uid = self.find(ref)
        if not self.is_leaf(uid):
            raise PtdvError("candidate.not_a_branch", unit=self.unit(uid).name)
        return uid

    def grassroots(self, uid: int, day: date) -> bool:
        """Whether branch ``uid`` is a grassroots branch on ``day`` (``Service.is_grassroots_branch``; for a
        unit the file adds, from the level of its parent in the file): its rows have no committee date."""
        from .service import Service

        if uid in self.state.units:
            return Service.is_grassroots_branch(self.state, uid, day)
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
        while uid not in self.state.units:
            uid = self.changed[uid].parent
        if (action, uid) not in self.allowed:
            try:
                access.require(self.state, self.service.user, action, uid)
                self.allowed[(action, uid)] = None
            except PtdvError as err:
                self.allowed[(action, uid)] = err
        if (err := self.allowed[(action, uid)]) is not None:
            raise err


def _level(tree: _Tree, text: str) -> str | None:
    """A level cell as the store's level id: the id or its label in either language (None when empty)."""
    if not text:
        return None
    found = tree.levels.get(fold(text))
    if found is None:
        raise PtdvError("unit.unknown_level", level=safe(text), levels=", ".join(tree.state.levels))
    return found


def _year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text, re.ASCII) or not 1900 <= int(text) <= 9999:
        raise PtdvError("import.bad_year", value=safe(text))
    return int(text)


def _plan_unit(service, tree: _Tree, row: Row, seen: dict[int, int], dated: list[tuple[int, Row]]) -> Planned | None:
    """The unit a units row adds or changes (None: the store has it as the row says).  A row of a file with
    the period columns is put in ``dated``, read once every unit of the file is known (:func:`_period`)."""
    from .service import Service, parse_count

    state = tree.state
    name = clean_unit_name(row.cells.get("unit", ""), field="unit")
    level = _level(tree, row.cells.get("level", ""))
    members = {int(key[len(MEMBERS_COLUMN):]): parse_count(text, field="members")
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
        level = level or Service._level_below(state, tree.unit(parent).level)
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


def _plan_periods(tree: _Tree, dated: list[tuple[int, Row]], adds: list[Planned], bad: list) -> list[Planned]:
    """The periods of the units rows give, once every unit of the file is known (a successor or an earlier
    parent may come later in it): set on the units the file adds; a unit the store has must have them
    already (a change of the tree is recorded by ``ptdv unit merge``, ``split``, ``close`` or ``move``)."""
    for uid, row in dated:
        try:
            period = _period(tree, uid, row.cells)
            if uid in tree.state.units:
                before = tree.state.units[uid]
                if {key: getattr(before, key) for key in PERIOD_FIELDS} != period:
                    raise PtdvError("import.period_differs", unit=before.name)
            else:
                tree.changed[uid] = replace(tree.changed[uid], **period)
        except PtdvError as err:
            bad.append(("units", row.number, err))
    return [Planned(p.row, None, tree.changed[p.after.id]) for p in adds]


def _plan_quota(tree: _Tree, row: Row, seen: dict[tuple[int, int], int]) -> Planned | None:
    """The quota a quotas row sets (None: the store has it as the row says)."""
    from .service import parse_count, parse_rate

    uid = tree.find(row.cells["unit"]) if row.cells.get("unit") else None
    if uid is None:
        raise PtdvError("input.required", field="unit")
    year = _year(row.cells.get("year", ""))
    target, rate = row.cells.get("target", ""), row.cells.get("rate", "")
    if bool(target) == bool(rate):
        raise PtdvError("quota.target_or_rate")
    quota = Quota(unit=uid, year=year, target=parse_count(target, field="target") if target else None,
                  rate=parse_rate(rate) if rate else None)
    if (uid, year) in seen:
        raise PtdvError("import.repeated_row", first=seen[(uid, year)])
    seen[(uid, year)] = row.number
    before = tree.state.quotas.get((uid, year)) if uid in tree.state.units else None
    if before == quota:
        return None
    tree.require(access.QUOTA, uid)
    return Planned(row.number, before, quota)


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
    for stage in STAGES:
        text = cells.get(STAGE_COLUMN + stage, "")
        given = clean_text(cells[EXCEPTION_COLUMN + stage], field="exception") \
            if cells.get(EXCEPTION_COLUMN + stage) else ""
        got = details["received"] if stage == "decided" else None
        voted = details["vote"] if stage == "official" else None
        if not text:
            if given:
                raise PtdvError("exception.not_needed", stage=stage)
            continue
        day = _date(text)
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
    """A candidates row read: its branch, fields, the id it gives (None: no id) and its transfers."""
    row: Row
    unit: int
    fields: dict
    ident: int | None
    moves: tuple[Move, ...] = ()


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


class _Candidates:
    """The store's candidates a file may be about, loaded once: those of the branches its rows name and of
    the ids they give (the name index says where those are)."""

    def __init__(self, state: State, people: list[_Person]) -> None:
        self.in_use = {hit.id: hit.unit for hit in state.source.names()}
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


def _plan_candidates(service, tree: _Tree, rows: list[Row], default_unit: str | None, at: str,
                     bad: list, reason: str) -> Changes:
    people: list[_Person] = []
    today = service.today()
    for row in rows:
        try:
            ref = row.cells.get("unit") or default_unit
            if not ref:
                raise PtdvError("input.required", field="unit")
            unit = tree.branch(ref)
            tree.require(access.WRITE, unit)
            ident = row.cells.get("id", "").lstrip("#")
            moves = _moves(tree, row.cells["moves"], unit, today, service.user, at) if row.cells.get("moves") else ()
            people.append(_Person(row, unit, _fields(service, row.cells), int(ident) if ident.isdigit() else None,
                                  moves))
        except PtdvError as err:
            bad.append(("candidates", row.number, err))
    store = _Candidates(tree.state, people)
    adds, changes, unchanged = [], [], 0
    seen: dict[object, int] = {}
    kept: dict[int, int] = {}  # ids of new candidates kept from their rows -> row
    for person in people:
        try:
            _require_own(tree, store, person)
            before = store.identity(person)
            fields = person.fields
            key = before.id if before else (fold(fields["name"]), fields.get("born"), person.unit)
            if key in seen:
                raise PtdvError("import.repeated_row", first=seen[key])
            seen[key] = person.row.number
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
    return Changes(adds, changes, unchanged)


def plan(service, state: State, sheets: dict[str, list[Row]], *, default_unit: str | None = None, at: str = "",
         new_unit_id: Callable[[], int] | None = None, moved_reason: str = "") -> Plan:
    """What importing ``sheets`` would add and change, units first (parents before children), then quotas,
    then candidates; ``ImportRefused`` listing every bad row.  ``new_unit_id`` gives the ids of new units
    (a dry run numbers them after the store's); ``moved_reason`` is the reason of the transfer a known
    candidate gets when a row names another branch (:func:`moved_reason`)."""
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
                                  moved_reason or t("import.moved_unnamed"))
    if bad:
        raise ImportRefused(sorted(bad, key=lambda b: (SHEETS.index(b[0]), b[1])))
    return Plan(tuple(s for s in SHEETS if s in sheets), found["units"], found["quotas"], candidates, tree.paths)


def apply(service, sheets: dict[str, list[Row]], *, default_unit: str | None = None, moved_reason: str = "") -> Plan:
    """Plan again under the store's lock and write it all in one transaction; one audit entry per unit,
    quota and candidate added or changed."""
    with service.store.transaction() as tx:
        found = plan(service, tx.state, sheets, default_unit=default_unit, at=tx.at,
                     new_unit_id=lambda: tx.next_id("next_unit"), moved_reason=moved_reason)
        if found.units.adds:
            tx.put_many("units", {p.after.id: p.after.to_doc() for p in found.units.adds})
        for item in found.units.adds:
            tx.audit("unit.add", f"unit:{item.after.id}", item.after.id, None, item.after.to_doc())
        for item in found.units.changes:
            tx.put("units", item.after.id, item.after.to_doc())
            tx.audit("unit.members", f"unit:{item.after.id}", item.after.id, item.before.to_doc(), item.after.to_doc())
        if found.quotas.adds:
            tx.add_quotas([p.after.to_doc() for p in found.quotas.adds])
        for item in found.quotas.changes:
            tx.put_quota(item.after.to_doc())
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
            new_id = tx.next_id("next_candidate")
            while new_id in taken:
                new_id = tx.next_id("next_candidate")
            cand = cand.with_(id=new_id)
        added.append(Planned(item.row, None, cand))
        docs[cand.id] = cand.to_doc()
        tx.audit("candidate.add", f"candidate:{cand.id}", cand.unit, None, docs[cand.id])
    if docs:
        tx.put_many("candidates", docs)
    for item in planned.changes:
        tx.put("candidates", item.after.id, item.after.to_doc())
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

    def move(self, move: Move) -> str:
        """``dd/mm/yyyy: FROM → TO (reason)``, the reason left out when there is none."""
        text = f"{_fmt_date(move.on)}: {self.path(move.source)} → {self.path(move.target)}"
        return f"{text} ({move.reason})" if move.reason else text

    def period(self, unit: Unit) -> list[str]:
        """The cells of the UNIT_HISTORY columns."""
        word = t("import.before", self.lang)
        return [_fmt_date(unit.began), _fmt_date(unit.ended),
                t(f"import.end.{unit.end}", self.lang) if unit.end else "",
                "; ".join(self.path(s) for s in unit.successors),
                "; ".join(f"{self.path(p)} {word} {_fmt_date(until)}" for until, p in unit.earlier if p is not None)]

    def row(self, columns: list[str], cand: Candidate) -> list[str | int]:
        days = {e.stage: _fmt_date(e.date) for e in cand.history}  # the latest date of a retaken stage
        return [self.cell(key, cand, days) for key in columns]

    def cell(self, key: str, cand: Candidate, days: dict[str, str]) -> str | int:
        if key == "id":
            return cand.id
        if key == "unit":
            return self.path(cand.unit)
        if key.startswith(STAGE_COLUMN):
            return days.get(key[len(STAGE_COLUMN):], "")
        if key in DETAILS:
            return DETAILS[key](cand)
        if key.startswith(EXCEPTION_COLUMN):
            entry = cand.stage_entry(key[len(EXCEPTION_COLUMN):])
            return entry.exception if entry else ""
        if key == "moves":
            return "; ".join(self.move(m) for m in cand.moves)
        if key in ("exit", "exit_reason", "exit_date"):
            if cand.exit is None:
                return ""
            return {"exit": self.labels["exit"][cand.exit.kind], "exit_reason": cand.exit.reason,
                    "exit_date": _fmt_date(cand.exit.date)}[key]
        value = getattr(cand, key)
        if key in CHOICES:
            items = value if key in LISTS else ([value] if value else [])
            return "; ".join(self.labels[key][v] for v in items)
        if key in LISTS:
            return "; ".join(value)
        if key in FLAGS:
            return "x" if value else ""
        if key == "born":
            return _fmt_date(value)
        return value


def _vote(cand: Candidate) -> date | None:
    """The branch's recognition vote: kept on the ``official`` entry, or recorded alone before the decision."""
    entry = cand.stage_entry("official")
    return entry.vote if entry else cand.recognition_vote


def _received(cand: Candidate) -> date | None:
    entry = cand.stage_entry("decided")
    return entry.received if entry else None


DETAILS: dict[str, Callable[[Candidate], str]] = {"received": lambda c: _fmt_date(_received(c)),
                                                  "vote": lambda c: _fmt_date(_vote(c))}


@lru_cache(maxsize=65536)
def _fmt_date(day: date | None) -> str:
    return fmt_date(day)


def _has_period(unit: Unit) -> bool:
    return unit.began is not None or unit.ended is not None or bool(unit.earlier)


OPTIONAL = frozenset({"moves", "received", "vote", "exception"})  # a column written only when a candidate needs it


def _optional_columns(candidates: list[Candidate]) -> set[str]:
    """The optional columns some of ``candidates`` have a value in (the generic ``exception`` never: export
    names the step of each exception)."""
    found: set[str] = set()
    for cand in candidates:
        if cand.moves:
            found.add("moves")
        if cand.recognition_vote is not None:
            found.add("vote")
        for entry in cand.history:
            if entry.received is not None:
                found.add("received")
            if entry.vote is not None:
                found.add("vote")
            if entry.exception:
                found.add(EXCEPTION_COLUMN + entry.stage)
    return found


def export_tables(state: State, units: list[int], candidates: list[Candidate], lang: str,
                  include_sensitive: bool = False) -> dict[str, Table]:
    """Units, quotas and candidates as tables with headings in ``lang`` (sensitive columns only when asked;
    the units' periods when one has a period, the candidates' transfers when one was transferred)."""
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
    optional = _optional_columns(candidates)
    columns = [k for k in CANDIDATE_COLUMNS if (include_sensitive or k not in SENSITIVE)
               and (k not in OPTIONAL and not k.startswith(EXCEPTION_COLUMN) or k in optional)]
    cand_rows = [cells.row(columns, c) for c in candidates]
    return {"units": (unit_head, unit_rows), "quotas": (quota_head, quota_rows),
            "candidates": ([heading(k, lang) for k in columns], cand_rows)}
