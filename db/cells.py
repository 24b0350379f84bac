"""A candidate's row of an export, as the store keeps it: the columns of the candidates' table
(``CANDIDATE_COLUMNS``) and each candidate's cells in no language (:func:`stored_cells`): the branch and the
branches of its transfers by id, a choice by its id, and the rest (dates, names, the steps' exceptions) as
the file has them.  ``db.transfer`` writes these cells in a language (labels, unit paths), and compares a
file's row with them to know it changes nothing; the parts' caches keep them (``p<N>.cells.json``,
docs/STORE.md), so an export reads no candidate that did not change since the last one.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Iterable

from . import rules
from .model import EDITABLE_FIELDS, EDUCATION, EXIT_KINDS, GENDERS, OCCUPATIONS, STAGES, TAGS, Candidate
from .text import fmt_date

STAGE_COLUMN = "stage:"
EXCEPTION_COLUMN = "exception:"  # the exception that allowed a hard rule at a step: "exception:decided"
EXCEPTION_STAGES = tuple(s for s in STAGES if any(r.stage == s and r.exception for r in rules.RULES))
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "id", "unit", *EDITABLE_FIELDS, *(STAGE_COLUMN + s for s in STAGES), "received", "vote",
    *(EXCEPTION_COLUMN + s for s in EXCEPTION_STAGES), "exception", "exit", "exit_reason", "exit_date",
    "moves")  # received, vote, the exceptions and transfers: written only when a candidate of the export has one
CHOICES = {"gender": ("gender", GENDERS), "education": ("education", EDUCATION),
           "occupation": ("occupation", OCCUPATIONS), "tags": ("tag", TAGS), "exit": ("exit", EXIT_KINDS)}
LISTS = frozenset({"tags", "introducers"})
FLAGS = frozenset({"youth_union", "renter"})
OPTIONAL = frozenset({"moves", "received", "vote", "exception"})  # a column written only when a candidate needs it
AT = {key: index for index, key in enumerate(CANDIDATE_COLUMNS)}  # a column's place in a row of stored cells
# what a cache file of stored cells is made for: another set of columns makes them all again
CELLS_VERSION = f"1:{','.join(CANDIDATE_COLUMNS)}"


@lru_cache(maxsize=65536)
def day_text(day: date | None) -> str:
    """A date as a file has it (dd/mm/yyyy; "" for none): a store repeats the same days many times."""
    return fmt_date(day)


def vote_of(cand: Candidate) -> date | None:
    """The branch's recognition vote: kept on the ``official`` entry, or recorded alone before the decision."""
    entry = cand.stage_entry("official")
    return entry.vote if entry else cand.recognition_vote


def received_of(cand: Candidate) -> date | None:
    entry = cand.stage_entry("decided")
    return entry.received if entry else None


def stored_cells(cand: Candidate) -> list:
    """``cand``'s cells of ``CANDIDATE_COLUMNS``, in that order, in no language: ``unit`` an id; a choice its id
    ("" for none), tags a list of ids; ``moves`` a list of [date, from, to, reason] with the branches by id;
    the other lists joined by "; "; a flag "x" or ""; a stage its latest date (a retaken class, a redone
    dossier); the generic ``exception`` always "" (each step's is in its own column)."""
    days = {e.stage: day_text(e.date) for e in cand.history}
    values = vars(cand)
    row: list = [cand.id, cand.unit]
    for key in EDITABLE_FIELDS:
        value = values[key]
        if key in LISTS:
            row.append(list(value) if key in CHOICES else "; ".join(value))
        elif key in FLAGS:
            row.append("x" if value else "")
        elif key == "born":
            row.append(day_text(value))
        else:
            row.append((value or "") if key in CHOICES else value)
    row.extend(days.get(stage, "") for stage in STAGES)
    row.append(day_text(received_of(cand)))
    row.append(day_text(vote_of(cand)))
    for stage in EXCEPTION_STAGES:
        entry = cand.stage_entry(stage)
        row.append(entry.exception if entry else "")
    row.append("")  # the generic exception
    gone = cand.exit
    row.extend(("", "", "") if gone is None else (gone.kind, gone.reason, day_text(gone.date)))
    row.append([[day_text(m.on), m.source, m.target, m.reason] for m in cand.moves])
    return row


def well_formed(rows: object) -> bool:
    """Whether ``rows`` (read from a cache file) have the shape :func:`stored_cells` gives: a file edited by hand
    that does not is made again from its part."""
    width, unit, moves = len(CANDIDATE_COLUMNS), AT["unit"], AT["moves"]
    return isinstance(rows, list) and all(
        type(row) is list and len(row) == width and type(row[0]) is int and type(row[unit]) is int
        and type(row[moves]) is list and all(type(m) is list and len(m) == 4 for m in row[moves]) for row in rows)


def optional_columns(rows: Iterable[list]) -> set[str]:
    """The optional columns some of ``rows`` (stored cells) have a value in (the generic ``exception`` never:
    export names the step of each exception)."""
    rows = list(rows)
    return {key for key in CANDIDATE_COLUMNS if (key in OPTIONAL or key.startswith(EXCEPTION_COLUMN))
            and any(row[AT[key]] for row in rows)}
