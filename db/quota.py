"""Quota and roll-up arithmetic over the unit tree, for one year.

Rounding: a rate target is ``rate% x members at the start of the year`` rounded UP to a
whole member (4% of 1,234 = 49.36 -> 50), computed with exact fractions, so that
4% of 1,250 is exactly 50 and never 51 from floating-point noise.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from itertools import chain
from typing import Iterable, Iterator, Mapping, NamedTuple

from .counts import UnitCounts, YearCounts, quarter_of
from .model import COUNTS_TOWARD_QUOTA, FORECAST_FROM, STAGES, Quota, Unit, stage_index
from .state import State, UnitPart, walk


def rate_target(rate: float, members: int) -> int:
    """Members to admit for a rate in percent: rounded up to a whole person."""
    return math.ceil(Fraction(str(rate)) * members / 100)


def cutoff_for(year: int, today: date) -> date:
    """The day a year's stage counts are taken: its last day, or today while it runs."""
    return min(date(year, 12, 31), today)


@dataclass
class Figures:
    unit: int
    year: int
    members: int | None = None          # at the start of the year: own figure, else the children's sum
    members_own: int | None = None
    members_children: int | None = None
    target: int | None = None
    rate: float | None = None
    admitted: int = 0
    by_quarter: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    by_stage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    exited: int = 0
    overdue: int = 0
    children_target: int | None = None
    children_without_target: int = 0

    @property
    def percent(self) -> float | None:
        return percent_of(self.admitted, self.target)

    @property
    def pipeline(self) -> int:
        """Live candidates not yet counted toward the quota."""
        cut = stage_index(COUNTS_TOWARD_QUOTA)
        return sum(n for s, n in self.by_stage.items() if stage_index(s) < cut)

    @property
    def forecast(self) -> int:
        """Admitted, plus those who passed the branch vote and await the decision."""
        lo, hi = stage_index(FORECAST_FROM), stage_index(COUNTS_TOWARD_QUOTA)
        return self.admitted + sum(n for s, n in self.by_stage.items() if lo <= stage_index(s) < hi)

    @property
    def allocation_gap(self) -> int | None:
        """Own target minus the sum of the children's targets (None when either is unknown)."""
        if self.target is None or self.children_target is None:
            return None
        return self.target - self.children_target

    @property
    def members_mismatch(self) -> bool:
        return (self.members_own is not None and self.members_children is not None
                and self.members_own != self.members_children)

    def to_json(self, state: State) -> dict:
        return {
            "unit": self.unit, "unit_name": state.units[self.unit].name, "path": state.path(self.unit),
            "year": self.year, "members": self.members, "members_own": self.members_own,
            "members_children": self.members_children, "members_mismatch": self.members_mismatch,
            "target": self.target, "rate": self.rate, "admitted": self.admitted, "percent": self.percent,
            "forecast": self.forecast, "pipeline": self.pipeline,
            "by_quarter": {f"Q{i + 1}": n for i, n in enumerate(self.by_quarter)},
            "by_stage": dict(self.by_stage), "exited": self.exited, "overdue": self.overdue,
            "children_target": self.children_target, "children_without_target": self.children_without_target,
            "allocation_gap": self.allocation_gap,
        }


class PartTotals(NamedTuple):
    """One part's branches taken together, for the roll-up above its owner without reading the part (the store
    keeps these of every part in one file): their counts summed year by year, the first due date of each live
    candidate, and per year the sum and number of their known member figures and targets.  ``clean``: the
    owner's figures need nothing else of the part (no branch there has a period, nothing is counted there but at
    its branches); ``foreign``: the other units something is counted at in the part (where a candidate held here
    was before a transfer: their figures need this part).  Used like :class:`UnitCounts` (``year``, ``overdue_on``), as it is kept: nothing is made of the
    years not asked for."""

    branches: tuple[int, ...]
    clean: bool
    first: int                  # the year of ``rows[0]``
    rows: list[list[int]]       # YearCounts.to_json of each year from ``first`` on
    due: list[int]              # day ordinals, sorted
    plans: dict[str, list[int]]  # year -> [members, with members, targets, without a target]
    foreign: tuple[int, ...] = ()

    def year(self, year: int) -> YearCounts:
        index = min(year - self.first, len(self.rows) - 1)
        if not self.rows or year < self.first:
            return YearCounts()
        found = YearCounts.from_json(self.rows[index])
        return found if year - self.first == index else YearCounts(by_stage=found.by_stage)

    def overdue_on(self, today: date) -> int:
        return bisect_left(self.due, today.toordinal())

    def plan(self, year: int) -> tuple[int, int, int, int]:
        members, with_members, targets, without = self.plans.get(str(year), (0, 0, 0, len(self.branches)))
        return members, with_members, targets, without

    def to_json(self) -> dict:
        return {"branches": list(self.branches), "clean": self.clean, "first": self.first, "rows": self.rows,
                "due": self.due, "plans": self.plans, "foreign": list(self.foreign)}

    @classmethod
    def from_json(cls, doc: dict) -> "PartTotals":
        """As :meth:`to_json` wrote it; a TypeError or ValueError when it is not."""
        rows, plans, due = doc["rows"], doc["plans"], doc["due"]
        branches, foreign = tuple(doc["branches"]), tuple(doc["foreign"])
        # checked, not converted: a file read holds them as they are kept (a look at each number's type costs a
        # third of making every number again, for the ~2,700 parts of a metro store's top)
        if {len(row) for row in rows} - {5 + len(STAGES)} or {len(p) for p in plans.values()} - {4}:
            raise ValueError("rows or plans of another width")
        if set(map(type, chain(due, branches, foreign, *rows, *plans.values()))) - {int} or \
                not all(str(int(y)) == y for y in plans):
            raise TypeError("not whole numbers")
        return cls(branches, bool(doc["clean"]), int(doc["first"]), rows, due, plans, foreign)


def part_branches(pid: int, units: UnitPart) -> tuple[int, ...]:
    """The branches of part ``pid`` that are under its owner on every day: the records without a period."""
    return tuple(sorted(uid for uid, unit in units.units.items()
                        if unit.parent == pid and not (unit.began or unit.ended or unit.earlier)))


def part_totals(pid: int, units: UnitPart, counts: dict[int, UnitCounts]) -> PartTotals:
    """:class:`PartTotals` of part ``pid`` from its unit records, quotas and counts (a summary's)."""
    branches = part_branches(pid, units)
    foreign = tuple(sorted(set(counts) - set(branches)))
    clean = len(branches) == len(units.units) and not foreign
    total = UnitCounts()
    for uid in branches:
        if uid in counts:
            total = total.plus(counts[uid])
    plans = {}
    years = {y for uid in branches for y in units.units[uid].members} | {y for (uid, y) in units.quotas if uid in branches}
    for year in sorted(years):
        members = [m for uid in branches if (m := units.units[uid].members.get(year)) is not None]
        targets = [target_of(units.quotas.get((uid, year)), units.units[uid].members.get(year)) for uid in branches]
        known = [t for t in targets if t is not None]
        plans[str(year)] = [sum(members), len(members), sum(known), len(targets) - len(known)]
    first = min(total.years, default=0)
    return PartTotals(branches, clean, first, [total.years[y].to_json() for y in sorted(total.years)],
                      [d.toordinal() for d in total.due], plans, foreign)


def view_day(year: int, today: date) -> date:
    """The day a year's tree is seen on: its last day when past, today while it runs, its first day when later
    (docs/HISTORY.md)."""
    return max(cutoff_for(year, today), date(year, 1, 1))


def rollup(state: State, year: int, today: date, root: int | None = None, day: date | None = None,
           tree_day: date | None = None) -> Mapping[int, Figures]:
    """Figures for every unit under ``root`` (default: the whole tree), children summed into parents, in the
    tree of ``day`` (default: the year's view day; a unit that ended before it: of its last day), with nothing
    of the year after that day.  What happened at a branch that ended before that day counts at its
    successor; a unit that began during the year takes its predecessors' targets and members when it has
    none of its own (docs/HISTORY.md).  ``tree_day`` sums the year in the tree of another day instead (the
    same period of last year counted in this year's tree).  Above a grassroots unit, its branches' figures are
    made only when asked (:class:`Rollup`)."""
    top = state.root if root is None else root
    if top is None or top not in state.units:
        return {}
    day = view_day(year, today) if day is None else min(day, view_day(year, today))
    ended = state.units[top].ended
    if ended is not None and ended <= day:
        day = ended - timedelta(days=1)  # an ended unit is seen on its last day
    tree = state.on(tree_day or day)
    if day.year < year:  # the unit ended before the year began: nothing of the year is its
        return {uid: Figures(unit=uid, year=year) for uid in tree.subtree(top)}
    return Rollup(state, tree, top, year, today, day)


EAGER_PARTS = 8  # a roll-up over no more parts than this makes its branches' figures at once (Rollup)


class Rollup(Mapping):
    """:func:`rollup`'s figures.  A unit whose children are the branches of its part, taken together in the
    part's :class:`PartTotals`, gets its figures from those totals (the store keeps them for every part, so the
    top of a metro store reads no part); the branches' own figures are made when first asked, from their part as
    it is then (a roll-up answers one question: keep ``dict(rollup)`` to hold figures across a save), unless
    there are no more than :data:`EAGER_PARTS` such parts (a ward, a small district: they are made at once).
    Iterating (or ``len``) makes them all, children before parents as the whole tree's walk gives them."""

    def __init__(self, state: State, tree: State, top: int, year: int, today: date, day: date) -> None:
        self._state, self._tree, self._top = state, tree, top
        self._year, self._today, self._day = year, today, day
        self._last_quarter = quarter_of(day) if day < cutoff_for(year, today) else 4  # later quarters are not its
        self._figures: dict[int, Figures] = {}
        self._summed: dict[int, PartTotals] = {}  # a unit -> the totals of its branches, not yet made one by one
        self.summed: dict[int, PartTotals] = {}   # every unit whose figures its part's totals gave (see _walk)
        self._order: list[int] | None = None
        order = self._walk()
        self.summed = dict(self._summed)
        carried = tree.carried(order)
        plain = [u for u in order if u not in self._summed]
        direct = state.unit_counts(plain + [e for group in carried.values() for e in group])
        for uid in reversed(order):  # children before parents
            self._figures[uid] = self._unit(uid, direct, carried)
        if len(self._summed) <= EAGER_PARTS:
            self._whole()

    def _walk(self) -> list[int]:
        """The units to make, parents before children: the whole subtree but the branches of the units whose
        totals serve (their children are their part's branches only, none of which counts what happened
        elsewhere: no transfer to or from another part, no unit that ended carried into it)."""
        state, tree, top = self._state, self._tree, self._top
        listed = walk(top, tree.children.listed)  # the catalogue's tree first: the units whose totals may serve
        totals = state.source.totals(listed) if len(listed) > 1 else {}
        blocked = set(state.visits) | {tree.carrier(e.id) for e in state.ended_units()}
        blocked.update(u for found in totals.values() for u in found.foreign)
        branches = {uid for found in totals.values() for uid in found.branches}
        owning = state.source.parts_among(branches)  # a branch with a part has units under it

        def children(uid: int) -> list[int]:
            found = totals.get(uid)
            if (found is not None and found.clean and found.branches and uid not in blocked and uid != top
                    and blocked.isdisjoint(found.branches) and owning.isdisjoint(found.branches)
                    and not tree.children.listed(uid)):
                self._summed[uid] = found
                return []
            return tree.children.of(uid)
        return walk(top, children)

    def _unit(self, uid: int, direct: dict[int, UnitCounts], carried: dict[int, list[int]]) -> Figures:
        state, year, today, day = self._state, self._year, self._today, self._day
        fig = Figures(unit=uid, year=year)
        summed = self._summed.get(uid)
        own = [direct[u] for u in (uid, *carried.get(uid, ())) if u in direct] + ([summed] if summed else [])
        if own:
            rows = [c.year(year) for c in own]
            row = rows[0] if len(rows) == 1 else YearCounts([sum(q) for q in zip(*(r.by_quarter for r in rows))],
                                                           [sum(n) for n in zip(*(r.by_stage for r in rows))],
                                                           sum(r.exited for r in rows))
            fig.by_stage = dict(zip(STAGES, row.by_stage))
        if own and year <= today.year:
            fig.by_quarter = [n if q < self._last_quarter else 0 for q, n in enumerate(row.by_quarter)]
            fig.admitted = sum(fig.by_quarter)
            fig.exited = row.exited
            if year == today.year and day == today:
                fig.overdue = sum(c.overdue_on(today) for c in own)
        # (added up in any order: the children as the tree links them, not sorted by their folded names)
        kids = [] if summed else [self._figures[c] for c in self._tree.children.of(uid) if c in self._figures]
        for kid in kids:  # (not ``top`` in a cycle)
            fig.admitted += kid.admitted
            fig.exited += kid.exited
            fig.overdue += kid.overdue
            fig.by_quarter = [a + b for a, b in zip(fig.by_quarter, kid.by_quarter)]
            for stage, n in kid.by_stage.items():
                fig.by_stage[stage] += n
        unit = state.units[uid]
        inherited = _predecessors_figures(state, unit, year, today)
        own_members = unit.members.get(year)
        if summed:
            members, with_members, targets, without_target = summed.plan(year)
            fig.members_children = members if with_members else None
        else:
            kid_members = [k.members for k in kids if k.members is not None]
            fig.members_children = sum(kid_members) if kid_members else None
        fig.members_own = own_members
        fig.members = next((m for m in (own_members, _sum(f.members for f in inherited), fig.members_children)
                            if m is not None), None)
        quota = state.quotas.get((uid, year))
        fig.rate = quota.rate if quota else None
        fig.target = target_of(quota, fig.members) if quota else _sum(f.target for f in inherited)
        if summed:
            fig.children_target, fig.children_without_target = targets, without_target
        elif kids:
            fig.children_target = sum(k.target or 0 for k in kids)
            fig.children_without_target = sum(1 for k in kids if k.target is None)
        return fig

    def _expand(self, owner: int) -> None:
        """Make the figures of the branches under ``owner`` (and of anything under them), from their part."""
        totals = self._summed.pop(owner)
        order = [u for branch in totals.branches for u in self._tree.subtree(branch) if u not in self._figures]
        direct = self._state.unit_counts(order)
        for uid in reversed(order):
            self._figures[uid] = self._unit(uid, direct, {})

    def _owner(self, uid: object) -> int | None:
        """The unit whose totals hold ``uid``'s figures, not made yet."""
        place = self._state.placed.get(uid) if self._summed else None
        owner = place[0] if place is not None else None
        return owner if owner in self._summed and uid in self._summed[owner].branches else None

    def __getitem__(self, uid: int) -> Figures:
        found = self._figures.get(uid)
        if found is None and (owner := self._owner(uid)) is not None:
            self._expand(owner)
            found = self._figures.get(uid)
        if found is None:
            raise KeyError(uid)
        return found

    def __contains__(self, uid: object) -> bool:
        return uid in self._figures or self._owner(uid) is not None

    def _whole(self) -> list[int]:
        """Every unit's figures made; the units in the order of the whole tree's walk, children first (found once)."""
        if self._order is None:
            while self._summed:
                self._expand(next(iter(self._summed)))
            self._order = [uid for uid in reversed(self._tree.subtree(self._top)) if uid in self._figures]
        return self._order

    def __iter__(self) -> Iterator[int]:
        return iter(self._whole())

    def made(self) -> list[Figures]:
        """The figures made so far without making any branch's, children before parents as the tree's walk gives
        them: every unit but the branches whose part's totals served (what a branch alone cannot show, such as a
        gap between a unit's target and its children's, is all there)."""
        summed = set(self._summed)
        order = walk(self._top, lambda uid: self._tree.children.get(uid, []) if uid not in summed else [])
        return [self._figures[uid] for uid in reversed(order) if uid in self._figures]

    def __len__(self) -> int:
        return len(self._whole())


def _sum(values: Iterable[int | None]) -> int | None:
    """The sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _predecessors_figures(state: State, unit: Unit, year: int, today: date) -> list[Figures]:
    """For a unit that began during ``year``: the year's figures of the units it was made from, each seen on
    its own last day (they give it their targets and members); else nothing."""
    if unit.began is None or unit.began.year != year or unit.began == date(year, 1, 1):
        return []
    return [rollup(state, year, today, pred)[pred] for pred in state.predecessors(unit.id)]


def target_of(quota: Quota | None, members: int | None) -> int | None:
    if quota is None:
        return None
    if quota.target is not None:
        return quota.target
    if quota.rate is not None and members is not None:
        return rate_target(quota.rate, members)
    return None


def proportional_split(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders), summing to ``total`` exactly."""
    weight_sum = sum(weights)
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [Fraction(total * w, weight_sum) for w in weights]
    shares = [math.floor(x) for x in exact]
    leftover = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), -weights[i], i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return shares


# -- progress views for the screens: percent, quarters against the plan, the funnel -------------
def percent_of(admitted: int, target: int | None) -> float | None:
    """``admitted`` as a percentage of ``target``, one decimal; None without a (non-zero) target."""
    return round(100 * admitted / target, 1) if target else None


@dataclass(frozen=True)
class QuarterProgress:
    quarter: int
    admitted: int       # decisions dated in this quarter
    cumulative: int     # from 1 January to the end of this quarter
    plan: int | None    # the target's share due by the end of this quarter: target x quarter / 4, rounded up


def quarters(fig: Figures) -> list[QuarterProgress]:
    """Q1–Q4 admitted, cumulated, against the cumulated quarterly share of the year's target."""
    out: list[QuarterProgress] = []
    total = 0
    for quarter, admitted in enumerate(fig.by_quarter, start=1):
        total += admitted
        plan = None if fig.target is None else math.ceil(Fraction(fig.target * quarter, 4))
        out.append(QuarterProgress(quarter, admitted, total, plan))
    return out


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int                 # live candidates at this stage
    reached: int               # live candidates at this stage or a later one
    conversion: float | None   # reached, in percent of the previous stage's reached (None for the first)


def funnel(by_stage: dict[str, int]) -> list[FunnelStep]:
    """The pipeline as a funnel, from stage counts (``Figures.by_stage``): at each stage, how many of
    those who got at least as far as the previous stage also got this far.  Candidates who left the
    pipeline are not in ``by_stage`` and so not counted."""
    reached: dict[str, int] = {}
    running = 0
    for stage in reversed(STAGES):
        running += by_stage.get(stage, 0)
        reached[stage] = running
    steps: list[FunnelStep] = []
    for index, stage in enumerate(STAGES):
        conversion = percent_of(reached[stage], reached[STAGES[index - 1]]) if index else None
        steps.append(FunnelStep(stage, by_stage.get(stage, 0), reached[stage], conversion))
    return steps
