"""The store: TinyDB JSON files, safe for several people on one server, whose cost per save
does not grow with the city.

Layout, for a store named ``ptdv.json`` (see docs/STORE.md for why):

- ``ptdv.json``            the catalogue: TinyDB tables ``meta`` (schema, settings, unit counter,
                           root), ``levels``, ``users``, ``units`` and ``quotas`` of the units above
                           the last level, ``placed`` (each branch's parent and name), and
                           ``calendar`` (the days off and make-up days an admin added, db.workdays).
- ``ptdv.parts/p<N>.json`` one TinyDB file per grassroots unit N: the records, quotas and
                           candidates of its branches.
- ``ptdv.parts/p<N>.sum.json`` a cache of part N's counts, names and unit records, for roll-ups
                           and search without reading the part; rebuilt whenever it does not match.
- ``ptdv.parts/counters.json`` the candidate id counter.
- ``ptdv.parts/ids<K>.json`` the candidate index: for the ids K*1000 to K*1000+999, the part holding each.
- ``ptdv.audit.jsonl``     the audit trail: one JSON line per change, hash-chained, append-only.
- ``ptdv.json.lock``       the lock every writer takes.

Every write: exclusive lock on the ``.lock`` file, reload what another process changed (with a
fresh TinyDB, so no query cache or next id goes stale), apply, write each changed file into the
pending folder (fsync), append the audit lines and fsync them (the commit point), then move the
files into place (``os.replace``, fsync of the folder).  A damaged file or an unknown schema is an error naming
the file, and no write happens while a file the write needs is in that state.

All file access of ptdv goes through :class:`Store`: ``state()`` (the read model; candidates
are loaded part by part as asked), ``transaction()`` (apply a change), ``changed()`` and
``audit_since()`` (what changed since).

The modules, each over the ones above it:

- :mod:`.files`        the files' names (``Layout``), how each is written, a TinyDB file in memory;
- :mod:`.lock`         the writers' lock;
- :mod:`.index`        the candidate index and the unit index;
- :mod:`.parts`        the parts, the two indexes' files and the counter;
- :mod:`.summaries`    each part's summary and report counts, the caches of the whole store (the one user of
                       ``db.quota``, ``db.report`` and ``db.rules`` here);
- :mod:`.source`       the read model's two sources over them (the seam a second backend implements for reading);
- :mod:`.transaction`  one write, its typed calls (the files' tables are named there and in the modules above);
- :mod:`.audit`        the audit trail; :mod:`.backups` the backups and versions;
- :mod:`.commit`       the commit point and the recovery of a killed writer;
- :mod:`.repair`       what ``check`` finds of the files, and what restore and repair write.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Collection, Iterator

import orjson

from ..errors import PtdvError
from ..identity import current_user
from ..model import DEFAULT_LEVELS, Candidate, Level, Settings
from ..state import State
from .audit import AuditLog
from .backups import PRUNE_EVERY, Backups, Damage, DamagedFile, Version
from .commit import Committer, news_of
from .files import (CATALOGUE, CATALOGUE_TABLES, INDEXED_SCHEMA, SCHEMA_VERSION, SPLIT_SCHEMA, Layout, TinyFile,
                    discard, file_signature, fsync_dir, gid_of, make_folder, new_file_mode, os_error, own, parse,
                    write_tmp)
from .lock import LOCK_TIMEOUT_S, locked
from .parts import Parts
from .repair import Repair, damaged
from .source import PartsSource, read_model
from .summaries import Summaries
from .transaction import Transaction

__all__ = ["CATALOGUE", "INDEXED_SCHEMA", "LOCK_TIMEOUT_S", "PART_LIMIT", "PRUNE_EVERY", "SCHEMA_VERSION", "SPLIT_SCHEMA",
           "Damage", "DamagedFile", "Store", "Transaction", "Version", "default_path"]

PART_LIMIT = 10_000       # candidates one part may hold: a save rewrites the part whole (~0.1 ms a candidate: ~1 s)


def default_path() -> Path:
    env = os.environ.get("PTDV_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ptdv", appauthor=False)) / "ptdv.json"


class Store:
    """One session on a store (a process's, or a thread's: :meth:`session`): its read model (:meth:`state`), its
    writes (:meth:`transaction`), the audit trail, the versions a restore goes back to, the checks of its files and
    their repair.  Its parts are read through ``parts``, ``summaries`` and ``source`` (the read model's sources),
    made anew when files changed that this session did not write."""

    def __init__(self, path: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.layout = layout = Layout(Path(path).expanduser().absolute())
        self.path, self.lock_path, self.audit_path = layout.path, layout.lock_path, layout.audit_path
        self.parts_dir, self.counters_path, self.pending_dir = layout.parts_dir, layout.counters_path, layout.pending_dir
        self.backups_dir = layout.backups_dir
        self.user = current_user()  # the process's own account; a service names its caller per write
        self.lock_timeout = lock_timeout
        self.tidy_later = False  # a save leaves dropping old backups to :meth:`tidy` (a service sets this)
        self.tidy_due = False    # a save left it
        self._catalogue: TinyFile | None = None
        self._catalogue_seen: tuple | None = None  # a watching session's catalogue signature (:meth:`mark_seen`)
        self._state: State | None = None
        self._audit_seen: tuple | None = None  # the news (:func:`~db.store.commit.news_of`) this session last saw
        self._log = AuditLog(layout)
        self._backups = Backups(layout)
        self._committer = Committer(layout, self._log, self._backups)
        self._fresh()

    def _fresh(self) -> None:
        """What this session keeps of the parts made anew (empty): at the start, and after files changed that
        this session did not write (a recovery, a restore, a repair, the store moved aside)."""
        self.parts = Parts(self.layout, seen=lambda: self._audit_seen, damaged=self._damaged)
        self.summaries = Summaries(self.parts, settings=lambda: self.current_state().settings, news=self._news)
        self.source = PartsSource(self.parts, self.summaries, state=self.current_state, indexed=self.indexed)

    def session(self) -> "Store":
        """Another session on this store (caches of its own), for another thread: see tui/reader.py."""
        return Store(self.path, lock_timeout=self.lock_timeout)

    def own_paths(self) -> tuple[Path, ...]:
        """The files and folders of the store (a file picker hides them)."""
        return self.path, self.parts_dir, self.backups_dir

    def mode(self) -> int:
        """The permission bits every file of the store gets: those of the catalogue."""
        return self.layout.mode()

    # -- creating and removing -----------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def create(self, levels: tuple[Level, ...] = DEFAULT_LEVELS) -> None:
        """Write a new, empty store; refuse when one is already there."""
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise os_error(self.path, exc) from exc
        if self.path.exists():
            raise PtdvError("store.exists", path=str(self.path))
        data: dict = {name: {} for name in CATALOGUE_TABLES}
        data["meta"]["1"] = {"schema": SCHEMA_VERSION, "created_by": self.user,
                             "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                             "settings": Settings().to_doc(), "root": None}
        for order, level in enumerate(levels, start=1):
            data["levels"][str(order)] = {"id": level.id, "vi": level.vi, "en": level.en, "order": level.order}
        self.layout.check_place()
        mode = new_file_mode(folder)
        with self._locked(mode):
            if self.path.exists():
                raise PtdvError("store.exists", path=str(self.path))
            try:
                for folder_ in (self.parts_dir, self.pending_dir, self.backups_dir):
                    make_folder(folder_, mode)
                fd = os.open(self.audit_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, mode)
                try:
                    own(fd, mode, gid_of(folder))
                finally:
                    os.close(fd)
                tmp = write_tmp(self.path, orjson.dumps(data), mode, durable=True)
                os.replace(tmp, self.path)
                fsync_dir(folder)
                fsync_dir(self.parts_dir)
            except OSError as exc:
                raise os_error(self.path, exc) from exc
        self._catalogue = None

    def move_aside(self) -> Path:
        """Before ``ptdv demo --force`` (its admin only: the service checks): move the whole store (catalogue,
        parts, audit trail, backups, files a repair kept aside) into a new folder beside it,
        ``<name>.replaced-<yyyymmdd>-<hhmmss>/``, where it can still be opened with ``--db``; nothing is
        deleted.  The lock file stays: whoever waits on it still excludes the store made next.  Returns the
        folder."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        with self._locked():
            self._recover()  # a write a killed process left is finished first: what moves is whole
            folder = self.path.parent
            for n in range(1, 100):
                aside = folder / f"{self.path.stem}.replaced-{stamp}{'' if n == 1 else f'-{n}'}"
                try:
                    aside.mkdir()
                    break
                except FileExistsError:
                    continue
            try:
                make_folder(aside, self.mode())
                kept = [p for p in folder.iterdir() if p.name.startswith((f"{self.path.name}.damaged-",
                        f"{self.audit_path.name}.damaged-", f"{self.audit_path.name}.uncommitted-"))]
                for path in (self.parts_dir, self.backups_dir, self.audit_path, *kept, self.path):  # the catalogue last
                    if os.path.lexists(path):
                        os.rename(path, aside / path.name)
                fsync_dir(aside)
                fsync_dir(folder)
            except OSError as exc:
                raise os_error(self.path, exc) from exc
        self._catalogue = self._state = None
        self._fresh()
        self._audit_seen = None
        return aside

    # -- reading -------------------------------------------------------------------------
    def _news(self) -> tuple:
        return news_of(self.layout)

    def changed(self) -> bool:
        """True when another process changed the store since this one last looked: two stats and a listing of
        the (usually empty) pending folder."""
        catalogue = self._catalogue.signature if self._catalogue else self._catalogue_seen
        return file_signature(self.path) != catalogue or self._news() != self._audit_seen

    def mark_seen(self) -> None:
        """Take the store as it is now as seen, without reading it: what a session that only watches for changes
        (:meth:`changed`) does, instead of parsing the catalogue it never reads (12 ms at metro scale)."""
        self._audit_seen = self._news()
        self._catalogue_seen = file_signature(self.path)

    def refresh(self) -> bool:
        """Reload the catalogue when it changed; parts are checked as they are used."""
        signature = file_signature(self.path)
        if signature is None:
            raise PtdvError("store.missing", path=str(self.path))
        seen = self._news()
        news = seen != self._audit_seen
        self._audit_seen = seen
        if news:  # a save elsewhere may have added, renamed or moved a branch (the unit index): a new read model,
            self._state = None  # made from the catalogue in memory when it did not change (its records as asked)
        if self._catalogue is not None and signature == self._catalogue.signature:
            return news
        self.layout.check_place()
        self.layout.refuse_public([self.path, self.audit_path, self.lock_path, self.counters_path, self.parts_dir,
                                   self.pending_dir, self.backups_dir])  # first: a wrong group is said, not "unreadable"
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise PtdvError("store.unreadable", path=str(self.path), detail=exc.strerror or str(exc)) from exc
        try:
            catalogue = TinyFile(self.path, parse(self.path, raw, CATALOGUE_TABLES), signature)
        except PtdvError as err:
            raise self._damaged(err) from err
        self._catalogue = catalogue
        self._state = None
        return True

    def state(self) -> State:
        """The current read model: the catalogue rebuilt only when it changed; candidates on demand."""
        self.refresh()
        if self._state is None:
            try:
                self._state = read_model(self.path, self._catalogue.data, self.source, damaged=self._damaged)
            except PtdvError as err:
                raise self._damaged(err) from err
        return self._state

    def catalogue_data(self) -> dict:
        """The catalogue's tables as read (a service sends them to its clients, who make their read model)."""
        self.state()
        return self._catalogue.data

    def indexed(self) -> bool:
        """Whether the store has the candidate index (schema 4 on; an older one gets it at its next write)."""
        self.current_state()
        return int(self._catalogue.data["meta"]["1"]["schema"]) >= INDEXED_SCHEMA

    def current_state(self) -> State:
        """The read model a question being answered started from, without looking at the files again: the
        parts' reads within one question must not mark as seen a write that landed in between
        (:meth:`changed` would then not report it, and another session would show the figures from before
        it until the next write)."""
        return self._state if self._state is not None else self.state()

    def audit_since(self, seq: int = 0) -> list[dict]:
        """Committed audit entries numbered above ``seq``, oldest first: the lines of a write still being
        appended, or of one killed before its last line, are not part of the trail."""
        return self._log.since(seq)

    def verify_audit(self) -> list[int]:
        """Sequence numbers of audit entries whose hash chain is broken (edited, removed or inserted)."""
        return self.audit_integrity()[0]

    def audit_integrity(self) -> tuple[list[int], list[tuple[int, int]]]:
        """(entries whose hash chain is broken, runs ``(first, last)`` of entries no commit line covers: the lines
        of a write that never committed, which an earlier ptdv kept when the next write appended after them)."""
        return self._log.integrity()

    # -- writing -------------------------------------------------------------------------
    def _locked(self, mode: int | None = None, by: str | None = None):
        """The store's lock (:func:`~db.store.lock.locked`), its holder named ``by`` (default: the store's account)."""
        return locked(self.layout, self.lock_timeout, by or self.user, mode)

    def _recover(self) -> None:
        """Under the lock: finish or drop a write a killed process left (:meth:`Committer.recover`); what this
        session holds is then read again."""
        if self._committer.recover():
            self._catalogue = None
            self._state = None
            self._fresh()

    @contextmanager
    def transaction(self, by: str | None = None) -> Iterator[Transaction]:
        """Lock, reload what changed, let the caller change records, write each changed file once.  The audit
        entries and the lock name ``by``, the account the write is made for (default: the store's own)."""
        if not self.path.exists():  # before locking: no lock file left next to a store that is not there
            raise PtdvError("store.missing", path=str(self.path))
        by = by or self.user
        with self._locked(by=by):
            self._recover()
            self.refresh()
            self._catalogue.dirty = False
            tx = Transaction(self._catalogue, self.state(), self.parts, self.summaries, by=by,
                             at=datetime.now().astimezone().isoformat(timespec="seconds"))
            try:
                tx.upgrade()
                yield tx
                self._commit(tx)
            except BaseException:
                self._catalogue = None  # drop in-memory changes: the next read reloads the files
                self._state = None
                self.parts.forget(tx.part_files)
                raise

    def _commit(self, tx: Transaction) -> None:
        """Write every changed file (:meth:`_write`), then the summaries of the changed parts.  A catalogue that
        changed is read whole first (each record made): a record that cannot be read refuses the write, and the
        read model made is the one kept after it."""
        mode = self.mode()
        tx.check_sizes(PART_LIMIT)
        after = read_model(self.path, self._catalogue.data, self.source, whole=True, damaged=self._damaged) \
            if self._catalogue.dirty else None
        self._committer.write({self.layout.pending_name(p): b for p, b in tx.files().items()}, tx.entries, mode)
        written = tx.written()
        if after is not None:
            self._catalogue.dirty = False
            self._catalogue.signature = file_signature(self.path)
            self._state = after
        elif tx.branches.changed:  # a branch added, renamed or moved without a period: the tree changed
            self._state = None
        self.summaries.written(written, self.state().settings)
        self._audit_seen = self._news()
        if self._log.last_seq() % PRUNE_EVERY == 0:
            if self.tidy_later:
                self.tidy_due = True
            else:
                self._prune()

    # -- backups, restore, repair (see docs/STORE.md) -------------------------------------------
    def backup_copy(self, version: Version, name: str) -> Path:
        """Where the backup of file ``name`` kept by ``version`` is."""
        return self._backups.copy(version, name)

    def _settings(self) -> Settings:
        """The store's settings; the defaults while the catalogue cannot be read (a restore may fix it)."""
        try:
            return self.state().settings
        except PtdvError:
            return Settings()

    def versions(self) -> list[Version]:
        """The versions a restore can go back to, oldest first: the last ``backups_kept`` writes and the last
        write of each of the last ``backup_days`` days (``daily``)."""
        return self._backups.versions(self._settings())

    def _prune(self) -> None:
        """Drop backups no kept version needs (:meth:`Backups.prune`)."""
        self._backups.prune(self._settings())

    def tidy(self) -> None:
        """Under the lock, drop the backups no kept version needs when a save left that for later
        (``tidy_later``: a service does it between its answers, not in a save's)."""
        if self.tidy_due:
            with self._locked():
                self._prune()
            self.tidy_due = False

    def _store_entry(self, action: str, before: dict, after: dict, by: str | None) -> dict:
        return {"at": datetime.now().astimezone().isoformat(timespec="seconds"), "by": by or self.user,
                "action": action, "target": "store", "unit": None, "before": before, "after": after}

    def _forget_all(self, names: Collection[str]) -> None:
        """After a restore or repair: drop what is in memory, and the summaries of the parts it replaced."""
        for name in names:
            if name.startswith("p") and name.endswith(".json"):
                for cache in (".sum.json", ".rep.json", ".cells.json"):
                    discard(self.parts_dir / name.replace(".json", cache))
        self._catalogue = self._state = None
        self._fresh()
        self._audit_seen = None

    def restore(self, seq: int, by: str | None = None) -> tuple[int, int]:
        """Put every file back as it was right after version ``seq``: a write like any other (logged as
        ``store.restore``, backed up, undone by restoring the version before it).  Returns (from, to)."""
        if not self.path.exists():
            raise PtdvError("store.missing", path=str(self.path))
        with self._locked():
            self._recover()
            current = self._log.last_seq()
            known = [v.seq for v in self.versions()]
            if seq == current:
                raise PtdvError("backup.current", version=seq)
            if seq not in known:
                raise PtdvError("backup.unknown", version=seq, versions=", ".join(map(str, known[-10:])) or "—")
            files = self._repair().restored(seq)
            self._committer.write(files, [self._store_entry("store.restore", {"version": current}, {"version": seq}, by)],
                                  self.mode())
            self._forget_all(files)
            self._prune()
        return current, seq


    def _damaged(self, err: PtdvError) -> PtdvError:
        """``err`` about a file of the store, saying which backup of that file can be read."""
        return damaged(self.layout, self._backups, err)

    def _repair(self) -> Repair:
        return Repair(self.layout, self._log, self._backups, self.parts, self.summaries)

    def damage(self) -> list[Damage]:
        """Every file of the store that cannot be read, with what would replace it: reads the whole store."""
        return self._repair().damage()

    def drift(self) -> list[tuple[str, dict]]:
        """What differs from what ptdv wrote (:meth:`Repair.drift`): reads the whole store."""
        return self._repair().drift()

    def due_dates(self, pids: Collection[int]) -> dict[int, list[tuple[int, int]]] | None:
        """:meth:`Summaries.due_dates`: the due dates of the live candidates of the parts among ``pids``."""
        return self.summaries.due_dates(pids)

    def candidates_in(self, where: dict[int, int]) -> dict[int, Candidate]:
        """:meth:`Parts.candidates_in`: the candidates of ``where`` (id -> the part to look in) found there, each part
        read once, none kept in memory that was not."""
        return self.parts.candidates_in(where)

    def part_room(self, growth: dict[int, int]) -> dict[int, int]:
        """What an import plans (dry run or not), before any write: the parts that ``growth[pid]`` more candidates
        would leave with more than :data:`PART_LIMIT`, with the count each would then hold (counts from the parts'
        summaries).  A part that does not grow is left out: one already past the limit may still be changed."""
        over: dict[int, int] = {}
        for pid, count in sorted(growth.items()):
            if count > 0:
                found = self.summaries.summary(pid)
                total = (len(found.names) if found is not None else 0) + count
                if total > PART_LIMIT:
                    over[pid] = total
        return over

    def part_checks(self) -> dict[int, dict]:
        """What ``check`` finds of each part from the part alone (:meth:`Summaries.checks`), by part: kept in
        ``checks.json`` and made again only for a part that changed, so a check after a save reads one part."""
        return self.summaries.checks()

    def index_problems(self) -> list[tuple[str, dict]]:
        """Where the indexes disagree with the parts, as (message key, params): a candidate the candidate index
        does not place in the part holding it, an entry of a candidate no part holds, a counter below an id in
        use, a branch record in a part that the unit index (or the catalogue) does not place there.  Reads every
        part's summary and every index file."""
        if not self.indexed():
            return []
        return self._repair().index_problems(self.current_state().placed)

    def repair(self, by: str | None = None) -> list[Damage]:
        """Under the lock, replace each damaged file by its newest good backup, as one logged write; the
        damaged file is kept beside it as ``<name>.damaged-<time>`` (a link to it, or for the audit log a
        copy: the repair's own audit line cuts the log's unfinished last line).  Returns what was found."""
        if not self.path.exists():
            raise PtdvError("store.missing", path=str(self.path))
        with self._locked():
            self._recover()
            found = self.damage()
            fixable = [d for d in found if d.fixable]
            if not fixable:
                return found
            try:
                files = self._repair().repaired(fixable, datetime.now().strftime("%Y%m%dT%H%M%S"))
            except OSError as exc:
                raise os_error(self.path, exc) from exc
            entry = self._store_entry("store.repair", {"files": {d.path.name: "damaged" for d in fixable}},
                                      {"files": {d.path.name: d.backup.seq if d.backup else "cut" for d in fixable}},
                                      by)
            self._committer.write(files, [entry], self.mode())
            self._forget_all(files)
        return found


    def readable_state(self) -> State:
        """The read model; while the catalogue cannot be read, the one of its newest good backup (so that the
        admins who may repair it are known)."""
        try:
            return self.state()
        except DamagedFile as err:
            if err.params.get("path") != str(self.path) or err.backup is None:
                raise
            raw = self.backup_copy(err.backup, CATALOGUE).read_bytes()
            return read_model(self.path, parse(self.path, raw, CATALOGUE_TABLES), None)


