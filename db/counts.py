"""What candidates count, branch by branch and year by year, without the tree: the counts the roll-up adds up
(:class:`UnitCounts`, :mod:`db.quota`) and those a report adds up (:class:`ReportYear`, :mod:`db.report`).  A
candidate transferred counts where each of its steps happened (:func:`by_place`).  The store keeps them of each
part in its summaries (``db/store/summaries.py``), so that a figure reads no candidate."""
from __future__ import annotations

import calendar
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from .model import (COUNTS_TOWARD_QUOTA, EXIT_KINDS, HIGHER_EDUCATION, MAJORITY_ETHNICITY, OCCUPATIONS, STAGES,
                    Candidate, Settings, stage_index)
from .rules import first_due, outside_rules
from .workdays import age_on

ATTRIBUTES: tuple[str, ...] = ("women", "ethnic_minority", "religious", "youth_union", "age_18_30", "higher_education")
OUTSIDE_RULES = "outside_rules"  # admitted with an exception or a soft rule broken up to the decision (db.rules)
MARKS: tuple[str, ...] = ATTRIBUTES + OCCUPATIONS + (OUTSIDE_RULES,)  # what is counted of each person admitted
YOUNG = (18, 30)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


# -- the roll-up's counts ---------------------------------------------------------------------------
@dataclass
class YearCounts:
    """One unit's own candidates in one year: decisions per quarter, stages at the year's cutoff, exits."""

    by_quarter: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    by_stage: list[int] = field(default_factory=lambda: [0] * len(STAGES))
    exited: int = 0

    def to_json(self) -> list[int]:
        return [*self.by_quarter, *self.by_stage, self.exited]

    @classmethod
    def from_json(cls, row: list[int]) -> "YearCounts":
        return cls(list(row[:4]), list(row[4:4 + len(STAGES)]), int(row[4 + len(STAGES)]))


@dataclass
class UnitCounts:
    """What the roll-up needs of one unit's own candidates, for every year, without the candidates.

    Stage counts are taken at the end of each year from the first to the last year any of them has a
    date in; since no date is ever in the future, the last year's stages are also the stages of every
    later year (and of "today").  ``due`` holds, for each live candidate with a deadline, the earliest
    one: a candidate is overdue on a day after it.
    """

    years: dict[int, YearCounts] = field(default_factory=dict)
    due: list[date] = field(default_factory=list)

    def year(self, year: int) -> YearCounts:
        if year in self.years:
            return self.years[year]
        earlier = [y for y in self.years if y < year]
        if not earlier:
            return YearCounts()
        return YearCounts(by_stage=list(self.years[max(earlier)].by_stage))

    def overdue_on(self, today: date) -> int:
        return bisect_left(self.due, today)

    def plus(self, other: "UnitCounts") -> "UnitCounts":
        """One unit's counts from two parts (candidates transferred away keep counting where they were)."""
        years = [*self.years, *other.years]
        if not years:
            return UnitCounts(due=sorted(self.due + other.due))
        out = UnitCounts(due=sorted(self.due + other.due))
        for year in range(min(years), max(years) + 1):
            a, b = self.year(year), other.year(year)
            out.years[year] = YearCounts([x + y for x, y in zip(a.by_quarter, b.by_quarter)],
                                         [x + y for x, y in zip(a.by_stage, b.by_stage)], a.exited + b.exited)
        return out

    def to_json(self) -> dict:
        return {"years": {str(y): c.to_json() for y, c in self.years.items()}, "due": [d.isoformat() for d in self.due]}

    @classmethod
    def from_json(cls, doc: dict) -> "UnitCounts":
        return cls({int(y): YearCounts.from_json(row) for y, row in doc["years"].items()},
                   [date.fromisoformat(d) for d in doc["due"]])


Shares = dict[tuple[int, int], tuple[Candidate, "Share"]]  # (candidate id, branch) -> what it added, and as whom


def count_candidates(candidates: Iterable[Candidate], settings: Settings,
                     shares: Shares | None = None) -> dict[int, UnitCounts]:
    """Per branch, the counts of what happened there (see :class:`UnitCounts`): a candidate transferred
    counts where each stage was recorded and, at each year's end, where it belonged then.  ``shares``: what
    each candidate added to each branch, kept from an earlier count with the same settings; a candidate
    still the same record is not looked at again (a save changes one of a branch's candidates), and what is
    counted now is put in."""
    return {uid: _count_unit(uid, group, settings, shares) for uid, group in by_place(candidates).items()}


def by_place(candidates: Iterable[Candidate]) -> dict[int, list[tuple[Candidate, list[date]]]]:
    """Per branch, the candidates that belonged to it, each with the dates of what happened to it there
    (:meth:`Candidate.dates_at`); a candidate never transferred is only at its own branch."""
    out: dict[int, list[tuple[Candidate, list[date]]]] = {}
    for cand in candidates:
        if not cand.moves and all(e.unit in (None, cand.unit) for e in cand.history):
            days = dates_of(cand)
            if days:
                out.setdefault(cand.unit, []).append((cand, days))
            continue
        for uid in cand.places():
            days = cand.dates_at(uid)
            if days:
                out.setdefault(uid, []).append((cand, days))
    return out


def dates_of(cand: Candidate) -> list[date]:
    return [e.date for e in cand.history] + ([cand.exit.date] if cand.exit else [])


@dataclass(frozen=True)
class Share:
    """What one candidate adds to one branch's :class:`UnitCounts`: the quarter of its decision there, its
    stage (or its leaving) at the end of each year from its first there to its own last date anywhere, its
    stage there at the end of every later year (nothing happens to it after its last date), its deadline."""

    decided: tuple[int, int] | None     # (year, quarter - 1) of the decision counted toward the quota
    first: int                          # the first year of ``rows``
    rows: tuple[tuple[int | None, bool], ...]  # each year: (stage index at its end there, or None; left that year)
    after: int | None                   # the stage index there at the end of each year after ``rows``
    due: date | None                    # its earliest deadline, when live and there now


def share_of(cand: Candidate, uid: int, days: list[date], settings: Settings) -> Share:
    decided = cand.stage_entry(COUNTS_TOWARD_QUOTA)
    slot = (decided.date.year, quarter_of(decided.date) - 1) \
        if decided is not None and cand.unit_of(decided) == uid else None
    last = max([*dates_of(cand), *(m.on for m in cand.moves)]).year
    first = min(days).year
    rows = []
    for year in range(first, last + 1):
        end = date(year, 12, 31)
        if cand.unit_on(end) != uid:
            rows.append((None, False))
            continue
        stage = cand.stage_on(end)
        rows.append((None if stage is None else stage_index(stage),
                     stage is None and cand.exit is not None and cand.exit.date.year == year))
    now = cand.stage_on(date.max) if cand.unit == uid else None
    due = first_due(cand, settings) if cand.live and cand.unit == uid else None
    return Share(slot, first, tuple(rows), None if now is None else stage_index(now), due)


def _count_unit(uid: int, dated: list[tuple[Candidate, list[date]]], settings: Settings,
                shares: Shares | None) -> UnitCounts:
    counts = UnitCounts()
    horizon = max(max(days) for _, days in dated).year  # every candidate counts up to the unit's last year
    first = min(min(days) for _, days in dated).year
    counts.years = {year: YearCounts() for year in range(first, horizon + 1)}
    for cand, days in dated:
        kept = shares.get((cand.id, uid)) if shares is not None else None
        if kept is not None and kept[0] is cand:
            share = kept[1]
        else:
            share = share_of(cand, uid, days, settings)
            if shares is not None:
                shares[(cand.id, uid)] = (cand, share)
        if share.decided is not None:
            counts.years[share.decided[0]].by_quarter[share.decided[1]] += 1
        for year, (stage, left) in enumerate(share.rows[:horizon - share.first + 1], share.first):
            if stage is not None:
                counts.years[year].by_stage[stage] += 1
            elif left:
                counts.years[year].exited += 1
        if share.after is not None:
            for year in range(share.first + len(share.rows), horizon + 1):
                counts.years[year].by_stage[share.after] += 1
        if share.due is not None:
            counts.due.append(share.due)
    counts.due.sort()
    return counts


# -- the report's counts ----------------------------------------------------------------------------
def marks(cand: Candidate, decided: date) -> list[int]:
    """One admitted person as counts of :data:`MARKS` (each attribute 0 or 1, then one occupation group)."""
    hits = {
        OUTSIDE_RULES: outside_rules(cand),
        "women": cand.gender == "female",
        "ethnic_minority": bool(cand.ethnicity) and cand.ethnicity != MAJORITY_ETHNICITY,
        "religious": bool(cand.religion.strip()),
        "youth_union": cand.youth_union,
        "age_18_30": cand.born is not None and YOUNG[0] <= age_on(cand.born, decided) <= YOUNG[1],
        "higher_education": cand.education in HIGHER_EDUCATION,
    }
    occupation = cand.occupation if cand.occupation in OCCUPATIONS else "other"
    return [int(hits[a]) for a in ATTRIBUTES] + [int(o == occupation) for o in OCCUPATIONS] + [int(hits[OUTSIDE_RULES])]


def _quarter_end(year: int, quarter: int) -> date:
    month = 3 * quarter
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class ReportYear:
    """What a report needs of one unit's own candidates in one year: how many stood at each stage at
    the end of each quarter, and the :data:`MARKS` of those admitted in each quarter."""

    stages: list[list[int]] = field(default_factory=lambda: [[0] * len(STAGES) for _ in range(4)])
    marks: list[list[int]] = field(default_factory=lambda: [[0] * len(MARKS) for _ in range(4)])
    exits: list[list[int]] = field(default_factory=lambda: [[0] * len(EXIT_KINDS) for _ in range(4)])

    def to_json(self) -> list[list[int]]:
        return [*self.stages, *self.marks, *self.exits]

    @classmethod
    def from_json(cls, rows: list[list[int]]) -> "ReportYear":
        exits = [list(r) for r in rows[8:12]] or [[0] * len(EXIT_KINDS) for _ in range(4)]
        return cls([list(r) for r in rows[:4]], [list(r) for r in rows[4:8]], exits)


def report_counts(candidates: Iterable[Candidate]) -> dict[int, dict[int, ReportYear]]:
    """Per branch and year (from the first to the last year anything happened there), what a report counts
    of what happened there (:func:`by_place`: a transferred candidate counts where each stage was
    recorded and, at each quarter's end, where it belonged then).  A year after the last is like the last
    one's end (no date is ever in the future): :func:`report_year`."""
    out: dict[int, dict[int, ReportYear]] = {}
    for uid, dated in by_place(candidates).items():
        first = min(min(days) for _, days in dated).year
        horizon = max(max(days) for _, days in dated).year
        years = out[uid] = {year: ReportYear() for year in range(first, horizon + 1)}
        for cand, days in dated:
            for year in range(min(days).year, horizon + 1):
                for quarter in range(4):
                    end = _quarter_end(year, quarter + 1)
                    stage = cand.stage_on(end) if cand.unit_on(end) == uid else None
                    if stage is not None:
                        years[year].stages[quarter][stage_index(stage)] += 1
            decided = cand.stage_entry(COUNTS_TOWARD_QUOTA)
            if decided is not None and cand.unit_of(decided) == uid:
                row = years[decided.date.year].marks[quarter_of(decided.date) - 1]
                for i, n in enumerate(marks(cand, decided.date)):
                    row[i] += n
            if cand.exit is not None and cand.unit_on(cand.exit.date) == uid and cand.exit.kind in EXIT_KINDS:
                years[cand.exit.date.year].exits[quarter_of(cand.exit.date) - 1][
                    EXIT_KINDS.index(cand.exit.kind)] += 1
    return out


def report_plus(first: dict[int, ReportYear], second: dict[int, ReportYear]) -> dict[int, ReportYear]:
    """One unit's report counts from two parts, year by year (each extended as :func:`report_year` does)."""
    years = [*first, *second]
    out = {}
    for year in range(min(years), max(years) + 1):
        a, b = report_year(first, year), report_year(second, year)
        out[year] = ReportYear([[x + y for x, y in zip(r, s)] for r, s in zip(a.stages, b.stages)],
                               [[x + y for x, y in zip(r, s)] for r, s in zip(a.marks, b.marks)],
                               [[x + y for x, y in zip(r, s)] for r, s in zip(a.exits, b.exits)])
    return out


def report_sum(found: Iterable[ReportYear]) -> ReportYear:
    """Several units' report counts of one year, added up."""
    out = ReportYear()
    for row in found:
        for mine, theirs in ((out.stages, row.stages), (out.marks, row.marks), (out.exits, row.exits)):
            for quarter, counts in zip(mine, theirs):
                quarter[:] = [a + b for a, b in zip(quarter, counts)]
    return out


def report_year(years: dict[int, ReportYear], year: int) -> ReportYear:
    if year in years:
        return years[year]
    earlier = [y for y in years if y < year]
    if not earlier:
        return ReportYear()
    last = years[max(earlier)].stages[3]
    return ReportYear(stages=[list(last) for _ in range(4)])
