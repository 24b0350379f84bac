"""What a unit was and became (docs/HISTORY.md): when it began and ended, how, into what, from what; and
the year and day a unit is seen on.  Plain reads of the ``State``; the screens and commands show them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .quota import view_day
from .state import State
from .text import iso


@dataclass(frozen=True)
class Lineage:
    """A unit's period and its links to the units before and after it."""

    unit: int
    began: date | None = None
    ended: date | None = None
    end: str | None = None                    # merged, split or dissolved
    successors: tuple[int, ...] = ()
    predecessors: tuple[int, ...] = ()
    predecessor_ends: tuple[str, ...] = ()    # how each predecessor ended (merged or split), in order

    @property
    def last_day(self) -> date | None:
        return self.ended - timedelta(days=1) if self.ended else None

    @property
    def last_year(self) -> int | None:
        """The last year the unit existed in, when it ended."""
        return self.last_day.year if self.ended else None

    @property
    def links(self) -> tuple[int, ...]:
        """The units it leads to and came from: successors first."""
        return (*self.successors, *self.predecessors)

    def to_json(self) -> dict:
        return {"began": iso(self.began) if self.began else None, "ended": iso(self.ended) if self.ended else None,
                "end": self.end, "successors": list(self.successors), "predecessors": list(self.predecessors)}


def lineage(state: State, uid: int) -> Lineage:
    return lineages(state, [uid])[uid]


@dataclass(frozen=True)
class Seen:
    """How a unit is seen for a year: the year whose figures are shown (the one asked, or the unit's last year
    when it ended before the year began), the day its tree is of, and whether that year is not the one asked
    (``ended_before``) or the unit had not begun by the year's view day (``not_begun``)."""

    unit: int
    asked: int
    year: int
    day: date
    ended_before: bool = False
    not_begun: bool = False


def seen(state: State, uid: int, year: int, today: date) -> Seen:
    """The year and day unit ``uid`` is seen on for ``year``: the year's view day, or the unit's last day when it
    ended on or before it (a unit that ended before the year began is shown in its last year)."""
    day = view_day(year, today)
    unit = state.period(uid)
    if unit is not None and unit.ended is not None and unit.ended <= day:
        last = unit.ended - timedelta(days=1)
        return Seen(uid, year, min(year, last.year), last, ended_before=last.year < year)
    not_begun = unit is not None and unit.began is not None and day < unit.began
    return Seen(uid, year, year, day, not_begun=not_begun)


def lineages(state: State, uids: list[int]) -> dict[int, Lineage]:
    """:func:`lineage` of each of ``uids``, reading the ended units once."""
    ended = state.ended_units()
    before: dict[int, list[int]] = {}
    for unit in ended:
        for succ in unit.successors:
            before.setdefault(succ, []).append(unit.id)
    out: dict[int, Lineage] = {}
    for uid in uids:
        preds = tuple(sorted(before.get(uid, ())))
        ends = tuple(state.period(p).end or "" for p in preds)
        unit = state.period(uid)
        out[uid] = (Lineage(uid, predecessors=preds, predecessor_ends=ends) if unit is None else
                    Lineage(uid, unit.began, unit.ended, unit.end, tuple(unit.successors), preds, ends))
    return out
