"""The store's read model (:class:`db.state.State`): the catalogue's records, and for the rest the two sources a
read model asks, :class:`~db.state.CandidateSource` and :class:`~db.state.UnitParts`, answered here from the parts
(:mod:`db.store.parts`) and their summaries (:mod:`db.store.summaries`), reading only the parts a question needs.
This is the seam a second backend implements for reading (docs/POSTGRES.md)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Collection, Container, Iterator

from ..cells import AT
from ..errors import PtdvError
from ..model import Candidate
from ..state import CandidateHit, State, UnitPart
from .files import SPLIT_SCHEMA
from .parts import Parts
from .summaries import Summaries


class PartsSource:
    """The candidates, the branches' records and the figures of a store's read model, from its parts.  ``state``:
    the read model the question being answered started from; ``indexed``: whether the store has the candidate
    index (schema 4 on)."""

    def __init__(self, parts: Parts, summaries: Summaries, *, state: Callable[[], State],
                 indexed: Callable[[], bool]) -> None:
        self.parts = parts
        self.summaries = summaries
        self.state = state
        self.indexed = indexed

    # -- the CandidateSource protocol -------------------------------------------------------
    def get(self, cid: int) -> Candidate | None:
        """Candidate ``cid``: where it was last seen, else in the part the index names (reading that part only)."""
        parts = self.parts
        pid = parts.located.get(cid)
        found = parts.candidate(pid, cid) if pid is not None else None
        if found is not None:
            return found
        if not self.indexed():  # a store of schema 3 has no index: look through every summary
            pid = self.summaries.held().get(cid)
            return parts.candidate(pid, cid) if pid is not None else None
        tried: set[int] = set()
        # a save elsewhere may have moved it between the reads of the index and of the part: the index again
        while (pid := parts.index.get(cid, fresh=bool(tried))) is not None and pid not in tried:
            tried.add(pid)
            found = parts.candidate(pid, cid)
            if found is not None:
                parts.located[cid] = pid
                return found
        return None

    def _pids(self, units: Collection[int], visited: bool = False) -> set[int]:
        """The parts that hold the candidates of ``units`` (and, ``visited``, those transferred from them)."""
        state = self.state()
        found = {state.part_of(u) for u in units if u in state.units and state.is_leaf(u)}
        if visited and state.visits:
            for uid in units:
                found.update(state.visits.get(uid, ()))
        return found

    def of_units(self, units: Collection[int]) -> list[Candidate]:
        wanted = set(units)
        out: list[Candidate] = []
        for pid in sorted(self._pids(wanted)):
            part = self.parts.file(pid)
            if part is not None:
                out.extend(c for c in part.candidates().values() if c.unit in wanted)
        return out

    def stored_cells(self, units: Collection[int]) -> list[list]:
        """The stored cells (``db.cells.stored_cells``) of the candidates of ``units``, from each part's cache of
        them (made again for a part that changed), reading no part that did not."""
        state, wanted, at = self.state(), set(units), AT["unit"]
        # the part each unit's candidates would be in: that of a unit above the branches is read too and none of
        # its rows kept, which costs less than asking which units are branches (every part's summary, at the top)
        pids = {state.part_of(u) for u in wanted if u in state.units}
        return [row for pid in sorted(pids) for row in self.summaries.cells_of(pid) if row[at] in wanted]

    def all(self) -> list[Candidate]:
        out: list[Candidate] = []
        for pid in self.parts.existing():
            part = self.parts.file(pid)
            if part is not None:
                out.extend(part.candidates().values())
        return out

    def counts(self, units: Collection[int]) -> dict:
        wanted = set(units)
        return self.summaries.counts(self._pids(wanted, visited=True), wanted)

    def report_counts(self, units: Collection[int]) -> dict:
        wanted = set(units)
        return self.summaries.report_counts(self._pids(wanted, visited=True), wanted)

    def names(self, words: Collection[str] = (), limit: int | None = None,
              units: Container[int] | None = None) -> list[CandidateHit]:
        return self.summaries.names(words, limit, None if units is None else units.__contains__)

    def totals(self, pids: Collection[int]) -> dict:
        return self.summaries.totals(pids)

    def parts_among(self, units: Collection[int]) -> set[int]:
        return self.parts.parts_among(units)

    def report_sums(self, pids: Collection[int], year: int) -> dict:
        return self.summaries.report_sums(pids, year)

    # -- the UnitParts protocol ----------------------------------------------------------------
    def part_units(self, pid: int) -> UnitPart:
        return self.summaries.part_units(pid)

    def branch(self, uid: int) -> tuple[int, str] | None:
        return self.parts.branch(uid)

    def branches(self) -> Iterator[tuple[int, tuple[int, str]]]:
        return self.parts.branches()


def read_model(path: Path, data: dict, source: PartsSource | None, *, whole: bool = False,
               damaged: Callable[[PtdvError], PtdvError] = lambda err: err) -> State:
    """The read model of a catalogue (``data``, read from ``path``) over ``source`` (none: a catalogue alone, a
    backup's); its records are made as they are asked for (``whole``: all of them now, to know that each can be
    read).  A record that cannot be read is ``store.invalid`` naming the file, worded by ``damaged``."""
    def invalid(exc: Exception) -> PtdvError:
        return damaged(PtdvError("store.invalid", path=str(path), detail=f"{type(exc).__name__}: {exc}"))
    try:
        split = int(data["meta"]["1"]["schema"]) >= SPLIT_SCHEMA
        state = State.from_data(data, source, source, invalid, indexed_branches=split)
        if whole:
            state.validate()
        return state
    except PtdvError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise invalid(exc) from exc
