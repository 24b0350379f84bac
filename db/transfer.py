"""Import and export of candidates: column headings, row parsing, and a plan of adds and changes.

A file is a list of rows under one heading row.  Headings are matched in Vietnamese or English,
with or without diacritics (``db.text.fold``).  Every rule is the service's or ``db.rules``'s own;
this module only maps cells to values and replays stage dates through ``rules.check_advance``.
Import reads candidates; export writes units, quotas and candidates (see ``export_tables``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from . import access, rules
from .errors import PtdvError
from .i18n import CATALOGUES, LANGS, t
from .model import EDITABLE_FIELDS, EDUCATION, EXIT_KINDS, GENDERS, OCCUPATIONS, STAGES, TAGS, Candidate, Exit, StageEntry
from .state import State
from .text import clean_name, fmt_date, fold, parse_date

SENSITIVE = frozenset({"ethnicity", "religion", "notes"})
STAGE_COLUMN = "stage:"
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "id", "unit", *EDITABLE_FIELDS, *(STAGE_COLUMN + s for s in STAGES), "exit", "exit_reason", "exit_date")
CHOICES = {"gender": ("gender", GENDERS), "education": ("education", EDUCATION),
           "occupation": ("occupation", OCCUPATIONS), "tags": ("tag", TAGS), "exit": ("exit", EXIT_KINDS)}
LISTS = frozenset({"tags", "introducers"})
FLAGS = frozenset({"youth_union", "renter"})
TRUE = frozenset({"x", "1", "true", "yes", "co"})
FALSE = frozenset({"", "0", "false", "no", "khong"})


def _short(label: str) -> str:
    """A label without its trailing note in brackets: ``Nghị quyết chi bộ (6-KNĐ)`` -> ``Nghị quyết chi bộ``."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def heading(key: str, lang: str) -> str:
    """The heading export writes for column ``key``."""
    if key.startswith(STAGE_COLUMN):
        return t("import.col.stage_date", lang, stage=_short(t(f"stage.{key[len(STAGE_COLUMN):]}", lang)))
    if key in ("exit_reason", "exit_date"):
        return t(f"import.col.{key}", lang)
    return t(f"field.{key}", lang)


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for key in CANDIDATE_COLUMNS:
        out[fold(key)] = key
        for lang in LANGS:
            out[fold(heading(key, lang))] = key
            if key.startswith(STAGE_COLUMN):
                full = t("import.col.stage_date", lang, stage=t(f"stage.{key[len(STAGE_COLUMN):]}", lang))
                out[fold(full)] = key
    return out


def match_headings(headings: list[object]) -> dict[int, str]:
    """Column index -> column key; an unknown or repeated heading, or no name column, is refused."""
    aliases = _aliases()
    found: dict[int, str] = {}
    for index, cell in enumerate(headings):
        text = _cell_text(cell)
        if not text:
            continue
        key = aliases.get(fold(text))
        if key is None:
            raise PtdvError("import.unknown_column", column=text)
        if key in found.values():
            raise PtdvError("import.repeated_column", column=text)
        found[index] = key
    if "name" not in found.values():
        raise PtdvError("import.no_name_column")
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


def _choice(key: str, text: str) -> str:
    """A choice cell as its id: the id itself or its label in either language, with or without diacritics."""
    prefix, options = CHOICES[key]
    for option in options:
        if fold(text) in {fold(option), *(fold(CATALOGUES[lang][f"{prefix}.{option}"]) for lang in LANGS)}:
            return option
    raise PtdvError("import.bad_choice", field=key, value=text)


def _flag(key: str, text: str) -> bool:
    folded = fold(text)
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise PtdvError("import.bad_flag", field=key, value=text)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


@dataclass(frozen=True)
class Row:
    number: int            # the row's number in the file (the heading row is 1)
    cells: dict[str, str]  # column key -> cell text


def read_rows(table: list[list[object]]) -> list[Row]:
    """Rows of a table whose first row holds the headings; blank rows are skipped."""
    if not table:
        raise PtdvError("import.empty")
    columns = match_headings(list(table[0]))
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        cells = {key: _cell_text(raw[i]) if i < len(raw) else "" for i, key in columns.items()}
        if any(cells.values()):
            rows.append(Row(number, cells))
    return rows


@dataclass(frozen=True)
class Planned:
    row: int
    before: Candidate | None  # None: a new candidate
    after: Candidate


@dataclass(frozen=True)
class Plan:
    adds: list[Planned]
    changes: list[Planned]
    unchanged: int


class ImportRefused(PtdvError):
    """A file with bad rows: every one of them, by number and reason; nothing was written."""

    def __init__(self, bad: list[tuple[int, PtdvError]]) -> None:
        super().__init__("import.refused", count=len(bad))
        self.bad = bad

    def message(self, lang: str = "vi") -> str:
        lines = [t("import.refused", lang, count=len(self.bad))]
        lines += [t("import.bad_row", lang, row=row, reason=err.message(lang)) for row, err in self.bad]
        return "\n".join(lines)


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


def _branch(state: State, ref: str, known: dict[str, int]):
    """The branch a row names: by its exact path as export writes it (two names may fold alike), else as
    ``resolve_unit`` reads a name; ``known`` remembers both for the next rows."""
    unit = state.units[known[ref]] if ref in known else state.resolve_unit(ref)
    known[ref] = unit.id
    if not state.is_leaf(unit.id):
        raise PtdvError("candidate.not_a_branch", unit=unit.name)
    return unit


def _identity(state: State, cells: dict[str, str], unit_id: int, fields: dict) -> Candidate | None:
    """The candidate a row is about: by id when the store has it, else by name, birth date and branch.
    An id whose candidate has another name and another birth date is refused (a file of another store)."""
    ident = cells.get("id", "").lstrip("#")
    known = state.source.get(int(ident)) if ident.isdigit() else None
    if known is not None:
        if fold(known.name) != fold(fields["name"]) and known.born != fields.get("born"):
            raise PtdvError("import.id_mismatch", id=known.id, name=known.name)
        return known
    for cand in state.source.of_units([unit_id]):
        if fold(cand.name) == fold(fields["name"]) and cand.born == fields.get("born"):
            return cand
    return None


def _replay(cand: Candidate, cells: dict[str, str], today: date, user: str, at: str) -> Candidate:
    """``cand`` with the stage dates and the exit of a row that it has not recorded yet, as the rules allow."""
    for stage in STAGES:
        text = cells.get(STAGE_COLUMN + stage, "")
        if not text:
            continue
        day = parse_date(text, field="date")
        recorded = cand.stage_date(stage)
        if recorded is not None:
            if recorded != day:
                raise PtdvError("import.history_differs", stage=stage, date=fmt_date(day), recorded=fmt_date(recorded))
            continue
        if cand.history:
            rules.check_advance(cand, stage, day, today)
        elif stage != STAGES[0]:
            raise PtdvError("stage.skipped", stage=stage, expected=STAGES[0])
        else:
            rules.check_stage_date(cand, stage, day, today)
        cand = cand.with_(history=cand.history + (StageEntry(stage, day, user, at),))
    if not cand.history:
        cand = cand.with_(history=(StageEntry(STAGES[0], today, user, at),))
    exit_cells = [cells.get(k, "") for k in ("exit", "exit_reason", "exit_date")]
    if any(exit_cells):
        kind = _choice("exit", exit_cells[0]) if exit_cells[0] else ""
        day = parse_date(exit_cells[2], field="date") if exit_cells[2] else today
        if cand.exit is not None:
            if (cand.exit.kind, cand.exit.reason, cand.exit.date) != (kind, " ".join(exit_cells[1].split()), day):
                raise PtdvError("import.exit_differs", id=cand.id)
        else:
            rules.check_exit(cand, kind, exit_cells[1], day, today)
            cand = cand.with_(exit=Exit(kind, clean_name(exit_cells[1], field="reason"), day, user, at))
    return cand


def _same(a: Candidate, b: Candidate) -> bool:
    return {**a.to_doc(), "rev": 0} == {**b.to_doc(), "rev": 0}


def plan(service, state: State, rows: list[Row], *, default_unit: str | None = None, at: str = "") -> Plan:
    """What importing ``rows`` would add and change; ``ImportRefused`` listing every bad row."""
    adds: list[Planned] = []
    changes: list[Planned] = []
    unchanged = 0
    bad: list[tuple[int, PtdvError]] = []
    seen: dict[object, int] = {}
    known = {state.path(uid): uid for uid in state.units}
    for row in rows:
        try:
            ref = row.cells.get("unit") or default_unit
            if not ref:
                raise PtdvError("input.required", field="unit")
            unit = _branch(state, ref, known)
            access.require(state, service.user, access.WRITE, unit.id)
            fields = _fields(service, row.cells)
            before = _identity(state, row.cells, unit.id, fields)
            key = before.id if before else (fold(fields["name"]), fields.get("born"), unit.id)
            if key in seen:
                raise PtdvError("import.repeated_row", first=seen[key])
            seen[key] = row.number
            if before is not None:
                access.require(state, service.user, access.WRITE, before.unit)
            start = before.with_(unit=unit.id, **fields) if before else Candidate(id=0, unit=unit.id, **fields)
            after = _replay(start, row.cells, service.today(), service.user, at)
        except PtdvError as err:
            bad.append((row.number, err))
            continue
        if before is None:
            adds.append(Planned(row.number, None, after))
        elif _same(before, after):
            unchanged += 1
        else:
            changes.append(Planned(row.number, before, after.with_(rev=before.rev + 1)))
    if bad:
        raise ImportRefused(bad)
    return Plan(adds, changes, unchanged)


def apply(service, rows: list[Row], *, default_unit: str | None = None) -> Plan:
    """Plan again under the store's lock and write it in one transaction; one audit entry per candidate."""
    with service.store.transaction() as tx:
        found = plan(service, tx.state, rows, default_unit=default_unit, at=tx.at)
        added = []
        for item in found.adds:
            cand = item.after.with_(id=tx.next_id("next_candidate"))
            added.append(Planned(item.row, None, cand))
            tx.audit("candidate.add", f"candidate:{cand.id}", cand.unit, None, cand.to_doc())
        if added:
            tx.put_many("candidates", {p.after.id: p.after.to_doc() for p in added})
        for item in found.changes:
            tx.put("candidates", item.after.id, item.after.to_doc())
            tx.audit("candidate.edit", f"candidate:{item.after.id}", item.after.unit,
                     item.before.to_doc(), item.after.to_doc())
    return Plan(added, found.changes, found.unchanged)


# -- export ---------------------------------------------------------------------------------
def _cell(key: str, cand: Candidate, state: State, lang: str) -> str | int:
    if key == "id":
        return cand.id
    if key == "unit":
        return state.path(cand.unit)
    if key.startswith(STAGE_COLUMN):
        return fmt_date(cand.stage_date(key[len(STAGE_COLUMN):]))
    if key in ("exit", "exit_reason", "exit_date"):
        if cand.exit is None:
            return ""
        return {"exit": t(f"exit.{cand.exit.kind}", lang), "exit_reason": cand.exit.reason,
                "exit_date": fmt_date(cand.exit.date)}[key]
    value = getattr(cand, key)
    if key in CHOICES:
        prefix = CHOICES[key][0]
        items = value if key in LISTS else ([value] if value else [])
        return "; ".join(t(f"{prefix}.{v}", lang) for v in items)
    if key in LISTS:
        return "; ".join(value)
    if key in FLAGS:
        return "x" if value else ""
    if key == "born":
        return fmt_date(value)
    return value


Table = tuple[list[str], list[list[object]]]


def export_tables(state: State, units: list[int], candidates: list[Candidate], lang: str,
                  include_sensitive: bool = False) -> dict[str, Table]:
    """Units, quotas and candidates as tables with headings in ``lang`` (sensitive columns only when asked)."""
    years = sorted({y for uid in units for y in state.units[uid].members})
    unit_rows = [[u.id, u.name, state.level_label(u.level, lang), state.path(u.parent) if u.parent is not None else "",
                  *(u.members.get(y, "") for y in years)] for u in (state.units[uid] for uid in units)]
    unit_head = [t(f"field.{k}", lang) for k in ("id", "unit", "level")] + [t("import.col.parent", lang)] + \
        [t("import.col.members_in", lang, year=y) for y in years]
    wanted = set(units)
    quota_rows = [[state.path(q.unit), q.year, "" if q.target is None else q.target, "" if q.rate is None else q.rate]
                  for q in sorted(state.quotas.values(), key=lambda q: (q.unit, q.year)) if q.unit in wanted]
    quota_head = [t(f"field.{k}", lang) for k in ("unit", "year", "target", "rate")]
    columns = [k for k in CANDIDATE_COLUMNS if include_sensitive or k not in SENSITIVE]
    cand_rows = [[_cell(k, c, state, lang) for k in columns] for c in candidates]
    return {"units": (unit_head, unit_rows), "quotas": (quota_head, quota_rows),
            "candidates": ([heading(k, lang) for k in columns], cand_rows)}
