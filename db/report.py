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
from datetime import date, timedelta
from typing import Collection

from . import quota as quota_math
from .counts import ATTRIBUTES, MARKS, OUTSIDE_RULES, report_year
from .errors import PtdvError
from .i18n import t
from .letterhead import Letterhead, letterhead
from .model import EXIT_KINDS, OCCUPATIONS, STAGES
from .state import State, walk


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

    def name(self, lang: str) -> str:
        """"Quý 3 năm 2025", "6 tháng đầu năm 2025", "Năm 2025" in ``lang``."""
        if self.quarter is not None:
            return t("report.period.quarter", lang, quarter=self.quarter, year=self.year)
        if self.half is not None:
            return t(f"report.period.half{self.half}", lang, year=self.year)
        return t("report.period.year", lang, year=self.year)

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
    last_year: int = 0          # admitted in the same period of the year before (its predecessors' for a new unit)
    attributes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    occupations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OCCUPATIONS, 0))
    stages: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    overdue: int = 0
    grassroots: int = 0
    grassroots_admitting: int = 0
    exceptions: int = 0         # admitted in the period outside the rules ("kết nạp ngoài quy định")
    exits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXIT_KINDS, 0))  # left in the period, by kind

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
        self.last_year += other.last_year
        for mine, theirs in ((self.attributes, other.attributes), (self.occupations, other.occupations),
                             (self.stages, other.stages)):
            for key, n in theirs.items():
                mine[key] += n
        self.overdue += other.overdue
        self.grassroots += other.grassroots
        self.grassroots_admitting += other.grassroots_admitting
        self.exceptions += other.exceptions
        for key, n in other.exits.items():
            self.exits[key] += n

    def to_json(self) -> dict:
        return {"unit": self.unit, "name": self.name, "target": self.target, "admitted": self.admitted,
                "cumulative": self.cumulative, "percent": self.percent, "last_year": self.last_year, **self.attributes,
                "occupations": dict(self.occupations), "stages": dict(self.stages), "overdue": self.overdue,
                "grassroots": self.grassroots, "grassroots_admitting": self.grassroots_admitting,
                "grassroots_percent": self.grassroots_percent, "outside_rules": self.exceptions,
                "exits": dict(self.exits)}


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
    compared: dict[str, list[str]] = field(default_factory=dict)  # a row's name -> the units its last year sums
    letterhead: Letterhead | None = None            # who issues it and signs (36-HD/VPTW), in the period's tree

    @property
    def stages_on(self) -> date:
        """The day the stage columns describe: the period's end, or today while the period runs."""
        return min(self.period.end, self.today)

    def to_json(self) -> dict:
        return {"unit": self.unit, "unit_name": self.unit_name, "path": self.path, "period": self.period.to_json(),
                "today": self.today.isoformat(), "target": self.target,
                "rows": [r.to_json() for r in self.rows], "total": self.total.to_json(),
                "quarters": [{"quarter": q.quarter, "admitted": q.admitted, "cumulative": q.cumulative,
                              "plan": q.plan} for q in self.quarters], "last_year_of": dict(self.compared)}


def _is_grassroots(state: State, uid: int, summed: Collection[int] = ()) -> bool:
    """Units under it, none with units under it; ``summed``: units known to have some (the roll-up's units summed
    from their part's branches: asking the tree would read each one's part, for a district its first ward's)."""
    kids = state.children.get(uid, [])
    return bool(kids) and all(k not in summed and state.is_leaf(k) for k in kids)


def build_report(state: State, unit_id: int, period: Period, today: date) -> Report:
    """The report of ``unit_id`` for ``period``: its children's rows and their sum, in the tree of the period
    (docs/HISTORY.md).  Made from the quota figures and the :func:`~db.counts.report_counts` of the units, not from the
    candidates themselves."""
    figures = quota_math.rollup(state, period.year, today, unit_id, day=period.end)
    day = min(period.end, quota_math.view_day(period.year, today))
    ended = state.units[unit_id].ended
    tree = state.on(ended - timedelta(days=1) if ended is not None and ended <= day else day)
    # a unit whose figures its part's totals gave (quota.Rollup) counts its branches taken together too
    summed = figures.summed if isinstance(figures, quota_math.Rollup) else {}
    def below(uid: int) -> list[int]:  # the tree under a unit, not into the branches of a unit summed
        return tree.children.get(uid, []) if uid not in summed else []
    under = walk(unit_id, below)
    counts = state.source.report_counts([uid for uid in under if uid not in summed])
    sums = state.source.report_sums(list(summed), period.year) if summed else {}
    first, last = (period.months[0] - 1) // 3, period.months[1] // 3  # the period's quarters: [first, last)
    before = _last_year(state, unit_id, period, today, tree)
    rows: list[Row] = []
    compared: dict[str, list[str]] = {}
    for uid in list(tree.children.get(unit_id, [])) or [unit_id]:
        fig = figures[uid]
        row = Row(uid, state.units[uid].name, target=fig.target, overdue=fig.overdue,
                  admitted=sum(fig.by_quarter[first:last]), cumulative=sum(fig.by_quarter[:last]))
        row.last_year, sources = before(uid)
        if sources:
            compared[row.name] = [state.units[u].name for u in sources]
        for sub in walk(uid, below):
            if sub in summed or _is_grassroots(tree, sub, summed):  # (a unit summed: its children are its branches)
                row.grassroots += 1
                row.grassroots_admitting += sum(figures[sub].by_quarter[first:last]) > 0
            if sub not in counts and sub not in sums:
                continue
            year = sums[sub] if sub in sums else report_year(counts[sub], period.year)
            for stage, n in zip(STAGES, year.stages[last - 1]):
                row.stages[stage] += n
            for quarter in year.marks[first:last]:
                for key, n in zip(MARKS, quarter):
                    if key == OUTSIDE_RULES:
                        row.exceptions += n
                    else:
                        (row.attributes if key in row.attributes else row.occupations)[key] += n
            for quarter in year.exits[first:last]:
                for kind, n in zip(EXIT_KINDS, quarter):
                    row.exits[kind] += n
        rows.append(row)
    total = Row(None, "")
    for row in rows:
        total.add(row)
    own = figures[unit_id]
    plan_target = own.target if own.target is not None else total.target
    return Report(unit_id, state.units[unit_id].name, tree.path(unit_id), period, today, own.target, rows, total,
                  quota_math.quarters(replace(own, target=plan_target)), compared, letterhead(tree, unit_id))


def _last_year(state: State, unit_id: int, period: Period, today: date, tree: State):
    """A function giving, for a row's unit, its admissions in the same period of the year before, counted at
    the branches that are under it in this period's tree (those of a unit made since came from its
    predecessors), and the units of that year it sums when it did not exist then or was made larger since
    (its predecessors that existed then, followed back; empty: its own figure)."""
    year = period.year - 1
    first, last = (period.months[0] - 1) // 3, period.months[1] // 3
    end = Period.of(year, period.quarter, period.half).end if year >= 1900 else None
    figures = quota_math.rollup(state, year, today, unit_id, day=end, tree_day=tree.day) if end else {}

    def before(uid: int) -> tuple[int, list[int]]:
        fig = figures.get(uid)
        admitted = sum(fig.by_quarter[first:last]) if fig else 0
        if end is None:
            return admitted, []
        then = state.on(end)
        sources, stack, seen = [], [uid], set()
        while stack:
            current = stack.pop(0)
            if current in seen:
                continue
            seen.add(current)
            if then.exists(current):
                sources.append(current)
            stack.extend(state.predecessors(current))  # what it was made from, back to that year
        return admitted, ([] if sources == [uid] else sources)

    return before
