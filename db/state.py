"""The read model: the store's records indexed for the questions screens and commands ask."""
from __future__ import annotations

from heapq import nsmallest
from typing import TYPE_CHECKING, Collection, Iterator, Mapping, NamedTuple, Protocol

from tinydb import TinyDB

from .access import User, users_from_docs
from .errors import PtdvError
from .model import Candidate, Level, Quota, Settings, Unit
from .text import fold, safe

if TYPE_CHECKING:
    from .quota import UnitCounts


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


class CandidateSource(Protocol):
    """Where a read model gets candidates from: all in memory, or the store's parts loaded on demand."""

    def get(self, cid: int) -> Candidate | None: ...
    def of_units(self, units: Collection[int]) -> list[Candidate]: ...
    def all(self) -> list[Candidate]: ...
    def counts(self, units: Collection[int]) -> dict[int, "UnitCounts"]: ...
    def names(self) -> list["CandidateHit"]: ...  # every candidate, as the name index has it


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

    def all(self) -> list[Candidate]:
        return list(self._candidates.values())

    def counts(self, units: Collection[int]) -> dict:
        from .quota import count_candidates

        if self._counts is None:
            self._counts = count_candidates(self._candidates.values(), self._settings)
        return {u: self._counts[u] for u in units if u in self._counts}

    def names(self) -> list["CandidateHit"]:
        return [CandidateHit.of(c) for c in self._candidates.values()]


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


class State:
    """Units, levels, quotas and settings in memory; candidates through a :class:`CandidateSource`."""

    def __init__(self, settings: Settings, root: int | None, levels: dict[str, Level], units: dict[int, Unit],
                 quotas: dict[tuple[int, int], Quota],
                 candidates: Mapping[int, Candidate] | CandidateSource | None = None,
                 users: Mapping[str, User] | None = None) -> None:
        self.settings = settings
        self.users: dict[str, User] = dict(users or {})
        self.root = root
        self.levels = levels
        self.units = units
        self.quotas = quotas
        if candidates is None or isinstance(candidates, Mapping):
            candidates = MemoryCandidates(candidates or {}, settings)
        self.source: CandidateSource = candidates
        self.candidates = CandidateMap(candidates)
        self.folded = {uid: fold(u.name) for uid, u in units.items()}
        self.children: dict[int, list[int]] = {uid: [] for uid in units}
        for unit in sorted(units.values(), key=lambda u: (self.folded[u.id], u.id)):
            if unit.parent is not None and unit.parent in self.children:
                self.children[unit.parent].append(unit.id)

    @classmethod
    def from_db(cls, db: TinyDB, candidates: CandidateSource | None = None) -> "State":
        """The catalogue tables of a TinyDB (meta, levels, units, quotas, users) and a source of candidates."""
        meta = db.table("meta").get(doc_id=1) or {}
        levels = sorted((Level(str(d["id"]), str(d["vi"]), str(d["en"]), int(d["order"])) for d in db.table("levels")),
                        key=lambda lv: lv.order)
        units = {doc.doc_id: Unit.from_doc(doc.doc_id, doc) for doc in db.table("units")}
        quotas = {}
        for doc in db.table("quotas"):
            quota = Quota.from_doc(doc)
            quotas[(quota.unit, quota.year)] = quota
        users = users_from_docs(db.table("users"), meta.get("created_by"), meta.get("root"))
        return cls(settings=Settings.from_doc(meta.get("settings")), root=meta.get("root"),
                   levels={lv.id: lv for lv in levels}, units=units, quotas=quotas, candidates=candidates,
                   users=users)

    def part_of(self, uid: int) -> int:
        """The part of the store that holds a branch's candidates: its parent's (a grassroots unit's)."""
        unit = self.units.get(uid)
        return unit.parent if unit is not None and unit.parent is not None else uid

    def unit_counts(self, units: Collection[int]) -> dict:
        return self.source.counts(units)

    # -- the tree -----------------------------------------------------------------------
    def unit(self, uid: int) -> Unit:
        try:
            return self.units[uid]
        except KeyError:
            raise PtdvError("unit.not_found", ref=str(uid)) from None

    def ancestors(self, uid: int) -> list[Unit]:
        """From the root down to ``uid`` itself."""
        chain: list[Unit] = []
        seen: set[int] = set()
        current: int | None = uid
        while current is not None and current in self.units and current not in seen:
            seen.add(current)
            chain.append(self.units[current])
            current = self.units[current].parent
        return list(reversed(chain))

    def path(self, uid: int, sep: str = "/") -> str:
        return sep.join(u.name for u in self.ancestors(uid))

    def subtree(self, uid: int) -> list[int]:
        """``uid`` and every unit below it, parents before children; each once, even in a hand-made cycle."""
        order, stack, seen = [], [uid], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            order.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return order

    def is_leaf(self, uid: int) -> bool:
        return not self.children.get(uid)

    def depth(self, uid: int) -> int:
        return len(self.ancestors(uid)) - 1

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
        """A unit by id, by path (``Sơn Trà/Phước Mỹ``) or by name, with or without diacritics."""
        text = str(ref).strip()
        if not text:
            raise PtdvError("unit.not_found", ref="")
        if text.lstrip("#").isdigit() and int(text.lstrip("#")) in self.units:
            return self.units[int(text.lstrip("#"))]
        parts = [fold(p) for p in text.split("/") if p.strip()]
        if not parts:
            raise PtdvError("unit.not_found", ref=safe(text))
        matches: list[Unit] = []
        for tier in (_name_equals, _name_ends_with, _name_contains):
            matches = [u for u in self.units.values() if self._matches_path(u.id, parts, tier)]
            if not matches and len(parts) > 1:  # a unit's name may itself contain "/"
                whole = fold(text)
                matches = [u for u in self.units.values() if tier(self.folded[u.id], whole)]
            if matches:
                break
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise PtdvError("unit.not_found", ref=safe(text))
        options = sorted(f"#{u.id} {self.path(u.id)}" for u in matches)
        raise PtdvError("unit.ambiguous", ref=safe(text), matches="\n".join(options), count=len(matches))

    def _matches_path(self, uid: int, parts: list[str], tier) -> bool:
        """The last part names the unit, earlier parts name ancestors in order (gaps allowed)."""
        chain = [self.folded[u.id] for u in self.ancestors(uid)]
        if not chain or not tier(chain[-1], parts[-1]):
            return False
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
        """Units whose name contains every word of ``query``, diacritics ignored."""
        words = fold(query).split()
        found = [uid for uid, name in self.folded.items() if all(w in name for w in words)]
        found.sort(key=lambda u: (not self.folded[u].startswith(words[0]) if words else False, self.depth(u),
                                  self.folded[u]))
        return [self.units[u] for u in found[:limit]]

    def search_candidates(self, query: str, limit: int = 50,
                          units: Collection[int] | None = None) -> list[CandidateHit]:
        """Candidates (of ``units`` only, when given) whose name contains every word of ``query``,
        diacritics ignored; from the name index, so no part is read."""
        found = self.source.names()
        if units is not None:
            wanted = set(units)
            found = [hit for hit in found if hit.unit in wanted]
        for word in sorted(fold(query).split(), key=len, reverse=True):  # the longest narrows the most
            found = [hit for hit in found if word in hit.folded]
        return nsmallest(limit, found, key=lambda hit: (hit.folded, hit.id))


def _name_equals(name: str, query: str) -> bool:
    return name == query


def _name_ends_with(name: str, query: str) -> bool:
    """``phuoc my`` names ``dang uy phuong phuoc my``: whole words at the end."""
    return name == query or name.endswith(" " + query)


def _name_contains(name: str, query: str) -> bool:
    return f" {query} " in f" {name} "
