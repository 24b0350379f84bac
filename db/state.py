"""The read model: the store's records indexed for the questions screens and commands ask."""
from __future__ import annotations

from copy import copy
from dataclasses import replace
from datetime import date
from heapq import nsmallest
from typing import (TYPE_CHECKING, Any, Callable, Collection, Container, Iterable, Iterator, Mapping, NamedTuple,
                    Protocol)

from .access import User, users_from_docs
from .cells import stored_cells
from .counts import ReportYear, UnitCounts, count_candidates, report_counts
from .errors import PtdvError
from .model import PERIOD_KEYS, Candidate, Level, Quota, Settings, Unit, period_of
from .text import fold, safe
from .workdays import CalendarEntry, official_calendar

if TYPE_CHECKING:
    from .quota import PartTotals


class CandidateHit(NamedTuple):
    """A candidate as the name index knows it: enough to list and open it without loading its part."""

    id: int
    unit: int
    name: str
    folded: str
    stage: str
    exit: str | None  # how it left the pipeline, if it did

    @classmethod
    def of(cls, cand: Candidate) -> "CandidateHit":
        return cls(cand.id, cand.unit, cand.name, fold(cand.name), cand.stage, cand.exit.kind if cand.exit else None)

    @property
    def status_key(self) -> str:
        """The catalogue key of where it stands: its stage, or how it left."""
        return f"exit.{self.exit}" if self.exit else f"stage_short.{self.stage}"


def search_order(hit: CandidateHit) -> tuple[str, int]:
    """The order a search answers in: by folded name, then id."""
    return hit.folded, hit.id


def hit_matches(folded: str, words: Collection[str]) -> bool:
    """Whether a folded name holds every one of ``words`` (a search's words, folded)."""
    return all(word in folded for word in words)


def hits_in_order(hits: Iterable[CandidateHit], words: Collection[str], limit: int | None = None,
                  keep: Callable[[int], bool] | None = None) -> list[CandidateHit]:
    """The first ``limit`` (all: None) of ``hits`` in search order whose folded name holds every one of ``words``,
    of the units ``keep`` lets through (all: None)."""
    found = [hit for hit in hits if hit_matches(hit.folded, words) and (keep is None or keep(hit.unit))]
    return nsmallest(limit, found, key=search_order) if limit is not None else sorted(found, key=search_order)


class CandidateSource(Protocol):
    """Where a read model gets candidates from: all in memory, or the store's parts loaded on demand."""

    def get(self, cid: int) -> Candidate | None: ...
    def of_units(self, units: Collection[int]) -> list[Candidate]: ...
    def stored_cells(self, units: Collection[int]) -> list[list]: ...  # db.cells.stored_cells of those of_units gives
    def all(self) -> list[Candidate]: ...
    def counts(self, units: Collection[int]) -> dict[int, "UnitCounts"]: ...
    def report_counts(self, units: Collection[int]) -> dict[int, dict[int, "ReportYear"]]: ...
    def names(self, words: Collection[str] = (), limit: int | None = None,
              units: Container[int] | None = None) -> list["CandidateHit"]: ...  # the first ``limit`` (all:
    # None) candidates in search order whose folded name holds every one of ``words``, of ``units`` (all: None)
    def totals(self, pids: Collection[int]) -> dict[int, "PartTotals"]: ...  # of the parts there are among pids
    def parts_among(self, units: Collection[int]) -> set[int]: ...  # those of ``units`` that have a part
    def report_sums(self, pids: Collection[int], year: int) -> dict[int, "ReportYear"]: ...  # branches together


class MemoryCandidates:
    """Candidates held in a dict (tests, small stores built in memory)."""

    def __init__(self, candidates: Mapping[int, Candidate], settings: Settings) -> None:
        self._candidates = dict(candidates)
        self._settings = settings
        self._counts: dict | None = None

    def get(self, cid: int) -> Candidate | None:
        return self._candidates.get(cid)

    def of_units(self, units: Collection[int]) -> list[Candidate]:
        wanted = set(units)
        return [c for c in self._candidates.values() if c.unit in wanted]

    def stored_cells(self, units: Collection[int]) -> list[list]:
        return [stored_cells(c) for c in self.of_units(units)]

    def all(self) -> list[Candidate]:
        return list(self._candidates.values())

    def counts(self, units: Collection[int]) -> dict:
        if self._counts is None:
            self._counts = count_candidates(self._candidates.values(), self._settings)
        return {u: self._counts[u] for u in units if u in self._counts}

    def report_counts(self, units: Collection[int]) -> dict[int, dict[int, ReportYear]]:
        found = report_counts(self._candidates.values())
        return {u: found[u] for u in units if u in found}

    def names(self, words: Collection[str] = (), limit: int | None = None,
              units: Container[int] | None = None) -> list["CandidateHit"]:
        return hits_in_order(map(CandidateHit.of, self._candidates.values()), words, limit,
                             None if units is None else units.__contains__)

    def totals(self, pids: Collection[int]) -> dict[int, "PartTotals"]:
        return {}  # no parts: the roll-up makes every unit's figures

    def parts_among(self, units: Collection[int]) -> set[int]:
        return set()

    def report_sums(self, pids: Collection[int], year: int) -> dict[int, "ReportYear"]:
        return {}


class CandidateMap(Mapping):
    """``state.candidates``: a read-only mapping by id; iterating it loads every candidate."""

    def __init__(self, source: CandidateSource) -> None:
        self._source = source

    def __getitem__(self, cid: int) -> Candidate:
        cand = self._source.get(cid)
        if cand is None:
            raise KeyError(cid)
        return cand

    def __iter__(self) -> Iterator[int]:
        return iter([c.id for c in self._source.all()])

    def __len__(self) -> int:
        return len(self._source.all())

    def values(self):  # one pass over the source instead of a lookup per id
        return self._source.all()


class UnitPart(NamedTuple):
    """What one part of the store keeps of the units of the last level under it: their records and quotas."""

    units: dict[int, Unit]
    quotas: dict[tuple[int, int], Quota]


class UnitParts(Protocol):
    """Where a read model gets the units that the catalogue only names (see :class:`State`): their records, and,
    when the catalogue does not name them all, the unit index's entry of a branch."""

    def part_units(self, pid: int) -> UnitPart: ...
    def branch(self, uid: int) -> tuple[int, str] | None: ...  # (parent, name)
    def branches(self) -> Iterator[tuple[int, tuple[int, str]]]: ...  # (id, (parent, name)) of every branch


NO_UNITS = UnitPart({}, {})


def _invalid(exc: Exception) -> Exception:
    return PtdvError("store.invalid", path="?", detail=f"{type(exc).__name__}: {exc}")


class Records(Mapping):
    """Records by id, each made from its document when first asked: opening a large catalogue costs what is
    read of it.  Iterating and ``len`` look at the ids only; ``values()`` and ``items()`` make every record.
    A document that cannot be read raises what ``invalid`` makes of the error (the store names the file)."""

    def __init__(self, docs: Mapping[str, Any], make: Callable[[int, Any], Any],
                 invalid: Callable[[Exception], Exception] = _invalid) -> None:
        self._docs = docs
        self._make = make
        self._invalid = invalid
        self._made: dict[int, Any] = {}

    @classmethod
    def of(cls, records: Mapping[int, Any] | None) -> "Records":
        """Records already made (a state built in memory)."""
        if isinstance(records, Records):
            return records
        return cls({str(k): v for k, v in (records or {}).items()}, lambda _, record: record)

    def __getitem__(self, key: object) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return type(key) is int and str(key) in self._docs

    def get(self, key: object, default: Any = None) -> Any:
        found = self._made.get(key)  # type: ignore[call-overload]
        if found is None:
            doc = self._docs.get(str(key)) if type(key) is int else None
            if doc is None:
                return default
            try:
                found = self._made[key] = self._make(key, doc)  # type: ignore[index]
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc
        return found

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def having(self, *keys: str) -> list[int]:
        """Ids of the records whose document has one of ``keys`` (a record made already: that field set), from
        the documents: no record is made."""
        return [int(k) for k, doc in self._docs.items()
                if (any(key in doc for key in keys) if isinstance(doc, dict) else any(getattr(doc, key, None)
                                                                                     for key in keys))]

    def parents(self) -> Iterator[tuple[int, int | None]]:
        """(id, parent) of each record, from the documents (``parent``; a record made already: its ``parent``,
        or the first field of a branch's (parent, name)): no record is made."""
        for key, doc in self._docs.items():
            try:
                parent = doc.get("parent") if isinstance(doc, dict) else doc[0] if isinstance(doc, tuple) else doc.parent
                yield int(key), None if parent is None else int(parent)
            except (TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc


class QuotaRecords(Mapping):
    """Quotas by (unit, year), each made from its document when first asked."""

    def __init__(self, docs: Collection[Any], invalid: Callable[[Exception], Exception] = _invalid) -> None:
        self._docs = docs
        self._invalid = invalid
        self._keyed: dict[tuple[int, int], Any] | None = None
        self._made: dict[tuple[int, int], Quota] = {}

    @classmethod
    def of(cls, quotas: Mapping[tuple[int, int], Quota] | None) -> "QuotaRecords":
        if isinstance(quotas, QuotaRecords):
            return quotas
        return cls(list((quotas or {}).values()))

    def _index(self) -> dict[tuple[int, int], Any]:
        if self._keyed is None:
            try:
                self._keyed = {(q.unit, q.year) if isinstance(q, Quota) else (int(q["unit"]), int(q["year"])): q
                               for q in self._docs}
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc
        return self._keyed

    def __getitem__(self, key: tuple[int, int]) -> Quota:
        found = self._made.get(key)
        if found is None:
            doc = self._index()[key]
            try:
                found = self._made[key] = doc if isinstance(doc, Quota) else Quota.from_doc(doc)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._index()

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._index())


class State:
    """Units, levels, quotas and settings; candidates through a :class:`CandidateSource`.

    The catalogue keeps the units above the last level (``units``, ``quotas`` given here) and only
    names those of the last level (``placed``: id -> (parent, name)); their records and quotas are
    in the part of their parent, read through ``unit_parts`` when asked.  So the tree, paths and
    unit search need the catalogue only, and a ward's figures read the ward's parts only.
    ``state.units``, ``state.quotas``, ``state.children`` and ``state.folded`` are mappings over both.
    """

    day: date | None = None  # the day the tree is seen on (:meth:`on`); None: as it stands, the units that did not end

    def __init__(self, settings: Settings, root: int | None, levels: dict[str, Level], units: Mapping[int, Unit],
                 quotas: Mapping[tuple[int, int], Quota],
                 candidates: Mapping[int, Candidate] | CandidateSource | None = None,
                 users: Mapping[str, User] | None = None,
                 placed: Mapping[int, tuple[int, str]] | None = None, unit_parts: UnitParts | None = None,
                 placed_periods: Mapping[int, Unit] | None = None,
                 visits: Mapping[int, tuple[int, ...]] | None = None) -> None:
        self.settings = settings
        self.users: dict[str, User] = dict(users or {})
        self.root = root
        self.levels = levels
        self.own_units = Records.of(units)
        self.own_quotas = QuotaRecords.of(quotas)
        self.placed = placed if isinstance(placed, Placed) else Records.of(placed)
        self.listed = self.placed  # the branches the catalogue itself names
        self.placed_periods = Records.of(placed_periods)  # units of the last level that have a period: its record
        self.visits: dict[int, tuple[int, ...]] = dict(visits or {})  # branch -> other parts holding its past
        self._unit_parts = unit_parts
        self._views: dict[date | None, State] = {None: self}
        self._links: dict[str, Any] = {}  # shared by the views (:meth:`links`, :meth:`ended_units`)
        if candidates is None or isinstance(candidates, Mapping):
            candidates = MemoryCandidates(candidates or {}, settings)
        self.source: CandidateSource = candidates
        self.candidates = CandidateMap(candidates)
        self.units = UnitMap(self)
        self.quotas = QuotaMap(self)
        self.folded = FoldedNames(self)
        self.children = Children(self)

    @classmethod
    def from_data(cls, data: dict, candidates: CandidateSource | None = None, unit_parts: UnitParts | None = None,
                  invalid: Callable[[Exception], Exception] = _invalid, *, indexed_branches: bool = False) -> "State":
        """The catalogue's tables as parsed from its file (meta, levels, units, quotas, placed, users, calendar).
        Units, quotas and branches are made as they are asked for (:class:`Records`); :meth:`validate` makes
        them all.  ``indexed_branches``: the catalogue's ``placed`` names only the branches with a period, the
        others are in the unit index of ``unit_parts`` (schema 5)."""
        meta = data.get("meta", {}).get("1") or {}
        levels = sorted((Level(str(d["id"]), str(d["vi"]), str(d["en"]), int(d["order"]))
                         for d in data.get("levels", {}).values()), key=lambda lv: lv.order)
        listed = Records(data.get("placed", {}), _place_of, invalid)
        users = users_from_docs(data.get("users", {}).values(), meta.get("created_by"), meta.get("root"))
        added = [CalendarEntry.from_store(doc) for doc in data.get("calendar", {}).values()]
        calendar = official_calendar().with_added(added) if added else None  # days an admin added (ptdv calendar)
        state = cls(settings=Settings.from_doc(meta.get("settings"), calendar), root=meta.get("root"),
                    levels={lv.id: lv for lv in levels}, units=Records(data.get("units", {}), Unit.from_doc, invalid),
                    quotas=QuotaRecords(data.get("quotas", {}).values(), invalid), candidates=candidates,
                    users=users, placed=Placed(listed, unit_parts) if indexed_branches else listed,
                    unit_parts=unit_parts, placed_periods=Records(_Dated(data.get("placed", {})), _placed_unit, invalid),
                    visits={int(i): tuple(doc["parts"]) for i, doc in data.get("visits", {}).items()})
        state.listed = listed
        return state

    def validate(self) -> None:
        """Make every record of the catalogue: ``store.invalid`` (or what the store makes of it) when one cannot
        be read."""
        for records in (self.own_units, self.own_quotas, self.listed, self.placed_periods):
            for _ in records.values():
                pass

    # -- the tree on a day --------------------------------------------------------------------
    def on(self, day: date | None) -> "State":
        """The same store seen on ``day``: the units that existed then, each under the parent it had then.
        Records, quotas and candidates are shared; views are kept, so asking again costs nothing."""
        view = self._views.get(day)
        if view is None:
            view = copy(self)
            view.day = day
            view.children = Children(view)
            self._views[day] = view
        return view

    def period(self, uid: int) -> Unit | None:
        """The record that holds unit ``uid``'s period (began, ended, earlier parents), if it has one."""
        return self.own_units.get(uid) or self.placed_periods.get(uid)

    def ended_units(self) -> list[Unit]:
        """Every unit that ended (whatever the view's day), from the catalogue (found once for every view)."""
        found = self._links.get("ended")
        if found is None:
            found = self._links["ended"] = [unit for records in (self.own_units, self.placed_periods)
                                            for unit in (records[uid] for uid in records.having("ended"))
                                            if unit.ended is not None]
        return found

    def predecessors(self, uid: int) -> list[int]:
        """The units that ended into unit ``uid`` (merged into it, or split with it as one of their successors)."""
        return sorted(u.id for u in self.ended_units() if uid in u.successors)

    def carrier(self, uid: int) -> int | None:
        """Where what happened at unit ``uid`` is counted on the view's day: the unit itself while it exists,
        else its successor (the first, for a split), followed until one that exists; None for a unit dissolved
        or not yet begun."""
        seen: set[int] = set()
        current: int | None = uid
        while current is not None and current not in seen:
            seen.add(current)
            if self.exists(current):
                return current
            unit = self.period(current)
            if unit is None or unit.ended is None or (self.day is not None and self.day < unit.ended):
                return None  # not yet begun on the day
            current = unit.successors[0] if unit.successors else None
        return None

    def carried(self, units: Collection[int]) -> dict[int, list[int]]:
        """For each of ``units``, the ended units whose counts it carries on the view's day (:meth:`carrier`)."""
        wanted = set(units)
        out: dict[int, list[int]] = {}
        for unit in self.ended_units():
            carrier = self.carrier(unit.id)
            if carrier in wanted and carrier != unit.id:
                out.setdefault(carrier, []).append(unit.id)
        return out

    def exists(self, uid: int) -> bool:
        """Whether unit ``uid`` exists on the view's day (without a day: has not ended)."""
        unit = self.period(uid)
        if unit is None:
            return uid in self.placed
        return unit.ended is None if self.day is None else unit.exists_on(self.day)

    # -- the two tiers of units ----------------------------------------------------------
    @property
    def last_level(self) -> str | None:
        """The level whose units (branches) have their records in their parent's part."""
        return next(reversed(self.levels), None)

    def level_below(self, level_id: str) -> str:
        """The level under ``level_id`` (the last level under itself, and under a level the store does not have)."""
        ids = list(self.levels)
        index = ids.index(level_id) if level_id in ids else len(ids) - 1
        return ids[min(index + 1, len(ids) - 1)]

    def parent_of(self, uid: int) -> int | None:
        """Unit ``uid``'s parent on the view's day."""
        unit = self.period(uid)
        if unit is not None:
            return unit.parent if self.day is None else unit.parent_on(self.day)
        place = self.placed.get(uid)
        return place[0] if place is not None else None

    def _current_parent(self, uid: int) -> int | None:
        unit = self.own_units.get(uid)
        if unit is not None:
            return unit.parent
        place = self.placed.get(uid)
        return place[0] if place is not None else None

    def name_of(self, uid: int) -> str:
        unit = self.own_units.get(uid)
        return unit.name if unit is not None else self.placed[uid][1]

    def part_units(self, pid: int) -> UnitPart:
        return self._unit_parts.part_units(pid) if self._unit_parts is not None else NO_UNITS

    def part_of(self, uid: int) -> int:
        """The part of the store that holds a branch's candidates: its parent's (a grassroots unit's), the parent
        it has now, whatever day the tree is seen on."""
        parent = self._current_parent(uid)
        return uid if parent is None else parent

    def unit_counts(self, units: Collection[int]) -> dict:
        return self.source.counts(units)

    # -- the tree -----------------------------------------------------------------------
    def unit(self, uid: int) -> Unit:
        try:
            return self.units[uid]
        except KeyError:
            raise PtdvError("unit.not_found", ref=str(uid)) from None

    def chain(self, uid: int) -> list[int]:
        """Ids from the root down to ``uid`` itself (each once, even in a hand-made cycle)."""
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = uid
        while current is not None and current in self.units and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.parent_of(current)
        return list(reversed(chain))

    def ancestors(self, uid: int) -> list[Unit]:
        """From the root down to ``uid`` itself."""
        return [self.units[u] for u in self.chain(uid)]

    def path(self, uid: int, sep: str = "/") -> str:
        return sep.join(self.name_of(u) for u in self.chain(uid))

    def subtree(self, uid: int, depth: int | None = None) -> list[int]:
        """``uid`` and every unit below it (``depth``: down to that many levels below it), parents before
        children; each once, even in a hand-made cycle.  The levels not asked for are not read (the branches of
        a grassroots unit are in its part)."""
        if depth is None:
            return walk(uid, lambda current: self.children.get(current, []))
        depths = {uid: 0}

        def kids(current: int) -> list[int]:
            if depths[current] >= depth:
                return []
            found = self.children.get(current, [])
            for kid in found:
                depths.setdefault(kid, depths[current] + 1)
            return found
        return walk(uid, kids)

    def every_under(self, uid: int) -> list[int]:
        """``uid`` and every unit below it by the parent each has now, those that ended too (:meth:`subtree`
        has those of the view's day only): parents before children, children in the order of ``children``."""
        kids: dict[int, list[int]] = {}
        for unit in self.units:
            parent = self._current_parent(unit)
            if parent is not None:
                kids.setdefault(parent, []).append(unit)
        return walk(uid, lambda current: sorted(kids.get(current, []), key=lambda k: (self.folded[k], k)))

    def is_leaf(self, uid: int) -> bool:
        """No unit under it.  A unit of the last level (the catalogue places it) never has one: said without
        finding who is under whom in the whole tree, which every save of a candidate asked (at metro scale,
        half of an ``advance``).  A unit the catalogue keeps a record of is above that level: not looked for among
        the branches (through a service, the first such look fetches every branch)."""
        return (uid not in self.own_units and uid in self.placed) or not self.children.of(uid)

    def is_grassroots_branch(self, unit_id: int, day: date | None = None) -> bool:
        """A chi bộ cơ sở: a branch that is itself the grassroots organisation, because the unit above it is of
        a level above grassroots (a district or city committee), or nothing is above it.  Its branch vote is
        followed by the competent committee's decision, with no grassroots committee vote between."""
        levels = self.levels
        if "grassroots" not in levels or unit_id not in self.units or not self.is_leaf(unit_id):
            return False
        unit = self.units[unit_id]
        parent = unit.parent_on(day) if day is not None else unit.parent
        if parent is None or parent not in self.units:
            return True
        above = levels.get(self.units[parent].level)
        return above is not None and above.order < levels["grassroots"].order

    def links(self) -> "Links":
        """Who is under whom among the records without a period, found once for every view of the store."""
        found = self._links.get("links")
        if found is None:
            dated_own = self.own_units.having(*PERIOD_KEYS)
            skip = set(dated_own)
            own: dict[int, list[int]] = {}
            for uid, parent in self.own_units.parents():
                if parent is not None and uid not in skip:
                    own.setdefault(parent, []).append(uid)
            dated_branches = set(self.placed_periods)
            listed = None
            if not isinstance(self.placed, Placed):  # the catalogue names every branch (schema 4 and before)
                listed = {}
                for uid, parent in self.placed.parents():
                    if uid not in dated_branches:
                        listed.setdefault(parent, []).append(uid)
            found = self._links["links"] = Links(own, dated_own, dated_branches, listed)
        return found

    def depth(self, uid: int) -> int:
        return len(self.chain(uid)) - 1

    def level_label(self, level_id: str, lang: str) -> str:
        level = self.levels.get(level_id)
        return level.label(lang) if level else level_id

    def candidates_under(self, uid: int) -> list[Candidate]:
        return self.source.of_units(self.subtree(uid))

    def candidate(self, cid: int) -> Candidate:
        cand = self.source.get(cid)
        if cand is None:
            raise PtdvError("candidate.not_found", ref=str(cid))
        return cand

    # -- naming a unit ------------------------------------------------------------------
    def resolve_unit(self, ref: str | int) -> Unit:
        """A unit by id, by path (``Sơn Trà/Phước Mỹ``) or by name, with or without diacritics.  When units of
        the same name existed at different times, the one existing on the view's day (without a day: the one
        that has not ended) is meant: an ended unit gives way to a living one of its name."""
        text = str(ref).strip()
        if not text:
            raise PtdvError("unit.not_found", ref="")
        if text.lstrip("#").isdigit() and int(text.lstrip("#")) in self.units:
            return self.units[int(text.lstrip("#"))]
        parts = [fold(p) for p in text.split("/") if p.strip()]
        if not parts:
            raise PtdvError("unit.not_found", ref=safe(text))
        matches: list[int] = []
        for tier in (_name_equals, _name_ends_with, _name_contains):
            matches = [uid for uid, name in self.folded.items() if self._matches_path(uid, name, parts, tier)]
            if not matches and len(parts) > 1:  # a unit's name may itself contain "/"
                whole = fold(text)
                matches = [uid for uid, name in self.folded.items() if tier(name, whole)]
            if matches:
                break
        if len(matches) > 1:  # units of one name at different times: the one existing on the view's day
            living = {self.folded[uid] for uid in matches if self.exists(uid)}
            matches = [uid for uid in matches if self.exists(uid) or self.folded[uid] not in living]
        if len(matches) == 1:
            return self.units[matches[0]]
        if not matches:
            raise PtdvError("unit.not_found", ref=safe(text))
        options = sorted(f"#{uid} {self.path(uid)}" for uid in matches)
        raise PtdvError("unit.ambiguous", ref=safe(text), matches="\n".join(options), count=len(matches))

    def _matches_path(self, uid: int, name: str, parts: list[str], tier) -> bool:
        """The last part names the unit, earlier parts name ancestors in order (gaps allowed)."""
        if not tier(name, parts[-1]):
            return False
        chain = [self.folded[u] for u in self.chain(uid)]
        position = 0
        for part in parts[:-1]:
            for index in range(position, len(chain) - 1):
                if _name_contains(chain[index], part):
                    position = index + 1
                    break
            else:
                return False
        return True

    def search_units(self, query: str, limit: int = 50) -> list[Unit]:
        """Units whose name contains every word of ``query``, diacritics ignored (the catalogue only)."""
        words = fold(query).split()
        found = [uid for uid, name in self.folded.items() if all(w in name for w in words)]
        found.sort(key=lambda u: (not self.folded[u].startswith(words[0]) if words else False, self.depth(u),
                                  self.folded[u]))
        return [self.units[u] for u in found[:limit]]

    def search_candidates(self, query: str, limit: int = 50,
                          units: Collection[int] | None = None) -> list[CandidateHit]:
        """Candidates (of ``units`` only, when given) whose name contains every word of ``query``,
        diacritics ignored; from the name index, so no part is read."""
        return self.source.names(fold(query).split(), limit, None if units is None else set(units))


def _place_of(uid: int, doc: dict) -> tuple[int, str]:
    """A branch's entry in the catalogue's ``placed``: (parent, name)."""
    return int(doc["parent"]), str(doc["name"])


def _placed_unit(uid: int, doc: dict) -> Unit:
    """The record of a branch that began, ended or moved on a date, as ``placed`` keeps it."""
    return Unit(uid, str(doc["name"]), "", int(doc["parent"]), **period_of(doc))


class Links(NamedTuple):
    """The tree's links among the records without a period (the same on every day), and the ids of those with
    one (where they are depends on the day)."""

    own: dict[int, list[int]]            # parent -> the units the catalogue keeps under it
    dated_own: list[int]
    dated_branches: set[int]
    listed: dict[int, list[int]] | None  # parent -> the branches the catalogue names (None: the unit index does)


class Placed(Mapping):
    """``state.placed`` of a store whose unit index names the branches (schema 5): the catalogue's entries (the
    branches with a period), and the others from the index file of their id when asked; iterating reads every
    index file."""

    def __init__(self, listed: Records, parts: UnitParts | None) -> None:
        self._listed = listed
        self._parts = parts

    def __getitem__(self, uid: object) -> tuple[int, str]:
        found = self.get(uid)
        if found is None:
            raise KeyError(uid)
        return found

    def get(self, uid: object, default: Any = None) -> Any:
        if uid in self._listed:
            return self._listed[uid]
        found = self._parts.branch(uid) if self._parts is not None and type(uid) is int else None
        return default if found is None else found

    def __contains__(self, uid: object) -> bool:
        return self.get(uid) is not None

    def __iter__(self) -> Iterator[int]:
        return (uid for uid, _ in self.items())

    def items(self) -> Iterator[tuple[int, tuple[int, str]]]:  # type: ignore[override]
        yield from self._listed.items()
        if self._parts is not None:
            yield from ((uid, place) for uid, place in self._parts.branches() if uid not in self._listed)

    def values(self) -> Iterator[tuple[int, str]]:  # type: ignore[override]
        return (place for _, place in self.items())

    def __len__(self) -> int:
        return sum(1 for _ in self.items())


class _Dated(Mapping):
    """The entries of ``placed`` with a period (a branch that began, ended or moved on a date)."""

    def __init__(self, placed: Mapping[str, dict]) -> None:
        self._placed = placed

    def __getitem__(self, key: str) -> dict:
        doc = self._placed[key]
        if not isinstance(doc, dict) or len(doc) <= 2:
            raise KeyError(key)
        return doc

    def __iter__(self) -> Iterator[str]:
        return (k for k, doc in self._placed.items() if not isinstance(doc, dict) or len(doc) > 2)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def walk(uid: int, children: Callable[[int], Collection[int]]) -> list[int]:
    """``uid`` and what ``children`` gives below it, depth first, parents before children, each once."""
    order, stack, seen = [], [uid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        stack.extend(reversed(children(current)))
    return order


def _name_equals(name: str, query: str) -> bool:
    return name == query


def _name_ends_with(name: str, query: str) -> bool:
    """``phuoc my`` names ``dang uy phuong phuoc my``: whole words at the end."""
    return name == query or name.endswith(" " + query)


def _name_contains(name: str, query: str) -> bool:
    return f" {query} " in f" {name} "


class UnitMap(Mapping):
    """``state.units``: every unit by id.  Those of the last level are made from their part's record when
    asked, with the name and parent the catalogue gives them (a record missing from its part reads as
    a unit without member figures; ``check`` reports it)."""

    def __init__(self, state: State) -> None:
        self._state = state

    def __getitem__(self, uid: int) -> Unit:
        state = self._state
        unit = state.own_units.get(uid)
        if unit is not None:
            return unit
        parent, name = state.placed[uid]
        kept = state.part_units(parent).units.get(uid)
        if kept is None:
            return Unit(uid, name, state.last_level or "", parent)
        if kept.name == name and kept.parent == parent:
            return kept
        return replace(kept, name=name, parent=parent)

    def __contains__(self, uid: object) -> bool:
        return uid in self._state.own_units or uid in self._state.placed

    def __iter__(self) -> Iterator[int]:
        yield from self._state.own_units
        yield from self._state.placed

    def __len__(self) -> int:
        return len(self._state.own_units) + len(self._state.placed)


class QuotaMap(Mapping):
    """``state.quotas``: by (unit, year); a unit of the last level has its quotas in its part."""

    def __init__(self, state: State) -> None:
        self._state = state

    def __getitem__(self, key: tuple[int, int]) -> Quota:
        state = self._state
        place = None if key[0] in state.own_units else state.placed.get(key[0])
        return state.own_quotas[key] if place is None else state.part_units(place[0]).quotas[key]

    def get(self, key: tuple[int, int], default: Any = None) -> Any:
        state = self._state
        place = None if key[0] in state.own_units else state.placed.get(key[0])
        if place is not None:
            return state.part_units(place[0]).quotas.get(key, default)
        return state.own_quotas[key] if key in state.own_quotas else default  # (no KeyError raised and caught)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        state = self._state
        yield from state.own_quotas
        for pid in sorted({parent for parent, _ in state.placed.values()}):
            yield from state.part_units(pid).quotas

    def __len__(self) -> int:
        return sum(1 for _ in self)


class FoldedNames(Mapping):
    """``state.folded``: each unit's name folded for search (lower case, no diacritics), made when first asked."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._folded: dict[int, str] = {}

    def __getitem__(self, uid: int) -> str:
        found = self._folded.get(uid)
        if found is None:
            if uid not in self._state.units:
                raise KeyError(uid)
            found = self._folded[uid] = fold(self._state.name_of(uid))
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._state.units)

    def __len__(self) -> int:
        return len(self._state.units)


class Children(Mapping):
    """``state.children``: each unit's children on the state's day (the units that existed then, under the
    parent they had then), sorted by folded name, from the catalogue alone."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._of: dict[int, list[int]] = {}
        self._dated: dict[int, list[int]] | None = None
        self._sorted: dict[int, list[int]] = {}

    def of(self, uid: int) -> list[int]:
        """Unit ``uid``'s children on the view's day, unsorted: those the catalogue keeps or names (:meth:`listed`),
        and when the unit index names the branches (schema 5), the branches whose records are in the part of
        ``uid`` (so a ward's tree reads that ward's part, not every branch of the city)."""
        found = self._of.get(uid)
        if found is None:
            state = self._state
            links = state.links()
            found = self.listed(uid)
            if links.listed is None:
                found += [b for b in state.part_units(uid).units if b not in links.dated_branches and b in state.placed]
            self._of[uid] = found
        return found

    def listed(self, uid: int) -> list[int]:
        """Unit ``uid``'s children that the catalogue gives, on the view's day: the units it keeps, the branches
        with a period, and (schema 4 and before) the other branches it names."""
        links = self._state.links()
        return [*links.own.get(uid, ()), *self._dated_kids().get(uid, ()),
                *(links.listed.get(uid, ()) if links.listed is not None else ())]

    def _dated_kids(self) -> dict[int, list[int]]:
        """The children of each unit among the units and branches that have a period, on the view's day."""
        if self._dated is None:
            state, day = self._state, self._state.day
            links = state.links()
            self._dated = {}
            for uid, unit in [*((u, state.own_units[u]) for u in links.dated_own),
                              *((u, state.placed_periods[u]) for u in links.dated_branches)]:
                if not (unit.exists_on(day) if day is not None else unit.ended is None):
                    continue
                parent = unit.parent_on(day) if day is not None else unit.parent
                if parent is not None:
                    self._dated.setdefault(parent, []).append(uid)
        return self._dated

    def __getitem__(self, uid: int) -> list[int]:
        found = self._sorted.get(uid)
        if found is None:
            if uid not in self._state.units:
                raise KeyError(uid)
            folded = self._state.folded
            found = self._sorted[uid] = sorted(self.of(uid), key=lambda k: (folded[k], k))
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._state.units)

    def __len__(self) -> int:
        return len(self._state.units)
