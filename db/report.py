"""The admissions report a committee sends to the level above, as plain data.

One row per child unit of the reported unit (the unit itself when it has none) and a total row
that is the sum of the rows, column by column.  Definitions:

- admitted in the period: the decision (stage ``decided``) dated inside the period; cumulative:
  from 1 January to the period's end; % of plan: cumulative of the row's target;
- of those admitted in the period: women (gender female), ethnic minorities (ethnicity not Kinh),
  religious followers (a religion given), Youth Union members, aged 18–30 on the decision date,
  college or higher education, and by occupation group (no occupation counts as "other");
- candidates per stage at the period's end (``Candidate.stage_on``);
- overdue items as the quota figures count them: only for the current year, taken today;
- grassroots organisations (units whose children are all branches) in the row's subtree and how
  many of them had at least one admission in the period.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date

from . import quota as quota_math
from .errors import PtdvError
from .model import COUNTS_TOWARD_QUOTA, HIGHER_EDUCATION, MAJORITY_ETHNICITY, OCCUPATIONS, STAGES, Candidate
from .rules import age_on
from .state import State

ATTRIBUTES: tuple[str, ...] = ("women", "ethnic_minority", "religious", "youth_union", "age_18_30", "higher_education")
YOUNG = (18, 30)


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    half: int | None = None

    @classmethod
    def of(cls, year: int, quarter: int | None = None, half: int | None = None) -> "Period":
        if quarter is not None and half is not None:
            raise PtdvError("report.quarter_and_half")
        if quarter is not None and quarter not in (1, 2, 3, 4):
            raise PtdvError("report.bad_quarter", quarter=quarter)
        if half is not None and half not in (1, 2):
            raise PtdvError("report.bad_half", half=half)
        if not 1900 <= year <= 9999:
            raise PtdvError("report.bad_year", year=year)
        return cls(year, quarter, half)

    @property
    def months(self) -> tuple[int, int]:
        """First and last month of the period."""
        if self.quarter is not None:
            return 3 * self.quarter - 2, 3 * self.quarter
        if self.half is not None:
            return 6 * self.half - 5, 6 * self.half
        return 1, 12

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[1]
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    def to_json(self) -> dict:
        return {"year": self.year, "quarter": self.quarter, "half": self.half,
                "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass
class Row:
    unit: int | None            # None for the total row
    name: str
    target: int | None = None
    admitted: int = 0
    cumulative: int = 0
    attributes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    occupations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OCCUPATIONS, 0))
    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    overdue: int = 0
    grassroots: int = 0
    grassroots_admitting: int = 0

    @property
    def percent(self) -> float | None:
        return quota_math.percent_of(self.cumulative, self.target)

    @property
    def grassroots_percent(self) -> float | None:
        return quota_math.percent_of(self.grassroots_admitting, self.grassroots)

    def add(self, other: "Row") -> None:
        if other.target is not None:
            self.target = (self.target or 0) + other.target
        self.admitted += other.admitted
        self.cumulative += other.cumulative
        for mine, theirs in ((self.attributes, other.attributes), (self.occupations, other.occupations),
                             (self.stages, other.stages)):
            for key, n in theirs.items():
                mine[key] += n
        self.overdue += other.overdue
        self.grassroots += other.grassroots
        self.grassroots_admitting += other.grassroots_admitting

    def to_json(self) -> dict:
        return {"unit": self.unit, "name": self.name, "target": self.target, "admitted": self.admitted,
                "cumulative": self.cumulative, "percent": self.percent, **self.attributes,
                "occupations": dict(self.occupations), "stages": dict(self.stages), "overdue": self.overdue,
                "grassroots": self.grassroots, "grassroots_admitting": self.grassroots_admitting,
                "grassroots_percent": self.grassroots_percent}


@dataclass
class Report:
    unit: int
    unit_name: str
    path: str
    period: Period
    today: date
    target: int | None                              # the unit's own target for the year
    rows: list[Row]
    total: Row
    quarters: list[quota_math.QuarterProgress]      # the year's quarters of the unit, against its plan

    @property
    def stages_on(self) -> date:
        """The day the stage columns describe: the period's end, or today while the period runs."""
        return min(self.period.end, self.today)

    def to_json(self) -> dict:
        return {"unit": self.unit, "unit_name": self.unit_name, "path": self.path, "period": self.period.to_json(),
                "today": self.today.isoformat(), "target": self.target,
                "rows": [r.to_json() for r in self.rows], "total": self.total.to_json(),
                "quarters": [{"quarter": q.quarter, "admitted": q.admitted, "cumulative": q.cumulative,
                              "plan": q.plan} for q in self.quarters]}


def _is_grassroots(state: State, uid: int) -> bool:
    kids = state.children.get(uid, [])
    return bool(kids) and all(state.is_leaf(k) for k in kids)


def _count(row: Row, cand: Candidate, period: Period) -> bool:
    """Add one candidate to its row; whether it was admitted in the period."""
    end = period.end
    stage = cand.stage_on(end)
    if stage is not None:
        row.stages[stage] += 1
    decided = cand.stage_date(COUNTS_TOWARD_QUOTA)
    if decided is None or not date(period.year, 1, 1) <= decided <= end:
        return False
    row.cumulative += 1
    if decided < period.start:
        return False
    row.admitted += 1
    marks = {
        "women": cand.gender == "female",
        "ethnic_minority": bool(cand.ethnicity) and cand.ethnicity != MAJORITY_ETHNICITY,
        "religious": bool(cand.religion.strip()),
        "youth_union": cand.youth_union,
        "age_18_30": cand.born is not None and YOUNG[0] <= age_on(cand.born, decided) <= YOUNG[1],
        "higher_education": cand.education in HIGHER_EDUCATION,
    }
    for key, hit in marks.items():
        row.attributes[key] += hit
    row.occupations[cand.occupation if cand.occupation in OCCUPATIONS else "other"] += 1
    return True


def build_report(state: State, unit_id: int, period: Period, today: date) -> Report:
    """The report of ``unit_id`` for ``period``: its children's rows and their sum."""
    figures = quota_math.rollup(state, period.year, today, unit_id)
    row_units = list(state.children.get(unit_id, [])) or [unit_id]
    rows: list[Row] = []
    row_of: dict[int, Row] = {}
    grassroots_row: dict[int, Row] = {}
    for uid in row_units:
        fig = figures[uid]
        row = Row(uid, state.units[uid].name, target=fig.target, overdue=fig.overdue)
        for sub in state.subtree(uid):
            row_of[sub] = row
            if _is_grassroots(state, sub):
                row.grassroots += 1
                grassroots_row[sub] = row
        rows.append(row)
    admitting: set[int] = set()
    for cand in state.candidates_under(unit_id):
        row = row_of.get(cand.unit)
        if row is not None and _count(row, cand, period):
            admitting.update(a.id for a in state.ancestors(cand.unit) if a.id in grassroots_row)
    for uid in admitting:
        grassroots_row[uid].grassroots_admitting += 1
    total = Row(None, "")
    for row in rows:
        total.add(row)
    own = figures[unit_id]
    plan_target = own.target if own.target is not None else total.target
    return Report(unit_id, state.units[unit_id].name, state.path(unit_id), period, today, own.target, rows, total,
                  quota_math.quarters(replace(own, target=plan_target)))
