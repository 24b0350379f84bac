"""The parts: one TinyDB file per grassroots unit N (``<store>.parts/p<N>.json``) holding the records, quotas and
candidates of its branches; the candidate index and the unit index that say what each holds; and the candidate
id counter (``counters.json``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Collection, Iterator

import orjson
from tinydb.table import Document

from ..errors import PtdvError
from ..model import Candidate, Quota, Unit
from ..state import UnitPart
from .files import PART_TABLES, SCHEMA_VERSION, Layout, TinyFile, file_signature, parse
from .index import CANDIDATES, UNITS, Blocks

STATS_BEFORE_LISTING = 512  # units whose parts are looked for one stat each; more: the folder is listed


class PartFile(TinyFile):
    """A part (``p<N>.json``) held in memory: its candidates and unit records made as asked, and kept while only
    :meth:`put_candidate` and :meth:`remove_candidates` change it."""

    def __init__(self, path: Path, data: dict, signature: tuple[int, int, int] | None,
                 damaged: Callable[[PtdvError], PtdvError] = lambda err: err) -> None:
        self.damaged = damaged
        self._candidates: dict[int, Candidate] | None = None
        self._units: UnitPart | None = None
        self.changed_units: set[int] | None = set()  # whose candidates changed since the last write (None: unknown)
        super().__init__(path, data, signature)

    def touched(self) -> None:
        super().touched()
        self._candidates = self._units = None
        self.changed_units = None

    def put_candidate(self, cid: int, doc: dict) -> None:
        """Insert or replace one candidate, keeping the candidates parsed so far and noting whose counts change."""
        kept, changed, units = self._candidates, self.changed_units, self._units
        table = self.db.table("candidates")
        if table.contains(doc_id=cid):  # replaced whole: upsert would keep a key the new record no longer has
            table.update(lambda record: (record.clear(), record.update(doc)), doc_ids=[cid])  # forgets them
        else:
            table.insert(Document(doc, doc_id=cid))  # forgets them (touched)
        self._units = units
        if kept is not None and changed is not None:
            before = kept.get(cid)
            kept[cid] = Candidate.from_doc(cid, doc)
            self._candidates = kept
            self.changed_units = changed | {kept[cid].unit} | ({before.unit} if before else set())

    def remove_candidates(self, ids: list[int]) -> None:
        kept, changed, units, gone = self._candidates, self.changed_units, self._units, set(ids)
        self.db.table("candidates").remove(doc_ids=ids)
        self._units = units
        if kept is not None and changed is not None:
            self.changed_units = changed | {kept[i].unit for i in gone if i in kept}
            self._candidates = {i: c for i, c in kept.items() if i not in gone}

    def _invalid(self, exc: Exception) -> PtdvError:
        return self.damaged(PtdvError("store.invalid", path=str(self.path), detail=f"{type(exc).__name__}: {exc}"))

    def candidate(self, cid: int) -> Candidate | None:
        """One candidate of the part, made alone unless they all were (a due list's few candidates of many
        parts)."""
        if self._candidates is not None:
            return self._candidates.get(cid)
        doc = self.data["candidates"].get(str(cid))
        try:
            return None if doc is None else Candidate.from_doc(cid, doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._invalid(exc) from exc

    def candidates(self) -> dict[int, Candidate]:
        if self._candidates is None:
            try:
                self._candidates = {int(i): Candidate.from_doc(int(i), doc)
                                    for i, doc in self.data["candidates"].items()}
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc
        return self._candidates

    def unit_part(self) -> UnitPart:
        """A part's units of the last level and their quotas."""
        if self._units is None:
            try:
                self._units = unit_part(self.data["units"], self.data["quotas"].values())
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise self._invalid(exc) from exc
        return self._units


def unit_part(units: dict, quotas) -> UnitPart:
    """The unit records and quotas of a part (or of its summary) as the read model holds them."""
    found = {}
    for doc in quotas:
        quota = Quota.from_doc(doc)
        found[(quota.unit, quota.year)] = quota
    return UnitPart({int(i): Unit.from_doc(int(i), doc) for i, doc in units.items()}, found)


def is_part_name(name: str) -> bool:
    """Whether a file of the parts folder is a part (``p<N>.json``)."""
    return name.startswith("p") and name.endswith(".json") and name[1:-5].isdigit()


class Parts:
    """The parts of a store as they are on disk, read on demand and kept while their (inode, size, mtime) stay the
    same; the two indexes; the counter.  ``seen``: the news the store last saw (the index files and the listing
    of the parts are looked at again after each); ``damaged`` words the error of a file that cannot be read."""

    def __init__(self, layout: Layout, *, seen: Callable[[], tuple | None],
                 damaged: Callable[[PtdvError], PtdvError]) -> None:
        self.layout = layout
        self.seen = seen
        self.damaged = damaged
        self.files: dict[int, PartFile] = {}
        self.located: dict[int, int] = {}  # candidate id -> part id, where it was last seen
        self.index = Blocks(layout, CANDIDATES, seen, damaged)  # the candidate index: id -> part
        self.units = Blocks(layout, UNITS, seen, damaged)  # the unit index: a branch's id -> (parent, name)
        self._listed: tuple[tuple | None, set[int]] = (None, set())

    def path(self, pid: int) -> Path:
        return self.layout.parts_dir / f"p{pid}.json"

    def existing(self) -> list[int]:
        try:
            names = os.listdir(self.layout.parts_dir)
        except FileNotFoundError:
            return []
        return sorted(int(n[1:-5]) for n in names if is_part_name(n))

    def parts_among(self, units: Collection[int]) -> set[int]:
        """The units among ``units`` that have a part: a stat of each of a few (a ward's branches), else a listing
        of the parts folder (~5,500 names at metro scale), once after each change the store sees."""
        seen = self.seen()
        if self._listed[0] != seen and len(units) <= STATS_BEFORE_LISTING:
            folder = f"{self.layout.parts_dir}{os.sep}p"
            return {uid for uid in units if os.path.exists(f"{folder}{uid}.json")}
        if self._listed[0] != seen:
            self._listed = (seen, set(self.existing()))
        return self._listed[1].intersection(units)

    def file(self, pid: int) -> PartFile | None:
        """Part ``pid`` as it is on disk now (one stat when it has not changed)."""
        path = self.path(pid)
        signature = file_signature(path)
        cached = self.files.get(pid)
        if cached is not None and (cached.signature == signature or cached.dirty):
            return cached
        if signature is None:
            self.files.pop(pid, None)
            return None
        self.layout.refuse_public([path])  # first: a file of the wrong group is said as such, not as unreadable
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(path), detail=exc.strerror or str(exc)) from exc
        try:
            loaded = PartFile(path, parse(path, raw, PART_TABLES), signature, self.damaged)
            loaded.unit_part()  # a part whose unit records cannot be read is damaged, whatever is asked of it
        except PtdvError as err:
            raise self.damaged(err) from err
        self.files[pid] = loaded
        return loaded

    def new_file(self, pid: int) -> PartFile:
        data = {"meta": {"1": {"schema": SCHEMA_VERSION, "part": pid}}, **{t: {} for t in PART_TABLES[1:]}}
        created = PartFile(self.path(pid), data, None)
        self.files[pid] = created
        return created

    def forget(self, pids: Collection[int] | None = None) -> None:
        for pid in list(self.files) if pids is None else pids:
            self.files.pop(pid, None)

    def candidate(self, pid: int, cid: int) -> Candidate | None:
        """Candidate ``cid`` if part ``pid`` holds it."""
        part = self.file(pid)
        return part.candidate(cid) if part is not None else None

    def candidates_in(self, where: dict[int, int]) -> dict[int, Candidate]:
        """The candidates of ``where`` (id -> the part to look in) that those parts hold, each part read once; a part
        not held before is not kept (a due list of the city reads a few candidates of hundreds of parts: kept, they
        held hundreds of megabytes, and the collector's passes over them cost more than reading them)."""
        wanted: dict[int, list[int]] = {}
        for cid, pid in where.items():
            wanted.setdefault(pid, []).append(cid)
        found: dict[int, Candidate] = {}
        for pid, cids in wanted.items():
            kept = pid in self.files
            part = self.file(pid)
            if part is None:
                continue
            for cid in cids:
                cand = part.candidate(cid)
                if cand is not None:
                    found[cid] = cand
                    self.located[cid] = pid
            if not kept and not part.dirty:
                self.forget([pid])
        return found

    # -- the unit index (schema 5): a branch's parent and name, by its id -----------------------------
    def branch(self, uid: int) -> tuple[int, str] | None:
        return self.units.get(uid)

    def branches(self) -> Iterator[tuple[int, tuple[int, str]]]:
        """Every entry of the unit index: (branch id, (parent, name))."""
        for block in self.units.blocks():
            yield from self.units.block(block).items()

    # -- the counter --------------------------------------------------------------------------------
    def counters(self) -> dict:
        """``counters.json``: the candidate id counter (``next_candidate``, the highest id given)."""
        path = self.layout.counters_path
        try:
            return dict(orjson.loads(path.read_bytes()))
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise self.damaged(PtdvError("store.damaged", path=str(path), detail=str(exc))) from exc
