"""What ``ptdv check`` finds of the store's files — a file that cannot be read (with the newest backup of it that
can), a file unlike what the audit trail recorded, a cache that claims to match its part but does not, indexes that
disagree with the parts — and what ``restore`` and ``check --repair`` write to put files back (see docs/STORE.md,
"Backups, restore, repair")."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Mapping

import orjson

from ..errors import PtdvError
from .audit import AuditLog
from .backups import Backups, Damage, DamagedFile, Version
from .commit import DELETE
from .files import (CATALOGUE, CATALOGUE_TABLES, INDEXED_SCHEMA, PART_TABLES, Layout, file_signature, parse,
                    read_or_none, write_tmp)
from .index import CANDIDATES, kind_of
from .parts import PartFile, Parts, is_part_name
from .source import read_model
from .summaries import Summaries


def check_readable(layout: Layout, name: str, raw: bytes) -> None:
    """Raise the error a read of file ``name`` (its name in the pending and backup folders) holding ``raw`` would
    give, if any."""
    path = layout.target(name)
    if name == CATALOGUE:
        read_model(path, parse(path, raw, CATALOGUE_TABLES), None, whole=True)
    elif path == layout.counters_path:
        try:
            dict(orjson.loads(raw))
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise PtdvError("store.damaged", path=str(path), detail=str(exc)) from exc
    elif (kind := kind_of(name)) is not None:
        kind.entries(path, raw)
    else:
        part = PartFile(path, parse(path, raw, PART_TABLES), None)
        part.candidates()
        part.unit_part()


def newest_good(layout: Layout, backups: Backups, name: str) -> Version | None:
    """The newest backup of file ``name`` that can be read."""
    for version, copies in reversed(backups.listing().items()):
        try:
            check_readable(layout, name, copies[name].read_bytes())
        except (KeyError, OSError, PtdvError):
            continue
        return version
    return None


def damaged(layout: Layout, backups: Backups, err: PtdvError) -> PtdvError:
    """``err`` about a file of the store, saying which backup of that file can be read (:class:`DamagedFile`)."""
    path = Path(str(err.params.get("path", "")))
    if isinstance(err, DamagedFile) or (path != layout.path and path.parent != layout.parts_dir):
        return err
    return DamagedFile(err, newest_good(layout, backups, layout.pending_name(path)), layout.path)


class Repair:
    """The checks of a store's files and what puts them back, over the parts and summaries a session holds."""

    def __init__(self, layout: Layout, log: AuditLog, backups: Backups, parts: Parts, summaries: Summaries) -> None:
        self.layout = layout
        self.log = log
        self.backups = backups
        self.parts = parts
        self.summaries = summaries

    def damage(self) -> list[Damage]:
        """Every file of the store that cannot be read, with what would replace it: reads the whole store."""
        layout, parts = self.layout, self.parts
        found: list[Damage] = []
        names = [CATALOGUE, layout.counters_path.name, *(parts.path(p).name for p in parts.existing()),
                 *(blocks.path(b).name for blocks in (parts.index, parts.units) for b in blocks.blocks())]
        for name in names:
            path = layout.target(name)
            try:
                check_readable(layout, name, path.read_bytes())
            except FileNotFoundError:
                continue
            except OSError as exc:
                found.append(Damage(path, PtdvError("store.unreadable", path=str(path), detail=exc.strerror or str(exc)),
                                    None, name))
            except PtdvError as err:
                found.append(Damage(path, err, newest_good(layout, self.backups, name), name))
        audit = layout.audit_path
        try:
            every, committed = len(self.log.entries()), len(self.log.since(0))
            raw = read_or_none(audit) or b""
        except PtdvError as err:
            found.append(Damage(audit, err, None, None))
        else:
            if raw and not raw.endswith(b"\n"):
                found.append(Damage(audit, PtdvError("backup.audit_unfinished", path=str(audit)), None, None, cut=True))
            if every > committed:
                found.append(Damage(audit, PtdvError("backup.audit_uncommitted", path=str(audit),
                                                     count=every - committed), None, None, cut=True))
        return found

    def drift(self) -> list[tuple[str, dict]]:
        """What differs from what ptdv wrote, as (message key, params): a file unlike the hash the audit trail
        recorded for it at the last write that put it in place (changed, removed or put back by hand), and a
        cache that claims to match its part but does not (:meth:`Summaries.forged`).  Reads the whole store."""
        recorded: dict[str, tuple[str | None, int]] = {}
        for entry in self.log.since(0):
            for name, digest in (entry.get("files") or {}).items():
                removed = name.endswith(DELETE)
                recorded[name.removesuffix(DELETE)] = (None if removed else digest, int(entry.get("seq") or 0))
        found: list[tuple[str, dict]] = []
        checks = self.summaries.checks()
        for name, (digest, seq) in sorted(recorded.items()):
            path = self.layout.target(name)
            entry = checks.get(int(name[1:-5])) if is_part_name(name) else None
            if entry is not None and entry.get("sha256") and entry["part"] == list(file_signature(path) or ()):
                if entry["sha256"] != digest:  # the part as its check entry read it (its signature unchanged)
                    found.append(("check.file_changed", {"path": str(path), "seq": seq}))
                continue
            try:
                raw = read_or_none(path)
            except OSError:
                continue  # unreadable: said by the read that needs it
            if raw is None and digest is not None:
                found.append(("check.file_missing", {"path": str(path), "seq": seq}))
            elif raw is not None and (digest is None or hashlib.sha256(raw).hexdigest() != digest):
                found.append(("check.file_changed", {"path": str(path), "seq": seq}))
        for pid in self.parts.existing():
            if self.parts.path(pid).name not in recorded:  # a part no save of ptdv ever wrote
                found.append(("check.file_unknown", {"path": str(self.parts.path(pid))}))
        found.extend(("check.cache_forged", {"path": str(path)}) for path in self.summaries.forged(checks))
        return found

    def index_problems(self, placed: Mapping[int, tuple[int, str]]) -> list[tuple[str, dict]]:
        """Where the indexes disagree with the parts, as (message key, params): a candidate the candidate index
        does not place in the part holding it, an entry of a candidate no part holds, a counter below an id in
        use, a branch record in a part that the unit index (or the catalogue: ``placed``, the read model's) does
        not place there.  Reads every part's summary and every index file."""
        checks = self.summaries.checks()
        held = {cid: pid for pid, entry in checks.items() for cid, _, _ in entry["cands"]}
        indexed: dict[int, int] = {}
        index = self.parts.index
        for block in index.blocks():
            indexed.update(index.block(block))
        wrong = sorted((cid, pid) for cid, pid in held.items() if indexed.get(cid) != pid)
        found = [("check.index_wrong", {"id": cid, "part": pid, "indexed": indexed.get(cid, "—")}) for cid, pid in wrong]
        found += [("check.index_stale", {"id": cid, "part": indexed[cid]})
                  for cid in sorted(cid for cid in indexed if cid not in held)]
        counter = int(self.parts.counters().get("next_candidate", 0))
        if held and counter < max(held):
            found.append(("check.counter_behind", {"counter": counter, "id": max(held)}))
        parents = {uid: parent for uid, (parent, _) in placed.items()}
        for pid, entry in checks.items():   # the reverse of check.unit_record: a record no entry places in its part
            found += [("check.unit_unplaced", {"unit": uid, "part": pid}) for uid in sorted(map(int, entry["units"]))
                      if parents.get(uid) != pid]
        return found

    # -- what a restore and a repair write -----------------------------------------------------------
    def restored(self, seq: int) -> dict[str, bytes | None]:
        """The files (by pending name; None: to remove) a restore of version ``seq`` writes: each that differs from
        what it was right after ``seq``."""
        try:
            files = {name: payload for name, payload in self.backups.contents_at(seq).items()
                     if read_or_none(self.layout.target(name)) != payload}
            return self._ids_kept(files)
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(self.backups.folder), detail=exc.strerror or str(exc)) from exc

    def _ids_kept(self, files: dict[str, bytes | None]) -> dict[str, bytes | None]:
        """A restore puts the records back, not the counters that give ids: a candidate or unit added after the
        version restored keeps its id to itself (the audit trail, its sink and papers printed name it), so the
        next one added gets a new id.  Raises OSError."""
        for name, key, current in ((self.layout.counters_path.name, None, self.layout.counters_path),
                                   (CATALOGUE, "meta", self.layout.path)):
            if files.get(name) is None:
                continue
            try:
                now, back = orjson.loads(current.read_bytes()), orjson.loads(files[name])
                now, doc = (now[key]["1"], back[key]["1"]) if key else (now, back)
            except (orjson.JSONDecodeError, KeyError, TypeError, FileNotFoundError):
                continue  # a damaged file: the restore puts it back as it was
            counter = "next_unit" if key else "next_candidate"
            if int(doc.get(counter, 0)) < int(now.get(counter, 0)):
                doc[counter] = int(now[counter])
                files[name] = orjson.dumps(back)
        return files

    def repaired(self, fixable: list[Damage], stamp: str) -> dict[str, bytes]:
        """The files (by pending name) a repair of ``fixable`` writes: each damaged file's newest good backup, and
        the index files that then name the parts as they are (:meth:`index_after`).  Each damaged file is kept
        beside it first as ``<name>.damaged-<stamp>`` (a link to it, or for the audit log a copy: the repair's
        own audit line cuts the log's unfinished last line).  Raises OSError."""
        files: dict[str, bytes] = {}
        for d in fixable:
            aside = d.path.with_name(f"{d.path.name}.damaged-{stamp}")
            if d.cut:
                tmp = write_tmp(aside, d.path.read_bytes(), self.layout.mode(), durable=True)
                os.replace(tmp, aside)
                continue
            os.link(d.path, aside)
            files[d.name] = self.backups.copy(d.backup, d.name).read_bytes()
        files.update(self.index_after(files))
        return files

    def index_after(self, files: dict[str, bytes]) -> dict[str, bytes]:
        """With a repair that puts back older copies of parts or index files: the index files (and the counter)
        that name the parts as they will then be, so that no candidate is looked for where it no longer is and
        no id is given twice.  The entries of a part that cannot be read are kept as they are."""
        try:
            catalogue = orjson.loads(files.get(CATALOGUE) or self.layout.path.read_bytes())
            if int(catalogue["meta"]["1"]["schema"]) < INDEXED_SCHEMA:
                return {}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return {}
        parts, summaries = self.parts, self.summaries
        replaced = {int(name[1:-5]): raw for name, raw in files.items() if is_part_name(name)}
        unread, kept = set(), {}
        for pid in set(parts.existing()) - set(replaced):
            try:
                summaries.summary(pid)
            except PtdvError:
                unread.add(pid)
        held = summaries.held(skip=set(replaced) | unread)
        for pid, raw in replaced.items():
            held.update((int(cid), pid) for cid in orjson.loads(raw)["candidates"])
        before: dict[int, dict[int, int] | None] = {}
        for block in parts.index.blocks():
            try:
                before[block] = parts.index.block(block)
            except PtdvError:
                before[block] = None
            kept.update((cid, pid) for cid, pid in (before[block] or {}).items() if pid in unread)
        out = {CANDIDATES.name(block): CANDIDATES.doc(block, entries)
               for block, entries in parts.index.remade({**kept, **held}).items() if entries != before.get(block, {})}
        try:
            counters = parts.counters()
        except PtdvError:
            counters = {}
        if held and max(held) > int(counters.get("next_candidate", 0)):
            out[self.layout.counters_path.name] = orjson.dumps({**counters, "next_candidate": max(held)})
        return out
