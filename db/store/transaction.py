"""One write to the store, under its lock: what the caller changes, put where each record belongs (the catalogue, a
grassroots unit's part, the indexes), written by the store in one commit (``Store.transaction``).

The writes are typed: a record of each kind has its own call, so that the files' tables are named here only.  One
record is given as the model's object (``put_candidate``, ``put_unit``, ``put_quota``); many at once (a bulk build,
an import) as the documents the files keep, by id, made by the caller without an object for each."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Collection, Iterable, Mapping

import orjson
from tinydb import TinyDB, where
from tinydb.table import Document

from ..access import User
from ..errors import PtdvError
from ..model import PERIOD_KEYS, Candidate, Quota, Settings, Unit
from ..state import State
from ..workdays import CalendarEntry
from .files import INDEXED_SCHEMA, SCHEMA_VERSION, SPLIT_SCHEMA, TinyFile, file_signature
from .index import Edits
from .parts import PartFile, Parts
from .summaries import Summaries


class Transaction:
    """What one write sees under the lock: the read model (``state``) as it was when the write began, the account
    it is made for (``user``) and its time (``at``), and the calls that change records.  ``audit`` records what
    changed, one entry per change, in the same commit."""

    def __init__(self, catalogue: TinyFile, state: State, parts: Parts, summaries: Summaries, *, by: str,
                 at: str) -> None:
        self._catalogue = catalogue
        self._db: TinyDB = catalogue.db
        self._parts = parts
        self._summaries = summaries
        self.user = by
        self.at = at
        self.state = state
        self.part_files: dict[int, PartFile] = {}  # the parts this write read, by id
        self.counters: dict | None = None
        self.counters_changed = False
        self.sizes: dict[int, int] = {}  # part -> its candidates when this write first read it
        self.index = Edits(parts.index)  # the candidate index: id -> part
        self.branches = Edits(parts.units)  # the unit index: a branch's id -> (parent, name)
        self.entries: list[dict] = []

    # -- ids -----------------------------------------------------------------------------
    def _counters(self) -> dict:
        if self.counters is None:
            self.counters = self._parts.counters()
        return self.counters

    def _index(self, cid: int, pid: int) -> None:
        """Candidate ``cid`` is in part ``pid`` now: its index entry, and the counter never below its id, are
        written with the part, in the same commit."""
        self.index.set(cid, pid)
        self._count_up_to(cid)

    def _count_up_to(self, cid: int) -> None:
        counters = self._counters()
        if cid > int(counters.get("next_candidate", 0)):
            counters["next_candidate"] = cid
            self.counters_changed = True

    def new_candidate_id(self) -> int:
        """The id of a new candidate: one above the counter (``counters.json``), or above every id in use when the
        counter file was lost or lowered by hand."""
        value = int(self._counters().get("next_candidate", 0)) + 1
        if self.index.get(value) is not None:  # in use: the counter file was lost or lowered by hand
            taken = [max(entries) for entries in self.index.read.values() if entries]
            value = max(value, self.index.blocks.last() + 1, *(n + 1 for n in taken))
        self.counters["next_candidate"] = value
        self.counters_changed = True
        return value

    def new_unit_id(self) -> int:
        """The id of a new unit: one above the catalogue's counter, or above every unit when it was lowered by
        hand."""
        meta = self._db.table("meta")
        value = int(meta.get(doc_id=1).get("next_unit", 0))
        if self._unit_doc(value + 1) is not None or value + 1 in self.state.units:
            value = max(value, max(self.state.units, default=0))  # in use: the counter was lowered by hand
        meta.update({"next_unit": value + 1}, doc_ids=[1])
        return value + 1

    # -- records -------------------------------------------------------------------------
    def _part(self, pid: int) -> PartFile:
        if pid not in self.part_files:
            part = self._parts.file(pid)
            if part is not None:
                part.candidates()  # a part holding a record ptdv cannot read is refused, never written over
            self.part_files[pid] = part or self._parts.new_file(pid)
            self.sizes[pid] = len(self.part_files[pid].data["candidates"])
        return self.part_files[pid]

    def check_sizes(self, limit: int) -> None:
        """Refuse a write that leaves a part with more candidates than ``limit`` when it added some (one already
        past it may still be changed): ``store.part_full`` naming its unit and the limit."""
        for pid, part in self.part_files.items():
            count = len(part.data["candidates"])
            if count > limit and count > self.sizes[pid]:
                name = self.state.units[pid].name if pid in self.state.units else str(pid)
                raise PtdvError("store.part_full", unit=name, count=count, limit=limit)

    def put_candidate(self, cand: Candidate) -> None:
        """Add or replace a candidate, in the part of its branch (moved there from another part when its branch
        is in another one now)."""
        doc = cand.to_doc()
        cid = cand.id
        pid = self.part_of(int(doc["unit"]))
        before = self.state.source.get(cid)
        if before is not None:
            old = self.part_of(before.unit)
            if old != pid:
                self._part(old).remove_candidates([cid])
        self._part(pid).put_candidate(cid, doc)
        self._parts.located[cid] = pid
        self._index(cid, pid)
        self._note_visits(pid, [doc])

    def put_unit(self, unit: Unit) -> None:
        """Add or replace a unit where its record belongs: a branch in its parent's part (with its quotas and its
        candidates when it moved under another grassroots unit), any other unit in the catalogue."""
        doc = unit.to_doc()
        self._relocate_if_moved(unit.id, doc)
        before, pid = self._home(unit.id), self.placed_in(doc)
        self._place_at(unit.id, None if pid is None else _place(pid, doc))
        after = self._db if pid is None else self._part(pid).db
        if before is not after:
            moving = before.table("quotas").search(where("unit") == unit.id)
            before.table("quotas").remove(doc_ids=[q.doc_id for q in moving])
            if before.table("units").contains(doc_id=unit.id):
                before.table("units").remove(doc_ids=[unit.id])
            after.table("quotas").insert_multiple(dict(q) for q in moving)
        after.table("units").upsert(Document(doc, doc_id=unit.id))

    def put_quota(self, quota: Quota) -> None:
        """Set a unit's quota for a year (one record per unit and year), where the unit's record is kept."""
        doc = quota.to_doc()
        table = self._home(int(doc["unit"])).table("quotas")
        existing = [d.doc_id for d in table.search((where("unit") == doc["unit"]) & (where("year") == doc["year"]))]
        if existing:
            table.update(doc, doc_ids=existing)
        else:
            table.insert(doc)

    def add_candidates(self, docs: Mapping[int, dict]) -> None:
        """New candidates (``Candidate.to_doc()`` by id), in one update per part (bulk builds and imports)."""
        by_home: dict[int, dict[int, dict]] = {}
        for cid, doc in docs.items():
            by_home.setdefault(self.part_of(int(doc["unit"])), {})[cid] = doc
        for pid, group in by_home.items():
            self._part(pid).db.table("candidates").insert_multiple(Document(d, doc_id=i) for i, d in group.items())
            for cid in group:
                self._index(cid, pid)
            self._note_visits(pid, group.values())

    def add_units(self, docs: Mapping[int, dict]) -> None:
        """New units (``Unit.to_doc()`` by id), in one update per file (bulk builds and imports)."""
        by_home: dict[int | None, dict[int, dict]] = {}
        for uid, doc in docs.items():
            by_home.setdefault(self.placed_in(doc), {})[uid] = doc
        for pid, group in by_home.items():
            for uid, doc in group.items() if pid is not None else ():
                self._place_at(uid, _place(pid, doc))
        for pid, group in by_home.items():
            target = self._db if pid is None else self._part(pid).db
            target.table("units").insert_multiple(Document(d, doc_id=i) for i, d in group.items())

    def add_quotas(self, docs: Iterable[dict]) -> None:
        """New quotas (``Quota.to_doc()``), in one update per file (bulk builds and imports)."""
        by_home: dict[int, tuple[TinyDB, list[dict]]] = {}
        for doc in docs:
            home = self._home(int(doc["unit"]))
            by_home.setdefault(id(home), (home, []))[1].append(doc)
        for home, group in by_home.values():
            home.table("quotas").insert_multiple(group)

    def set_users(self, users: Iterable[User]) -> None:
        """The store's accounts and their grants, all of them, in this order."""
        table = self._db.table("users")
        table.truncate()
        table.insert_multiple(user.to_doc() for user in users)

    def set_root(self, uid: int) -> None:
        """Unit ``uid`` is the store's top unit, and this write's account the store's creator (``init``)."""
        self._db.table("meta").update({"root": uid, "created_by": self.user}, doc_ids=[1])

    def set_settings(self, settings: Settings) -> None:
        """The store's settings (no command sets them: an administrator edits them)."""
        self._db.table("meta").update({"settings": settings.to_doc()}, doc_ids=[1])

    def add_calendar_day(self, entry: CalendarEntry) -> None:
        """A day an administrator added to the official calendar."""
        self._db.table("calendar").insert(entry.to_store())

    def remove_calendar_day(self, day: date) -> None:
        """Take out the days added for ``day``."""
        table = self._db.table("calendar")
        table.remove(doc_ids=[d.doc_id for d in table if d.get("date") == day.isoformat()])

    def audit(self, action: str, target: str, unit: int | None, before: dict | None, after: dict | None) -> None:
        self.entries.append({"at": self.at, "by": self.user, "action": action, "target": target,
                             "unit": unit, "before": before, "after": after})

    # -- where records belong ------------------------------------------------------------
    def _unit_doc(self, uid: int) -> dict | None:
        """Unit ``uid`` as this transaction sees it: the catalogue's record, or a branch's entry (:meth:`placed`)."""
        return self._db.table("units").get(doc_id=uid) or self.placed(uid)

    def placed(self, uid: int) -> dict | None:
        """Branch ``uid``'s entry as this transaction sees it (parent, name, period): the catalogue's ``placed``
        for a branch with a period, else the unit index."""
        doc = self._db.table("placed").get(doc_id=uid)
        if doc is not None:
            return doc
        entry = self.branches.get(uid)
        return None if entry is None else {"parent": entry[0], "name": entry[1]}

    def _place_at(self, uid: int, place: dict | None) -> None:
        """Branch ``uid``'s entry is ``place`` now (None: it is no branch): in the catalogue's ``placed`` when it
        has a period, else in the unit index; each file is written only when it changes."""
        table = self._db.table("placed")
        dated = place is not None and len(place) > 2
        if dated and table.get(doc_id=uid) != place:
            table.upsert(Document(place, doc_id=uid))
        elif not dated and table.contains(doc_id=uid):
            table.remove(doc_ids=[uid])
        self.branches.set(uid, (int(place["parent"]), str(place["name"])) if place is not None and not dated else None)

    def part_of(self, uid: int) -> int:
        """Like ``State.part_of``, but seeing the units this transaction has just added or moved."""
        doc = self._unit_doc(uid)
        return uid if doc is None or doc.get("parent") is None else int(doc["parent"])

    def placed_in(self, doc: dict) -> int | None:
        """The part that keeps a unit's record: its parent's for a unit of the last level, else none
        (the catalogue keeps it)."""
        if doc.get("level") == self.state.last_level and doc.get("parent") is not None:
            return int(doc["parent"])
        return None

    def _home(self, uid: int) -> TinyDB:
        """The file that keeps unit ``uid``'s record and quotas."""
        place = self.placed(uid)
        return self._db if place is None else self._part(int(place["parent"])).db

    def _note_visits(self, pid: int, docs: Collection[dict]) -> None:
        """Candidates transferred from a branch whose records live in another part keep counting there
        (docs/HISTORY.md): the catalogue's ``visits`` names, for such a branch, the parts that hold them, so
        that its figures read those parts too."""
        for doc in docs:
            for move in doc.get("moves") or ():
                for branch in (int(move["from"]), int(move["to"])):
                    if self.part_of(branch) == pid:
                        continue
                    table = self._db.table("visits")
                    parts = set((table.get(doc_id=branch) or {}).get("parts", ()))
                    if pid not in parts:
                        table.upsert(Document({"parts": sorted(parts | {pid})}, doc_id=branch))

    def _relocate_if_moved(self, uid: int, doc: dict) -> None:
        """A branch moved under another grassroots unit takes its candidates to that unit's part."""
        unit = self.state.units.get(uid)
        new_parent = doc.get("parent")
        if unit is None or unit.parent == new_parent or new_parent is None or not self.state.is_leaf(uid):
            return
        moving = self.state.source.of_units([uid])
        if not moving:
            return
        ids = [c.id for c in moving]
        docs = [c.to_doc() for c in moving]
        self._part(unit.parent).db.table("candidates").remove(doc_ids=ids)
        self._part(int(new_parent)).db.table("candidates").insert_multiple(
            Document(doc, doc_id=c.id) for c, doc in zip(moving, docs))
        self._parts.located.update((c.id, int(new_parent)) for c in moving)  # found where they are now
        for cand in moving:
            self._index(cand.id, int(new_parent))
        self._note_visits(int(new_parent), [doc for doc in docs if doc.get("moves")])

    # -- an older store ------------------------------------------------------------------
    def upgrade(self) -> None:
        """An older store is brought to this schema in its first write after the upgrade, in the same commit
        as the change asked for, and logged (``store.upgrade``).  Schema 2 kept every unit in its catalogue:
        those of the last level and their quotas move into their parents' parts.  Schema 3 had no candidate
        index: it is made from the parts' summaries (once: a look at every part)."""
        meta = self._db.table("meta")
        schema = int(meta.get(doc_id=1)["schema"])
        if schema >= SCHEMA_VERSION:
            return
        after: dict = {"schema": SCHEMA_VERSION}
        if schema < 3:
            units, quotas = self._db.table("units"), self._db.table("quotas")
            moving = {doc.doc_id: doc for doc in units if self.placed_in(doc) is not None}
            kept_quotas = [q for q in quotas if q["unit"] in moving]
            units.remove(doc_ids=list(moving))
            quotas.remove(doc_ids=[q.doc_id for q in kept_quotas])
            self.add_units({uid: dict(doc) for uid, doc in moving.items()})
            self.add_quotas([dict(q) for q in kept_quotas])
            after["units"] = len(moving)
        if schema < INDEXED_SCHEMA:
            after["candidates"] = self._reindex()
        if schema < SPLIT_SCHEMA:  # the branches without a period go from the catalogue to the unit index
            table = self._db.table("placed")
            moving = [doc for doc in table if len(doc) <= 2]
            table.remove(doc_ids=[doc.doc_id for doc in moving])
            for doc in moving:
                self._place_at(doc.doc_id, dict(doc))
            after["branches"] = len(moving)
        meta.update({"schema": SCHEMA_VERSION}, doc_ids=[1])
        self.audit("store.upgrade", "store", None, {"schema": schema}, after)

    def _reindex(self) -> int:
        """Write the whole candidate index again from the parts (through their summaries, made again from a
        part that changed since), dropping entries no part holds; the counter is raised to the highest id.
        Returns how many candidates it indexes."""
        held = self._summaries.held()
        for block, entries in self.index.blocks.remade(held).items():
            self.index.replace(block, entries)
        self._count_up_to(max(held, default=0))
        return len(held)

    # -- the commit (Store) --------------------------------------------------------------
    def files(self) -> dict[Path, bytes]:
        """Every file this write changed, as it is to be written: the counter, the index files, each part (its
        revision counted up), the catalogue."""
        files: dict[Path, bytes] = {}
        if self.counters_changed:
            files[self._parts.layout.counters_path] = orjson.dumps(self.counters)
        files.update(self.index.files())
        files.update(self.branches.files())
        for part in self.part_files.values():
            if part.dirty:
                meta = part.data["meta"]["1"]
                meta["rev"], meta["schema"] = int(meta.get("rev", 0)) + 1, SCHEMA_VERSION
                files[part.path] = orjson.dumps(part.data)
        if self._catalogue.dirty:
            files[self._catalogue.path] = orjson.dumps(self._catalogue.data)
        return files

    def written(self) -> list[tuple[PartFile, tuple | None]]:
        """Once its files are in place: the parts and index files this session holds are those written.  Returns
        the parts written, each with the (inode, size, mtime) it was read with."""
        written = [(part, part.signature) for part in self.part_files.values() if part.dirty]
        for part, _ in written:
            part.dirty = False
            part.signature = file_signature(part.path)
        self.index.written()
        self.branches.written()
        return written


def _place(parent: int, doc: dict) -> dict:
    """A branch's entry: its parent, its name and its period (see docs/HISTORY.md), so that the tree of any day
    needs no part; kept in the catalogue's ``placed`` when it has a period, else in the unit index."""
    return {"parent": parent, "name": doc["name"], **{k: doc[k] for k in PERIOD_KEYS if k in doc}}
